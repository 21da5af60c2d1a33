"""Routing: precedence, greedy image-name params, version prefixes and gates."""

from __future__ import annotations

import pytest

from dockyard.api.http import MAX_API_VERSION, Reply, Request
from dockyard.api.router import Router, split_version
from dockyard.errors import InvalidArgument, NotFound


def handler(name: str):  # type: ignore[no-untyped-def]
    async def h(req: Request) -> Reply:
        return None

    h.__name__ = name
    return h


def docker_like() -> Router:
    """A slice of moby's image/container routes, registered in an unhelpful order."""
    r = Router()
    r.get("/images/{name:.*}/json", handler("image_inspect"))
    r.get("/images/json", handler("image_list"))
    r.get("/images/{name:.*}/history", handler("image_history"))
    r.get("/images/{name:.*}/get", handler("image_get"))
    r.get("/images/get", handler("images_get"))
    r.post("/images/{name:.*}/tag", handler("image_tag"))
    r.post("/images/{name:.*}/push", handler("image_push"))
    r.add("DELETE", "/images/{name:.*}", handler("image_delete"))
    r.get("/distribution/{name:.*}/json", handler("distribution"))
    r.get("/containers/{id}/json", handler("container_inspect"))
    r.get("/containers/json", handler("container_list"))
    r.get("/containers/{id}/{what}", handler("container_other"))
    r.get("/containers/{id}/logs", handler("container_logs"))
    r.get("/volumes/{name:.*}", handler("volume_generic"))
    r.get("/volumes/{name:.*}/json", handler("volume_specific"))
    return r


def hit(r: Router, method: str, path: str) -> tuple[str, dict[str, str], str]:
    res = r.resolve(method, path)
    return res.route.handler.__name__, res.params, res.version


@pytest.mark.parametrize(
    ("method", "path", "name", "params"),
    [
        ("GET", "/images/json", "image_list", {}),
        ("GET", "/images/busybox/json", "image_inspect", {"name": "busybox"}),
        ("GET", "/images/docker.io/library/busybox:latest/json", "image_inspect",
         {"name": "docker.io/library/busybox:latest"}),
        ("GET", "/images/localhost:5000/a/b/history", "image_history", {"name": "localhost:5000/a/b"}),
        ("GET", "/images/get", "images_get", {}),
        ("GET", "/images/x/y/get", "image_get", {"name": "x/y"}),
        ("POST", "/images/ghcr.io/o/r@sha256:abc/tag", "image_tag", {"name": "ghcr.io/o/r@sha256:abc"}),
        ("POST", "/images/registry:5000/team/app/push", "image_push", {"name": "registry:5000/team/app"}),
        ("DELETE", "/images/quay.io/a/b:1", "image_delete", {"name": "quay.io/a/b:1"}),
        ("GET", "/distribution/docker.io/library/alpine/json", "distribution", {"name": "docker.io/library/alpine"}),
        ("GET", "/containers/json", "container_list", {}),
        ("GET", "/containers/abc/json", "container_inspect", {"id": "abc"}),
        ("GET", "/containers/abc/logs", "container_logs", {"id": "abc"}),
        ("GET", "/containers/abc/top", "container_other", {"id": "abc", "what": "top"}),
        ("GET", "/volumes/v1/json", "volume_specific", {"name": "v1"}),
        ("GET", "/volumes/v1", "volume_generic", {"name": "v1"}),
    ],
)
def test_most_specific_route_wins(method: str, path: str, name: str, params: dict[str, str]) -> None:
    r = docker_like()
    assert hit(r, method, path)[:2] == (name, params)
    assert hit(r, method, "/v1.41" + path)[:2] == (name, params)


def test_percent_encoded_path_is_decoded_before_matching() -> None:
    r = docker_like()
    assert hit(r, "GET", "/images/docker.io%2Flibrary%2Fbusybox/json")[1] == {"name": "docker.io/library/busybox"}


def test_unknown_path_and_wrong_method_are_page_not_found() -> None:
    r = docker_like()
    for method, path in [("GET", "/nope"), ("POST", "/containers/json"), ("PUT", "/images/json"),
                         ("GET", "/v1.41/nope")]:
        with pytest.raises(NotFound, match="^page not found$"):
            r.resolve(method, path)


def test_version_prefix() -> None:
    assert split_version("/v1.41/containers/json") == ("1.41", "/containers/json")
    assert split_version("/containers/json") == (None, "/containers/json")
    assert split_version("/vfoo/x") == (None, "/vfoo/x")
    r = docker_like()
    assert hit(r, "GET", "/images/json")[2] == MAX_API_VERSION
    assert hit(r, "GET", "/v1.24/images/json")[2] == "1.24"
    assert hit(r, "GET", "/v1.43/images/json")[2] == "1.43"


def test_too_old_and_too_new_versions_use_moby_text() -> None:
    r = docker_like()
    with pytest.raises(InvalidArgument) as old:
        r.resolve("GET", "/v1.10/images/json")
    assert str(old.value) == (
        "client version 1.10 is too old. Minimum supported API version is 1.24, "
        "please upgrade your client to a newer version"
    )
    with pytest.raises(InvalidArgument) as new:
        r.resolve("GET", "/v1.99/images/json")
    assert str(new.value) == "client version 1.99 is too new. Maximum supported API version is 1.43"
    # numeric, not lexical, comparison
    with pytest.raises(InvalidArgument, match="too old"):
        r.resolve("GET", "/v1.9/images/json")
    with pytest.raises(InvalidArgument, match="too new"):
        r.resolve("GET", "/v1.100/images/json")


def test_route_version_gates() -> None:
    r = Router()
    r.get("/build/prune", handler("new_prune"), min_version="1.39")
    r.get("/thing", handler("thing_old"), max_version="1.40")
    r.get("/thing", handler("thing_new"), min_version="1.41")
    with pytest.raises(NotFound, match="page not found"):
        r.resolve("GET", "/v1.38/build/prune")
    assert hit(r, "GET", "/v1.39/build/prune")[0] == "new_prune"
    assert hit(r, "GET", "/build/prune")[0] == "new_prune"
    assert hit(r, "GET", "/v1.30/thing")[0] == "thing_old"
    assert hit(r, "GET", "/v1.41/thing")[0] == "thing_new"
    assert hit(r, "GET", "/thing")[0] == "thing_new"


def test_ties_keep_registration_order() -> None:
    r = Router()
    r.get("/a/{x}", handler("first"))
    r.get("/a/{y}", handler("second"))
    assert hit(r, "GET", "/a/b")[0] == "first"


def test_custom_param_regex() -> None:
    r = Router()
    r.get("/n/{id:[0-9]+}", handler("digits"))
    r.get("/n/{name}", handler("any"))
    assert hit(r, "GET", "/n/42")[0] == "digits"
    assert hit(r, "GET", "/n/abc")[0] == "any"
