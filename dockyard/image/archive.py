"""What layer unpacking (``unpack``) and layer writing (``diff``) share.

A layer travels as a tar stream, optionally compressed, and is named twice:

- its **digest**: sha256 of the bytes as stored and sent (the blob, compressed);
- its **diff_id**: sha256 of the uncompressed tar stream (what the image config's
  ``rootfs.diff_ids`` lists).

Both are computed while the bytes stream past (``HashingReader``/``HashingWriter``), so a
layer is never held in memory or read twice.

Deletions travel as AUFS-style whiteouts (the OCI image spec's "whiteouts" section):

- ``dir/.wh.name``    — ``dir/name`` was deleted;
- ``dir/.wh..wh..opq`` — ``dir`` is opaque: nothing below it from lower layers shows.

On disk, overlayfs spells the same two facts as a char device 0:0 at ``dir/name`` and the
xattr ``trusted.overlay.opaque=y`` on ``dir``.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import posixpath
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO, Literal

from dockyard.errors import InvalidArgument

__all__ = [
    "WHITEOUT_PREFIX",
    "WHITEOUT_META_PREFIX",
    "WHITEOUT_OPAQUE",
    "OVERLAY_OPAQUE_XATTR",
    "OVERLAY_XATTR_PREFIX",
    "PAX_XATTR_PREFIX",
    "Compression",
    "HashingReader",
    "HashingWriter",
    "detect_compression",
    "open_decompressed",
    "GzipReader",
    "read_to_end",
    "open_compressed",
    "clean_member_name",
]

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
WHITEOUT_OPAQUE = ".wh..wh..opq"
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"
# overlayfs keeps its own bookkeeping in trusted.overlay.*; it must never travel in a
# layer (a hostile redirect/origin xattr could point overlayfs elsewhere).
OVERLAY_XATTR_PREFIX = "trusted.overlay."
PAX_XATTR_PREFIX = "SCHILY.xattr."

Compression = Literal["auto", "gzip", "zstd", "bzip2", "xz", "none"]

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_PEEK = 6
_GZIP_IN = 256 << 10  # compressed bytes per source read (see GzipReader)


class HashingReader:
    """A read-only stream that hashes and counts every byte handed out.

    ``peek`` lets the caller sniff magic bytes without consuming them; nothing else is
    buffered, so memory stays bounded by the caller's read sizes.
    """

    def __init__(self, inner: Any, *, translate_errors: bool = False) -> None:
        self._inner = inner
        self._head = b""
        self._translate = translate_errors
        self.hash = hashlib.sha256()
        self.count = 0

    def peek(self, n: int) -> bytes:
        while len(self._head) < n:
            chunk = self._raw_read(n - len(self._head))
            if not chunk:
                break
            self._head += chunk
        return self._head[:n]

    def _raw_read(self, n: int) -> bytes:
        if not self._translate:
            try:
                data: bytes = self._inner.read(n)
                return data
            except OSError as exc:
                exc._dockyard_source = True  # type: ignore[attr-defined]  # not corrupt data: a failing source
                raise
        try:
            decoded: bytes = self._inner.read(n)
            return decoded
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            if getattr(exc, "_dockyard_source", False):
                raise
            raise InvalidArgument(f"invalid layer tar: corrupt compressed stream: {exc}") from exc
        except Exception as exc:  # zstandard.ZstdError has no importable base here
            if type(exc).__name__ == "ZstdError":
                raise InvalidArgument(f"invalid layer tar: corrupt zstd stream: {exc}") from exc
            raise

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = [self._head]
            self._head = b""
            while chunk := self._raw_read(1 << 20):
                parts.append(chunk)
            data = b"".join(parts)
        elif self._head:
            data, self._head = self._head[:n], self._head[n:]
        else:
            data = self._raw_read(n)
        self.hash.update(data)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        return True

    def drain(self) -> None:
        """Read to EOF so the digest covers trailing padding the tar reader never asked for."""
        while self.read(1 << 20):
            pass

    def hexdigest(self) -> str:
        return "sha256:" + self.hash.hexdigest()


class HashingWriter:
    """A write-only stream that hashes and counts every byte passed to ``inner``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.hash = hashlib.sha256()
        self.count = 0

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        self._inner.write(view)
        self.hash.update(view)
        self.count += len(view)
        return len(view)

    def tell(self) -> int:  # tarfile asks for the starting offset
        return self.count

    def flush(self) -> None:
        flush = getattr(self._inner, "flush", None)
        if flush is not None:
            flush()

    def writable(self) -> bool:
        return True

    def hexdigest(self) -> str:
        return "sha256:" + self.hash.hexdigest()


def read_to_end(read: Callable[[int], bytes], piece: int = 1 << 20) -> bytes:
    """``read(-1)`` for a stream whose ``read(n)`` is the real one: pieces to EOF, joined."""
    parts = []
    while chunk := read(piece):
        parts.append(chunk)
    return b"".join(parts)


def detect_compression(head: bytes) -> str:
    """Name the compression of a stream from its first bytes ("none" for a plain tar)."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


def open_decompressed(raw: HashingReader, compression: str) -> HashingReader:
    """Wrap ``raw`` (already hashing the stored bytes) in a streaming decompressor.

    ``compression`` "auto" sniffs magic bytes. The result hashes the *uncompressed*
    bytes (the diff_id) and turns decompressor failures into ``InvalidArgument``.
    """
    if compression == "auto":
        compression = detect_compression(raw.peek(_PEEK))
    inner: Any
    src: Any = raw  # the decompressors only need .read(); their stubs want real files
    if compression == "none":
        inner = raw
    elif compression == "gzip":
        inner = GzipReader(src)
    elif compression == "zstd":
        import zstandard  # lazy: only layers that use it pay for the import

        inner = zstandard.ZstdDecompressor().stream_reader(src, read_across_frames=True, closefd=False)
    elif compression == "bzip2":
        inner = bz2.BZ2File(src, mode="rb")
    elif compression == "xz":
        inner = lzma.LZMAFile(src, mode="rb")
    else:
        raise InvalidArgument(f"unsupported layer compression: {compression!r}")
    return HashingReader(inner, translate_errors=compression != "none")


def _inflater_factory() -> tuple[Callable[[], Any], type[Exception]]:
    """ISA-L's inflate when installed (2-3x zlib's speed on layer-like data), else zlib.

    Only decompression uses it: both give the same bytes out. Compression stays with zlib,
    so a layer written here has the same digest wherever it is written.
    """
    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal is a dependency; zlib keeps a bare install working
        return (lambda: zlib.decompressobj(31)), zlib.error
    return (lambda: isal_zlib.decompressobj(31)), isal_zlib.error


_new_inflater, _InflateError = _inflater_factory()


class GzipReader:
    """A streaming gzip decoder that reads its source ``_GZIP_IN`` bytes at a time.

    ``gzip.GzipFile`` reads its source 8 KiB at a time, and a pull's source is a chain of
    Python readers (the content-store ingest that hashes and writes the blob, the pipe
    from the download): each small read went through all of them. Here each source read
    is large and the inflater checks each member's CRC-32 and length itself.

    As Go's ``gzip.Reader`` (multistream) and ``GzipFile``: concatenated members are one
    stream and zero padding between or after members is skipped; anything else after a
    member is a corrupt stream. A source that ends inside a member raises ``EOFError``.
    """

    def __init__(self, src: Any, chunk: int = _GZIP_IN) -> None:
        self._src = src
        self._chunk = chunk
        self._inflate: Any = None  # the current member's inflater; None between members
        self._in = b""  # source bytes not yet given to an inflater
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            return read_to_end(self.read)
        while n and not self._done:
            if self._inflate is None:
                self._in = self._in.lstrip(b"\0")
                if not self._in:
                    self._in = self._src.read(self._chunk)
                    if not self._in:
                        self._done = True
                        break
                    continue
                self._inflate = _new_inflater()
            if not self._in:
                self._in = self._src.read(self._chunk)
                if not self._in:
                    raise EOFError("compressed file ended before the end-of-stream marker was reached")
            try:
                out: bytes = self._inflate.decompress(self._in, n)
            except _InflateError as exc:
                raise InvalidArgument(f"invalid layer tar: corrupt gzip stream: {exc}") from exc
            if self._inflate.eof:
                self._in = self._inflate.unused_data
                self._inflate = None
            else:
                self._in = self._inflate.unconsumed_tail
            if out:
                return out
        return b""


class _Compressed:
    """A compressor writing into a ``HashingWriter``; ``finish`` ends the frame/member."""

    def __init__(self, sink: HashingWriter, compression: str) -> None:
        self.sink = sink
        dst: Any = sink  # the compressors only need .write(); their stubs want real files
        self._stream: Any
        if compression == "none":
            self._stream = None
        elif compression == "gzip":
            # mtime=0 and no file name: the same tree gives the same blob digest.
            self._stream = gzip.GzipFile(fileobj=dst, mode="wb", compresslevel=6, mtime=0)
        elif compression == "zstd":
            import zstandard

            self._stream = zstandard.ZstdCompressor(level=3).stream_writer(dst, closefd=False)
        else:
            raise InvalidArgument(f"unsupported layer compression: {compression!r}")

    def write(self, data: bytes) -> int:
        if self._stream is None:
            return self.sink.write(data)
        self._stream.write(data)
        return len(data)

    def finish(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self.sink.flush()


def open_compressed(out: BinaryIO, compression: str) -> tuple[HashingWriter, _Compressed, HashingWriter]:
    """Build ``tar writer -> HashingWriter(diff_id) -> compressor -> HashingWriter(digest) -> out``.

    Returns ``(plain, compressor, stored)``: write the tar into ``plain``, call
    ``compressor.finish()``, then read the two digests and ``stored.count``.
    """
    stored = HashingWriter(out)
    compressor = _Compressed(stored, compression)
    plain = HashingWriter(compressor)
    return plain, compressor, stored


def clean_member_name(name: str) -> str:
    """Normalise a tar member name to a relative path inside the root ("" is the root).

    Leading ``/`` and ``./`` are dropped and ``a/../b`` collapses lexically (as Docker's
    ``filepath.Clean``); a name that still climbs out of the root is refused.
    """
    stripped = name.lstrip("/")
    norm = posixpath.normpath(stripped) if stripped else "."
    if norm == ".." or norm.startswith("../"):
        raise InvalidArgument(f"invalid layer tar: path escapes the root: {name}")
    return "" if norm == "." else norm
