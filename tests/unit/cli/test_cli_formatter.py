"""ps/images rows, docker's truncation and display strings, and stream demultiplexing."""

from __future__ import annotations

import io

from dockyard.cli.filters import parse_filters
from dockyard.cli.formatter import container_row, ellipsis, image_rows, truncate_id, write_formatted
from dockyard.cli.stdio import Demux, copy_output

ID = "85b33a681612e27608fd10aaaf425750fcdf28f51b6820b391d45710c2650673"
IMG = "sha256:177a26886022e94908b19befa168ebf17ab7860b4d766df9a13d95ec90106f2c"


def _container(**kw):
    c = {"Id": ID, "Names": ["/web", "/other/alias"], "Image": "busybox", "ImageID": IMG,
         "Command": "sh -c 'echo a very long command line'", "Created": 1000, "Ports": [], "Labels": {"b": "2", "a": "1"},
         "State": "running", "Status": "Up 3 seconds", "NetworkSettings": {"Networks": {"none": {}}}, "Mounts": []}
    c.update(kw)
    return c


def test_container_row_truncates_like_docker() -> None:
    row = container_row(_container(), trunc=True, now=1003)
    assert row["ID"] == ID[:12]
    assert row["Names"] == "web"
    assert row["Command"] == '"sh -c \'echo a very …"'
    assert row["RunningFor"] == "3 seconds ago"
    assert row["Labels"] == "a=1,b=2" and row["Networks"] == "none" and row["Size"] == "0B"
    assert list(row) == sorted(row)
    full = container_row(_container(), trunc=False, now=1003)
    assert full["ID"] == ID and full["Names"] == "web,other/alias"
    assert container_row(_container(Image=IMG), trunc=True)["Image"] == IMG[7:19]


def test_container_row_ports_and_sizes() -> None:
    row = container_row(_container(Ports=[{"PrivatePort": 80, "PublicPort": 8080, "IP": "0.0.0.0", "Type": "tcp"},
                                          {"PrivatePort": 443, "Type": "tcp"}],
                                   SizeRw=0, SizeRootFs=1982972), trunc=True)
    assert row["Ports"] == "443/tcp, 0.0.0.0:8080->80/tcp"  # docker lists unpublished groups first
    assert row["Size"] == "0B (virtual 1.98MB)"


def test_image_rows() -> None:
    img = {"Id": IMG, "RepoTags": ["busybox:latest", "localhost:5000/b:v1"], "RepoDigests": [], "Created": 0,
           "Size": 1982972, "SharedSize": -1, "Containers": 2}
    rows = image_rows(img, trunc=True, now=0)
    assert [(r["Repository"], r["Tag"], r["ID"]) for r in rows] == [
        ("busybox", "latest", IMG[7:19]), ("localhost:5000/b", "v1", IMG[7:19])]
    assert rows[0]["Size"] == "1.98MB" and rows[0]["VirtualSize"] == "1.983MB"
    assert rows[0]["SharedSize"] == "N/A" and rows[0]["Containers"] == "2" and rows[0]["Digest"] == "<none>"
    none = image_rows({"Id": IMG, "RepoTags": ["<none>:<none>"], "RepoDigests": ["<none>@<none>"]}, trunc=False)
    assert [(r["Repository"], r["Tag"], r["ID"]) for r in none] == [("<none>", "<none>", IMG)]


def test_write_formatted_table_json_and_template() -> None:
    rows = image_rows({"Id": IMG, "RepoTags": ["busybox:latest"], "Created": 0, "Size": 1}, trunc=True, now=0)
    out = io.StringIO()
    write_formatted(out, rows, "table {{.Repository}}\t{{.Tag}}", {"Repository": "REPOSITORY", "Tag": "TAG"})
    assert out.getvalue() == "REPOSITORY   TAG\nbusybox      latest\n"
    out = io.StringIO()
    write_formatted(out, rows, "{{json .}}", {})
    assert '"Digest":"\\u003cnone\\u003e"' in out.getvalue()  # docker marshals its contexts with HTML escaping
    out = io.StringIO()
    write_formatted(out, rows, "{{.ID}}", {})
    assert out.getvalue() == IMG[7:19] + "\n"


def test_ellipsis_and_truncate() -> None:
    assert ellipsis("abcdef", 4) == "abc…" and ellipsis("abc", 4) == "abc"
    assert truncate_id(IMG) == "177a26886022" and truncate_id(ID) == ID[:12]


def _frame(stream: int, data: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def test_demux_handles_frames_cut_anywhere() -> None:
    wire = _frame(1, b"out1\n") + _frame(2, b"err\n") + _frame(1, b"out2\n")
    for cut in range(len(wire) + 1):
        d = Demux()
        pieces = d.feed(wire[:cut]) + d.feed(wire[cut:])
        merged: dict[int, bytes] = {}
        for stream, data in pieces:
            merged[stream] = merged.get(stream, b"") + data
        assert merged == {1: b"out1\nout2\n", 2: b"err\n"}, cut


def test_copy_output_splits_streams() -> None:
    out, err = io.BytesIO(), io.BytesIO()
    copy_output([_frame(1, b"a"), _frame(2, b"b")], True, out, err)
    assert (out.getvalue(), err.getvalue()) == (b"a", b"b")
    out = io.BytesIO()
    copy_output([b"raw\r\n"], False, out, err)
    assert out.getvalue() == b"raw\r\n"


def test_parse_filters() -> None:
    assert parse_filters(["status=exited", "status=created", "label=a=b"]) == {
        "status": ["exited", "created"], "label": ["a=b"]}


def test_ports_are_grouped_like_docker() -> None:
    ports = [{"PrivatePort": p, "Type": "tcp"} for p in (8002, 8000, 8001, 9000)]
    ports += [{"PrivatePort": 53, "Type": "udp"},
              {"PrivatePort": 80, "PublicPort": 80, "IP": "0.0.0.0", "Type": "tcp"},
              {"PrivatePort": 81, "PublicPort": 81, "IP": "0.0.0.0", "Type": "tcp"},
              {"PrivatePort": 22, "PublicPort": 2222, "IP": "::", "Type": "tcp"}]
    row = container_row(_container(Ports=ports), trunc=True)
    # docker's quirk, kept: a group closed by a gap is listed before the groups still open
    assert row["Ports"] == "8000-8002/tcp, 53/udp, 0.0.0.0:80-81->80-81/tcp, 9000/tcp, [::]:2222->22/tcp"
