"""The real docker-compose (1.29, Debian's) against dockyardd, unchanged: a project with a
build, a named volume shared by two services, a published port, a healthcheck, DNS by
service name on the project's network, ``depends_on``, ``exec``, ``run --rm``, ``logs``,
``--scale``, and ``down -v`` removing everything it made."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from engine_helpers import Daemon, docker
from net_helpers import http_get

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(shutil.which("docker-compose") is None,
                                 reason="docker-compose is not installed (scripts/setup.sh installs it)")]

COMPOSE = """\
version: "3.8"
services:
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    volumes: ["data:/www"]
    ports: ["127.0.0.1:{port}:8080"]
    environment: ["GREETING={token}"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://localhost:8080/"]
      interval: 1s
  client:
    image: busybox
    depends_on: [web]
    stop_grace_period: 1s
    command: ["sh", "-c", "echo {token} > /www/index.html; until wget -q -O- http://web:8080/; do sleep 0.2; done; sleep 300"]
    volumes: ["data:/www"]
  built:
    build: ./b
    command: ["cat", "/built"]
volumes:
  data: {{}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_docker_compose_v1_project(daemon: Daemon, name: str, tmp_path: Path) -> None:
    project = "cv1" + name.split("-")[0].lstrip("t") + name.split("-")[1]  # short: ps wraps
    port = _free_port()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text(f"FROM busybox\nRUN echo built-{project} > /built\n")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE.format(port=port, token=project))

    def compose(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(["docker-compose", "-p", project, "--no-ansi", *args], cwd=tmp_path,
                           env=dict(daemon.env), stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=180)
        if check:
            assert r.returncode == 0, f"docker-compose {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
        return r

    try:
        compose("up", "-d")
        assert http_get(f"http://127.0.0.1:{port}/", timeout=30).strip() == project
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = json.loads(docker(daemon, "inspect", f"{project}_web_1", check=True).stdout)[0]["State"]
            if (state.get("Health") or {}).get("Status") == "healthy":
                break
            time.sleep(0.3)
        assert state["Health"]["Status"] == "healthy", state
        logs = compose("logs", "--no-color", "client", "built").stdout
        assert project in logs and f"built-{project}" in logs  # DNS by service name, the build
        assert compose("exec", "-T", "web", "sh", "-c", "echo $GREETING").stdout.strip() == project
        assert compose("run", "--rm", "-T", "client", "cat", "/www/index.html").stdout.strip() == project
        compose("up", "-d", "--scale", "client=2")
        ps = docker(daemon, "ps", "--filter", f"label=com.docker.compose.project={project}",
                    "--format", "{{.Names}} {{.Status}}", check=True).stdout
        assert f"{project}_client_2 Up" in ps and "(healthy)" in ps, ps
        assert set(compose("ps", "--services").stdout.split()) == {"web", "client", "built"}
        compose("restart", "web")
        assert http_get(f"http://127.0.0.1:{port}/", timeout=30).strip() == project
    finally:
        compose("down", "-v", "--rmi", "local", check=False)
    label = f"label=com.docker.compose.project={project}"
    assert docker(daemon, "ps", "-aq", "--filter", label, check=True).stdout == ""
    assert docker(daemon, "volume", "ls", "-q", "--filter", label, check=True).stdout == ""
    assert docker(daemon, "network", "ls", "-q", "--filter", label, check=True).stdout == ""
    assert f"{project}_built" not in docker(daemon, "images", check=True).stdout


COMPOSE_24 = """\
version: "2.4"
services:
  db:
    image: busybox
    command: ["sh", "-c", "echo db-up; exec httpd -f -p 5432 -h /tmp"]
    networks:
      back:
        aliases: [database]
        ipv4_address: {ip}
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://localhost:5432/ || test -d /tmp"]
      interval: 1s
    ulimits:
      nofile: {{soft: 1024, hard: 2048}}
    sysctls: {{net.ipv4.tcp_syncookies: "0"}}
    tmpfs: [/run/x:size=1m]
    extra_hosts: ["myhost:10.1.2.3"]
    logging:
      driver: json-file
      options: {{max-size: "1m", max-file: "2"}}
    mem_limit: 64m
    stop_grace_period: 1s
  app:
    image: busybox
    depends_on:
      db: {{condition: service_healthy}}
    command: ["sh", "-c", "wget -q -O- http://database:5432/ >/dev/null 2>&1; echo app-$$APPVAR; ulimit -n; sleep 300"]
    networks: [back]
    env_file: [app.env]
    user: "1000:1000"
    read_only: true
    init: true
    stop_grace_period: 1s
networks:
  back:
    ipam:
      config: [{{subnet: {subnet}}}]
"""


def test_docker_compose_v1_file_format_2_4(daemon: Daemon, name: str, tmp_path: Path) -> None:
    """The 2.x format's engine options reach the containers: a static address and an alias
    on a project network with its own subnet, ``service_healthy``, ulimits, sysctls, tmpfs,
    extra hosts, logging options, memory limit, env_file, user, read-only, init."""
    project = "cv2" + name.split("-")[0].lstrip("t") + name.split("-")[1]
    third = 100 + int(name.split("-")[1]) % 100  # a /24 of the project's own in 10.123.x
    subnet, ip = f"10.123.{third}.0/24", f"10.123.{third}.10"
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_24.format(subnet=subnet, ip=ip))
    (tmp_path / "app.env").write_text("APPVAR=from-env-file\n")

    def compose(*args: str) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(["docker-compose", "-p", project, "--no-ansi", *args], cwd=tmp_path,
                           env=dict(daemon.env), stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=180)
        assert r.returncode == 0, f"docker-compose {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
        return r

    try:
        compose("up", "-d")  # returns once db is healthy and app started
        db = json.loads(docker(daemon, "inspect", f"{project}_db_1", check=True).stdout)[0]
        assert db["State"]["Health"]["Status"] == "healthy"
        net = db["NetworkSettings"]["Networks"][f"{project}_back"]
        assert net["IPAddress"] == ip and "database" in net["Aliases"]
        hc = db["HostConfig"]
        assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
        assert hc["Memory"] == 64 * 1024 * 1024 and hc["ExtraHosts"] == ["myhost:10.1.2.3"]
        assert hc["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}
        inside = docker(daemon, "exec", f"{project}_db_1", "sh", "-c",
                        "cat /proc/sys/net/ipv4/tcp_syncookies; grep myhost /etc/hosts; "
                        "mount | grep -c ' /run/x '", check=True).stdout.split()
        assert inside == ["0", "10.1.2.3", "myhost", "1"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "app-from-env-file" not in compose("logs", "--no-color", "app").stdout:
            time.sleep(0.3)
        logs = compose("logs", "--no-color", "app").stdout
        assert "app-from-env-file" in logs
        app = docker(daemon, "exec", f"{project}_app_1", "sh", "-c",
                     "id -u; touch /x 2>/dev/null || echo ro; cat /proc/1/comm", check=True).stdout.split()
        assert app == ["1000", "ro", "docker-init"]
    finally:
        subprocess.run(["docker-compose", "-p", project, "down", "-v"], cwd=tmp_path,
                       env=dict(daemon.env), capture_output=True, timeout=120)
    assert docker(daemon, "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}",
                  check=True).stdout == ""
