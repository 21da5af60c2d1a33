"""run/create flags → the create body: ports, restart policies, env and label files."""

from __future__ import annotations

import pytest

from dockyard.cli.commands.run import RUN, tagged_name
from dockyard.cli.containerconfig import build_create_body, parse_ports, parse_restart, read_env_file
from dockyard.errors import InvalidArgument


def _body(*argv: str, attach: bool = True) -> dict:
    opts = RUN.flagset().parse(list(argv))
    body, _ = build_create_body(opts, attach=attach)
    return body


@pytest.mark.parametrize("spec, exposed, bindings", [
    ("80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
    ("8080:80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
    ("127.0.0.1:8080:80/udp", {"80/udp": {}}, {"80/udp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}),
    ("127.0.0.1::80", {"80/tcp": {}}, {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}),
    ("[::1]:53:53/udp", {"53/udp": {}}, {"53/udp": [{"HostIp": "::1", "HostPort": "53"}]}),
    ("7000-7001:8000-8001", {"8000/tcp": {}, "8001/tcp": {}},
     {"8000/tcp": [{"HostIp": "", "HostPort": "7000"}], "8001/tcp": [{"HostIp": "", "HostPort": "7001"}]}),
])
def test_parse_ports(spec: str, exposed: dict, bindings: dict) -> None:
    assert parse_ports([spec]) == (exposed, bindings)


@pytest.mark.parametrize("spec", ["80/xyz", "a:b:c:d", "abc", "90-80"])
def test_parse_ports_rejects(spec: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_ports([spec])


def test_parse_restart() -> None:
    assert parse_restart("always") == {"Name": "always", "MaximumRetryCount": 0}
    assert parse_restart("on-failure:5") == {"Name": "on-failure", "MaximumRetryCount": 5}
    # as docker's ParseRestartPolicy: the form only; names and counts are the daemon's to judge
    assert parse_restart("always:3") == {"Name": "always", "MaximumRetryCount": 3}
    assert parse_restart("sometimes")["Name"] == "sometimes"
    for bad in (":3", "on-failure:x"):
        with pytest.raises(InvalidArgument):
            parse_restart(bad)


def test_env_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FROM_HOST", "h")
    monkeypatch.delenv("NOT_SET", raising=False)
    f = tmp_path / "env"
    f.write_text("# c\nA=1\n  B=two words\nFROM_HOST\nNOT_SET\n\nC=\n")
    assert read_env_file(str(f)) == ["A=1", "B=two words", "FROM_HOST=h", "C="]
    with pytest.raises(InvalidArgument, match="no such file"):
        read_env_file(str(tmp_path / "missing"))


def test_foreground_body_attaches_and_detached_does_not() -> None:
    fg = _body("-i", "busybox", "cat")
    assert (fg["AttachStdin"], fg["AttachStdout"], fg["OpenStdin"], fg["StdinOnce"]) == (True, True, True, True)
    assert fg["Cmd"] == ["cat"] and fg["Image"] == "busybox"
    bg = _body("-i", "busybox", attach=False)
    assert (bg["AttachStdin"], bg["AttachStdout"], bg["StdinOnce"], bg["Cmd"]) == (False, False, False, None)


def test_body_fields_from_flags() -> None:
    b = _body("-e", "A=1", "-l", "x=y", "-l", "z", "--entrypoint", "", "-m", "1g", "--cpus", "0.5", "--rm",
              "--network", "host", "-v", "/a:/b:ro", "--init", "busybox", "--rm")
    assert b["Env"] == ["A=1"] and b["Labels"] == {"x": "y", "z": ""}
    assert b["Entrypoint"] == [""]
    assert b["Cmd"] == ["--rm"]  # flags end at the image: the rest is the command
    hc = b["HostConfig"]
    assert hc["Memory"] == 1 << 30 and hc["NanoCpus"] == 500_000_000 and hc["AutoRemove"] is True
    assert hc["NetworkMode"] == "host" and hc["Binds"] == ["/a:/b:ro"] and hc["Init"] is True
    assert "Init" not in _body("busybox")["HostConfig"]


def test_rm_and_restart_conflict() -> None:
    with pytest.raises(InvalidArgument, match="conflicting options: cannot specify both --restart and --rm"):
        _body("--rm", "--restart", "always", "busybox")


def test_tagged_name() -> None:
    assert tagged_name("busybox") == "busybox:latest"
    assert tagged_name("localhost:5000/x") == "localhost:5000/x:latest"
    assert tagged_name("a:1") == "a:1"
    assert tagged_name("a@sha256:" + "0" * 64) == "a@sha256:" + "0" * 64
