"""Pure helpers of the second wave of commands: no daemon needed."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from dockyard.cli.commands.containerops import port_lines
from dockyard.cli.commands.cp import split_cp_arg
from dockyard.cli.commands.events import pretty_event
from dockyard.cli.commands.network import ipam_config
from dockyard.cli.commands.registry import full_name, registry_host
from dockyard.cli.commands.stats import stats_row
from dockyard.cli.commands.systemops import df_rows
from dockyard.cli.errors import StatusError
from dockyard.cli.progress import JSONMessageError, display_plain


def test_plain_progress_lines_as_docker_prints_without_a_tty() -> None:
    out = io.StringIO()
    display_plain(out, [
        {"status": "Pulling from library/busybox", "id": "latest"},
        {"status": "Pulling fs layer", "id": "abc"},
        {"status": "Downloading", "id": "abc", "progressDetail": {"current": 5, "total": 10}, "progress": "[=>  ]"},
        {"status": "Pull complete", "id": "abc", "progressDetail": {}},
        {"aux": {"ID": "sha256:x"}},
        {"stream": "Step 1/2 : FROM x\n"},
        {"status": "Digest: sha256:1"},
    ])
    assert out.getvalue() == ("latest: Pulling from library/busybox\nabc: Pulling fs layer\nabc: Pull complete\n"
                              "Step 1/2 : FROM x\nDigest: sha256:1\n")
    with pytest.raises(JSONMessageError, match="manifest unknown"):
        display_plain(io.StringIO(), [{"errorDetail": {"message": "manifest unknown"}, "error": "manifest unknown"}])


@pytest.mark.parametrize(("arg", "expected"), [
    ("ctr:/etc", ("ctr", "/etc")), ("/abs:path", ("", "/abs:path")), ("./rel:x", ("", "./rel:x")),
    ("plain", ("", "plain")), ("ctr:", ("ctr", "")), ("-", ("", "-")),
])
def test_split_cp_arg(arg: str, expected: tuple[str, str]) -> None:
    assert split_cp_arg(arg) == expected


def test_port_lines_sorted_and_ipv6_bracketed() -> None:
    ports = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
             "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}], "443/tcp": None}
    assert port_lines(ports) == ["53/udp -> 127.0.0.1:5353", "80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080"]
    assert port_lines(ports, "80") == ["0.0.0.0:8080", "[::]:8080"]
    assert port_lines(ports, "443/tcp") == []


def test_pretty_event() -> None:
    ev = {"Type": "container", "Action": "start", "Actor": {"ID": "abc", "Attributes": {"name": "x", "image": "b"}},
          "time": 1, "timeNano": 1_000_000_005}
    line = pretty_event(ev)
    assert line.endswith(" container start abc (image=b, name=x)")
    assert ".000000005" in line.split(" ")[0]


def test_ipam_config_groups_by_subnet() -> None:
    cfg = ipam_config(["10.0.0.0/24", "10.1.0.0/24"], ["10.1.0.128/25"], ["10.0.0.1"], {"host": "10.1.0.5"})
    assert cfg == [{"Subnet": "10.0.0.0/24", "AuxiliaryAddresses": {}, "Gateway": "10.0.0.1"},
                   {"Subnet": "10.1.0.0/24", "AuxiliaryAddresses": {"host": "10.1.0.5"}, "IPRange": "10.1.0.128/25"}]
    with pytest.raises(StatusError, match="no matching subnet for gateway 10.9.0.1"):
        ipam_config(["10.0.0.0/24"], [], ["10.9.0.1"], {})
    with pytest.raises(StatusError, match="every ip-range or gateway must have a corresponding subnet"):
        ipam_config([], [], ["10.0.0.1"], {})


def test_registry_names() -> None:
    assert registry_host("busybox") == "docker.io" and registry_host("127.0.0.1:5000/x") == "127.0.0.1:5000"
    assert registry_host("localhost/x") == "localhost" and registry_host("team/x") == "docker.io"
    assert full_name("busybox:latest") == "docker.io/library/busybox:latest"
    assert full_name("team/x:1") == "docker.io/team/x:1" and full_name("r.io/x:1") == "r.io/x:1"


def test_df_rows_reclaimable_as_docker_computes() -> None:
    du = {"LayersSize": 1000, "Images": [{"Size": 600, "SharedSize": 100, "Containers": 1},
                                         {"Size": 400, "SharedSize": 100, "Containers": 0}],
          "Containers": [{"State": "running", "SizeRw": 10}, {"State": "exited", "SizeRw": 30}],
          "Volumes": [{"UsageData": {"Size": 50, "RefCount": 0}}, {"UsageData": {"Size": -1, "RefCount": 1}}],
          "BuildCache": []}
    rows = {r["Type"]: r for r in df_rows(du)}
    assert rows["Images"]["Reclaimable"] == "500B (50%)" and rows["Images"]["Active"] == "1"
    assert rows["Containers"]["Reclaimable"] == "30B (75%)" and rows["Containers"]["Size"] == "40B"
    assert rows["Local Volumes"]["Reclaimable"] == "50B (100%)" and rows["Local Volumes"]["Active"] == "1"
    assert rows["Build Cache"]["Reclaimable"] == "0B"


def test_stats_row_cpu_and_memory() -> None:
    sample = {"name": "/web", "cpu_stats": {"cpu_usage": {"total_usage": 300}, "system_cpu_usage": 2000,
                                            "online_cpus": 2},
              "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 1000},
              "memory_stats": {"usage": 2048, "limit": 4096, "stats": {"total_inactive_file": 1024}},
              "networks": {"eth0": {"rx_bytes": 1000, "tx_bytes": 0}},
              "blkio_stats": {"io_service_bytes_recursive": [{"op": "Read", "value": 10}, {"op": "write", "value": 5}]},
              "pids_stats": {"current": 3}}
    row = stats_row("web", "a" * 64, "web", sample, trunc=True)
    assert row["CPUPerc"] == "40.00%" and row["MemUsage"] == "1KiB / 4KiB" and row["MemPerc"] == "25.00%"
    assert row["NetIO"] == "1kB / 0B" and row["BlockIO"] == "10B / 5B" and row["PIDs"] == "3"
    assert row["ID"] == "a" * 12 and row["Name"] == "web"
    assert stats_row("web", "a" * 64, "web", None, trunc=False)["CPUPerc"] == "--"


def test_build_context_tar_applies_dockerignore(tmp_path: Path) -> None:
    from dockyard.cli.commands.build import make_context_tar

    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "a.log").write_text("x")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "b.log").write_text("x")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("x")
    (tmp_path / ".dockerignore").write_text("**/*.log\n!keep/b.log\nDockerfile\n")
    buf = io.BytesIO()
    size = make_context_tar(str(tmp_path), buf, keep=["Dockerfile", ".dockerignore"])
    assert size == len(buf.getvalue()) and size % 512 == 0
    with tarfile.open(fileobj=buf) as tar:
        names = tar.getnames()
    assert names == [".dockerignore", "Dockerfile", "keep", "keep/b.log", "src", "src/main.py"]
