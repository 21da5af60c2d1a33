"""COPY and ADD: files from the context, another stage or an image into the stage.

``COPY [--from=<stage|index|image>] [--chown=u:g] [--chmod=755] <src>... <dest>``,
``ADD [--chown] [--chmod] <src|url>... <dest>``, ``COPY <<EOF /path`` (inline file).

Docker's rules, as its documentation gives them:

- ``<src>`` is relative to the context root (``../x`` is refused) or, with ``--from``,
  to that filesystem's root; it may hold wildcards (Go's ``filepath.Match``, per path
  component). A symlink named as a source is followed (inside the root).
- A directory source copies its *contents*, not itself.
- A relative ``<dest>`` is relative to WORKDIR. With several sources (after wildcard
  expansion) ``<dest>`` must end in ``/``. A file goes *into* ``<dest>`` when it ends in
  ``/`` or is an existing directory, else it *becomes* ``<dest>``. Missing parent
  directories are made (0755, owned like the copied files).
- New files and directories are owned by 0:0 unless ``--chown`` (names are looked up in
  the stage's /etc/passwd and /etc/group; a user alone gives its UID as GID); modes are
  kept unless ``--chmod``.
- ADD extracts a local tar (plain, gzip, bzip2, xz) into ``<dest>``; a URL is downloaded
  (mode 0600, never extracted); COPY never extracts.

Cache: the history text names the sources by a checksum of their content
(``COPY file:<sha256> in /app ``), so only a changed file re-runs the step.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from dockyard.build.builder import _stage_ref, located
from dockyard.build.dockerignore import _compile
from dockyard.build.instructions import AddInstruction, CopyInstruction
from dockyard.build.line_parsers import Heredoc
from dockyard.build.shell_words import Lex
from dockyard.build.state import StageState
from dockyard.errors import BuildError
from dockyard.runtime.fsjoin import secure_join

if TYPE_CHECKING:
    from dockyard.build.builder import Job

__all__ = ["dispatch_copy", "dispatch_add", "Source"]

_WILDCARDS = "*?["
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass
class Source:
    path: str           # host path, symlinks of the named source already followed
    name: str           # the base name a file gets inside a directory <dest>
    is_dir: bool
    archive: bool = False
    mode: int | None = None     # forced mode (downloads 0600, heredocs 0644)
    mtime: float | None = None


async def dispatch_copy(job: Job, st: StageState, inst: CopyInstruction) -> None:
    await _copy(job, st, inst, add=False)


async def dispatch_add(job: Job, st: StageState, inst: AddInstruction) -> None:
    await _copy(job, st, inst, add=True)


def _has_wildcards(s: str) -> bool:
    i = 0
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] in _WILDCARDS:
            return True
        i += 1
    return False


def parse_chmod(text: str | None) -> int | None:
    if not text:
        return None
    try:
        value = int(text, 8)
    except ValueError:
        raise located(f"invalid chmod parameter: {text}") from None
    if value > 0o7777:
        raise located(f"invalid chmod parameter: {text}")
    return value


async def _copy(job: Job, st: StageState, inst: CopyInstruction | AddInstruction, *,
                add: bool) -> None:
    name = "ADD" if add else "COPY"
    srcs = [job.expand(st, s) for s in inst.sources]
    dest = job.expand(st, inst.dest)
    chown = job.expand(st, inst.chown) if inst.chown else None
    chmod = parse_chmod(inst.chmod)
    from_ = getattr(inst, "from_", None)
    from_ = job.expand(st, from_) if from_ else None
    heredocs = list(getattr(inst, "heredocs", []) or [])
    for flag in ("exclude", "parents"):
        if getattr(inst, flag, None):
            raise located(f"{name} --{flag} needs BuildKit's labs syntax; it is not supported "
                          "by this builder")
    checksum_flag = getattr(inst, "checksum", None)
    workdir = st.run.get("WorkingDir") or "/"
    dest_abs = dest if dest.startswith("/") else posixpath.join(workdir, dest)
    dir_syntax = dest.endswith("/") or dest.endswith("/.") or dest in (".", "")
    tmp = tempfile.mkdtemp(prefix="src-", dir=job.builder.root)
    try:
        with _source_root(job, st, from_) as (root, content_id):
            sources = await asyncio.to_thread(
                _resolve_all, job, st, root, srcs, heredocs, add, from_ is not None, tmp, name)
            if checksum_flag:
                await asyncio.to_thread(_verify_checksum, job.expand(st, checksum_flag),
                                        srcs, sources)
            if len(sources) > 1 and not dir_syntax:
                raise BuildError(f"When using {name} with more than one source file, the "
                                 "destination must be a directory and end with a /",
                                 file=job.file, line=inst.start_line)
            checksum = await asyncio.to_thread(_known_checksum, job, root, content_id, sources)
            created_by = st.comment_string(f"{name} {checksum} in {dest_abs} ")
            extra = json.dumps([chown, chmod, from_ or ""])

            async def layer() -> tuple[str, str] | None:
                return await asyncio.to_thread(_apply, job, st, sources, dest_abs, dir_syntax,
                                               chown, chmod)

            await job.commit(st, created_by, extra=extra, layer=layer)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _source_root(job: Job, st: StageState, from_: str | None) -> Iterator[tuple[str, str]]:
    """(host root of the sources, what identifies its content: "context" or a chain id)."""
    if from_ is None:
        yield job.ctx.root, "context"
        return
    idx = _stage_ref(from_, job.stages, st.stage.index)
    if idx is not None:
        if idx not in job.results:
            raise located(f"invalid from flag value {from_}: stage {idx} was not built "
                          "(a --from naming a stage must be known before the build starts)")
        chain = job.results[idx].chain
    elif from_.lower() == st.stage.name and st.stage.name:
        raise located(f"invalid from flag value {from_}: refers to current build stage")
    else:
        from dockyard.build.dispatch.from_ import resolve_image
        _, _, chain = resolve_image(job, from_)
    with job.layers.view(chain) as root:
        yield root, f"chain {chain}"


def _resolve_all(job: Job, st: StageState, root: str, srcs: list[str], heredocs: list[Heredoc],
                 add: bool, scoped: bool, tmp: str, name: str) -> list[Source]:
    out: list[Source] = []
    for src in srcs:
        if add and (src.startswith("http://") or src.startswith("https://")):
            out.append(_download(src, tmp))
            continue
        if add and (src.startswith("git@") or src.endswith(".git")):
            raise located(f"ADD of a git repository ({src}) needs the network and BuildKit; "
                          "clone it into the context instead")
        found = _resolve(root, src, scoped, name)
        for s in found:
            if add and not s.is_dir and _is_archive(s.path):
                s.archive = True
        out += found
    lex = Lex(st.escape, skip_process_quotes=True)
    for i, doc in enumerate(heredocs):
        content = lex.process_word(doc.content, st.env()) if doc.expand else doc.content
        path = os.path.join(tmp, f"heredoc-{i}")
        with open(path, "w") as f:
            f.write(content)
        out.append(Source(path, doc.name, False, mode=0o644, mtime=time.time()))
    if not out:
        raise BuildError(f"{name} failed: no source files were specified")
    return out


def _resolve(root: str, src: str, scoped: bool, name: str) -> list[Source]:
    rel = posixpath.normpath(src)
    if rel.startswith("/"):
        rel = rel.lstrip("/") or "."
    elif (rel == ".." or rel.startswith("../")) and not scoped:
        raise BuildError(f"Forbidden path outside the build context: {src} ()")
    rel = posixpath.normpath("/" + rel).lstrip("/")
    if not _has_wildcards(rel):
        path = secure_join(root, rel)
        if not os.path.exists(path):
            where = "build context or excluded by .dockerignore" if not scoped else \
                "source image or stage"
            raise BuildError(f"{name} failed: file not found in {where}: stat {src}: file "
                             "does not exist")
        base = posixpath.basename(rel) if rel else ""
        return [Source(path, base, os.path.isdir(path))]
    matches = [""]
    for comp in rel.split("/"):
        nxt: list[str] = []
        if not _has_wildcards(comp):
            nxt = [posixpath.join(m, comp) if m else comp for m in matches]
        else:
            rx = _compile(comp)
            for m in matches:
                d = secure_join(root, m)
                if not os.path.isdir(d):
                    continue
                for entry in sorted(os.listdir(d)):
                    if rx.match(entry):
                        nxt.append(posixpath.join(m, entry) if m else entry)
        matches = nxt
    out = []
    for m in matches:
        path = secure_join(root, m)
        if os.path.exists(path):
            out.append(Source(path, posixpath.basename(m), os.path.isdir(path)))
    if not out:
        raise BuildError(f"{name} failed: no source files were specified")
    return out


def _verify_checksum(want: str, srcs: list[str], sources: list[Source]) -> None:
    """``ADD --checksum=sha256:<hex> <url>``: the download must have that digest."""
    if len(srcs) != 1 or not srcs[0].startswith(("http://", "https://")):
        raise located("checksum can't be specified for non-HTTP(S) sources")
    if not want.startswith("sha256:"):
        raise located(f"unsupported digest algorithm in --checksum: {want}")
    h = hashlib.sha256()
    with open(sources[0].path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    got = "sha256:" + h.hexdigest()
    if got != want:
        raise BuildError(f"digest mismatch for {srcs[0]}: expected {want}, got {got}")


def _is_archive(path: str) -> bool:
    try:
        with tarfile.open(path, "r:*") as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError):
        return False


def _download(url: str, tmp: str) -> Source:
    import email.utils
    import urllib.request

    parsed = urllib.parse.urlparse(url)
    base = posixpath.basename(parsed.path) or "index.html"
    path = os.path.join(tmp, "download-" + hashlib.sha256(url.encode()).hexdigest()[:16])
    try:
        with urllib.request.urlopen(url, timeout=20) as resp, open(path, "wb") as f:
            shutil.copyfileobj(resp, f)
            modified = resp.headers.get("Last-Modified")
    except OSError as exc:
        reason = getattr(exc, "reason", None) or exc
        raise BuildError(f"ADD failed: failed to GET {url}: {reason} (this build has no "
                         "network access beyond the local host; put the file in the build "
                         "context and ADD it from there)") from None
    mtime = time.time()
    if modified:
        with contextlib.suppress(TypeError, ValueError):
            mtime = email.utils.parsedate_to_datetime(modified).timestamp()
    return Source(path, base, False, mode=0o600, mtime=mtime)


# -- checksum --------------------------------------------------------------------------

def _known_checksum(job: Job, root: str, content_id: str, sources: list[Source]) -> str:
    """``_checksum``, remembered for sources that all lie under ``root`` whose content
    ``content_id`` names: the context (read-only during a build, and while the builder keeps
    it for an identical one) or a layer chain (immutable). Others (heredocs, downloads) are
    always hashed."""
    prefix = root.rstrip("/") + "/"
    if not all(s.path.startswith(prefix) for s in sources):
        return _checksum(sources)
    rel = tuple((s.path[len(prefix):], s.name, s.archive, s.mode, s.is_dir) for s in sources)
    memo = job.ctx.checksums if content_id == "context" else job.builder.chain_checksums
    key = (content_id, rel)
    found = memo.get(key)
    if found is None:
        found = _checksum(sources)
        memo[key] = found
        while len(memo) > 4096:       # a bound, not a policy: oldest first
            memo.pop(next(iter(memo)))
    return found


def _checksum(sources: list[Source]) -> str:
    h = hashlib.sha256()
    for s in sources:
        h.update(f"\0src {s.name} {s.archive} {s.mode}\0".encode())
        if s.is_dir:
            for rel, path, st in _walk(s.path):
                _hash_entry(h, rel, path, st)
        else:
            _hash_entry(h, "", s.path, os.stat(s.path))
    kind = "multi" if len(sources) > 1 else ("dir" if sources[0].is_dir else "file")
    return f"{kind}:{h.hexdigest()}"


def _walk(top: str, rel: str = "") -> Iterator[tuple[str, str, os.stat_result]]:
    for name in sorted(os.listdir(os.path.join(top, rel) if rel else top)):
        r = f"{rel}/{name}" if rel else name
        path = os.path.join(top, r)
        st = os.lstat(path)
        yield r, path, st
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(top, r)


def _hash_entry(h: hashlib._Hash, rel: str, path: str, st: os.stat_result) -> None:
    h.update(f"{rel}\0{stat.S_IFMT(st.st_mode)}\0{st.st_mode & 0o7777}\0".encode())
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    elif stat.S_ISLNK(st.st_mode):
        h.update(os.readlink(path).encode())


# -- applying ----------------------------------------------------------------------------

def _lookup(root: str, file: str, name: str, what: str) -> int:
    if name.isdigit():
        return int(name)
    try:
        with open(secure_join(root, file)) as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) > 2 and parts[0] == name:
                    return int(parts[2])
    except (OSError, ValueError):
        pass
    file_name = "passwd" if what == "user" else "group"
    raise BuildError(f"unable to find {what} {name}: no matching entries in {file_name} file")


def _owner(root: str, chown: str | None) -> tuple[int, int]:
    if not chown:
        return 0, 0
    parts = chown.split(":")
    if len(parts) > 2:
        raise BuildError(f"invalid chown string format: {chown}")
    uid = _lookup(root, "etc/passwd", parts[0], "user")
    gid = _lookup(root, "etc/group", parts[1], "group") if len(parts) == 2 and parts[1] \
        else uid
    return uid, gid


def _apply(job: Job, st: StageState, sources: list[Source], dest: str, dir_syntax: bool,
           chown: str | None, chmod: int | None) -> tuple[str, str] | None:
    def change(root: str) -> None:
        uid, gid = _owner(root, chown)
        for src in sources:
            if src.is_dir:
                target = _ensure_dir(root, dest, uid, gid)
                _copy_tree(src.path, target, uid, gid, chmod)
            elif src.archive:
                _ensure_dir(root, dest, uid, gid)
                from dockyard.image.unpack import apply_layer
                rel = os.path.relpath(secure_join(root, dest), os.path.realpath(root))
                with open(src.path, "rb") as f:
                    apply_layer(f, root, whiteout_mode="none",
                                subdir="" if rel == "." else rel,
                                owner=(uid, gid) if chown else None)
            else:
                resolved = secure_join(root, dest)
                if dir_syntax or os.path.isdir(resolved):
                    target = os.path.join(_ensure_dir(root, dest, uid, gid), src.name)
                else:
                    parent = _ensure_dir(root, posixpath.dirname(dest) or "/", uid, gid)
                    target = os.path.join(parent, posixpath.basename(dest))
                _copy_file(src.path, target, uid, gid, chmod if chmod is not None else src.mode,
                           src.mtime)

    return job.layers.mutate(st.chain, change)


def _ensure_dir(root: str, path: str, uid: int, gid: int) -> str:
    parts = [p for p in path.split("/") if p and p != "."]
    cur = ""
    for p in parts:
        cur = posixpath.join(cur, p) if cur else p
        host = secure_join(root, cur)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            os.mkdir(host, 0o755)
            os.chmod(host, 0o755)
            os.chown(host, uid, gid)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise BuildError(f"cannot copy to /{cur}: not a directory")
    return secure_join(root, "/".join(parts))


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _copy_file(src: str, dst: str, uid: int, gid: int, mode: int | None,
               mtime: float | None) -> None:
    st = os.stat(src)
    _remove(dst)
    fd = os.open(dst, _CREATE, 0o600)
    with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        os.fchown(fout.fileno(), uid, gid)
        os.fchmod(fout.fileno(), mode if mode is not None else stat.S_IMODE(st.st_mode))
    t = mtime if mtime is not None else st.st_mtime
    os.utime(dst, (t, t), follow_symlinks=False)


def _copy_tree(src: str, dst: str, uid: int, gid: int, chmod: int | None) -> None:
    """The contents of directory ``src`` into directory ``dst``, nothing followed."""
    for name in sorted(os.listdir(src)):
        s = os.path.join(src, name)
        d = os.path.join(dst, name)
        st = os.lstat(s)
        mode = chmod if chmod is not None else stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            try:
                existing = os.lstat(d)
                if not stat.S_ISDIR(existing.st_mode):
                    _remove(d)
                    raise FileNotFoundError
            except FileNotFoundError:
                os.mkdir(d, 0o700)
            os.chown(d, uid, gid)
            os.chmod(d, mode)
            _copy_tree(s, d, uid, gid, chmod)
            os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))
        elif stat.S_ISLNK(st.st_mode):
            _remove(d)
            os.symlink(os.readlink(s), d)
            os.lchown(d, uid, gid)
            os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        elif stat.S_ISREG(st.st_mode):
            _copy_file(s, d, uid, gid, mode, None)
        elif stat.S_ISFIFO(st.st_mode):
            _remove(d)
            os.mkfifo(d, mode)
            os.chown(d, uid, gid)
