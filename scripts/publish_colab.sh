#!/usr/bin/env bash
# Publish the Colab notebooks that the build wrote (_build/html/_colab) as the branch
# "colab" of this repository: Colab opens notebooks from GitHub, and the book's rocket
# buttons point there (book/_ext/colab.py). One commit, replaced at every publication;
# the branch holds nothing else. Run by the workflow after a green build of main, where
# actions/checkout has left a token that may push; REMOTE overrides the destination.
set -euo pipefail
cd "$(dirname "$0")/.."
folder=_build/html/_colab
remote="${REMOTE:-origin}"
[ -d "$folder/book" ] || { echo "no $folder/book: build the book first" >&2; exit 1; }
# A throwaway index, so the repository's own index and work tree are never touched. git
# wants a missing file (an empty one is a corrupt index): reserve a name, then remove it.
index="$(mktemp)"
trap 'rm -f "$index"' EXIT
rm -f "$index"
export GIT_INDEX_FILE="$index"
git --work-tree="$folder" add --all --force .
tree="$(git write-tree)"
source_commit="$(git rev-parse HEAD)"
commit="$(GIT_AUTHOR_NAME="hw2 book build" GIT_AUTHOR_EMAIL="hw2-book@users.noreply.github.com" \
  GIT_COMMITTER_NAME="hw2 book build" GIT_COMMITTER_EMAIL="hw2-book@users.noreply.github.com" \
  git commit-tree "$tree" -m "Colab notebooks built from $source_commit")"
git push --force "$remote" "$commit:refs/heads/colab"
echo "==> published $(git ls-tree -r --name-only "$commit" | wc -l) notebooks to $remote colab ($commit)"
