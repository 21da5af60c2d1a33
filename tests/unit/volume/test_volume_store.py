"""VolumeStore: records in SQLite, data under <data_root>/volumes, repair after a crash."""

from __future__ import annotations

import os

import pytest

from dockyard.errors import Conflict, InvalidArgument, NotFound
from dockyard.store.metadata import Metadata
from dockyard.volume.store import VolumeStore


@pytest.fixture
def store(tmp_path):
    meta = Metadata(tmp_path / "dockyard.db")
    try:
        yield VolumeStore(str(tmp_path), meta)
    finally:
        meta.close()


def test_create_get_list_remove(store: VolumeStore, tmp_path) -> None:
    vol, created = store.create("data", labels={"a": "b"})
    assert created and vol.mountpoint == str(tmp_path / "volumes" / "data" / "_data")
    assert os.path.isdir(vol.mountpoint)
    again, created = store.create("data", labels={"other": "x"})
    assert not created and again.labels == {"a": "b"}
    info = store.get("data").inspect()
    assert set(info) == {"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options",
                         "Scope"}
    assert info["Scope"] == "local" and info["Driver"] == "local"
    assert info["CreatedAt"].endswith("Z") and len(info["CreatedAt"]) == 20
    assert [v.name for v in store.list()] == ["data"]
    with open(os.path.join(vol.mountpoint, "f"), "w") as f:
        f.write("12345")
    assert store.size(vol) == 5
    store.remove("data")
    assert not os.path.exists(tmp_path / "volumes" / "data")
    with pytest.raises(NotFound, match="^get data: no such volume$"):
        store.get("data")


def test_refusals_leave_nothing(store: VolumeStore, tmp_path) -> None:
    with pytest.raises(InvalidArgument, match=r'^create a\$b: "a\$b" includes invalid'):
        store.create("a$b")
    with pytest.raises(InvalidArgument, match='^create v: volume name is too short'):
        store.create("v")
    with pytest.raises(InvalidArgument, match='invalid option: "x"'):
        store.create("vv", options={"x": "1"})
    with pytest.raises(NotFound, match='plugin "nfs" not found'):
        store.create("vv", driver="nfs")
    assert os.listdir(tmp_path / "volumes") == [] and store.list() == []
    store.create("vv")
    with pytest.raises(Conflict):
        store.create("vv", driver="other")


def test_repair_after_crash(store: VolumeStore, tmp_path) -> None:
    store.create("kept")
    # a create that died between mkdir and the row
    os.makedirs(tmp_path / "volumes" / "halfmade" / "_data")
    # a row whose directory went missing
    store.create("lost")
    os.rmdir(tmp_path / "volumes" / "lost" / "_data")
    store.repair()
    assert sorted(os.listdir(tmp_path / "volumes")) == ["kept", "lost"]
    assert os.path.isdir(tmp_path / "volumes" / "lost" / "_data")


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mount(8) needs root")


@needs_root
def test_local_driver_mounts_and_remove_never_deletes_through_a_bind(store: VolumeStore,
                                                                      tmp_path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "precious").write_text("x")
    opts = {"type": "none", "device": str(host), "o": "bind"}
    vol, _ = store.create("bound", options=opts)
    drv = store.driver("local")
    assert drv.needs_mount(opts) and not drv.needs_mount(None)
    drv.mount(opts, vol.mountpoint)
    drv.mount(opts, vol.mountpoint)          # idempotent
    try:
        assert os.listdir(vol.mountpoint) == ["precious"]
        store.remove("bound")                # unmounts first, then deletes
    finally:
        drv.unmount(opts, vol.mountpoint)
    assert (host / "precious").read_text() == "x"
    assert not os.path.exists(tmp_path / "volumes" / "bound")


@needs_root
def test_local_driver_tmpfs(store: VolumeStore) -> None:
    opts = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    vol, _ = store.create("mem", options=opts)
    drv = store.driver("local")
    drv.mount(opts, vol.mountpoint)
    try:
        with open("/proc/self/mountinfo") as f:
            assert any(line.split()[4] == vol.mountpoint for line in f)
    finally:
        drv.unmount(opts, vol.mountpoint)
    with open("/proc/self/mountinfo") as f:
        assert not any(line.split()[4] == vol.mountpoint for line in f)
    drv.unmount(opts, vol.mountpoint)        # nothing mounted: fine
    with pytest.raises(NotFound, match='plugin "x" not found'):
        store.driver("x")
