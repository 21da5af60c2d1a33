"""The build context: the tar a client sends with ``POST /build``, unpacked to a directory.

Vocabulary: the *context* is a directory tree (``root``); the *Dockerfile* is read from
``dockerfile`` inside it (the docker CLI puts a ``-f`` file from outside the context, or
``-f -``, into the tar under a generated name like ``.dockerfile.3f2a...`` and names it
with the ``dockerfile`` query parameter); a body that is not a tar at all is taken as the
Dockerfile itself (``docker build - < Dockerfile``).

``.dockerignore`` (or ``<Dockerfile>.dockerignore`` next to the Dockerfile, BuildKit's
per-Dockerfile file) is applied here, on the daemon side, so raw API clients get the same
result as the CLI (which already filters before sending): excluded files are deleted from
the unpacked tree before any COPY sees it. The Dockerfile and the ignore file are read
first, so excluding them hides them from COPY only (as Docker documents).

Layout while a build runs::

    <builder root>/ctx-<random>/      the unpacked context (removed when the build ends)
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from dockyard.build.dockerignore import Matcher
from dockyard.errors import BuildError, InvalidArgument

__all__ = ["BuildContext", "unpack_context", "pad_tar"]

_TAR_MAGIC_OFFSET = 257
_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


@dataclass
class BuildContext:
    root: str
    dockerfile_name: str = "Dockerfile"
    dockerfile_text: str = ""
    ignore: Matcher = field(default_factory=Matcher)
    #: COPY/ADD source checksums already computed in this (read-only) context, by sources;
    #: kept with the context when the builder reuses it for an identical one
    checksums: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def source_path(self, rel: str) -> str:
        """The host path of context path ``rel`` (never outside the root)."""
        return os.path.join(self.root, rel) if rel else self.root


def _looks_like_archive(head: bytes) -> bool:
    if any(head.startswith(m) for m in _COMPRESSED):
        return True
    return head[_TAR_MAGIC_OFFSET:_TAR_MAGIC_OFFSET + 5] == b"ustar" or len(head) == 0


def pad_tar(path: str) -> None:
    """Complete a plain tar that stops right after its last member's data.

    The docker CLI sends such a tar when it adds a ``-f`` Dockerfile from outside the
    context (its tar rewriter never closes the tar writer: no padding, no end blocks);
    Docker's daemon reads it anyway, so we add the padding and the two zero blocks.
    """
    with open(path, "r+b") as f:
        head = f.read(512)
        if not head or any(head.startswith(m) for m in _COMPRESSED):
            return
        if head[_TAR_MAGIC_OFFSET:_TAR_MAGIC_OFFSET + 5] != b"ustar":
            return
        size = f.seek(0, os.SEEK_END)
        f.write(b"\0" * ((-size) % 512 + 1024))


def unpack_context(body: BinaryIO, dest: str, dockerfile: str = "") -> BuildContext:
    """Unpack ``body`` (a tar, maybe compressed, or a bare Dockerfile) into ``dest``."""
    from dockyard.image.unpack import apply_layer

    head = body.read(512)
    body.seek(0)
    os.makedirs(dest, mode=0o700, exist_ok=True)
    if not _looks_like_archive(head):
        with open(os.path.join(dest, "Dockerfile"), "wb") as f:
            shutil.copyfileobj(body, f)
        dockerfile = "Dockerfile"
    else:
        try:
            apply_layer(body, dest, whiteout_mode="none")
        except InvalidArgument as exc:
            raise InvalidArgument(f"failed to read the build context: {exc}") from exc
    name = posixpath.normpath(dockerfile or "Dockerfile").lstrip("/")
    if name.startswith("../") or name == "..":
        raise InvalidArgument(f"the Dockerfile ({dockerfile}) must be within the build context")
    ctx = BuildContext(dest, name)
    path = _find_dockerfile(dest, name)
    if path is None:
        raise BuildError(f"Cannot locate specified Dockerfile: {name}", file=name)
    with open(path, "rb") as f:
        ctx.dockerfile_text = f.read().decode("utf-8", errors="replace")
    ignore_text = _read_ignore(dest, name)
    if ignore_text is not None:
        ctx.ignore = Matcher.parse(ignore_text)
        _apply_ignore(dest, ctx.ignore)
    return ctx


def _find_dockerfile(root: str, name: str) -> str | None:
    from dockyard.runtime.fsjoin import secure_join

    path = secure_join(root, name)
    if os.path.isfile(path):
        return path
    if name == "Dockerfile":  # Docker falls back to the lower-case name
        alt = secure_join(root, "dockerfile")
        if os.path.isfile(alt):
            return alt
    return None


def _read_ignore(root: str, dockerfile: str) -> str | None:
    from dockyard.runtime.fsjoin import secure_join

    for cand in (dockerfile + ".dockerignore", ".dockerignore"):
        path = secure_join(root, cand)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
    return None


def _apply_ignore(root: str, matcher: Matcher) -> None:
    """Delete what ``matcher`` excludes; an excluded directory is entered only when an
    exception pattern might re-include something below it (as the CLI's walk does)."""
    if not matcher.patterns:
        return

    def walk(rel: str) -> bool:
        """Process directory ``rel``; True when it ends up holding something."""
        here = os.path.join(root, rel) if rel else root
        kept = False
        for entry in sorted(os.listdir(here)):
            child = f"{rel}/{entry}" if rel else entry
            path = os.path.join(here, entry)
            st = os.lstat(path)
            excluded = matcher.excluded(child)
            if stat.S_ISDIR(st.st_mode):
                if excluded and not matcher.has_exclusions:
                    shutil.rmtree(path)
                    continue
                inner = walk(child)
                if excluded and not inner:
                    shutil.rmtree(path)
                    continue
                kept = True
            elif excluded:
                os.unlink(path)
            else:
                kept = True
        return kept

    walk("")
