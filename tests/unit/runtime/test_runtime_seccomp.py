"""Converting Docker-format seccomp profiles to the OCI runtime spec."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import InvalidArgument
from dockyard.runtime import seccomp
from dockyard.runtime.caps import DEFAULT_CAPS
from dockyard.runtime.seccomp import DEFAULT_PROFILE_PATH, convert_profile, default_profile, load_profile

needs_profile = pytest.mark.skipif(
    not os.path.exists(DEFAULT_PROFILE_PATH), reason="containers-common seccomp.json not installed"
)


def actions_for(profile: dict[str, Any], name: str) -> list[tuple[str, Any, Any]]:
    return [(r["action"], r.get("errnoRet"), r.get("args")) for r in profile.get("syscalls", []) if name in r["names"]]


@needs_profile
def test_default_profile_header_for_x86_64() -> None:
    p = default_profile(DEFAULT_CAPS, "x86_64")
    assert p["defaultAction"] == "SCMP_ACT_ERRNO"
    assert p["defaultErrnoRet"] == 38  # ENOSYS, so glibc falls back for syscalls it does not know
    assert p["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert all(set(r) <= {"names", "action", "errnoRet", "args"} for r in p["syscalls"])
    assert ("SCMP_ACT_ALLOW", None, None) in actions_for(p, "read")
    assert actions_for(p, "arch_prctl") == [("SCMP_ACT_ALLOW", None, None)]
    assert actions_for(p, "arm_fadvise64_64") == []  # arm-only rule
    with open(DEFAULT_PROFILE_PATH) as f:
        raw = json.load(f)
    assert len(p["syscalls"]) < len(raw["syscalls"])


@needs_profile
def test_arch_selection_for_arm64() -> None:
    p = default_profile(DEFAULT_CAPS, "aarch64")
    assert p["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    assert actions_for(p, "arm_fadvise64_64") == [("SCMP_ACT_ALLOW", None, None)]
    assert actions_for(p, "arch_prctl") == []


@needs_profile
def test_capability_gated_rules() -> None:
    base = default_profile(DEFAULT_CAPS)
    # containers-common gates kcmp/process_madvise (not ptrace itself) on CAP_SYS_PTRACE
    assert actions_for(base, "kcmp") == [("SCMP_ACT_ERRNO", 1, None)]
    traced = default_profile([*DEFAULT_CAPS, "CAP_SYS_PTRACE"])
    assert actions_for(traced, "kcmp") == [("SCMP_ACT_ALLOW", None, None)]
    # chroot: allowed with the default CAP_SYS_CHROOT, EPERM once it is dropped
    assert actions_for(base, "chroot") == [("SCMP_ACT_ALLOW", None, None)]
    no_chroot = default_profile([c for c in DEFAULT_CAPS if c != "CAP_SYS_CHROOT"])
    assert actions_for(no_chroot, "chroot") == [("SCMP_ACT_ERRNO", 1, None)]
    # names without the CAP_ prefix work too
    assert default_profile(["SYS_PTRACE"]) == default_profile(["CAP_SYS_PTRACE"])
    # socket(AF_NETLINK, NETLINK_AUDIT) is filtered only without CAP_AUDIT_WRITE
    assert actions_for(base, "socket") == [("SCMP_ACT_ALLOW", None, None)]
    no_audit = default_profile([c for c in DEFAULT_CAPS if c != "CAP_AUDIT_WRITE"])
    assert (
        "SCMP_ACT_ERRNO",
        22,
        [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}],
    ) in actions_for(no_audit, "socket")


@needs_profile
def test_result_is_a_fresh_copy_and_cached() -> None:
    before = seccomp._default_converted.cache_info().hits
    a = default_profile(DEFAULT_CAPS)
    a["syscalls"][0]["names"].append("bogus")
    a["architectures"].clear()
    b = default_profile(DEFAULT_CAPS)
    assert "bogus" not in b["syscalls"][0]["names"] and b["architectures"]
    assert seccomp._default_converted.cache_info().hits >= before + 1


PROFILE = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
    "syscalls": [
        {"names": ["both"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_A", "CAP_B"]}},
        {"names": ["anyex"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_A", "CAP_B"]}},
        {"names": ["newk"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
        {"names": ["futurek"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
        {"names": ["oldk"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "4.8"}},
        {"names": ["noamd"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
        {"name": "single", "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "comment": "x"},
        {
            "names": ["cmp"],
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 1, "value": 2, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}],
        },
    ],
}


def names(p: dict[str, Any] | None) -> list[str]:
    assert p is not None
    return [n for r in p.get("syscalls", []) for n in r["names"]]


def test_includes_need_all_caps_excludes_any() -> None:
    assert "both" in names(convert_profile(PROFILE, ["CAP_A", "CAP_B"], "x86_64", kernel=(6, 1)))
    assert "both" not in names(convert_profile(PROFILE, ["CAP_A"], "x86_64", kernel=(6, 1)))
    assert "anyex" in names(convert_profile(PROFILE, [], "x86_64", kernel=(6, 1)))
    assert "anyex" not in names(convert_profile(PROFILE, ["CAP_B"], "x86_64", kernel=(6, 1)))


def test_min_kernel_and_arches() -> None:
    new = names(convert_profile(PROFILE, [], "x86_64", kernel=(5, 10)))
    assert "newk" in new and "futurek" not in new and "oldk" not in new
    old = names(convert_profile(PROFILE, [], "x86_64", kernel=(4, 4)))
    assert "newk" not in old and "oldk" in old
    assert "noamd" not in new
    assert "noamd" in names(convert_profile(PROFILE, [], "aarch64", kernel=(5, 10)))


def test_rule_shape() -> None:
    p = convert_profile(PROFILE, [], "x86_64", kernel=(5, 10))
    assert p is not None
    assert p["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]
    assert "defaultErrnoRet" not in p
    rules = {r["names"][0]: r for r in p["syscalls"]}
    assert rules["single"] == {"names": ["single"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
    assert rules["cmp"]["args"] == [{"index": 1, "value": 2, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]
    arm = convert_profile(PROFILE, [], "aarch64", kernel=(5, 10))
    assert arm is not None and "architectures" not in arm  # archMap has no entry for it


def test_invalid_profiles() -> None:
    with pytest.raises(InvalidArgument, match="both 'architectures' and 'archMap'"):
        convert_profile({**PROFILE, "architectures": ["SCMP_ARCH_X86_64"]}, [], "x86_64")
    with pytest.raises(InvalidArgument, match="name"):
        convert_profile(
            {
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}],
            },
            [],
            "x86_64",
        )
    with pytest.raises(InvalidArgument, match="minKernel"):
        convert_profile(
            {
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}],
            },
            [],
            "x86_64",
        )
    assert convert_profile({}, [], "x86_64") is None  # Docker: no default action and no rules = disabled


def test_load_profile(tmp_path: Path) -> None:
    assert load_profile("unconfined") is None
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROFILE))
    from_file = load_profile(str(path), ["CAP_A", "CAP_B"], "x86_64")
    from_text = load_profile(json.dumps(PROFILE), ["CAP_A", "CAP_B"], "x86_64")
    assert from_file == from_text and "both" in names(from_file)
    with pytest.raises(InvalidArgument, match="Decoding seccomp profile failed"):
        load_profile("{not json")
    with pytest.raises(InvalidArgument, match="opening seccomp profile"):
        load_profile(str(tmp_path / "missing.json"))
    # the old format: a plain architectures list is passed through
    old = load_profile(
        json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]}), [], "x86_64"
    )
    assert old == {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"]}


@needs_profile
def test_load_profile_builtin() -> None:
    assert load_profile("builtin", DEFAULT_CAPS) == default_profile(DEFAULT_CAPS)


def test_unknown_arch() -> None:
    with pytest.raises(InvalidArgument, match="unsupported architecture"):
        convert_profile(PROFILE, [], "pdp11")
