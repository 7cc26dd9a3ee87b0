import os

from hw2.book import cache


def test_cached_runs_once_and_keys_on_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    calls = []

    @cache.cached
    def work(a, b=2):
        calls.append((a, b))
        return {"sum": a + b}

    assert work(1) == {"sum": 3}
    assert work(1, b=2) == {"sum": 3}  # same key: default filled in
    assert calls == [(1, 2)]
    assert work(1, b=5) == {"sum": 6}
    assert calls == [(1, 2), (1, 5)]
    assert work(1, use_cache=False) == {"sum": 3}
    assert len(calls) == 3
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_presentation_arguments_are_not_in_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    calls = []

    @cache.cached
    def work(a, show=False):
        calls.append(a)
        return a

    work(1, show=True)
    work(1, show=False)
    assert calls == [1]


def test_key_changes_with_the_functions_source(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    calls = []

    @cache.cached
    def work(a):
        calls.append(a)
        return a

    work(1)
    monkeypatch.setattr(cache, "source_fingerprint", lambda fn: "edited source")
    work(1)
    work(1)
    assert calls == [1, 1]


def test_keys_identify_arguments_by_what_they_mean(tmp_path, monkeypatch):
    monkeypatch.setenv("HW2_CACHE_DIR", str(tmp_path))
    calls = []

    @cache.cached(keys={"folder": lambda f: f.rsplit("/", 1)[-1]})
    def work(folder, n=1):
        calls.append(folder)
        return n

    work("/a/data")
    work("/b/data")  # the same key: only the last part identifies the folder
    work("/b/other")
    assert calls == ["/a/data", "/b/other"]
