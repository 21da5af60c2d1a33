"""The OCI runtime spec (``config.json``) of a container, built as Docker builds it.

Inputs are the container's Docker-shaped record (``Config``, ``HostConfig``) and what
start-up resolved (user, /etc files); the output is the dict runc reads. Docker's
defaults live in ``caps`` (capabilities), ``mounts_default`` (mounts, masked paths,
devices) and ``seccomp`` (the profile from containers-common).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from dockyard.errors import InvalidArgument
from dockyard.runtime import caps as capset
from dockyard.runtime import mounts_default
from dockyard.runtime.user import ExecUser

__all__ = ["SpecInputs", "build_spec", "process_env", "resources", "CGROUP_PARENT"]

CGROUP_PARENT = "dockyard"
INIT_PATH = "/sbin/docker-init"


@dataclass
class SpecInputs:
    cid: str
    config: dict[str, Any]        # Docker's Config (merged with the image's)
    host_config: dict[str, Any]   # Docker's HostConfig
    rootfs: str
    user: ExecUser
    hostname: str
    hostname_path: str
    hosts_path: str
    resolv_path: str
    netns_path: str | None = None      # join this network namespace (bridge networks)
    extra_mounts: list[dict[str, Any]] | None = None


def process_env(config: dict[str, Any], hostname: str, user: ExecUser) -> list[str]:
    """Docker's environment: PATH default, HOSTNAME, image + container vars, HOME."""
    env: dict[str, str] = {}
    order: list[str] = []

    def put(kv: str) -> None:
        k, sep, v = kv.partition("=")
        if not sep:
            return
        if k not in env:
            order.append(k)
        env[k] = v

    put("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    put(f"HOSTNAME={hostname}")
    for kv in config.get("Env") or []:
        put(kv)
    if config.get("Tty"):
        if "TERM" not in env:
            put("TERM=xterm")
    if "HOME" not in env:
        put(f"HOME={user.home}")
    return [f"{k}={env[k]}" for k in order]


def resources(hc: dict[str, Any], privileged: bool) -> dict[str, Any]:
    res: dict[str, Any] = {"devices": mounts_default.device_cgroup_rules(privileged=privileged)}
    mem: dict[str, Any] = {}
    if hc.get("Memory"):
        mem["limit"] = int(hc["Memory"])
        swap = hc.get("MemorySwap")
        if swap in (None, 0):
            mem["swap"] = int(hc["Memory"]) * 2
        elif int(swap) > 0:
            mem["swap"] = int(swap)
        else:
            mem["swap"] = -1
    if hc.get("MemoryReservation"):
        mem["reservation"] = int(hc["MemoryReservation"])
    if hc.get("OomKillDisable"):
        mem["disableOOMKiller"] = True
    if mem:
        res["memory"] = mem
    cpu: dict[str, Any] = {}
    if hc.get("NanoCpus"):
        cpu["period"] = 100000
        cpu["quota"] = int(hc["NanoCpus"]) * 100000 // 1_000_000_000
    if hc.get("CpuQuota"):
        cpu["quota"] = int(hc["CpuQuota"])
    if hc.get("CpuPeriod"):
        cpu["period"] = int(hc["CpuPeriod"])
    if hc.get("CpuShares"):
        cpu["shares"] = int(hc["CpuShares"])
    if hc.get("CpusetCpus"):
        cpu["cpus"] = hc["CpusetCpus"]
    if hc.get("CpusetMems"):
        cpu["mems"] = hc["CpusetMems"]
    if cpu:
        res["cpu"] = cpu
    pids = hc.get("PidsLimit")
    if pids:
        res["pids"] = {"limit": int(pids) if int(pids) > 0 else -1}
    return res


def _security_opts(hc: dict[str, Any]) -> tuple[bool, str | None]:
    """(no_new_privileges, seccomp profile path | "unconfined" | None)."""
    nnp = False
    seccomp: str | None = None
    for opt in hc.get("SecurityOpt") or []:
        key, sep, value = opt.partition("=")
        if not sep:
            key, sep, value = opt.partition(":")
        if key == "no-new-privileges":
            nnp = value.lower() in ("", "true", "1")
        elif key == "seccomp":
            seccomp = value
        elif key in ("apparmor", "label"):
            continue
        else:
            raise InvalidArgument(f"invalid --security-opt: {opt!r}")
    return nnp, seccomp


def build_spec(inp: SpecInputs) -> dict[str, Any]:
    cfg, hc = inp.config, inp.host_config
    privileged = bool(hc.get("Privileged"))
    entrypoint = list(cfg.get("Entrypoint") or [])
    if entrypoint == [""]:
        entrypoint = []  # `--entrypoint ""`: the image's entrypoint is reset, nothing runs in its place
    args = entrypoint + list(cfg.get("Cmd") or [])
    if not args:
        raise InvalidArgument("No command specified")
    if hc.get("Init"):
        args = [INIT_PATH, "--"] + args
    if privileged:
        caps = sorted(capset.host_caps())
    else:
        caps = capset.tweak_caps(capset.DEFAULT_CAPS, hc.get("CapAdd") or [],
                                 hc.get("CapDrop") or [])
        if privileged is False and "CAP_" not in "".join(caps[:1] or ["CAP_"]):
            caps = [c if c.startswith("CAP_") else "CAP_" + c for c in caps]
    nnp, seccomp_opt = _security_opts(hc)
    process: dict[str, Any] = {
        "terminal": bool(cfg.get("Tty")),
        "user": {"uid": inp.user.uid, "gid": inp.user.gid},
        "args": args,
        "env": process_env(cfg, inp.hostname, inp.user),
        "cwd": cfg.get("WorkingDir") or "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": nnp,
        "oomScoreAdj": int(hc.get("OomScoreAdj") or 0),
    }
    if inp.user.additional_gids:
        process["user"]["additionalGids"] = list(inp.user.additional_gids)
    if cfg.get("Tty"):
        # The client's size at create time (HostConfig.ConsoleSize, API 1.42+), so a
        # program that asks at once sees the right size before any resize arrives.
        size = list(hc.get("ConsoleSize") or [0, 0]) + [0, 0]
        height, width = int(size[0] or 0), int(size[1] or 0)
        process["consoleSize"] = {"height": height or 24, "width": width or 80}

    mounts = mounts_default.default_mounts(
        privileged=privileged, shm_size=int(hc.get("ShmSize") or 64 * 1024 * 1024))
    bind_opts = ["rbind", "rprivate"]
    network_mode = hc.get("NetworkMode") or "default"
    host_net = network_mode == "host"
    mounts += [
        {"destination": "/etc/resolv.conf", "type": "bind", "source": inp.resolv_path,
         "options": bind_opts},
        {"destination": "/etc/hostname", "type": "bind", "source": inp.hostname_path,
         "options": bind_opts},
        {"destination": "/etc/hosts", "type": "bind", "source": inp.hosts_path,
         "options": bind_opts},
    ]
    if hc.get("Init"):
        tini = shutil.which("tini-static") or "/usr/bin/tini-static"
        if not os.path.exists(tini):
            raise InvalidArgument("--init needs tini (tini-static) installed on the host")
        mounts.append({"destination": INIT_PATH, "type": "bind", "source": tini,
                       "options": ["bind", "ro", "rprivate"]})
    for dest, opts in (hc.get("Tmpfs") or {}).items():
        options = ["nosuid", "nodev", "noexec"] + [o for o in (opts or "").split(",") if o]
        mounts.append({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                       "options": options})
    mounts += inp.extra_mounts or []
    # Mounts are applied in order; parents must come before children.
    n_defaults = len(mounts_default.default_mounts())
    defaults, rest = mounts[:n_defaults], mounts[n_defaults:]
    # A user mount replaces a default one at the same destination (e.g. --shm-size via -v).
    user_dests = {m["destination"] for m in rest}
    defaults = [m for m in defaults if m["destination"] not in user_dests]
    others = sorted(rest, key=lambda m: m["destination"].rstrip("/").count("/"))
    mounts = defaults + others

    namespaces = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    if not host_net:
        ns: dict[str, Any] = {"type": "network"}
        if inp.netns_path:
            ns["path"] = inp.netns_path
        namespaces.append(ns)
    if hc.get("PidMode") == "host":
        namespaces = [n for n in namespaces if n["type"] != "pid"]
    if hc.get("IpcMode") == "host":
        namespaces = [n for n in namespaces if n["type"] != "ipc"]
    if hc.get("UTSMode") == "host":
        namespaces = [n for n in namespaces if n["type"] != "uts"]

    linux: dict[str, Any] = {
        "namespaces": namespaces,
        "cgroupsPath": f"/{CGROUP_PARENT}/{inp.cid}",
        "resources": resources(hc, privileged),
        "devices": mounts_default.linux_devices(privileged=privileged),
    }
    sysctls = dict(hc.get("Sysctls") or {})
    if not host_net and not network_mode.startswith("container:"):
        # moby's defaults in a network namespace of the container's own (20.10+): a non-root
        # process may bind ports below 1024 and ping (ICMP sockets), unless the user says else
        sysctls.setdefault("net.ipv4.ip_unprivileged_port_start", "0")
        sysctls.setdefault("net.ipv4.ping_group_range", "0 2147483647")
    if sysctls:
        linux["sysctl"] = sysctls
    if not privileged:
        linux["maskedPaths"] = mounts_default.masked_paths()
        linux["readonlyPaths"] = mounts_default.readonly_paths()
        if seccomp_opt != "unconfined":
            from dockyard.runtime import seccomp
            if seccomp_opt:
                profile = seccomp.load_profile(seccomp_opt, set(caps))
            else:
                profile = seccomp.default_profile(frozenset(caps))
            if profile is not None:
                linux["seccomp"] = profile

    spec: dict[str, Any] = {
        "ociVersion": "1.0.2-dev",
        "process": process,
        "root": {"path": inp.rootfs, "readonly": bool(hc.get("ReadonlyRootfs"))},
        "hostname": inp.hostname if hc.get("UTSMode") != "host" else "",
        "mounts": mounts,
        "linux": linux,
    }
    if not spec["hostname"]:
        del spec["hostname"]
    return spec
