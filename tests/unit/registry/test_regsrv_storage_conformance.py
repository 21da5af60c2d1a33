"""Conformance suite for the registry StorageDriver interface, run against every driver."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from dockyard.errors import InvalidArgument, NotFound
from dockyard.registry.server.storage import InvalidPath, LocalDriver, MemoryDriver, PathNotFound, StorageDriver


@pytest.fixture(params=["local", "memory"])
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageDriver]:
    if request.param == "local":
        yield LocalDriver(tmp_path / "root")
    else:
        yield MemoryDriver()


def test_put_get_overwrite(driver: StorageDriver) -> None:
    driver.put_content("/a/b/c", b"one")
    assert driver.get_content("/a/b/c") == b"one"
    driver.put_content("/a/b/c", b"two!")
    assert driver.get_content("/a/b/c") == b"two!"
    assert driver.stat("/a/b/c").size == 4
    assert driver.stat("/a/b").is_dir


def test_missing_paths_raise_not_found_naming_the_driver(driver: StorageDriver) -> None:
    with pytest.raises(PathNotFound) as info:
        driver.get_content("/nope")
    assert isinstance(info.value, NotFound)
    assert driver.name in str(info.value)
    for call in (lambda: driver.stat("/nope"), lambda: driver.list("/nope"), lambda: driver.delete("/nope"),
                 lambda: driver.reader("/nope"), lambda: list(driver.walk("/nope"))):
        with pytest.raises(PathNotFound):
            call()


@pytest.mark.parametrize("bad", ["", "a", "/a/", "/a//b", "/a/../b", "/./a", "/.hidden", "/a/.b", "/a b", "/a/b\n"])
def test_one_path_rule(driver: StorageDriver, bad: str) -> None:
    with pytest.raises(InvalidPath) as info:
        driver.put_content(bad, b"x")
    assert isinstance(info.value, InvalidArgument)


def test_replacing_writer_visible_only_on_commit(driver: StorageDriver) -> None:
    driver.put_content("/f", b"old")
    w = driver.writer("/f")
    w.write(b"new content")
    assert driver.get_content("/f") == b"old"
    w.commit()
    assert driver.get_content("/f") == b"new content"
    w.close()


def test_replacing_writer_closed_without_commit_leaves_nothing(driver: StorageDriver) -> None:
    w = driver.writer("/dir/f")
    w.write(b"abc")
    w.close()
    with pytest.raises(PathNotFound):
        driver.stat("/dir/f")


def test_append_writer_contract(driver: StorageDriver) -> None:
    w = driver.writer("/up/data", append=True)
    assert w.size == 0
    w.write(b"hello ")
    assert driver.stat("/up/data").size == 0  # not visible before commit
    w.commit()
    assert driver.get_content("/up/data") == b"hello "
    w.write(b"uncommitted")
    assert w.size == len(b"hello uncommitted")
    w.close()  # discards what was not committed
    assert driver.get_content("/up/data") == b"hello "
    w = driver.writer("/up/data", append=True)
    assert w.size == 6
    w.write(b"world")
    w.commit()
    w.close()
    assert driver.get_content("/up/data") == b"hello world"
    with driver.reader("/up/data", 6) as r:
        assert r.read() == b"world"


def test_move_is_whole_and_removes_source(driver: StorageDriver) -> None:
    w = driver.writer("/up/data", append=True)
    w.write(b"payload")
    w.commit()
    w.write(b"tail never committed")
    driver.move("/up/data", "/blobs/x/data")
    w.close()
    assert driver.get_content("/blobs/x/data") == b"payload"
    with pytest.raises(PathNotFound):
        driver.stat("/up/data")


def test_list_walk_delete(driver: StorageDriver) -> None:
    for p in ("/r/a/1", "/r/a/2", "/r/b/3", "/r/c"):
        driver.put_content(p, p.encode())
    assert driver.list("/r") == ["/r/a", "/r/b", "/r/c"]
    assert [i.path for i in driver.walk("/r")] == ["/r/a/1", "/r/a/2", "/r/b/3", "/r/c"]
    assert "/r" in driver.list("/")
    driver.delete("/r/a")
    assert driver.list("/r") == ["/r/b", "/r/c"]
    driver.delete("/r/c")
    with pytest.raises(PathNotFound):
        driver.get_content("/r/c")


def test_local_crash_tail_is_dropped_on_resume(tmp_path: Path) -> None:
    """kill -9 mid-chunk: bytes written after the last commit never become visible."""
    driver = LocalDriver(tmp_path)
    w = driver.writer("/up/data", append=True)
    w.write(b"committed")
    w.commit()
    w.write(b"-torn")
    w._file.flush()  # type: ignore[attr-defined,union-attr]  # the bytes reach the file, as if the process died now
    assert (tmp_path / "up" / "data").read_bytes() == b"committed-torn"
    assert driver.stat("/up/data").size == 9
    assert driver.get_content("/up/data") == b"committed"
    assert driver.local_file("/up/data") is None  # not wholly committed: no sendfile of it
    fresh = LocalDriver(tmp_path)  # "after restart"
    w2 = fresh.writer("/up/data", append=True)
    assert w2.size == 9
    assert (tmp_path / "up" / "data").read_bytes() == b"committed"
    w2.close()


def test_local_put_content_leaves_no_temp_files(tmp_path: Path) -> None:
    driver = LocalDriver(tmp_path)
    driver.put_content("/x/y", b"1")
    driver.put_content("/x/y", b"2")
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["y"]
    assert driver.local_file("/x/y") == str(tmp_path / "x" / "y")
