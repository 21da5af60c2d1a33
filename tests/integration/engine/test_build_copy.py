"""COPY and ADD: Docker's path rules, ownership, archives, URLs and their errors."""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
from typing import Iterator

import pytest

from build_helpers import run_cmd, api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon


def _ls(sdk, image: str, script: str) -> str:  # noqa: F811
    return run_cmd(sdk, image, ["sh", "-c", script]).decode()


def test_copy_rules(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    df = ("FROM busybox\nRUN mkdir /isdir\nCOPY a /isdir\nCOPY a /newfile\nCOPY a /new/dir/\n"
          "COPY d /dcontents\nCOPY d/ /dslash/\nCOPY [\"sp ace\", \"/json form/\"]\n")
    files = {"Dockerfile": df, "a": "A", "d/x": "X", "d/y/z": "Z", "sp ace": "S"}
    r = api_build(daemon, tar_of(files))
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = _ls(sdk, r.id, "ls /isdir; cat /newfile; echo; ls /new/dir; ls /dcontents /dslash/y;"
                         " ls '/json form'")
    assert out == ("a\nA\na\n"                  # into the dir, renamed file, dest/ made
                   "/dcontents:\nx\ny\n\n/dslash/y:\nz\n"   # contents, not the dir
                   "sp ace\n")


def test_copy_modes_owner_and_mtime_kept(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        df = b"FROM busybox\nCOPY tool /usr/local/bin/tool\nCOPY --chown=33:33 tool /owned\n"
        for name, data, mode, uid in (("Dockerfile", df, 0o644, 0),
                                      ("tool", b"#!/bin/sh\necho tool ran\n", 0o750, 1234)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.mtime = len(data), mode, uid, 1_500_000_000
            t.addfile(info, io.BytesIO(data))
    r = api_build(daemon, buf.getvalue())
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = _ls(sdk, r.id, "tool; stat -c '%a %u:%g %Y' /usr/local/bin/tool /owned")
    assert out == "tool ran\n750 0:0 1500000000\n750 33:33 1500000000\n"


def test_several_sources_need_a_directory(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nCOPY a b /dest\n", "a": "", "b": ""}))
    assert "When using COPY with more than one source file, the destination must be a " \
           "directory and end with a /" in r.error["error"]


def test_missing_source_and_outside_context(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nCOPY nope /x\n"}))
    assert "file not found in build context or excluded by .dockerignore: stat nope" in \
        r.error["error"]
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nCOPY ../etc/passwd /x\n"}))
    assert "Forbidden path outside the build context: ../etc/passwd" in r.error["error"]
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nCOPY *.none /x/\n"}))
    assert "no source files were specified" in r.error["error"]
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nCOPY --chown=nosuch a /x\n",
                                  "a": ""}))
    assert "unable to find user nosuch" in r.error["error"]


def test_symlinks_in_image_do_not_escape(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    df = "FROM busybox\nRUN ln -s /etc /escape && ln -s ../../../../tmp /tmp/up\nCOPY a /escape/a\nCOPY a /tmp/up/b\n"
    r = api_build(daemon, tar_of({"Dockerfile": df, "a": "inside"}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert _ls(sdk, r.id, "cat /etc/a; echo; cat /tmp/b") == "inside\ninside"


def test_add_archive_and_copy_no_extract(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as t:
        data = b"unpacked\n"
        info = tarfile.TarInfo("pkg/readme")
        info.size, info.uid, info.gid = len(data), 5, 6
        t.addfile(info, io.BytesIO(data))
    df = "FROM busybox\nADD pkg.tgz /opt/\nCOPY pkg.tgz /copied/\nADD --chown=7:8 pkg.tgz /owned\n"
    r = api_build(daemon, tar_of({"Dockerfile": df, "pkg.tgz": inner.getvalue()}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = _ls(sdk, r.id, "cat /opt/pkg/readme; stat -c %u:%g /opt/pkg/readme /owned/pkg/readme;"
                         " ls /copied")
    assert out == "unpacked\n5:6\n7:8\npkg.tgz\n"


@pytest.fixture
def http_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"downloaded\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()


def test_add_url(daemon: Daemon, sdk, cleanup, http_server: str) -> None:  # noqa: F811
    df = f"FROM busybox\nADD {http_server}/files/remote.txt /dl/\n"
    r = api_build(daemon, tar_of({"Dockerfile": df}))
    assert r.error is None, r.text
    cleanup.append(r.id)
    assert _ls(sdk, r.id, "cat /dl/remote.txt; stat -c '%a %Y' /dl/remote.txt") == \
        "downloaded\n600 1445412480\n"


def test_add_unreachable_url_is_a_clear_error(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nADD http://no-such-host.invalid/x /x\n"}))
    msg = r.error["error"]
    assert msg.startswith("ADD failed: failed to GET http://no-such-host.invalid/x")
    assert "no network access" in msg
