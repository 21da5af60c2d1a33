"""Request helpers (Docker's query rules, body reading) and response encoding."""

from __future__ import annotations

import asyncio
import json

import pytest

from dockyard.api.http import Headers, JSONResponse, Request, compare_versions, encode_json
from dockyard.errors import InvalidArgument


class FakeBody:
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)

    async def read_chunk(self) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def req(query: dict[str, list[str]] | None = None, body: tuple[bytes, ...] = ()) -> Request:
    return Request("GET", "/x", query=query or {}, source=FakeBody(*body))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("True", True), ("yes", True), ("anything", True),
     ("0", False), ("false", False), ("False", False), ("", False), ("no", False), ("none", False),
     (" 0 ", False)],
)
def test_qbool_follows_docker_boolvalue(value: str, expected: bool) -> None:
    assert req({"all": [value]}).qbool("all") is expected


def test_qbool_absent_uses_default() -> None:
    assert req().qbool("all") is False
    assert req().qbool("all", True) is True


def test_q_and_qint() -> None:
    r = req({"t": ["a", "b"], "n": ["12"], "e": [""], "bad": ["x1"]})
    assert r.q("t") == "a"
    assert r.q_all("t") == ["a", "b"]
    assert r.q("missing", "d") == "d"
    assert r.qint("n") == 12
    assert r.qint("e", 5) == 5
    assert r.qint("missing", 7) == 7
    with pytest.raises(InvalidArgument, match="bad"):
        r.qint("bad")


def test_qfilters_accepts_both_docker_forms() -> None:
    modern = json.dumps({"status": {"running": True, "exited": True}, "label": {"a=b": True, "c": False}})
    legacy = json.dumps({"status": ["running", "exited"], "label": ["a=b"]})
    expected = {"status": ["running", "exited"], "label": ["a=b"]}
    assert req({"filters": [modern]}).qfilters() == expected
    assert req({"filters": [legacy]}).qfilters() == expected
    assert req().qfilters() == {}
    assert req({"filters": [""]}).qfilters() == {}
    with pytest.raises(InvalidArgument):
        req({"filters": ["{nope"]}).qfilters()
    with pytest.raises(InvalidArgument):
        req({"filters": ["[1]"]}).qfilters()


def test_qjson_generic() -> None:
    assert req({"buildargs": ['{"A":"1"}']}).qjson("buildargs") == {"A": "1"}
    assert req().qjson("buildargs", {}) == {}


def test_body_json_and_errors() -> None:
    assert asyncio.run(req(body=(b'{"a":', b"1}")).json()) == {"a": 1}
    assert asyncio.run(req(body=()).json()) is None
    with pytest.raises(InvalidArgument, match="^invalid JSON: "):
        asyncio.run(req(body=(b"{bad",)).json())


def test_body_limit() -> None:
    with pytest.raises(InvalidArgument, match="larger than"):
        asyncio.run(req(body=(b"x" * 10, b"y" * 10)).body(limit=15))


def test_body_is_cached_and_iter_body_streams() -> None:
    async def both() -> tuple[bytes, list[bytes]]:
        r = req(body=(b"ab", b"cd"))
        whole = await r.body()
        return whole, [c async for c in r.iter_body()]

    assert asyncio.run(both()) == (b"abcd", [b"abcd"])

    async def streamed() -> list[bytes]:
        r = req(body=(b"ab", b"cd"))
        return [c async for c in r.iter_body()]

    assert asyncio.run(streamed()) == [b"ab", b"cd"]


def test_headers_are_case_insensitive_and_multi_valued() -> None:
    h = Headers([(b"Content-Type", b"application/json"), (b"X-A", b"1"), (b"x-a", b"2"),
                 (b"Connection", b"keep-alive, Upgrade")])
    assert h["content-type"] == "application/json"
    assert h.get_all("X-A") == ["1", "2"]
    assert "CONNECTION" in h
    assert h.has_token("connection", "upgrade")
    r = Request("POST", "/x", headers=Headers([("Connection", "Upgrade"), ("Upgrade", "tcp")]))
    assert r.wants_upgrade
    assert not Request("POST", "/x").wants_upgrade


def test_json_encoding_is_go_encoder_like() -> None:
    assert encode_json({"a": [1, "é"]}) == '{"a":[1,"é"]}\n'.encode()
    resp = JSONResponse({"x": 1}, status=201)
    assert (resp.body, resp.status, resp.content_type) == (b'{"x":1}\n', 201, "application/json")


def test_version_compare() -> None:
    assert compare_versions("1.9", "1.24") == -1
    assert compare_versions("1.43", "1.43") == 0
    assert compare_versions("1.43.0", "1.43") == 0
    assert compare_versions("1.100", "1.43") == 1
    assert Request("GET", "/", version="1.41").version_at_least("1.40")
    assert Request("GET", "/", version="1.41").version_before("1.42")
