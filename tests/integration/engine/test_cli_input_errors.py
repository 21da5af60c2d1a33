"""Bad input to the CLI, against the real docker CLI on the same daemon: the same message
(the program's own name aside) and the same exit status, for names ``tag`` checks before
asking the daemon, ``-p``/``--expose`` values, conflicting flags, and what the daemon
refuses in ``create`` and ``run``."""

from __future__ import annotations

import pytest

from engine_helpers import Daemon, docker, dockyard

DIGEST = "sha256:" + "a" * 64

CASES = [
    ["tag", "busybox", "bad::tag"], ["tag", "busybox", "UPPER"], ["tag", "busybox", "a:b:c"],
    ["tag", "busybox", "x@sha256:abc"], ["tag", "busybox", ""], ["tag", "busybox", "localhost:5000/Foo:1"],
    ["tag", "busybox", "reg.io/a/B"], ["tag", "busybox", f"x@{DIGEST}"], ["tag", "BAD", "x"],
    ["tag", "nosuch", "x"],
    *[["create", "-p", p, "busybox", "true"] for p in
      ("99999:80", "80:99999", "70000-70001:80-81", "5-3:80", "80:5-3", "abc:80", "80:abc",
       "1.2.3.4:80:80/xyz", "80-81:90-93")],
    *[["create", "--expose", e, "busybox", "true"] for e in ("99999", "abc", "5-3")],
    ["create", "--restart", "always", "--rm", "busybox", "true"],
    # what the daemon refuses: create says it as any command (status 1), run as the program
    *[[verb, "--restart", r, "busybox", "true"] for verb in ("create", "run")
      for r in ("bogus", "always:3", "on-failure:-1", ":3", "on-failure:x")],
    ["create", "-v", "/x:/y:badmode", "busybox", "true"], ["run", "-v", "/x:/y:badmode", "busybox", "true"],
    ["create", "--log-driver", "syslogx", "busybox", "true"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c) for c in CASES])
def test_bad_input_is_reported_as_docker_does(daemon: Daemon, args: list[str]) -> None:
    ours = dockyard(daemon, *args)
    ref = docker(daemon, *args)
    assert ref.returncode != 0, ref.stdout  # every case is refused
    assert ours.returncode == ref.returncode
    assert ours.stderr.replace("dockyard", "docker") == ref.stderr
    assert ours.stdout == ref.stdout == ""
