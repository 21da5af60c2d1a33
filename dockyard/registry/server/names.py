"""Repository names and tags: the one rule that says which are valid.

The regular expressions are the distribution spec's (v1.1.1, "Pulling
manifests"). A repository name also becomes a directory path in storage, so
validating it here is what keeps ``..`` or an absolute path out of the tree:
the grammar admits neither.
"""

from __future__ import annotations

import re

from .errors import RegistryError

__all__ = ["NAME_RE", "TAG_RE", "MAX_NAME_LENGTH", "validate_name", "validate_tag", "is_valid_tag"]

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")

#: Clients limit "host[:port]/name" to 255 characters; a registry cannot know
#: its host name as clients spell it, so it caps the name itself.
MAX_NAME_LENGTH = 255


def validate_name(name: str) -> str:
    """Return ``name`` or raise ``NAME_INVALID`` (400)."""
    if len(name) > MAX_NAME_LENGTH or not NAME_RE.fullmatch(name):
        raise RegistryError("NAME_INVALID", f"invalid repository name {name!r}", detail={"name": name})
    return name


def is_valid_tag(tag: str) -> bool:
    return bool(TAG_RE.fullmatch(tag))


def validate_tag(tag: str) -> str:
    """Return ``tag`` or raise ``MANIFEST_INVALID`` naming the bad tag.

    The spec has no TAG_INVALID code of its own (it is a legacy Docker code), so a
    malformed tag reference is reported as an invalid manifest reference.
    """
    if not is_valid_tag(tag):
        raise RegistryError("MANIFEST_INVALID", f"invalid tag {tag!r}", detail={"tag": tag})
    return tag
