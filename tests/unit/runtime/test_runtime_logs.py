"""runtime.logs and runtime.logfmt: CRI lines to Docker's json-file (pieces of a line joined, long lines cut as
Docker cuts them, zones to UTC), the sync's crash safety, ``tail`` read from the end,
``since``/``until``, and the fast line parser agreeing with json.loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.runtime.logfmt import PARTIAL_MAX, format_time, parse_line
from dockyard.runtime.logs import LogFile


def cri(ts: str, stream: str, tag: str, text: str) -> bytes:
    return f"{ts} {stream} {tag} {text}\n".encode()


@pytest.fixture
def lf(tmp_path: Path) -> LogFile:
    return LogFile(str(tmp_path / "ctr.log"), str(tmp_path / "c-json.log"))


def write(lf: LogFile, *lines: bytes) -> None:
    with open(lf.cri_path, "ab") as f:
        f.write(b"".join(lines))


def json_lines(lf: LogFile) -> list[dict]:
    return [json.loads(line) for line in Path(lf.json_path).read_bytes().splitlines()]


T = "2024-05-06T07:08:09.123456789+00:00"


def test_pieces_of_a_line_become_one_entry(lf: LogFile) -> None:
    write(lf, cri(T, "stdout", "P", "hello-wor"), cri(T, "stdout", "F", "ld"),
          cri(T, "stderr", "F", "oops <&>"), cri(T, "stdout", "F", ""))
    lf.sync()
    assert json_lines(lf) == [
        {"log": "hello-world\n", "stream": "stdout", "time": "2024-05-06T07:08:09.123456789Z"},
        {"log": "oops <&>\n", "stream": "stderr", "time": "2024-05-06T07:08:09.123456789Z"},
        {"log": "\n", "stream": "stdout", "time": "2024-05-06T07:08:09.123456789Z"},
    ]
    assert b"\\u003c\\u0026\\u003e" in Path(lf.json_path).read_bytes()  # Go's HTML-safe escapes


def test_a_long_line_is_cut_at_16k_and_a_pending_piece_is_kept(lf: LogFile) -> None:
    chunk = "x" * 8192
    write(lf, *(cri(T, "stdout", "P", chunk) for _ in range(3)), cri(T, "stdout", "P", "tail"))
    lf.sync()
    logs = [e["log"] for e in json_lines(lf)]
    assert logs[0] == chunk * 2 and len(logs[0]) >= PARTIAL_MAX  # Docker's split, no newline
    assert "".join(logs) == chunk * 3 + "tail"   # nothing lost, the rest still to come
    write(lf, cri(T, "stdout", "F", " end"))
    lf.sync()
    assert json_lines(lf)[-1]["log"] == " end\n"


def test_zones_become_utc(lf: LogFile) -> None:
    write(lf, cri("2024-05-06T09:08:09.5+02:00", "stdout", "F", "a"),
          cri("2024-05-06T07:08:09Z", "stdout", "F", "b"))
    lf.sync()
    assert [e["time"] for e in json_lines(lf)] == ["2024-05-06T07:08:09.5Z", "2024-05-06T07:08:09Z"]
    assert format_time("2024-05-06T07:08:09.5Z") == "2024-05-06T07:08:09.500000000Z"


def test_sync_is_incremental_and_redoes_a_half_written_sync(lf: LogFile) -> None:
    write(lf, cri(T, "stdout", "F", "one"), cri(T, "stdout", "F", "tw"))
    lf.sync()
    with open(lf.json_path, "ab") as f:  # a sync that died after writing, before its .pos
        f.write(b'{"log":"garbage')
    write(lf, cri(T, "stdout", "F", "three"), b"2024-05-06T07:08:09Z stdout F no newline yet")
    lf.sync()
    assert [e["log"] for e in json_lines(lf)] == ["one\n", "tw\n", "three\n"]
    write(lf, b"\n")
    lf.sync()
    assert json_lines(lf)[-1]["log"] == "no newline yet\n"


def test_tail_reads_from_the_end_and_since_until_filter(lf: LogFile) -> None:
    for i in range(3000):  # one a second, from 07:00:00
        write(lf, cri(f"2024-05-06T07:{i // 60:02d}:{i % 60:02d}.000000001+00:00",
                      "stdout" if i % 2 else "stderr", "F", f"line {i}"))
    lf.sync()
    tail = [e.data for e, _ in lf.select(tail=3)]
    assert tail == [b"line 2997\n", b"line 2998\n", b"line 2999\n"]
    assert list(lf.select(tail=0)) == []
    assert len(list(lf.select())) == 3000
    since = 1714979220.0  # 2024-05-06T07:07:00Z: from line 420 on
    assert next(lf.select(since=since))[0].data == b"line 420\n"
    assert [e.data for e, _ in lf.select(since=since, tail=2)] == [b"line 2998\n", b"line 2999\n"]
    until = [e.data for e, _ in lf.select(until=since, tail=2)]
    assert until == [b"line 419\n", b"line 420\n"]
    ino, end = list(lf.select())[-1][1]
    assert (ino, end) == lf.follow_point()
    assert end == Path(lf.json_path).stat().st_size == lf.tail_offset(0)


def test_batches_join_entries_and_keep_the_offset(lf: LogFile) -> None:
    for i in range(1000):
        write(lf, cri(T, "stdout", "F", f"{i:04d}"))
    lf.sync()
    out = list(lf.batches(lf.select(), lambda e: e.data, limit=1000))
    assert b"".join(b for b, _ in out) == b"".join(f"{i:04d}\n".encode() for i in range(1000))
    assert 4 <= len(out) <= 6 and out[-1][1] == lf.follow_point()


@pytest.mark.parametrize("line", [
    b'{"log":"plain\\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}\n',
    b'{"log":"a \\"quoted\\" \\\\ path\\n","stream":"stderr","time":"T"}\n',
    b'{"log":"\\u003cb\\u003e","stream":"stdout","time":"T"}\n',
    '{"log":"caf\u00e9 \u2603\\n","stream":"stdout","time":"T"}\n'.encode(),
    b'{"stream":"stdout","log":"other order\\n","time":"T"}\n',
])
def test_fast_parser_agrees_with_json(line: bytes) -> None:
    entry = parse_line(line)
    obj = json.loads(line)
    assert entry is not None
    assert (entry.stream, entry.time, entry.data) == (obj["stream"], obj["time"], obj["log"].encode())


def test_bad_lines_are_skipped() -> None:
    assert parse_line(b"not json\n") is None
    assert parse_line(b'{"log":"x"}\n') is None


# -- rotation (--log-opt max-size / max-file) and the none driver -------------------------

def rotating(tmp_path: Path, size: int, files: int) -> LogFile:
    return LogFile(str(tmp_path / "ctr.log"), str(tmp_path / "c-json.log"), max_size=size,
                   max_file=files)


def all_logs(lf: LogFile) -> list[bytes]:
    return [e.data for e, _ in lf.select()]


def test_rotation_keeps_max_file_files_of_at_most_max_size(tmp_path: Path) -> None:
    lf = rotating(tmp_path, 1000, 3)
    for i in range(200):
        write(lf, cri(T, "stdout", "F", f"line {i:03d}"))
        if i % 37 == 0:
            lf.sync()
    lf.sync()
    files = lf.files()
    assert [Path(f).name for f in files] == ["c-json.log.2", "c-json.log.1", "c-json.log"]
    assert all(Path(f).stat().st_size <= 1000 for f in files)
    logs = all_logs(lf)
    assert logs == [f"line {i:03d}\n".encode() for i in range(200 - len(logs), 200)]  # the newest
    assert 2000 // 85 <= len(logs) <= 3000 // 85 + 1
    assert [e.data for e, _ in lf.select(tail=30)] == logs[-30:]  # tail across the files


def test_max_file_1_starts_the_file_over(tmp_path: Path) -> None:
    lf = rotating(tmp_path, 500, 1)
    write(lf, cri(T, "stdout", "F", "l-first"))
    lf.sync()
    follower = lf.follower(lf.follow_point())
    got: list[bytes] = []
    for i in range(100):
        write(lf, cri(T, "stdout", "F", f"l{i}"))
        if i % 3 == 2:  # each sync adds less than the file holds: the follower misses nothing
            lf.sync()
            got += [e.data for e in follower.poll()]
    lf.sync()
    got += [e.data for e in follower.poll()]
    follower.close()
    assert lf.files() == [lf.json_path] and Path(lf.json_path).stat().st_size <= 500
    assert all_logs(lf)[-1] == b"l99\n"
    assert got == [f"l{i}\n".encode() for i in range(100)]


def test_a_crash_inside_a_rotation_loses_and_repeats_nothing(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    lf = rotating(tmp_path, 600, 10)  # room for all 40 lines in the files
    for i in range(40):
        write(lf, cri(T, "stdout", "F", f"r{i:02d}"))
    real_replace = __import__("os").replace
    calls = {"n": 0}

    def dying_replace(src: str, dst: str) -> None:
        real_replace(src, dst)
        if dst.endswith("c-json.log.1"):
            calls["n"] += 1
            raise KeyboardInterrupt("killed right after the file moved")

    monkeypatch.setattr("dockyard.runtime.logs.os.replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        lf.sync()
    monkeypatch.setattr("dockyard.runtime.logs.os.replace", real_replace)
    lf.sync()  # the next daemon
    assert calls["n"] == 1
    assert all_logs(lf) == [f"r{i:02d}\n".encode() for i in range(40)]


def test_follow_goes_on_across_rotations(tmp_path: Path) -> None:
    lf = rotating(tmp_path, 400, 4)
    write(lf, cri(T, "stdout", "F", "first"))
    lf.sync()
    follower = lf.follower(lf.follow_point())
    assert list(follower.poll()) == []
    got: list[bytes] = []
    for burst in range(6):  # several rotations in one sync, too
        for i in range(burst * 3):
            write(lf, cri(T, "stdout", "F", f"b{burst} {i:02d}"))
        lf.sync()
        got += [e.data for e in follower.poll()]
    assert got == [f"b{b} {i:02d}\n".encode() for b in range(6) for i in range(b * 3)]
    follower.close()


def test_none_driver_keeps_nothing_and_punches_conmons_file(tmp_path: Path) -> None:
    lf = LogFile(str(tmp_path / "ctr.log"), str(tmp_path / "c-json.log"), discard=True)
    write(lf, *(cri(T, "stdout", "F", "x" * 1000) for _ in range(3000)))
    lf.sync()
    assert not Path(lf.json_path).exists()
    st = (tmp_path / "ctr.log").stat()
    assert st.st_size > 3_000_000 and st.st_blocks * 512 < 1_000_000  # the bytes are gone


def test_copied_cri_lines_are_punched_out(tmp_path: Path, lf: LogFile) -> None:
    write(lf, *(cri(T, "stdout", "F", "y" * 1000) for _ in range(3000)))
    lf.sync()
    st = (tmp_path / "ctr.log").stat()
    assert st.st_blocks * 512 < 1_000_000 and len(all_logs(lf)) == 3000
    write(lf, cri(T, "stdout", "F", "after the hole"))
    assert all_logs(lf)[-1] == b"after the hole\n"


@pytest.mark.parametrize("msg", ["plain text", "  spaces  ", "tab\there", "~!@#$%^*()_+{}|:?[];',./`",
                                 'quote " and \\ back', "caf\u00e9", "<&>", "\x7f del", ""])
def test_the_fast_conversion_is_the_json_one(msg: str) -> None:
    from dockyard.runtime.logfmt import convert, json_line

    (line, upto), = convert([cri(T, "stdout", "F", msg)])
    assert line == json_line("stdout", "2024-05-06T07:08:09.123456789Z", msg + "\n")
    assert upto == len(cri(T, "stdout", "F", msg))


def test_compress_gzips_the_rotated_files_and_reads_through_them(tmp_path: Path) -> None:
    lf = LogFile(str(tmp_path / "ctr.log"), str(tmp_path / "c-json.log"), max_size=1500,
                 max_file=4, compress=True)
    lf.sync()
    follower = lf.follower(lf.follow_point())
    got: list[bytes] = []
    for i in range(120):
        write(lf, cri(T, "stdout", "F", f"z{i:03d}"))
        if i % 10 == 9:
            lf.sync()
            got += [e.data for e in follower.poll()]
    follower.close()
    names = [Path(f).name for f in lf.files()]
    assert names == ["c-json.log.3.gz", "c-json.log.2.gz", "c-json.log.1.gz", "c-json.log"]
    import gzip as gz
    assert gz.decompress((tmp_path / "c-json.log.1.gz").read_bytes()).startswith(b'{"log":"z')
    logs = all_logs(lf)
    assert logs == [f"z{i:03d}\n".encode() for i in range(120 - len(logs), 120)] and len(logs) > 60
    assert [e.data for e, _ in lf.select(tail=40)] == logs[-40:]  # the tail reaches into .gz
    assert got == [f"z{i:03d}\n".encode() for i in range(120)]    # the follower missed nothing
