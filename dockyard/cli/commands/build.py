"""``dockyard build``: docker's classic builder client (``DOCKER_BUILDKIT=0 docker build``).

What the CLI does before the daemon sees anything — as docker's does, so the daemon gets the
same request from either client:

1. the context: a directory (tarred here, with ``.dockerignore`` applied *client-side*: what
   it excludes is never sent, except the Dockerfile and ``.dockerignore`` themselves, which
   docker always keeps), or ``-`` (stdin: a tar, or else a bare Dockerfile);
2. the Dockerfile: ``-f`` is relative to the *current* directory; one outside the context,
   or ``-f -`` (read from stdin), is added to the tar under a random ``.dockerfile.<hex>``
   name, which becomes the ``dockerfile`` parameter;
3. ``POST /build`` with the tar; the stream's ``stream`` texts are printed as they come,
   ``aux.ID`` is the image (for ``--iidfile``), and an ``errorDetail`` ends the build with
   its message on stderr and its ``code`` (1 if none) as the exit status — so a failing
   ``RUN exit 3`` exits 3, as docker's does.

``-q`` buffers the output: on success only the image ID is printed, on failure the buffer
goes to stderr before the error. ``--progress`` is accepted for compatibility (the classic
stream has one form).
"""

from __future__ import annotations

import os
import sys

from dockyard.cli.command import EXACT1, Command, Context
from dockyard.cli.errors import StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["BUILD", "make_context_tar", "build_query"]


def _flags(fs: FlagSet) -> None:
    a = fs.add
    a("add-host", None, list, help='Add a custom host-to-IP mapping ("host:ip")')
    a("build-arg", None, list, help="Set build-time variables")
    a("cache-from", None, "strings", help="Images to consider as cache sources")
    a("cgroup-parent", None, str, help='Set the parent cgroup for the "RUN" instructions during build')
    a("compress", None, bool, help="Compress the build context using gzip")
    a("cpu-period", None, int, help="Limit the CPU CFS (Completely Fair Scheduler) period")
    a("cpu-quota", None, int, help="Limit the CPU CFS (Completely Fair Scheduler) quota")
    a("cpu-shares", "c", int, help="CPU shares (relative weight)")
    a("cpuset-cpus", None, str, help="CPUs in which to allow execution (0-3, 0,1)")
    a("cpuset-mems", None, str, help="MEMs in which to allow execution (0-3, 0,1)")
    a("disable-content-trust", None, bool, default=True, help="Skip image verification")
    a("file", "f", str, help="Name of the Dockerfile (Default is \"PATH/Dockerfile\")")
    a("force-rm", None, bool, help="Always remove intermediate containers")
    a("iidfile", None, str, help="Write the image ID to the file")
    a("isolation", None, str, help="Container isolation technology")
    a("label", None, list, help="Set metadata for an image")
    a("memory", "m", str, help="Memory limit")
    a("memory-swap", None, str, help="Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    a("network", None, str, default="default", help="Set the networking mode for the RUN instructions during build")
    a("no-cache", None, bool, help="Do not use cache when building the image")
    a("platform", None, str, help="Set platform if server is multi-platform capable")
    a("progress", None, str, default="auto", hidden=True, help="Set type of progress output (auto, plain, tty)")
    a("pull", None, bool, help="Always attempt to pull a newer version of the image")
    a("quiet", "q", bool, help="Suppress the build output and print image ID on success")
    a("rm", None, bool, default=True, help="Remove intermediate containers after a successful build")
    a("security-opt", None, "strings", help="Security options")
    a("shm-size", None, str, help="Size of /dev/shm")
    a("squash", None, bool, hidden=True, help="Squash newly built layers into a single new layer")
    a("tag", "t", list, convert=_check_tag, help='Name and optionally a tag in the "name:tag" format')
    a("target", None, str, help="Set the target build stage to build.")
    a("ulimit", None, list, help="Ulimit options")


def _check_tag(text: str) -> str:
    """docker validates ``-t`` while parsing flags: a bad name is pflag's ``invalid argument`` (exit 125)."""
    from dockyard.cli.commands.registry import reference_error

    error = reference_error(text)
    if error is not None:
        raise ValueError(error)
    return text


def _random_name() -> str:
    return ".dockerfile." + os.urandom(10).hex()


def _ignore_matcher(context_dir: str, keep: list[str]) -> Any:
    """The ``.dockerignore`` matcher, with docker's re-inclusion of the build files; None if no file."""
    path = os.path.join(context_dir, ".dockerignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    from dockyard.build.dockerignore import Matcher, read_patterns

    patterns = read_patterns(text)
    patterns += [f"!{k}" for k in keep if k]
    return Matcher.from_list(patterns)


def make_context_tar(context_dir: str, out: IO[bytes], *, keep: list[str],
                     extra: tuple[str, bytes] | None = None) -> int:
    """Tar ``context_dir`` into ``out`` minus what ``.dockerignore`` excludes; the tar's size.

    ``extra`` is a ``(name, data)`` file added at the root (a Dockerfile from elsewhere).
    Entries are sorted (a stable tar, as docker's walk is lexical); the end is the two zero
    blocks of a tar with no record padding, so the size reported matches docker's.
    """
    import io
    import tarfile

    matcher = _ignore_matcher(context_dir, keep)
    may_reinclude = matcher is not None and matcher.has_exclusions
    tar = tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT)

    def add(rel: str) -> None:
        full = os.path.join(context_dir, rel)
        info = tar.gettarinfo(full, arcname=rel)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = int(info.mtime)  # a float would cost a PAX header per entry
        if info.isreg():
            with open(full, "rb") as f:
                tar.addfile(info, f)
        else:
            tar.addfile(info)

    def walk(rel: str) -> None:
        here = os.path.join(context_dir, rel) if rel else context_dir
        try:
            entries = sorted(os.listdir(here))
        except PermissionError as exc:
            raise StatusError(1, f"error checking context: can't stat '{here}'") from exc
        for entry in entries:
            child = f"{rel}/{entry}" if rel else entry
            full = os.path.join(context_dir, child)
            is_dir = os.path.isdir(full) and not os.path.islink(full)
            if matcher is not None and matcher.excluded(child):
                if is_dir and may_reinclude:
                    walk(child)  # an exception may re-include something below
                continue
            add(child)
            if is_dir:
                walk(child)

    walk("")
    if extra is not None:
        name, data = extra
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o600
        import time

        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    tar.close()
    size = tar.offset  # data + the two end blocks; what follows is record padding docker omits
    out.truncate(size)
    out.seek(0)
    return size


def _json_map(items: list[str], *, from_env: bool) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if sep:
            out[key] = value
        elif from_env:
            out[key] = os.environ.get(key)  # docker: unset stays null (the Dockerfile default wins)
        else:
            out[key] = ""
    return out


def build_query(opts: Options, dockerfile: str) -> dict[str, Any]:
    """The ``POST /build`` query docker's classic builder sends."""
    import json

    query: dict[str, Any] = {
        "t": list(opts.tag) or None, "dockerfile": dockerfile or None,
        "buildargs": json.dumps(_json_map(opts.build_arg, from_env=True)) if opts.build_arg else None,
        "labels": json.dumps(_json_map(opts.label, from_env=False)) if opts.label else None,
        "target": opts.target or None, "nocache": bool(opts.no_cache) or None, "pull": bool(opts.pull) or None,
        "q": bool(opts.quiet) or None, "rm": "1" if opts.rm else "0", "forcerm": bool(opts.force_rm) or None,
        "networkmode": opts.network if opts.network and opts.network != "default" else None,
        "cachefrom": json.dumps(list(opts.cache_from)) if opts.cache_from else None,
        "platform": opts.platform or None, "cgroupparent": opts.cgroup_parent or None,
        "cpushares": opts.cpu_shares or None, "cpuperiod": opts.cpu_period or None,
        "cpuquota": opts.cpu_quota or None, "cpusetcpus": opts.cpuset_cpus or None,
        "cpusetmems": opts.cpuset_mems or None,
    }
    if opts.memory:
        from dockyard.cli.units import parse_bytes

        query["memory"] = parse_bytes(opts.memory)
    if opts.memory_swap:
        from dockyard.cli.units import parse_bytes

        query["memswap"] = -1 if opts.memory_swap == "-1" else parse_bytes(opts.memory_swap)
    if opts.ulimit:
        query["ulimits"] = json.dumps([_ulimit(u) for u in opts.ulimit])
    # --security-opt: docker's client has no query parameter for it either; it goes nowhere
    if opts.shm_size:
        from dockyard.cli.units import parse_bytes

        query["shmsize"] = parse_bytes(opts.shm_size)
    return query


def _ulimit(text: str) -> dict[str, Any]:
    """``nofile=1024:2048`` → docker's ``{"Name", "Soft", "Hard"}``."""
    name, sep, limits = text.partition("=")
    soft, _, hard = limits.partition(":")
    try:
        return {"Name": name, "Soft": int(soft), "Hard": int(hard or soft)}
    except ValueError:
        raise StatusError(125, f'invalid argument "{text}" for "--ulimit" flag: invalid ulimit argument: {text}') from None


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def _prepare(ctx: Context, opts: Options, spool: IO[bytes]) -> tuple[str, int]:
    """Fill ``spool`` with the context tar; the ``dockerfile`` parameter and the tar's size."""
    import tarfile

    source = opts.args[0]
    dockerfile_flag = opts.file
    if source == "-":
        if dockerfile_flag == "-":
            raise StatusError(1, "invalid argument: can't use stdin for both build context and dockerfile")
        data = sys.stdin.buffer.read()
        if _is_tar(data[:512]) or data[:2] == b"\x1f\x8b":
            spool.write(data)
            spool.seek(0)
            return dockerfile_flag, len(data)
        import io

        tar = tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT)
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        info.mode = 0o600
        tar.addfile(info, io.BytesIO(data))
        tar.close()
        spool.truncate(tar.offset)
        spool.seek(0)
        return "", tar.offset
    if "://" in source or source.startswith("git@") or source.startswith("github.com/"):
        raise StatusError(1, f"unable to prepare context: remote build contexts are not supported ({source}): "
                             "dockyard builds from a local directory or a tar on stdin")
    context_dir = os.path.abspath(source)
    if not os.path.isdir(context_dir):
        if os.path.exists(context_dir):
            raise StatusError(1, f"unable to prepare context: context must be a directory: {context_dir}")
        raise StatusError(1, f'unable to prepare context: path "{source}" not found')
    extra: tuple[str, bytes] | None = None
    if dockerfile_flag == "-":
        name = _random_name()
        extra = (name, sys.stdin.buffer.read())
        keep = [".dockerignore"]
    else:
        if dockerfile_flag:
            path = os.path.abspath(dockerfile_flag)
        else:
            path = os.path.join(context_dir, "Dockerfile")
            if not os.path.exists(path) and os.path.exists(os.path.join(context_dir, "dockerfile")):
                path = os.path.join(context_dir, "dockerfile")
        if not os.path.exists(path):
            raise StatusError(1, f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
                                 f"lstat {path}: no such file or directory")
        rel = os.path.relpath(path, context_dir)
        if rel.startswith(".." + os.sep) or rel == "..":
            name = _random_name()
            with open(path, "rb") as f:
                extra = (name, f.read())
            keep = [".dockerignore"]
        else:
            name = rel.replace(os.sep, "/")
            keep = [name, ".dockerignore"]
    size = make_context_tar(context_dir, spool, keep=keep, extra=extra)
    return name, size


def _build(ctx: Context, opts: Options) -> int:
    import io
    import tempfile

    from dockyard.cli.units import human_size

    if opts.progress not in ("auto", "plain", "tty", "rawjson", "quiet"):
        raise StatusError(1, f'invalid progress type "{opts.progress}": expected auto, plain, tty or rawjson')
    out = ctx.out
    buffer = io.StringIO() if opts.quiet else None
    shown = buffer if buffer is not None else out
    image_id = ""
    if opts.iidfile:
        try:
            os.unlink(opts.iidfile)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StatusError(1, f"Removing image ID file: {exc}") from exc
    with tempfile.TemporaryFile() as spool:
        dockerfile, size = _prepare(ctx, opts, spool)
        shown.write(f"Sending build context to Docker daemon  {human_size(size, 4)}\r\r\n")
        shown.flush()
        messages = ctx.client.image_build(spool, build_query(opts, dockerfile))
        try:
            for msg in messages:
                if not isinstance(msg, dict):
                    continue
                detail = msg.get("errorDetail") or {}
                if msg.get("error") or detail:
                    text = str(detail.get("message") or msg.get("error") or "")
                    if buffer is not None:
                        ctx.err.write(buffer.getvalue())
                    raise StatusError(int(detail.get("code") or 1), text)
                aux = msg.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    image_id = str(aux["ID"])
                    continue
                if msg.get("stream"):
                    shown.write(str(msg["stream"]))
                    shown.flush()
                elif msg.get("status"):
                    shown.write((f"{msg['id']}: " if msg.get("id") else "") + str(msg["status"]) + "\n")
        except StatusError:
            raise
    if buffer is not None:
        text = buffer.getvalue()
        # the daemon's quiet stream is the ID line; show it (or the ID we learned) alone
        lines = [ln for ln in text.splitlines() if ln.startswith("sha256:")]
        out.write((lines[-1] if lines else image_id) + "\n")
    if opts.iidfile and image_id:
        with open(opts.iidfile, "w", encoding="utf-8") as f:
            f.write(image_id)
    return 0


BUILD = Command("build", "[OPTIONS] PATH | URL | -", "Build an image from a Dockerfile", run=_build, flags=_flags,
                args=EXACT1, family="image")
