"""tags/list and _catalog with n/last pagination and Link headers."""

from __future__ import annotations

import requests

from regsrv_helpers import OCI_MANIFEST, make_image, push_image


def _follow(base: str, url: str) -> tuple[list[list[str]], str]:
    pages: list[list[str]] = []
    key = "tags" if "/tags/list" in url else "repositories"
    while url:
        r = requests.get(url)
        assert r.status_code == 200
        pages.append(r.json()[key])
        link = r.headers.get("Link")
        url = f"{base}{link[1:link.index('>')]}" if link else ""
        if link:
            assert link.endswith('rel="next"')
    return pages, key


def test_tags_pagination(base: str, repo: str) -> None:
    image = make_image(label="tags")
    push_image(base, repo, "t0", image)
    tags = ["t0", "A1", "b2", "c3", "d4", "e5", "v1.0", "v1.1", "z"]
    for tag in tags[1:]:
        r = requests.put(f"{base}/v2/{repo}/manifests/{tag}", data=image.manifest, headers={"Content-Type": OCI_MANIFEST})
        assert r.status_code == 201
    expected = sorted(tags)
    r = requests.get(f"{base}/v2/{repo}/tags/list")
    assert r.json() == {"name": repo, "tags": expected} and "Link" not in r.headers
    pages, _ = _follow(base, f"{base}/v2/{repo}/tags/list?n=4")
    assert [len(p) for p in pages] == [4, 4, 1]
    assert sum(pages, []) == expected
    r = requests.get(f"{base}/v2/{repo}/tags/list", params={"n": "2", "last": "b2"})
    assert r.json()["tags"] == expected[expected.index("b2") + 1 :][:2]
    r = requests.get(f"{base}/v2/{repo}/tags/list", params={"last": "v1.0"})
    assert r.json()["tags"] == ["v1.1", "z"]
    r = requests.get(f"{base}/v2/{repo}/tags/list", params={"n": 0})
    assert r.json()["tags"] == [] and "Link" not in r.headers
    r = requests.get(f"{base}/v2/{repo}/tags/list", params={"n": "many"})
    assert r.status_code == 400


def test_catalog_pagination(start_server) -> None:  # type: ignore[no-untyped-def]
    srv = start_server("--allow-anonymous-push")
    names = ["a", "b/c", "b/c/d", "lib/x", "lib/y", "zz"]
    image = make_image(label="cat")
    for name in names:
        push_image(srv.url, name, "latest", image)
    assert requests.get(f"{srv.url}/v2/_catalog").json() == {"repositories": names}
    pages, _ = _follow(srv.url, f"{srv.url}/v2/_catalog?n=4")
    assert pages == [names[:4], names[4:]]
    r = requests.get(f"{srv.url}/v2/_catalog", params={"n": "10", "last": "b/c/d"})
    assert r.json()["repositories"] == ["lib/x", "lib/y", "zz"] and "Link" not in r.headers
