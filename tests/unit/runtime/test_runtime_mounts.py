"""Docker's default mounts, masked/readonly paths and device rules as OCI dicts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockyard.runtime import mounts_default as md


def by_dest(mounts: list[dict]) -> dict[str, dict]:
    return {m["destination"]: m for m in mounts}


def test_default_mounts() -> None:
    mounts = md.default_mounts()
    assert [m["destination"] for m in mounts] == [
        "/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm",
    ]  # fmt: skip
    m = by_dest(mounts)
    assert m["/proc"]["type"] == "proc"
    assert m["/dev"]["type"] == "tmpfs" and "mode=755" in m["/dev"]["options"]
    assert m["/dev/pts"]["type"] == "devpts" and "newinstance" in m["/dev/pts"]["options"]
    assert "gid=5" in m["/dev/pts"]["options"] and "ptmxmode=0666" in m["/dev/pts"]["options"]
    assert "ro" in m["/sys"]["options"] and "ro" in m["/sys/fs/cgroup"]["options"]
    assert m["/dev/shm"]["type"] == "tmpfs" and f"size={64 * 1024 * 1024}" in m["/dev/shm"]["options"]
    assert m["/dev/mqueue"]["type"] == "mqueue"


def test_privileged_and_shm_size() -> None:
    m = by_dest(md.default_mounts(privileged=True, shm_size=1 << 20))
    assert "ro" not in m["/sys"]["options"] and "ro" not in m["/sys/fs/cgroup"]["options"]
    assert f"size={1 << 20}" in m["/dev/shm"]["options"]
    assert md.masked_paths(privileged=True) == [] and md.readonly_paths(privileged=True) == []


def test_masked_and_readonly_paths() -> None:
    assert md.masked_paths() == [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
    ]  # fmt: skip
    assert md.readonly_paths() == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def test_device_rules() -> None:
    rules = md.device_cgroup_rules()
    assert rules[0] == {"allow": False, "access": "rwm"}
    allowed = {(r["type"], r["major"], r["minor"]) for r in rules[1:] if r["allow"]}
    assert allowed == {("c", 1, 5), ("c", 1, 3), ("c", 1, 9), ("c", 1, 8), ("c", 5, 0), ("c", 5, 1)}
    assert {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"} in rules
    assert md.device_cgroup_rules(privileged=True) == [{"allow": True, "access": "rwm"}]
    assert md.linux_devices() == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for mknod")
def test_host_devices_walks_a_dev_tree(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    (dev / "net").mkdir(parents=True)
    (dev / "pts").mkdir()
    os.mknod(dev / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(dev / "loop0", 0o660 | stat.S_IFBLK, os.makedev(7, 0))
    os.chown(dev / "loop0", 0, 6)
    os.mknod(dev / "net/tun", 0o666 | stat.S_IFCHR, os.makedev(10, 200))
    os.mknod(dev / "pts/0", 0o620 | stat.S_IFCHR, os.makedev(136, 0))  # skipped dir
    os.mknod(dev / "console", 0o600 | stat.S_IFCHR, os.makedev(5, 1))  # skipped name
    os.mknod(dev / "initctl", 0o600 | stat.S_IFIFO)  # not a device
    os.symlink("/proc/self/fd", dev / "fd")
    (dev / "regular").write_text("x")
    for name, mode in (("null", 0o666), ("loop0", 0o660), ("net/tun", 0o666)):
        os.chmod(dev / name, mode)  # mknod's mode went through the umask
    got = md.linux_devices(privileged=True, dev_root=str(dev))
    assert got == [
        {"path": "/dev/loop0", "type": "b", "major": 7, "minor": 0, "fileMode": 0o660, "uid": 0, "gid": 6},
        {"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200, "fileMode": 0o666, "uid": 0, "gid": 0},
        {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666, "uid": 0, "gid": 0},
    ]


def test_host_devices_of_this_machine() -> None:
    paths = {d["path"] for d in md.host_devices()}
    assert "/dev/null" in paths and "/dev/console" not in paths
    assert not any(p.startswith("/dev/pts/") for p in paths)
