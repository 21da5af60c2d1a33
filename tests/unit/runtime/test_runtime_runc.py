"""The generated pieces, run for real: a busybox bundle under runc with our seccomp profile,
capabilities, default mounts, masked/readonly paths and device rules.

Each container gets its own runc state dir (``--root``) under tmp and is force-deleted in
``finally`` so no container, cgroup or mount outlives the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from dockyard.runtime import mounts_default as md
from dockyard.runtime.caps import DEFAULT_CAPS, tweak_caps
from dockyard.runtime.seccomp import DEFAULT_PROFILE_PATH, default_profile, load_profile

BUSYBOX = "/bin/busybox"
RUNC = shutil.which("runc")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="runc needs root"),
    pytest.mark.skipif(RUNC is None, reason="runc not installed"),
    pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="busybox-static not installed"),
    pytest.mark.skipif(not os.path.exists(DEFAULT_PROFILE_PATH), reason="containers-common not installed"),
]


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("busybox-rootfs")
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc"):
        (root / d).mkdir()
    shutil.copy2(BUSYBOX, root / "bin/busybox")
    for applet in ("sh", "cat", "wc", "awk", "df", "mkdir", "chroot", "true", "echo", "hostname", "grep", "ls"):
        os.symlink("busybox", root / "bin" / applet)
    return root


def spec(
    rootfs: Path,
    args: list[str],
    *,
    caps: list[str],
    seccomp: dict[str, Any] | None,
    privileged: bool = False,
) -> dict[str, Any]:
    linux: dict[str, Any] = {
        "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
        "maskedPaths": md.masked_paths(privileged=privileged),
        "readonlyPaths": md.readonly_paths(privileged=privileged),
        "devices": md.linux_devices(privileged=privileged),
        "resources": {"devices": md.device_cgroup_rules(privileged=privileged)},
    }
    if seccomp is not None:
        linux["seccomp"] = seccomp
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/bin"],
            "cwd": "/",
            "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
            "noNewPrivileges": True,
        },
        "root": {"path": str(rootfs), "readonly": True},
        "hostname": "dockyard-test",
        "mounts": md.default_mounts(privileged=privileged),
        "linux": linux,
    }


def run(tmp_path: Path, config: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """``runc run`` a bundle to completion; the container is always deleted afterwards."""
    bundle = tmp_path / f"bundle-{uuid.uuid4().hex[:8]}"
    bundle.mkdir()
    (bundle / "config.json").write_text(json.dumps(config))
    state = tmp_path / "runc-state"
    cid = f"dockyard-test-{uuid.uuid4().hex[:12]}"
    assert RUNC is not None
    try:
        return subprocess.run(
            [RUNC, "--root", str(state), "run", "--bundle", str(bundle), cid],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        subprocess.run([RUNC, "--root", str(state), "delete", "-f", cid], capture_output=True, timeout=30)


SCRIPT = r"""
echo started
cat /proc/keys | wc -c
awk '$2 == "/proc/sys" {print "procsys", $4}' /proc/mounts
awk '$2 == "/sys" {print "sys", $4}' /proc/mounts
df -k /dev/shm | awk 'NR == 2 {print "shm", $2}'
ls /dev
"""


def test_default_container_runs_with_docker_defaults(tmp_path: Path, rootfs: Path) -> None:
    caps = tweak_caps()
    res = run(tmp_path, spec(rootfs, ["sh", "-c", SCRIPT], caps=caps, seccomp=default_profile(caps)))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split("\n")
    assert lines[0] == "started"  # absent masked/readonly paths did not stop runc
    assert lines[1].strip() == "0", "/proc/keys must be masked"
    assert lines[2].startswith("procsys ro")
    assert lines[3].startswith("sys ro")
    assert lines[4] == "shm 65536"
    devs = set(lines[5:])
    assert {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue"} <= devs


def test_privileged_container_gets_host_caps_and_devices(tmp_path: Path, rootfs: Path) -> None:
    caps = tweak_caps(privileged=True)
    script = "awk '$2 == \"/sys\" {print $4}' /proc/mounts; grep CapEff /proc/self/status; ls /dev | wc -l"
    res = run(tmp_path, spec(rootfs, ["sh", "-c", script], caps=caps, seccomp=None, privileged=True))
    assert res.returncode == 0, res.stderr
    sys_opts, cap_eff, ndev = res.stdout.split("\n")[:3]
    assert sys_opts.startswith("rw")
    with open("/proc/self/status") as f:
        host_bnd = next(line for line in f if line.startswith("CapBnd:")).split()[1]
    assert cap_eff.split()[1] == host_bnd
    assert int(ndev) > 10


def test_seccomp_rules_follow_capabilities(tmp_path: Path, rootfs: Path) -> None:
    """The process keeps CAP_SYS_CHROOT in both runs; only the profile differs."""
    caps = list(DEFAULT_CAPS)
    chroot = ["sh", "-c", "chroot / /bin/busybox true && echo chroot-ok"]
    allowed = run(tmp_path, spec(rootfs, chroot, caps=caps, seccomp=default_profile(caps)))
    assert allowed.returncode == 0, allowed.stderr
    assert "chroot-ok" in allowed.stdout

    profile_without = default_profile([c for c in caps if c != "CAP_SYS_CHROOT"])
    blocked = run(tmp_path, spec(rootfs, chroot, caps=caps, seccomp=profile_without))
    assert blocked.returncode != 0
    assert "Operation not permitted" in blocked.stderr + blocked.stdout
    assert "chroot-ok" not in blocked.stdout


def test_sethostname_needs_sys_admin_in_profile(tmp_path: Path, rootfs: Path) -> None:
    caps = [*DEFAULT_CAPS, "CAP_SYS_ADMIN"]
    cmd = ["sh", "-c", "hostname renamed && hostname"]
    ok = run(tmp_path, spec(rootfs, cmd, caps=caps, seccomp=default_profile(caps)))
    assert ok.returncode == 0 and ok.stdout.strip() == "renamed", ok.stderr
    blocked = run(tmp_path, spec(rootfs, cmd, caps=caps, seccomp=default_profile(DEFAULT_CAPS)))
    assert blocked.returncode != 0 and "renamed" not in blocked.stdout


def test_custom_profile_and_unconfined(tmp_path: Path, rootfs: Path) -> None:
    custom = json.dumps(
        {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
        }
    )
    cmd = ["sh", "-c", "mkdir /dev/shm/made && echo made"]
    caps = list(DEFAULT_CAPS)
    blocked = run(tmp_path, spec(rootfs, cmd, caps=caps, seccomp=load_profile(custom, caps)))
    assert blocked.returncode != 0 and "made" not in blocked.stdout
    assert "Operation not permitted" in blocked.stderr + blocked.stdout
    free = run(tmp_path, spec(rootfs, cmd, caps=caps, seccomp=load_profile("unconfined", caps)))
    assert free.returncode == 0 and "made" in free.stdout, free.stderr


def test_default_action_is_enosys(tmp_path: Path, rootfs: Path) -> None:
    """A syscall the profile does not list fails with ENOSYS (defaultErrnoRet 38)."""
    caps = list(DEFAULT_CAPS)
    profile = default_profile(caps)
    # Drop the allow rule's "mkdirat"/"mkdir": now they fall to the default action.
    for rule in profile["syscalls"]:
        rule["names"] = [n for n in rule["names"] if n not in ("mkdir", "mkdirat")]
    res = run(tmp_path, spec(rootfs, ["sh", "-c", "mkdir /dev/shm/x"], caps=caps, seccomp=profile))
    assert res.returncode != 0
    assert "Function not implemented" in res.stderr + res.stdout
