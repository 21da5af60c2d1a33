"""``.dockerignore`` applied by the daemon to whatever context tar it is sent (raw API
clients do not filter), with Docker's rules: comments, ``!`` exceptions, ``**``, parent
directories, and the Dockerfile still readable when it is excluded."""

from __future__ import annotations

from build_helpers import run_cmd, api_build, cleanup, sdk, tar_of  # noqa: F401
from engine_helpers import Daemon

IGNORE = """# the comment
*.md
!README.md
**/*.pyc
/cache
docs/
!docs/keep/**
Dockerfile
.dockerignore
"""


def test_daemon_filters_the_context(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    files = {"Dockerfile": "FROM busybox\nCOPY . /ctx/\n", ".dockerignore": IGNORE,
             "README.md": "r", "CHANGES.md": "c", "a.pyc": "x", "pkg/b.pyc": "x",
             "pkg/deep/c.pyc": "x", "pkg/mod.py": "m", "cache/blob": "x", "sub/cache": "kept",
             "docs/intro.txt": "x", "docs/keep/this.txt": "k", "#hash": "h"}
    r = api_build(daemon, tar_of(files))
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = run_cmd(sdk, r.id, ["sh", "-c", "cd /ctx && find . -type f | sort"])
    assert out.decode().split() == ["./#hash", "./README.md", "./docs/keep/this.txt",
                                    "./pkg/mod.py", "./sub/cache"]


def test_excluded_file_is_not_found(daemon: Daemon, cleanup) -> None:  # noqa: F811
    r = api_build(daemon, tar_of({"Dockerfile": "FROM busybox\nCOPY secret.key /k\n",
                                  ".dockerignore": "*.key\n", "secret.key": "s"}))
    assert "file not found in build context or excluded by .dockerignore" in r.error["error"]


def test_dockerfile_specific_ignore_file(daemon: Daemon, sdk, cleanup) -> None:  # noqa: F811
    files = {"build/app.Dockerfile": "FROM busybox\nCOPY . /ctx/\n",
             "build/app.Dockerfile.dockerignore": "*\n!only.txt\n",
             ".dockerignore": "only.txt\n", "only.txt": "o", "other.txt": "x"}
    r = api_build(daemon, tar_of(files), dockerfile="build/app.Dockerfile")
    assert r.error is None, r.text
    cleanup.append(r.id)
    out = run_cmd(sdk, r.id, ["sh", "-c", "cd /ctx && find . -type f"])
    assert out == b"./only.txt\n"
