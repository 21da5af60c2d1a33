"""Multiplexed stream framing and jsonmessage lines."""

from __future__ import annotations

import json

import pytest

from dockyard.api.stream import (
    STDERR,
    STDOUT,
    MuxReader,
    demux,
    json_aux,
    json_error,
    json_message,
    json_progress,
    json_stream,
    mux_frame,
    progress_bar,
)


def test_mux_frame_header() -> None:
    assert mux_frame(STDOUT, b"hi") == b"\x01\x00\x00\x00\x00\x00\x00\x02hi"
    assert mux_frame(STDERR, b"x" * 300)[:8] == b"\x02\x00\x00\x00\x00\x00\x01\x2c"
    assert mux_frame(STDOUT, b"") == b"\x01\x00\x00\x00\x00\x00\x00\x00"
    with pytest.raises(ValueError):
        mux_frame(7, b"")


def test_mux_reader_is_incremental() -> None:
    wire = mux_frame(1, b"hello\n") + mux_frame(2, b"oops\n") + mux_frame(1, b"") + mux_frame(1, b"z" * 70000)
    reader = MuxReader()
    frames = []
    for i in range(len(wire)):  # worst case: one byte at a time
        frames += reader.feed(wire[i : i + 1])
    reader.close()
    assert frames == [(1, b"hello\n"), (2, b"oops\n"), (1, b""), (1, b"z" * 70000)]
    assert list(demux([wire[:5], wire[5:100], wire[100:]])) == frames


def test_mux_reader_detects_truncation_and_garbage() -> None:
    reader = MuxReader()
    assert reader.feed(mux_frame(1, b"abc")[:-1]) == []
    assert reader.pending == 10
    with pytest.raises(ValueError):
        reader.close()
    with pytest.raises(ValueError):
        MuxReader().feed(b"\x09\x00\x00\x00\x00\x00\x00\x00")


def test_json_messages() -> None:
    assert json_message(status="Pulling", id=None) == b'{"status":"Pulling"}\r\n'
    assert json.loads(json_stream("Step 1/2\n")) == {"stream": "Step 1/2\n"}
    assert json.loads(json_aux({"ID": "sha256:x"})) == {"aux": {"ID": "sha256:x"}}
    assert json.loads(json_error("boom")) == {"errorDetail": {"message": "boom"}, "error": "boom"}
    line = json.loads(json_progress("abc123", "Downloading", 500, 1000))
    assert line["progressDetail"] == {"current": 500, "total": 1000}
    assert line["id"] == "abc123" and line["progress"].startswith("[" + "=" * 24 + ">")
    assert progress_bar(5, None) == "5B"
