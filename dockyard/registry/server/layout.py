"""Where the registry keeps things in its storage driver (schema version 1).

::

    /
    ├── layout-version                      "1"
    ├── blobs/                              content-addressed, shared by all repositories
    │   └── <alg>/<hex[0:2]>/<hex>/data     one blob (layers, configs *and* manifests);
    │                                       appears only by an atomic move of a verified upload
    ├── repositories/
    │   └── <name…>/                        a name's components are nested directories
    │       ├── _layers/<alg>/<hex>         link: this repository may serve the blob
    │       ├── _manifests/
    │       │   ├── revisions/<alg>/<hex>   link: a manifest of this repository;
    │       │   │                           content {"digest", "mediaType"}
    │       │   └── tags/<tag>              the digest the tag points at
    │       └── _referrers/<alg>/<hex>/     manifests whose `subject` is <alg>:<hex>
    │           └── <alg>/<hex>             content: the referrer's descriptor (JSON)
    └── uploads/
        └── <uuid>/
            ├── info                        {"repository", "started"}
            └── data                        the bytes received so far (append writer)

Why this shape: blobs are stored once whatever the number of repositories that
link them, and a repository only serves blobs it links, so one repository's
pushes never leak into another's pulls. Name components never start with
``_`` (the name grammar forbids it), which keeps ``_layers``, ``_manifests`` and
``_referrers`` apart from nested repository names. Uploads live outside the
repositories so that a crash leaves them in one place for garbage collection.
"""

from __future__ import annotations

from .digests import Digest

__all__ = [
    "LAYOUT_VERSION",
    "VERSION_PATH",
    "BLOBS",
    "REPOSITORIES",
    "UPLOADS",
    "blob_dir",
    "blob_data",
    "repository",
    "layer_link",
    "layer_links",
    "revision_link",
    "revisions",
    "tag_file",
    "tags_dir",
    "referrers_dir",
    "referrer_link",
    "upload_dir",
    "upload_data",
    "upload_info",
]

LAYOUT_VERSION = "1"
VERSION_PATH = "/layout-version"
BLOBS = "/blobs"
REPOSITORIES = "/repositories"
UPLOADS = "/uploads"


def blob_dir(digest: Digest) -> str:
    return f"{BLOBS}/{digest.algorithm}/{digest.hex[:2]}/{digest.hex}"


def blob_data(digest: Digest) -> str:
    return f"{blob_dir(digest)}/data"


def repository(name: str) -> str:
    return f"{REPOSITORIES}/{name}"


def layer_links(name: str) -> str:
    return f"{repository(name)}/_layers"


def layer_link(name: str, digest: Digest) -> str:
    return f"{layer_links(name)}/{digest.algorithm}/{digest.hex}"


def revisions(name: str) -> str:
    return f"{repository(name)}/_manifests/revisions"


def revision_link(name: str, digest: Digest) -> str:
    return f"{revisions(name)}/{digest.algorithm}/{digest.hex}"


def tags_dir(name: str) -> str:
    return f"{repository(name)}/_manifests/tags"


def tag_file(name: str, tag: str) -> str:
    return f"{tags_dir(name)}/{tag}"


def referrers_dir(name: str, subject: Digest) -> str:
    return f"{repository(name)}/_referrers/{subject.algorithm}/{subject.hex}"


def referrer_link(name: str, subject: Digest, referrer: Digest) -> str:
    return f"{referrers_dir(name, subject)}/{referrer.algorithm}/{referrer.hex}"


def upload_dir(uuid: str) -> str:
    return f"{UPLOADS}/{uuid}"


def upload_data(uuid: str) -> str:
    return f"{upload_dir(uuid)}/data"


def upload_info(uuid: str) -> str:
    return f"{upload_dir(uuid)}/info"
