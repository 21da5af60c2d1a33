"""``run``/``create`` flags → the ``POST /containers/create`` body (``Config`` + ``HostConfig``).

Field names are the Engine API's (``Config.Env``, ``HostConfig.Binds``) so this reads next
to the swagger. What is validated here is what docker validates client-side (port specs,
restart policies, ``--rm`` with ``--restart``, env files); everything else is the daemon's.
"""

from __future__ import annotations

import os

from dockyard.cli.units import parse_bytes, parse_cpus
from dockyard.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["add_create_flags", "build_create_body", "parse_ports", "parse_restart", "read_env_file",
           "read_label_file"]


def _bytes_or_minus_one(text: str) -> int:
    return -1 if text == "-1" else parse_bytes(text)


def add_create_flags(fs: FlagSet) -> None:
    """The flags ``create`` and ``run`` share (docker's addFlags in container/opts.go)."""
    a = fs.add
    a("name", None, str, help="Assign a name to the container")
    a("env", "e", list, help="Set environment variables")
    a("env-file", None, list, help="Read in a file of environment variables")
    a("workdir", "w", str, help="Working directory inside the container")
    a("user", "u", str, help="Username or UID (format: <name|uid>[:<group|gid>])")
    a("entrypoint", None, str, help="Overwrite the default ENTRYPOINT of the image")
    a("hostname", "h", str, help="Container host name")
    a("interactive", "i", bool, help="Keep STDIN open even if not attached")
    a("tty", "t", bool, help="Allocate a pseudo-TTY")
    a("read-only", None, bool, help="Mount the container's root filesystem as read only")
    a("cap-add", None, list, help="Add Linux capabilities")
    a("cap-drop", None, list, help="Drop Linux capabilities")
    a("privileged", None, bool, help="Give extended privileges to this container")
    a("security-opt", None, list, help="Security Options")
    a("memory", "m", str, convert=parse_bytes, type_name="bytes", help="Memory limit")
    a("memory-swap", None, str, convert=_bytes_or_minus_one, type_name="bytes",
      help="Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    a("cpus", None, str, convert=parse_cpus, type_name="decimal", help="Number of CPUs")
    a("pids-limit", None, int, help="Tune container pids limit (set -1 for unlimited)")
    a("label", "l", list, help="Set meta data on a container")
    a("label-file", None, list, help="Read in a line delimited file of labels")
    a("log-driver", None, str, help="Logging driver for the container")
    a("log-opt", None, list, help="Log driver options")
    a("init", None, bool, help="Run an init inside the container that forwards signals and reaps processes")
    a("stop-signal", None, str, help="Signal to stop the container")
    a("stop-timeout", None, int, help="Timeout (in seconds) to stop a container")
    a("network", None, str, help="Connect a container to a network")
    a("net", None, str, hidden=True, dest="network")
    a("restart", None, str, default="no", help="Restart policy to apply when a container exits")
    a("tmpfs", None, list, help="Mount a tmpfs directory")
    a("volume", "v", list, help="Bind mount a volume")
    a("publish", "p", list, help="Publish a container's port(s) to the host")
    a("expose", None, list, help="Expose a port or a range of ports")
    a("add-host", None, list, help="Add a custom host-to-IP mapping (host:ip)")
    a("dns", None, list, help="Set custom DNS servers")
    a("shm-size", None, str, convert=parse_bytes, type_name="bytes", help="Size of /dev/shm")
    a("rm", None, bool, help="Automatically remove the container and its associated anonymous volumes when it exits")
    a("platform", None, str, help="Set platform if server is multi-platform capable")
    a("pull", None, str, default="missing", help='Pull image before running ("always", "missing", "never")')
    a("quiet", "q", bool, help="Suppress the pull output")


# --- parsers docker runs client-side ------------------------------------------------------------

def _env_from_os(item: str) -> str:
    """``-e NAME`` takes NAME from the CLI's own environment; unset stays bare (the daemon drops it)."""
    if "=" in item:
        return item
    value = os.environ.get(item)
    return f"{item}={value}" if value is not None else item


def _read_lines(path: str, what: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise InvalidArgument(f"open {path}: {exc.strerror.lower() if exc.strerror else exc}") from exc
    out = []
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        out.append(line)
    return out


def read_env_file(path: str) -> list[str]:
    """docker's ParseEnvFile: ``K=V`` lines (no quote processing), bare ``K`` from our env."""
    out = []
    for line in _read_lines(path, "env"):
        name, sep, _ = line.partition("=")
        if not name.strip():
            raise InvalidArgument(f"invalid environment variable: {line}")
        if " " in name:
            raise InvalidArgument(f"variable '{name}' contains whitespaces")
        if sep:
            out.append(line)
        elif line in os.environ:
            out.append(f"{line}={os.environ[line]}")
    return out


def read_label_file(path: str) -> list[str]:
    return _read_lines(path, "label")


def _labels(items: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid label format: {item!r}")
        labels[key] = value
    return labels


def parse_restart(text: str) -> dict[str, Any]:
    """``name[:N]`` → ``HostConfig.RestartPolicy``. As docker's ParseRestartPolicy, only the
    form is checked here; the daemon judges the name and the count."""
    if not text:
        return {"Name": "no", "MaximumRetryCount": 0}
    name, sep, count = text.partition(":")
    if sep and not name:
        raise InvalidArgument("invalid restart policy format: no policy provided before colon")
    retries = 0
    if sep and count:
        try:
            retries = int(count)
        except ValueError:
            raise InvalidArgument("invalid restart policy format: maximum retry count must be an integer") from None
    return {"Name": name, "MaximumRetryCount": retries}


def _uint16(text: str) -> int:
    """Go's strconv.ParseUint(text, 10, 16), with its error texts."""
    if not text or not text.isdigit() or not text.isascii():
        raise ValueError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    value = int(text)
    if value > 65535:
        raise ValueError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return value


def _log_config(driver: str, items: list[str]) -> dict[str, Any]:
    """``--log-driver``/``--log-opt k=v``: docker's parseLoggingOpts (the daemon checks the rest)."""
    if driver == "none" and items:
        raise InvalidArgument(f"invalid logging opts for driver {driver}")
    options = {}
    for item in items:
        key, _, value = item.partition("=")
        options[key] = value
    return {"Type": driver or "", "Config": options}


def _port_range(text: str) -> list[int]:
    """docker's nat.ParsePortRange: ``80`` or ``8000-8010``; ValueError with its text."""
    if not text:
        return []
    lo, sep, hi = text.partition("-")
    start = _uint16(lo)
    end = _uint16(hi) if sep else start
    if end < start:
        raise ValueError(f"invalid range specified for port: {text}")
    return list(range(start, end + 1))


def _ports_of(text: str, what: str) -> list[int]:
    """A ``-p`` part: any error is docker's ``invalid containerPort: x``/``invalid hostPort: x``."""
    try:
        return _port_range(text)
    except ValueError:
        raise InvalidArgument(f"invalid {what}: {text}") from None


def parse_ports(specs: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, str]]]]:
    """docker's nat.ParsePortSpecs: ``[ip:][hostPort:]containerPort[/proto]`` (ranges allowed)
    → (``Config.ExposedPorts``, ``HostConfig.PortBindings``)."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        body, _, proto = spec.partition("/")
        proto = proto or "tcp"
        if proto not in ("tcp", "udp", "sctp"):
            raise InvalidArgument(f"invalid proto: {proto}")
        if body.startswith("["):  # [::1]:80:80
            ip, _, rest = body[1:].partition("]")
            parts = [ip, *rest.lstrip(":").split(":")]
        else:
            parts = body.split(":")
        if len(parts) == 1:
            ip, host, container = "", "", parts[0]
        elif len(parts) == 2:
            ip, (host, container) = "", parts
        elif len(parts) == 3:
            ip, host, container = parts
        else:
            raise InvalidArgument(f"invalid port specification: {spec!r}")
        if not container:
            raise InvalidArgument(f"no port specified: {spec}<empty>")
        cports = _ports_of(container, "containerPort")
        hports = _ports_of(host, "hostPort")
        if hports and len(hports) != len(cports) and len(hports) != 1:
            raise InvalidArgument(f"invalid ranges specified for container and host Ports: {container} and {host}")
        for i, cport in enumerate(cports):
            key = f"{cport}/{proto}"
            exposed[key] = {}
            hp = "" if not hports else str(hports[i] if len(hports) == len(cports) else hports[0])
            if len(hports) > 1 and len(hports) != len(cports):
                hp = f"{hports[0]}-{hports[-1]}"
            bindings.setdefault(key, []).append({"HostIp": ip, "HostPort": hp})
    return exposed, bindings


def _tmpfs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        path, _, options = item.partition(":")
        out[path] = options
    return out


# --- the body ------------------------------------------------------------------------------------

def build_create_body(opts: Options, *, attach: bool) -> tuple[dict[str, Any], str]:
    """(the create body, the image name) from parsed ``run``/``create`` flags.

    ``attach`` is a foreground ``run`` (or ``create -i``-like intent): stdout/stderr are
    attached, and stdin with ``-i`` (``StdinOnce``: the stream closes when our stdin does).
    """
    image, *command = opts.args
    if opts.rm and opts.restart not in ("", "no"):
        raise InvalidArgument("conflicting options: cannot specify both --restart and --rm")
    env: list[str] = []
    for path in opts.env_file:
        env += read_env_file(path)
    env += [_env_from_os(e) for e in opts.env]
    label_items: list[str] = []
    for path in opts.label_file:
        label_items += read_label_file(path)
    label_items += opts.label
    exposed, bindings = parse_ports(opts.publish)
    for item in opts.expose:
        port, _, proto = item.partition("/")
        try:
            ports = _port_range(port)
        except ValueError as exc:
            raise InvalidArgument(f"invalid range format for --expose: {port}, error: {exc}") from None
        for p in ports:
            exposed[f"{p}/{proto or 'tcp'}"] = {}
    entrypoint: list[str] | None = None
    if opts.entrypoint:
        entrypoint = [opts.entrypoint]
    elif opts.is_set("entrypoint"):
        entrypoint = [""]
    stdin = bool(opts.interactive)
    config: dict[str, Any] = {
        "Hostname": opts.hostname,
        "Domainname": "",
        "User": opts.user,
        "AttachStdin": attach and stdin,
        "AttachStdout": attach,
        "AttachStderr": attach,
        "ExposedPorts": exposed or None,
        "Tty": bool(opts.tty),
        "OpenStdin": stdin,
        "StdinOnce": attach and stdin,
        "Env": env,
        "Cmd": command or None,
        "Image": image,
        "Volumes": None,
        "WorkingDir": opts.workdir,
        "Entrypoint": entrypoint,
        "Labels": _labels(label_items),
    }
    if opts.stop_signal:
        config["StopSignal"] = opts.stop_signal
    if opts.is_set("stop-timeout"):
        config["StopTimeout"] = opts.stop_timeout
    host: dict[str, Any] = {
        "Binds": opts.volume or None,
        "NetworkMode": opts.network or "default",
        "PortBindings": bindings or None,
        "RestartPolicy": parse_restart(opts.restart),
        "LogConfig": _log_config(opts.log_driver, opts.log_opt),
        "AutoRemove": bool(opts.rm),
        "CapAdd": opts.cap_add or None,
        "CapDrop": opts.cap_drop or None,
        "Dns": opts.dns,
        "ExtraHosts": opts.add_host or None,
        "Privileged": bool(opts.privileged),
        "ReadonlyRootfs": bool(opts.read_only),
        "SecurityOpt": opts.security_opt or None,
        "Tmpfs": _tmpfs(opts.tmpfs) or None,
        "Memory": opts.memory or 0,
        "MemorySwap": opts.memory_swap or 0,
        "NanoCpus": opts.cpus or 0,
    }
    if opts.is_set("pids-limit"):
        host["PidsLimit"] = opts.pids_limit
    if opts.is_set("init"):
        host["Init"] = bool(opts.init)
    if opts.is_set("shm-size"):
        host["ShmSize"] = opts.shm_size
    config["HostConfig"] = host
    return config, image
