"""Seccomp: Docker-format profiles converted to the OCI runtime spec's ``linux.seccomp``.

A *profile* is Docker's JSON format (``defaultAction``, ``defaultErrnoRet``, ``archMap``,
``syscalls[]`` whose rules may carry ``includes``/``excludes`` conditions on ``caps``,
``arches`` and ``minKernel``). The default profile is the one containers-common installs
at ``/usr/share/containers/seccomp.json`` (Debian's golang-github-containers-common); we
read it at run time and never copy its data.

Converting follows moby's ``profiles/seccomp.setupSeccomp``:

- ``architectures``: the native arch and its ``subArchitectures`` from ``archMap``
  (or the profile's own ``architectures`` list in the older format);
- a rule is kept unless ``excludes`` matches (the arch is listed, the container has
  **any** listed cap, or the kernel is at least ``minKernel``), and only if ``includes``
  matches (the arch is listed, the container has **all** listed caps, the kernel is at
  least ``minKernel``); ``name`` folds into ``names``;
- arch names in ``includes``/``excludes`` are Go's (``amd64``, ``arm64``), as Docker
  compares them with ``runtime.GOARCH``.

Speed: the container start path calls ``default_profile`` every time, so the parsed file
is cached per process and the conversion per (caps, arch, kernel); callers get a fresh
copy they may change.

Note: Docker gives ``--privileged`` containers no seccomp filter at all; that choice
belongs to the spec builder, which then simply does not call this module.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import platform
import re
from collections.abc import Iterable
from typing import Any

from dockyard.errors import InvalidArgument, SystemError

__all__ = [
    "DEFAULT_PROFILE_PATH",
    "default_profile",
    "load_profile",
    "convert_profile",
    "native_arch",
]

DEFAULT_PROFILE_PATH = "/usr/share/containers/seccomp.json"

# platform.machine() (or a Go arch name) -> (libseccomp native arch, Go arch name)
_ARCHES: dict[str, tuple[str, str]] = {
    "x86_64": ("SCMP_ARCH_X86_64", "amd64"),
    "amd64": ("SCMP_ARCH_X86_64", "amd64"),
    "i386": ("SCMP_ARCH_X86", "386"),
    "i686": ("SCMP_ARCH_X86", "386"),
    "386": ("SCMP_ARCH_X86", "386"),
    "aarch64": ("SCMP_ARCH_AARCH64", "arm64"),
    "arm64": ("SCMP_ARCH_AARCH64", "arm64"),
    "armv7l": ("SCMP_ARCH_ARM", "arm"),
    "armv6l": ("SCMP_ARCH_ARM", "arm"),
    "arm": ("SCMP_ARCH_ARM", "arm"),
    "ppc64le": ("SCMP_ARCH_PPC64LE", "ppc64le"),
    "ppc64": ("SCMP_ARCH_PPC64", "ppc64"),
    "s390x": ("SCMP_ARCH_S390X", "s390x"),
    "mips64": ("SCMP_ARCH_MIPS64", "mips64"),
    "mips64el": ("SCMP_ARCH_MIPSEL64", "mips64le"),
    "mips64le": ("SCMP_ARCH_MIPSEL64", "mips64le"),
    "riscv64": ("SCMP_ARCH_RISCV64", "riscv64"),
    "loongarch64": ("SCMP_ARCH_LOONGARCH64", "loong64"),
    "loong64": ("SCMP_ARCH_LOONGARCH64", "loong64"),
}


def native_arch(arch: str | None = None) -> tuple[str, str]:
    """``(SCMP_ARCH_..., go_arch)`` for a machine name such as ``x86_64`` (default: this host)."""
    name = (arch or platform.machine()).lower()
    try:
        return _ARCHES[name]
    except KeyError:
        raise InvalidArgument(f"seccomp: unsupported architecture {name!r}") from None


def _kernel_version() -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", platform.release())
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _parse_min_kernel(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)", value.strip())
    if not match:
        raise InvalidArgument(f'seccomp: invalid minKernel "{value}": expected <kernel>.<major>')
    return int(match.group(1)), int(match.group(2))


def _norm_cap(name: str) -> str:
    name = name.upper()
    return name if name.startswith("CAP_") else "CAP_" + name


def _keep(rule: dict[str, Any], caps: frozenset[str], go_arch: str, kernel: tuple[int, int]) -> bool:
    excludes = rule.get("excludes") or {}
    includes = rule.get("includes") or {}
    if go_arch in (excludes.get("arches") or ()):
        return False
    if any(_norm_cap(c) in caps for c in excludes.get("caps") or ()):
        return False
    if excludes.get("minKernel") and kernel >= _parse_min_kernel(excludes["minKernel"]):
        return False
    if includes.get("arches") and go_arch not in includes["arches"]:
        return False
    if any(_norm_cap(c) not in caps for c in includes.get("caps") or ()):
        return False
    if includes.get("minKernel") and kernel < _parse_min_kernel(includes["minKernel"]):
        return False
    return True


def _oci_rule(rule: dict[str, Any]) -> dict[str, Any]:
    names = list(rule.get("names") or ())
    if rule.get("name"):
        if names:
            raise InvalidArgument(f'seccomp: rule has both "name" and "names": {rule["name"]}')
        names = [rule["name"]]
    if "action" not in rule:
        raise InvalidArgument(f"seccomp: rule without an action: {names}")
    out: dict[str, Any] = {"names": names, "action": rule["action"]}
    if rule.get("errnoRet") is not None:
        out["errnoRet"] = rule["errnoRet"]
    args = []
    for arg in rule.get("args") or ():
        oci_arg = {"index": arg["index"], "value": arg.get("value", 0), "op": arg["op"]}
        if arg.get("valueTwo"):
            oci_arg["valueTwo"] = arg["valueTwo"]
        args.append(oci_arg)
    if args:
        out["args"] = args
    return out


def convert_profile(
    profile: dict[str, Any], caps: Iterable[str], arch: str | None = None, *, kernel: tuple[int, int] | None = None
) -> dict[str, Any] | None:
    """Convert a Docker-format profile for a container with ``caps`` on ``arch``.

    Returns ``None`` for a profile with neither a default action nor rules (Docker reads
    that as "seccomp disabled").
    """
    if not isinstance(profile, dict):
        raise InvalidArgument("seccomp: profile must be a JSON object")
    if not profile.get("defaultAction") and not profile.get("syscalls"):
        return None
    if profile.get("architectures") and profile.get("archMap"):
        raise InvalidArgument(
            "seccomp: both 'architectures' and 'archMap' are specified in the seccomp profile, "
            "use either 'architectures' or 'archMap'"
        )
    native, go_arch = native_arch(arch)
    cap_set = frozenset(_norm_cap(c) for c in caps)
    kernel = kernel or _kernel_version()

    out: dict[str, Any] = {"defaultAction": profile.get("defaultAction", "")}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    arches = list(profile.get("architectures") or ())
    for entry in profile.get("archMap") or ():
        if entry.get("architecture") == native:
            arches = [native, *(entry.get("subArchitectures") or ())]
            break
    if arches:
        out["architectures"] = arches
    for key in ("flags", "listenerPath", "listenerMetadata"):
        if profile.get(key):
            out[key] = copy.deepcopy(profile[key])
    syscalls = [_oci_rule(r) for r in profile.get("syscalls") or () if _keep(r, cap_set, go_arch, kernel)]
    if syscalls:
        out["syscalls"] = syscalls
    return out


@functools.lru_cache(maxsize=4)
def _read_profile(path: str, mtime_ns: int) -> dict[str, Any]:
    """Parsed profile file; keyed on mtime so a package upgrade is picked up."""
    with open(path) as f:
        profile: dict[str, Any] = json.load(f)
    return profile


@functools.lru_cache(maxsize=64)
def _default_converted(
    caps: frozenset[str], arch: str, kernel: tuple[int, int], path: str, mtime_ns: int
) -> dict[str, Any] | None:
    return convert_profile(_read_profile(path, mtime_ns), caps, arch, kernel=kernel)


def _fresh(converted: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy the caller may mutate without corrupting the cache (cheaper than deepcopy)."""
    if converted is None:
        return None
    out = dict(converted)
    if "architectures" in out:
        out["architectures"] = list(out["architectures"])
    if "syscalls" in out:
        out["syscalls"] = [
            {**r, "names": list(r["names"]), **({"args": [dict(a) for a in r["args"]]} if "args" in r else {})}
            for r in out["syscalls"]
        ]
    return out


def default_profile(
    caps: Iterable[str], arch: str | None = None, *, path: str = DEFAULT_PROFILE_PATH
) -> dict[str, Any]:
    """The default profile converted for a container holding ``caps`` on ``arch``."""
    try:
        mtime_ns = os.stat(path).st_mtime_ns
    except FileNotFoundError as exc:
        raise SystemError(f"seccomp: default profile {path} not found (install containers-common)") from exc
    cap_set = frozenset(_norm_cap(c) for c in caps)
    arch_name = (arch or platform.machine()).lower()
    try:
        converted = _default_converted(cap_set, arch_name, _kernel_version(), path, mtime_ns)
    except ValueError as exc:  # json decoding (InvalidArgument is not a ValueError)
        raise SystemError(f"seccomp: cannot load {path}: {exc}") from exc
    result = _fresh(converted)
    assert result is not None  # the default profile always has a default action
    return result


def load_profile(spec: str, caps: Iterable[str] = (), arch: str | None = None) -> dict[str, Any] | None:
    """``--security-opt seccomp=<spec>``: ``unconfined`` → None, ``builtin``/``default`` →
    the default profile, JSON text (what the docker CLI sends) or a file path → converted.
    """
    spec = spec.strip()
    if spec == "unconfined":
        return None
    if spec in ("builtin", "default", ""):
        return default_profile(caps, arch)
    if spec.startswith("{"):
        text = spec
    else:
        try:
            with open(spec) as f:
                text = f.read()
        except OSError as exc:
            raise InvalidArgument(f"opening seccomp profile ({spec}) failed: {exc.strerror}") from exc
    try:
        profile = json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"Decoding seccomp profile failed: {exc}") from exc
    return convert_profile(profile, caps, arch)
