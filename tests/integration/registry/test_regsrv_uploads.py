"""Chunked uploads: PATCH with Content-Range, status, resume, 416, cancel, concurrency."""

from __future__ import annotations

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from regsrv_helpers import ServerProcess, sha256


def _start(base: str, repo: str) -> str:
    r = requests.post(f"{base}/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
    assert r.status_code == 202
    return r.headers["Location"]


def _patch(base: str, location: str, data: bytes, start: int) -> requests.Response:
    return requests.patch(
        f"{base}{location}",
        data=data,
        headers={"Content-Range": f"{start}-{start + len(data) - 1}", "Content-Type": "application/octet-stream"},
    )


def test_chunked_upload_with_ranges(base: str, repo: str) -> None:
    data = os.urandom(3 * 100_000 + 17)
    location = _start(base, repo)
    offset = 0
    for size in (100_000, 100_000, 100_000):
        r = _patch(base, location, data[offset : offset + size], offset)
        assert r.status_code == 202, r.text
        offset += size
        assert r.headers["Range"] == f"0-{offset - 1}"
        location = r.headers["Location"]
    status = requests.get(f"{base}{location}")
    assert status.status_code == 204 and status.headers["Range"] == f"0-{offset - 1}"
    # the final chunk rides on the closing PUT
    r = requests.put(f"{base}{location}", params={"digest": sha256(data)}, data=data[offset:],
                     headers={"Content-Range": f"{offset}-{len(data) - 1}"})
    assert r.status_code == 201, r.text
    assert requests.get(f"{base}/v2/{repo}/blobs/{sha256(data)}").content == data


def test_out_of_order_chunk_is_416_then_resume(base: str, repo: str) -> None:
    data = b"0123456789" * 10
    location = _start(base, repo)
    assert _patch(base, location, data[:40], 0).status_code == 202
    r = _patch(base, location, data[50:60], 50)  # skips 40..49
    assert r.status_code == 416
    assert r.json()["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
    r = requests.get(f"{base}{location}")
    assert r.headers["Range"] == "0-39"
    resume_at = int(r.headers["Range"].split("-")[1]) + 1
    assert _patch(base, r.headers["Location"], data[resume_at:], resume_at).status_code == 202
    r = requests.put(f"{base}{location}", params={"digest": sha256(data)})
    assert r.status_code == 201
    assert requests.get(f"{base}/v2/{repo}/blobs/{sha256(data)}").content == data


def test_streamed_patch_without_content_range(base: str, repo: str) -> None:
    data = os.urandom(2_500_000)

    def gen():  # chunked transfer encoding, as skopeo sends it
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]

    location = _start(base, repo)
    r = requests.patch(f"{base}{location}", data=gen())
    assert r.status_code == 202 and r.headers["Range"] == f"0-{len(data) - 1}"
    r = requests.put(f"{base}{r.headers['Location']}", params={"digest": sha256(data)})
    assert r.status_code == 201


def test_content_length_must_match_content_range(base: str, repo: str) -> None:
    location = _start(base, repo)
    r = requests.patch(f"{base}{location}", data=b"12345", headers={"Content-Range": "0-9"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "SIZE_INVALID"
    assert requests.get(f"{base}{location}").headers["Range"] == "0-0"


def test_malformed_content_range(base: str, repo: str) -> None:
    location = _start(base, repo)
    r = requests.patch(f"{base}{location}", data=b"x", headers={"Content-Range": "garbage"})
    assert r.status_code == 416


def test_cancel_upload(base: str, repo: str) -> None:
    location = _start(base, repo)
    assert _patch(base, location, b"abc", 0).status_code == 202
    assert requests.delete(f"{base}{location}").status_code == 204
    r = requests.get(f"{base}{location}")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"
    r = _patch(base, location, b"abc", 0)
    assert r.status_code == 404


def test_upload_unknown_and_foreign_repository(base: str, repo: str) -> None:
    r = requests.get(f"{base}/v2/{repo}/blobs/uploads/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"
    location = _start(base, repo)
    uuid = location.rsplit("/", 1)[-1]
    r = requests.get(f"{base}/v2/{repo}-other/blobs/uploads/{uuid}")
    assert r.status_code == 404


def test_many_concurrent_uploads(base: str, repo: str) -> None:
    blobs = [os.urandom(200_000 + i) for i in range(40)]

    def upload(data: bytes) -> int:
        with requests.Session() as http:
            location = http.post(f"{base}/v2/{repo}/blobs/uploads/").headers["Location"]
            half = len(data) // 2
            r = http.patch(f"{base}{location}", data=data[:half], headers={"Content-Range": f"0-{half - 1}"})
            assert r.status_code == 202
            r = http.patch(f"{base}{r.headers['Location']}", data=data[half:],
                           headers={"Content-Range": f"{half}-{len(data) - 1}"})
            assert r.status_code == 202
            return http.put(f"{base}{r.headers['Location']}", params={"digest": sha256(data)}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(upload, blobs)) == [201] * len(blobs)
    for data in blobs[::7]:
        assert requests.get(f"{base}/v2/{repo}/blobs/{sha256(data)}").content == data


def test_concurrent_uploads_of_the_same_blob(base: str, repo: str) -> None:
    data = os.urandom(500_000)

    def upload(_: int) -> int:
        r = requests.post(f"{base}/v2/{repo}/blobs/uploads/", params={"digest": sha256(data)}, data=data)
        return r.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(upload, range(8))) == [201] * 8
    assert requests.get(f"{base}/v2/{repo}/blobs/{sha256(data)}").content == data


def _send_and_drop(server: ServerProcess, head: str, body: bytes) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(head.encode() + body)
    time.sleep(0.3)
    sock.close()
    time.sleep(0.3)


def test_client_disconnect_mid_chunk(server: ServerProcess, base: str, repo: str) -> None:
    """A ranged chunk is all-or-nothing; a streamed one keeps the prefix that arrived."""
    data = os.urandom(4_000_000)
    location = _start(base, repo)
    _send_and_drop(server, f"PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Range: 0-2999999\r\n"
                           f"Content-Length: 3000000\r\n\r\n", data[:1_500_000])
    assert requests.get(f"{base}{location}").headers["Range"] == "0-0"

    chunks = b"".join(b"%x\r\n" % 100_000 + data[i : i + 100_000] + b"\r\n" for i in range(0, 3_000_000, 100_000))
    _send_and_drop(server, f"PATCH {location} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunks)
    status = requests.get(f"{base}{location}")
    kept = int(status.headers["Range"].split("-")[1]) + 1
    assert 0 < kept <= 3_000_000
    r = _patch(base, status.headers["Location"], data[kept:], kept)
    assert r.status_code == 202
    r = requests.put(f"{base}{r.headers['Location']}", params={"digest": sha256(data)})
    assert r.status_code == 201
    assert requests.get(f"{base}/v2/{repo}/blobs/{sha256(data)}").content == data
