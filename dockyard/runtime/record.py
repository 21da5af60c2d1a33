"""A container's record: Docker's ``inspect`` shape, built at create and kept in SQLite.

Why store the inspect shape itself: ``docker inspect``, ``ps`` and the SDK read these
fields verbatim, so the record *is* the answer (dockyard's private bookkeeping lives under
``_dy`` and is stripped before it leaves the daemon).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from dockyard.oci.image import rfc3339

__all__ = ["new_record", "merge_image_config", "public", "summary", "ZERO_TIME", "state_text"]

ZERO_TIME = "0001-01-01T00:00:00Z"

_HOST_CONFIG_DEFAULTS: dict[str, Any] = {
    "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "json-file", "Config": {}},
    "NetworkMode": "default", "PortBindings": {}, "RestartPolicy": {"Name": "no",
                                                                     "MaximumRetryCount": 0},
    "AutoRemove": False, "VolumeDriver": "", "VolumesFrom": None, "CapAdd": None,
    "CapDrop": None, "CgroupnsMode": "host", "Dns": [], "DnsOptions": [], "DnsSearch": [],
    "ExtraHosts": None, "GroupAdd": None, "IpcMode": "private", "Cgroup": "", "Links": None,
    "OomScoreAdj": 0, "PidMode": "", "Privileged": False, "PublishAllPorts": False,
    "ReadonlyRootfs": False, "SecurityOpt": None, "UTSMode": "", "UsernsMode": "",
    "ShmSize": 67108864, "Runtime": "runc", "ConsoleSize": [0, 0], "Isolation": "",
    "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0,
    "BlkioWeightDevice": [], "BlkioDeviceReadBps": None, "BlkioDeviceWriteBps": None,
    "BlkioDeviceReadIOps": None, "BlkioDeviceWriteIOps": None, "CpuPeriod": 0, "CpuQuota": 0,
    "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "",
    "Devices": [], "DeviceCgroupRules": None, "DeviceRequests": None, "KernelMemory": 0,
    "KernelMemoryTCP": 0, "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": None,
    "OomKillDisable": False, "PidsLimit": None, "Ulimits": None, "CpuCount": 0,
    "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0, "MaskedPaths": None,
    "ReadonlyPaths": None, "Init": None, "Mounts": None, "Tmpfs": None, "Sysctls": None,
}


def merge_image_config(cfg: dict[str, Any], image_cfg: dict[str, Any]) -> dict[str, Any]:
    """Docker's merge of a container's Config over its image's config (daemon.merge)."""
    out = copy.deepcopy(cfg)
    img = image_cfg or {}
    if not out.get("User"):
        out["User"] = img.get("User") or ""
    env = list(img.get("Env") or [])
    keys = {e.split("=", 1)[0]: i for i, e in enumerate(env)}
    for e in out.get("Env") or []:
        k = e.split("=", 1)[0]
        if "=" not in e:
            continue  # "-e FOO" with FOO unset on the client: nothing to add
        if k in keys:
            env[keys[k]] = e
        else:
            keys[k] = len(env)
            env.append(e)
    out["Env"] = env
    labels = dict(img.get("Labels") or {})
    labels.update(out.get("Labels") or {})
    out["Labels"] = labels
    # ENTRYPOINT/CMD (moby's merge): with no Entrypoint of its own, a container takes the
    # image's Cmd when it has none, and the image's Entrypoint unless it set one to [] (an
    # explicit ``--entrypoint ""``). A container Entrypoint never inherits the image's Cmd.
    if not out.get("Entrypoint"):
        if not out.get("Cmd"):
            out["Cmd"] = img.get("Cmd")
        if out.get("Entrypoint") is None:
            out["Entrypoint"] = img.get("Entrypoint")
    if not out.get("WorkingDir"):
        out["WorkingDir"] = img.get("WorkingDir") or ""
    if not out.get("ExposedPorts") and img.get("ExposedPorts"):
        out["ExposedPorts"] = img["ExposedPorts"]
    elif img.get("ExposedPorts"):
        merged = dict(img["ExposedPorts"])
        merged.update(out["ExposedPorts"])
        out["ExposedPorts"] = merged
    vols = dict(img.get("Volumes") or {})
    vols.update(out.get("Volumes") or {})
    out["Volumes"] = vols or None
    if not out.get("StopSignal") and img.get("StopSignal"):
        out["StopSignal"] = img["StopSignal"]
    if out.get("Healthcheck") is None and img.get("Healthcheck"):
        out["Healthcheck"] = img["Healthcheck"]
    if out.get("OnBuild") is None:
        out["OnBuild"] = img.get("OnBuild")
    if not out.get("Shell") and img.get("Shell"):
        out["Shell"] = img["Shell"]
    return out


def new_record(*, cid: str, name: str, image_id: str, image_ref: str, config: dict[str, Any],
               host_config: dict[str, Any], paths: dict[str, str], chain: str | None,
               network_settings: dict[str, Any]) -> dict[str, Any]:
    hc = dict(_HOST_CONFIG_DEFAULTS)
    hc.update({k: v for k, v in host_config.items() if v is not None or k not in hc})
    if not hc.get("NetworkMode"):
        hc["NetworkMode"] = "default"
    if not hc.get("LogConfig") or not hc["LogConfig"].get("Type"):
        hc["LogConfig"] = {"Type": "json-file", "Config": {}}
    if not hc.get("RestartPolicy") or not hc["RestartPolicy"].get("Name"):
        hc["RestartPolicy"] = {"Name": "no", "MaximumRetryCount": 0}
    args = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    now = time.time()
    config = dict(config)
    config["Image"] = image_ref
    return {
        "Id": cid,
        "Created": rfc3339(now),
        "Path": args[0] if args else "",
        "Args": args[1:],
        "State": {
            "Status": "created", "Running": False, "Paused": False, "Restarting": False,
            "OOMKilled": False, "Dead": False, "Pid": 0, "ExitCode": 0, "Error": "",
            "StartedAt": ZERO_TIME, "FinishedAt": ZERO_TIME,
        },
        "Image": image_id,
        "ResolvConfPath": paths["resolv"],
        "HostnamePath": paths["hostname"],
        "HostsPath": paths["hosts"],
        "LogPath": paths["log"],
        "Name": "/" + name,
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": hc,
        "GraphDriver": {"Name": "overlay2", "Data": {
            "LowerDir": paths.get("lower", ""), "UpperDir": paths["upper"],
            "WorkDir": paths["work"], "MergedDir": paths["merged"]}},
        "Mounts": [],
        "Config": config,
        "NetworkSettings": network_settings,
        "_dy": {"chain": chain, "created_ts": now, "dir": paths["dir"]},
    }


def public(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k != "_dy"}
    return copy.deepcopy(out)


def state_text(state: dict[str, Any], now: float | None = None) -> str:
    """The STATUS column of ``docker ps``: "Up 2 minutes", "Exited (0) 3 seconds ago"."""
    from dockyard.oci.image import parse_rfc3339
    now = now or time.time()
    status = state.get("Status")
    if status == "running" or status == "paused":
        started = parse_rfc3339(state.get("StartedAt", ""))
        text = "Up " + _human(now - started)
        if state.get("Paused"):
            text += " (Paused)"
        health = (state.get("Health") or {}).get("Status")
        if health == "starting":
            text += " (health: starting)"
        elif health in ("healthy", "unhealthy"):
            text += f" ({health})"
        return text
    if status == "restarting":
        finished = parse_rfc3339(state.get("FinishedAt", ""))
        return f"Restarting ({state.get('ExitCode', 0)}) {_human(now - finished)} ago"
    if status == "exited":
        finished = parse_rfc3339(state.get("FinishedAt", ""))
        if finished <= 0:
            return f"Exited ({state.get('ExitCode', 0)})"
        return f"Exited ({state.get('ExitCode', 0)}) {_human(now - finished)} ago"
    if status == "removing":
        return "Removal In Progress"
    if status == "dead":
        return "Dead"
    return "Created"


def _human(seconds: float) -> str:
    try:
        from dockyard.cli.units import human_duration
        return human_duration(seconds)
    except ImportError:  # pragma: no cover - units lands with the CLI
        s = int(seconds)
        if s < 1:
            return "Less than a second"
        if s < 60:
            return f"{s} seconds"
        return f"{s // 60} minutes"


def summary(rec: dict[str, Any], image_name: str) -> dict[str, Any]:
    """An entry of ``GET /containers/json``."""
    from dockyard.oci.image import parse_rfc3339
    cfg = rec["Config"]
    # moby's list.go: arguments with a space are shown in single quotes
    args = [f"'{a}'" if " " in a else a for a in rec["Args"]]
    cmd = " ".join([rec["Path"]] + args) if rec["Path"] else ""
    hc = rec["HostConfig"]
    ports = []
    for key, binds in ((rec.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, proto = key.partition("/")
        if not binds:
            ports.append({"PrivatePort": int(port), "Type": proto or "tcp"})
            continue
        for b in binds:
            ports.append({"IP": b.get("HostIp") or "0.0.0.0", "PrivatePort": int(port),
                          "PublicPort": int(b.get("HostPort") or 0), "Type": proto or "tcp"})
    return {
        "Id": rec["Id"],
        "Names": [rec["Name"]],
        "Image": image_name,
        "ImageID": rec["Image"],
        "Command": cmd,
        "Created": int(parse_rfc3339(rec["Created"])),
        "Ports": ports,
        "Labels": cfg.get("Labels") or {},
        "State": rec["State"]["Status"],
        "Status": state_text(rec["State"]),
        "HostConfig": {"NetworkMode": hc.get("NetworkMode", "default")},
        "NetworkSettings": {"Networks": (rec.get("NetworkSettings") or {}).get("Networks") or {}},
        "Mounts": rec.get("Mounts") or [],
    }
