"""``dockyard version`` and ``dockyard info`` (``system info``), laid out as docker prints them."""

from __future__ import annotations

import platform
import sys

from dockyard.cli.command import NOARGS, Command, Context
from dockyard.cli.errors import StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.flags import FlagSet, Options

__all__ = ["VERSION", "INFO"]


def _format_flags(fs: FlagSet) -> None:
    fs.add("format", "f", str, help="Format output using a custom template")


#: the fields of docker's system.Info (API 1.40 to 1.56) and what its dockerInfo adds
_INFO_FIELDS = frozenset("""Architecture BridgeNfIp6tables BridgeNfIptables CDISpecDirs CPUSet CPUShares
    CgroupDriver CgroupVersion ClusterAdvertise ClusterStore Containerd ContainerdCommit Containers
    ContainersPaused ContainersRunning ContainersStopped CpuCfsPeriod CpuCfsQuota Debug
    DefaultAddressPools DefaultRuntime DiscoveredDevices DockerRootDir Driver DriverStatus
    ExperimentalBuild FirewallBackend GenericResources HttpProxy HttpsProxy ID IPv4Forwarding Images
    IndexServerAddress InitBinary InitCommit Isolation KernelMemory KernelMemoryTCP KernelVersion Labels
    LiveRestoreEnabled LoggingDriver MemTotal MemoryLimit NCPU NEventsListener NFd NGoroutines NRI Name
    NoProxy OSType OSVersion OomKillDisable OperatingSystem PidsLimit Plugins ProductLicense
    RegistryConfig RuncCommit Runtimes SecurityOptions ServerVersion SwapLimit Swarm SystemStatus
    SystemTime Warnings ClientInfo ClientErrors ServerErrors""".split())


def _template(ctx: Context, fmt: str, data: dict[str, Any], *, name: str, go_type: str,
              go_fields: frozenset[str]) -> None:
    """``version``/``info --format``: docker runs these over its own Go types, so a field the
    type lacks is Go's error, printed as it is (status 1); only a parse error gets docker's
    prefix (and status 64)."""
    from dockyard.cli.formatter import Row
    from dockyard.cli.gotemplate import TemplateError, Template

    text = "{{json .}}" if fmt == "json" else fmt  # as given: no "table", no \t or \n replacing
    try:
        tmpl = Template(text, name=name)
    except TemplateError as exc:
        raise StatusError(64, f"template parsing error: {exc}") from exc
    try:
        ctx.print(tmpl.execute(Row(data, go_type=go_type, go_fields=go_fields)))
    except TemplateError as exc:
        ctx.print(exc.partial)  # docker prints what ran before the failure, and a newline
        raise StatusError(1, str(exc)) from exc


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _client_info(ctx: Context) -> dict[str, Any]:
    from dockyard import __version__
    from dockyard.client.api import API_VERSION

    return {"Version": __version__, "ApiVersion": API_VERSION,
            "DefaultAPIVersion": API_VERSION, "GitCommit": "", "GoVersion": f"python{platform.python_version()}",
            "Os": sys.platform, "Arch": _arch(), "BuildTime": "", "Context": "default"}


def _version(ctx: Context, opts: Options) -> int:
    client_info = _client_info(ctx)
    server: dict[str, Any] | None = None
    error = None
    try:
        server = ctx.client.version_info()
    except (OSError, ConnectionError) as exc:
        error = str(exc)
    if opts.format:
        from dockyard.cli.formatter import Row

        data: dict[str, Any] = {"Client": Row(client_info, go_type="system.clientVersion"),
                                "Server": None}
        if server is not None:  # docker re-encodes through its types.Version: omitempty fields
            data["Server"] = Row({k: v for k, v in server.items() if v or k not in (
                "BuildTime", "KernelVersion", "Experimental", "Components")}, go_type="*types.Version")
        _template(ctx, opts.format, data, name="version",
                  go_type="system.versionInfo", go_fields=frozenset({"Client", "Server"}))
        return 1 if error else 0
    c = client_info
    lines = ["Client:", f" Version:           {c['Version']}", f" API version:       {c['ApiVersion']}",
             f" Go version:        {c['GoVersion']}", f" Git commit:        {c['GitCommit']}",
             f" Built:             {c['BuildTime']}", f" OS/Arch:           {c['Os']}/{c['Arch']}",
             f" Context:           {c['Context']}"]
    if server is not None:
        lines += ["", f"Server: {(server.get('Platform') or {}).get('Name', '')}".rstrip()]
        for comp in server.get("Components") or ():
            details = comp.get("Details") or {}
            lines.append(f" {comp.get('Name')}:")
            lines.append(f"  Version:          {comp.get('Version', '')}")
            if comp.get("Name") == "Engine":
                lines += [f"  API version:      {details.get('ApiVersion', '')} (minimum version {details.get('MinAPIVersion', '')})",
                          f"  Go version:       {details.get('GoVersion', '')}",
                          f"  Git commit:       {details.get('GitCommit', '')}",
                          f"  Built:            {details.get('BuildTime', '')}",
                          f"  OS/Arch:          {details.get('Os', '')}/{details.get('Arch', '')}",
                          f"  Experimental:     {details.get('Experimental', 'false')}"]
            else:
                for key, value in details.items():
                    lines.append(f"  {key + ':':<17} {value}")
    ctx.print("\n".join(lines))
    if error:
        raise StatusError(1, error)
    return 0


VERSION = Command("version", "[OPTIONS]", "Show the Docker version information", run=_version,
                  flags=_format_flags, args=NOARGS)


def _info(ctx: Context, opts: Options) -> int:
    from dockyard.cli.units import bytes_size

    info = ctx.client.info()
    if opts.format:
        _template(ctx, opts.format, info, name="", go_type="system.dockerInfo",
                  go_fields=_INFO_FIELDS)
        return 0
    from dockyard import __version__

    lines = ["Client:", f" Version:    {__version__}", " Context:    default", " Debug Mode: false", "",
             "Server:",
             f" Containers: {info.get('Containers', 0)}", f"  Running: {info.get('ContainersRunning', 0)}",
             f"  Paused: {info.get('ContainersPaused', 0)}", f"  Stopped: {info.get('ContainersStopped', 0)}",
             f" Images: {info.get('Images', 0)}", f" Server Version: {info.get('ServerVersion', '')}",
             f" Storage Driver: {info.get('Driver', '')}"]
    lines += [f"  {k}: {v}" for k, v in info.get("DriverStatus") or ()]
    lines += [f" Logging Driver: {info.get('LoggingDriver', '')}", f" Cgroup Driver: {info.get('CgroupDriver', '')}",
              f" Cgroup Version: {info.get('CgroupVersion', '')}", " Plugins:"]
    for kind in ("Volume", "Network", "Log"):
        lines.append(f"  {kind}: {' '.join((info.get('Plugins') or {}).get(kind) or ())}")
    lines += [f" Swarm: {(info.get('Swarm') or {}).get('LocalNodeState', 'inactive')}",
              f" Runtimes: {' '.join(sorted(info.get('Runtimes') or {}))}",
              f" Default Runtime: {info.get('DefaultRuntime', '')}",
              f" Kernel Version: {info.get('KernelVersion', '')}",
              f" Operating System: {info.get('OperatingSystem', '')}", f" OSType: {info.get('OSType', '')}",
              f" Architecture: {info.get('Architecture', '')}", f" CPUs: {info.get('NCPU', 0)}",
              f" Total Memory: {bytes_size(info.get('MemTotal') or 0)}", f" Name: {info.get('Name', '')}",
              f" ID: {info.get('ID', '')}", f" Docker Root Dir: {info.get('DockerRootDir', '')}",
              f" Debug Mode: {str(bool(info.get('Debug'))).lower()}",
              f" Experimental: {str(bool(info.get('ExperimentalBuild'))).lower()}",
              f" Live Restore Enabled: {str(bool(info.get('LiveRestoreEnabled'))).lower()}"]
    ctx.print("\n".join(lines))
    for warning in info.get("Warnings") or ():
        ctx.warn(warning)
    return 0


INFO = Command("info", "[OPTIONS]", "Display system-wide information", run=_info, flags=_format_flags, args=NOARGS)
