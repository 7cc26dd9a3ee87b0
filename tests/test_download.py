"""The downloader, run through its real path against the shared copy of the archive."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from hw2 import download


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


@pytest.fixture(scope="module")
def extracted(shared_zip, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    return download.cats_and_dogs(root=root, url=shared_zip.as_uri(), progress=False)


def test_file_url_download_extracts_and_verifies(extracted):
    for sub, n in download.EXPECTED_COUNTS.items():
        assert len(list((extracted / sub).glob("*.jpg"))) == n
    assert leftovers(extracted.parent) == ["cats_and_dogs_filtered"]


def test_second_call_reuses_cache_without_network(extracted):
    again = download.cats_and_dogs(root=extracted.parent, url="http://127.0.0.1:9/nothing")
    assert again == extracted


def test_env_variables_choose_url_and_root(shared_zip, extracted, monkeypatch):
    monkeypatch.setenv("HW2_DATA_DIR", str(extracted.parent))
    monkeypatch.setenv("HW2_DATA_URL", "http://127.0.0.1:9/unused")
    assert download.data_root() == extracted.parent
    assert download.cats_and_dogs() == extracted


def test_verify_tree_catches_a_changed_file(extracted, tmp_path):
    import shutil

    copy = tmp_path / "cats_and_dogs_filtered"
    shutil.copytree(extracted, copy)
    victim = next((copy / "train" / "dogs").glob("*.jpg"))
    victim.write_bytes(victim.read_bytes()[:-1] + b"\0")
    with pytest.raises(download.DatasetError, match="sha256"):
        download.verify_tree(copy)
    victim.unlink()
    with pytest.raises(download.DatasetError, match="expected 1000"):
        download.verify_tree(copy)


class _Server:
    """Serves one byte string on 127.0.0.1; ``cut`` stops sending after that many bytes
    while still announcing the full length (a dropped connection)."""

    def __init__(self, payload: bytes, cut: int | None = None):
        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload if cut is None else payload[:cut])
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/cats_and_dogs_filtered.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def payload(shared_zip) -> bytes:
    return shared_zip.read_bytes()


def test_http_download_works(payload, tmp_path):
    with _Server(payload) as server:
        folder = download.cats_and_dogs(root=tmp_path, url=server.url, progress=False)
    assert server.requests == 1
    assert leftovers(tmp_path) == ["cats_and_dogs_filtered"]
    download.verify_tree(folder)


def test_truncated_transfer_leaves_nothing_behind(payload, tmp_path, monkeypatch):
    monkeypatch.setattr(download.time, "sleep", lambda s: None)
    with _Server(payload, cut=len(payload) // 2) as server:
        with pytest.raises(download.DatasetError, match="could not download"):
            download.cats_and_dogs(root=tmp_path, url=server.url, retries=2, progress=False)
    assert server.requests == 2  # it retried
    assert leftovers(tmp_path) == []


def test_truncated_archive_is_rejected(payload, tmp_path):
    # The server sends all it announces, but the archive itself is cut short.
    with _Server(payload[: len(payload) // 3]) as server:
        with pytest.raises(download.DatasetError):
            download.cats_and_dogs(root=tmp_path, url=server.url, progress=False)
    assert leftovers(tmp_path) == []


def test_no_network_and_no_cache_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(download.time, "sleep", lambda s: None)
    with pytest.raises(download.DatasetError) as info:
        download.cats_and_dogs(root=tmp_path, url="http://127.0.0.1:9/none.zip", progress=False)
    message = str(info.value)
    assert download.CATS_AND_DOGS_URL in message and "HW2_DATA_URL" in message
    assert "HW2_DATA_DIR" in message
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "retries, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_bad_retries(retries, error, tmp_path):
    with pytest.raises(error, match="retries"):
        download.cats_and_dogs(root=tmp_path, retries=retries)
