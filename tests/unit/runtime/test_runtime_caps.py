"""Capabilities: Docker's defaults and --cap-add/--cap-drop rules, the host's bounding set."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidArgument
from dockyard.runtime import caps
from dockyard.runtime.caps import DEFAULT_CAPS, host_caps, tweak_caps


def test_default_set_is_dockers() -> None:
    assert DEFAULT_CAPS == (
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    )  # fmt: skip
    assert tweak_caps() == list(DEFAULT_CAPS)


def test_capability_numbers() -> None:
    assert caps.CAPABILITIES[0] == "CAP_CHOWN"
    assert caps.CAPABILITIES[21] == "CAP_SYS_ADMIN"
    assert caps.CAPABILITIES[24] == "CAP_SYS_RESOURCE"
    assert caps.CAPABILITIES[40] == "CAP_CHECKPOINT_RESTORE"


def test_add_and_drop_accept_any_spelling() -> None:
    got = tweak_caps(DEFAULT_CAPS, add=["sys_admin", "CAP_net_admin"], drop=["chown", "Cap_Kill", "mknod"])
    assert "CAP_CHOWN" not in got and "CAP_KILL" not in got and "CAP_MKNOD" not in got
    assert got[-2:] == ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]
    assert got[0] == "CAP_DAC_OVERRIDE"


def test_add_of_a_default_does_not_duplicate() -> None:
    assert tweak_caps(DEFAULT_CAPS, add=["CHOWN"]).count("CAP_CHOWN") == 1


def test_add_all_minus_drop_uses_host_set() -> None:
    got = tweak_caps(DEFAULT_CAPS, add=["all"], drop=["NET_RAW"])
    assert "CAP_NET_RAW" not in got
    assert set(got) == set(host_caps()) - {"CAP_NET_RAW"}


def test_drop_all_keeps_only_added() -> None:
    assert tweak_caps(DEFAULT_CAPS, add=["NET_BIND_SERVICE"], drop=["ALL"]) == ["CAP_NET_BIND_SERVICE"]
    assert tweak_caps(DEFAULT_CAPS, drop=["ALL"]) == []


@pytest.mark.parametrize("bad,shown", [("FOO", "CAP_FOO"), ("cap_bogus", "CAP_BOGUS")])
def test_unknown_capability_is_invalid_argument(bad: str, shown: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        tweak_caps(DEFAULT_CAPS, add=[bad])
    assert str(err.value) == f'unknown capability: "{shown}"'
    with pytest.raises(InvalidArgument):
        tweak_caps(DEFAULT_CAPS, drop=[bad])


def test_privileged_asks_only_for_host_caps() -> None:
    assert tweak_caps(DEFAULT_CAPS, privileged=True) == list(host_caps())


def test_capbnd_parsing() -> None:
    status = "Name:\tx\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0\n"
    got = caps._parse_capbnd(status)
    assert "CAP_SYS_RESOURCE" not in got and "CAP_SYS_ADMIN" in got
    assert len(got) == 40 and got[-1] == "CAP_CHECKPOINT_RESTORE"
    assert caps._parse_capbnd("CapBnd:\t0000000000000005\n") == ("CAP_CHOWN", "CAP_DAC_READ_SEARCH")


def test_host_caps_match_proc() -> None:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("CapBnd:"))
    mask = int(line.split()[1], 16)
    assert len(host_caps()) == bin(mask).count("1")
    assert set(host_caps()) <= set(caps.all_caps())
