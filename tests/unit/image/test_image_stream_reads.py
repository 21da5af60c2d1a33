"""The layer read path: archive.GzipReader (the inflater behind open_decompressed) and the
forward-only reader apply_layer hands tarfile (large files, GNU and PAX sparse files)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from layer_tar_helpers import Entry, make_tar

from dockyard.errors import InvalidArgument
from dockyard.image.archive import GzipReader, HashingReader, open_decompressed
from dockyard.image.unpack import apply_layer


class Trickle(io.RawIOBase):
    """A source that hands out at most ``step`` bytes per read, as a slow download does."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = data
        self._pos = 0
        self._step = step
        self.reads: list[int] = []

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        self.reads.append(n)
        take = self._data[self._pos:self._pos + min(n, self._step)]
        self._pos += len(take)
        return take


def read_all(reader: GzipReader, n: int = 1 << 16) -> bytes:
    parts = []
    while chunk := reader.read(n):
        assert len(chunk) <= n
        parts.append(chunk)
    return b"".join(parts)


@pytest.mark.parametrize("step", [1, 7, 1 << 20])
def test_gzip_reader_round_trip_any_source_granularity(step: int) -> None:
    data = os.urandom(300_000) + b"layer " * 200_000
    assert read_all(GzipReader(Trickle(gzip.compress(data), step))) == data


def test_gzip_reader_reads_its_source_in_large_pieces() -> None:
    # The point of GzipReader: a pull's source chain is paid per read, not per byte.
    src = Trickle(gzip.compress(os.urandom(2 << 20), compresslevel=1), 1 << 30)
    read_all(GzipReader(src), 1 << 20)
    assert min(src.reads) >= 256 << 10


def test_gzip_reader_concatenated_members_and_zero_padding() -> None:
    blob = gzip.compress(b"first ") + b"\0" * 9 + gzip.compress(b"") + gzip.compress(b"second") + b"\0" * 3
    assert read_all(GzipReader(io.BytesIO(blob))) == b"first second"
    assert GzipReader(io.BytesIO(blob)).read() == b"first second"


@pytest.mark.parametrize("blob", [
    gzip.compress(b"x" * 10_000) + b"trailing garbage",
    gzip.compress(b"x" * 10_000)[:-8] + b"\0\0\0\0" + gzip.compress(b"x" * 10_000)[-4:],  # bad CRC
    gzip.compress(b"x" * 10_000)[:-4] + b"\1\0\0\0",  # bad length
    b"\x1f\x8b" + b"not deflate" * 20,
], ids=["trailing-garbage", "crc", "isize", "bad-deflate"])
def test_gzip_reader_refuses_corrupt_streams(blob: bytes) -> None:
    with pytest.raises(InvalidArgument, match="corrupt gzip stream"):
        read_all(GzipReader(io.BytesIO(blob)))


def test_gzip_reader_truncated_stream_is_eof_error_and_invalid_layer() -> None:
    blob = gzip.compress(os.urandom(50_000))[:-100]
    with pytest.raises(EOFError):
        read_all(GzipReader(io.BytesIO(blob)))
    plain = open_decompressed(HashingReader(io.BytesIO(blob)), "auto")
    with pytest.raises(InvalidArgument, match="corrupt compressed stream"):
        plain.drain()


def test_open_decompressed_hashes_the_uncompressed_bytes() -> None:
    data = b"tar bytes " * 100_000
    plain = open_decompressed(HashingReader(io.BytesIO(gzip.compress(data))), "auto")
    plain.drain()
    assert plain.hexdigest() == "sha256:" + hashlib.sha256(data).hexdigest()
    assert plain.count == len(data)


def test_gzip_reader_matches_zlib_on_a_real_tree() -> None:
    # Whatever inflater is installed, the bytes out are zlib's.
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        tar.add(os.path.join(os.path.dirname(os.__file__), "json"), arcname="json")
    data = raw.getvalue()
    assert read_all(GzipReader(io.BytesIO(gzip.compress(data, 6)))) == data


# -- the forward reader inside apply_layer ------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown)")


@needs_root
def test_large_and_odd_sized_files_between_small_ones(tmp_path: Path) -> None:
    big = os.urandom(3 * (1 << 20) + 123)  # spans several 1 MiB buffers, unaligned end
    entries = [Entry("a", data=b"1"), Entry("big.bin", data=big), Entry("b", data=b"x" * 511),
               Entry("c", data=b"y" * 512), Entry("d", data=b"z" * 513), Entry("empty", data=b"")]
    dest = tmp_path / "d"
    dest.mkdir()
    stats = apply_layer(io.BytesIO(gzip.compress(make_tar(*entries))), str(dest))
    assert (dest / "big.bin").read_bytes() == big
    assert [(dest / n).read_bytes() for n in "abcd"] == [b"1", b"x" * 511, b"y" * 512, b"z" * 513]
    assert (dest / "empty").read_bytes() == b""
    assert stats.entries == len(entries)


@needs_root
def test_file_cut_short_is_invalid_layer(tmp_path: Path) -> None:
    tar = make_tar(Entry("big.bin", data=os.urandom(2 << 20)))
    dest = tmp_path / "d"
    dest.mkdir()
    with pytest.raises(InvalidArgument, match="invalid layer tar"):
        apply_layer(io.BytesIO(tar[: 1 << 20]), str(dest))


@needs_root
@pytest.mark.parametrize("fmt", ["gnu", "posix"])
def test_sparse_files_from_gnu_tar(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "sparse", "wb") as f:
        f.truncate(8 << 20)
        f.seek(1 << 20)
        f.write(b"middle" * 1000)
        f.seek((8 << 20) - 5)
        f.write(b"tail!")
    (src / "after").write_bytes(b"after the sparse file")
    tar_path = tmp_path / "layer.tar"
    subprocess.run(["tar", "--sparse", f"--format={fmt}", "-cf", str(tar_path), "-C", str(src),
                    "sparse", "after"], check=True)
    dest = tmp_path / "d"
    dest.mkdir()
    with open(tar_path, "rb") as f:
        apply_layer(f, str(dest))
    assert (dest / "sparse").read_bytes() == (src / "sparse").read_bytes()
    assert (dest / "after").read_bytes() == b"after the sparse file"
