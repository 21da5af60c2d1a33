"""`docker run` through the real docker CLI: output, exit codes and the OCI config as Docker builds it."""

from __future__ import annotations

import json

import pytest

from engine_helpers import Daemon, docker


def run(d: Daemon, *args: str, timeout: float = 60):
    return docker(d, "run", "--rm", *args, timeout=timeout)


def test_foreground_output_and_exit_code(daemon: Daemon) -> None:
    r = run(daemon, "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert r.returncode == 3
    assert r.stdout == "out\n"
    assert "err\n" in r.stderr


def test_rm_removes_the_container(daemon: Daemon, name: str) -> None:
    assert run(daemon, "--name", name, "busybox", "true").returncode == 0
    r = docker(daemon, "ps", "-a", "--filter", f"name={name}", "-q")
    assert r.stdout.strip() == ""


@pytest.mark.parametrize("cmd, code, text", [
    (["nosuchcmd"], 127, "executable file not found"),
    (["/etc/passwd"], 126, "permission denied"),
])
def test_cannot_invoke_and_not_found(daemon: Daemon, cmd: list[str], code: int, text: str) -> None:
    r = run(daemon, "busybox", *cmd)
    assert r.returncode == code
    assert text in r.stderr


def test_unknown_image_is_an_engine_error(daemon: Daemon) -> None:
    r = run(daemon, "no-such-image-here")
    assert r.returncode == 125
    assert "Unable to find image 'no-such-image-here:latest' locally" in r.stderr


def test_detached_prints_the_id(daemon: Daemon, name: str) -> None:
    r = docker(daemon, "run", "-d", "--name", name, "busybox", "sleep", "30", check=True)
    cid = r.stdout.strip()
    assert len(cid) == 64
    try:
        st = json.loads(docker(daemon, "inspect", cid, check=True).stdout)[0]["State"]
        assert st["Status"] == "running" and st["Pid"] > 0
    finally:
        docker(daemon, "rm", "-f", cid)


def test_env_workdir_hostname_user(daemon: Daemon, tmp_path) -> None:
    envfile = tmp_path / "env"
    envfile.write_text("# comment\nFROMFILE=yes\n")
    r = run(daemon, "-e", "A=1", "--env-file", str(envfile), "-w", "/tmp", "-h", "box",
            "-u", "nobody", "busybox", "sh", "-c",
            'echo $A $FROMFILE $HOSTNAME $HOME; pwd; hostname; id -u; id -g; cat /etc/hostname')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "1 yes box /home"
    assert lines[1:] == ["/tmp", "box", "65534", "65534", "box"]


def test_default_environment_and_path(daemon: Daemon) -> None:
    r = run(daemon, "busybox", "env")
    env = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["HOME"] == "/root"
    assert len(env["HOSTNAME"]) == 12


def test_entrypoint_override_and_args(daemon: Daemon) -> None:
    r = run(daemon, "--entrypoint", "echo", "busybox", "a", "b")
    assert r.stdout == "a b\n"
    r = run(daemon, "--entrypoint", "", "busybox", "echo", "plain")
    assert r.stdout == "plain\n"


def test_name_conflict(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "busybox", "true", check=True)
    try:
        r = docker(daemon, "create", "--name", name, "busybox", "true")
        assert r.returncode != 0
        assert f'The container name "/{name}" is already in use by container' in r.stderr
    finally:
        docker(daemon, "rm", "-f", name)


def test_read_only_rootfs(daemon: Daemon) -> None:
    r = run(daemon, "--read-only", "busybox", "sh", "-c", "touch /x")
    assert r.returncode != 0 and "Read-only file system" in r.stderr
    assert run(daemon, "--read-only", "--tmpfs", "/tmp", "busybox", "touch", "/tmp/x").returncode == 0


def _capeff(d: Daemon, *args: str) -> int:
    r = run(d, *args, "busybox", "sh", "-c", "grep CapEff /proc/self/status")
    return int(r.stdout.split()[1], 16)


def test_capabilities(daemon: Daemon) -> None:
    default = _capeff(daemon)
    # Docker's default set: 14 capabilities (0xa80425fb)
    assert default == 0xA80425FB
    assert _capeff(daemon, "--cap-drop", "CHOWN") == default & ~1
    assert _capeff(daemon, "--cap-add", "NET_ADMIN") == default | (1 << 12)
    assert _capeff(daemon, "--cap-drop", "ALL") == 0
    r = run(daemon, "--cap-drop", "NET_RAW", "busybox", "ping", "-c1", "127.0.0.1")
    assert r.returncode != 0


def test_privileged_gets_all_host_caps_and_devices(daemon: Daemon) -> None:
    priv = _capeff(daemon, "--privileged")
    assert priv > 0xA80425FB
    r = run(daemon, "--privileged", "busybox", "sh", "-c", "ls /dev | wc -l")
    assert int(r.stdout) > 10


def test_no_new_privileges_and_seccomp(daemon: Daemon) -> None:
    r = run(daemon, "--security-opt", "no-new-privileges", "busybox", "grep", "-E",
            "NoNewPrivs|Seccomp:", "/proc/self/status")
    fields = dict(line.split(":\t") for line in r.stdout.splitlines())
    assert fields["NoNewPrivs"].strip() == "1"
    assert fields["Seccomp"].strip() == "2"  # filter mode: the default profile is loaded


def test_masked_and_readonly_proc(daemon: Daemon) -> None:
    r = run(daemon, "busybox", "sh", "-c", "cat /proc/keys | wc -c; echo 1 > /proc/sys/kernel/domainname")
    assert r.stdout.split()[0] == "0"
    assert r.returncode != 0


def test_cgroup_limits_visible_inside(daemon: Daemon) -> None:
    r = run(daemon, "-m", "64m", "--cpus", "0.5", "--pids-limit", "50", "busybox", "sh", "-c",
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
            "/sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/pids/pids.max")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(64 * 1024 * 1024), "50000", "100000", "50"]


def test_bad_flag_values(daemon: Daemon) -> None:
    r = run(daemon, "-m", "1k", "busybox", "true")
    assert r.returncode == 125 and "Minimum memory limit allowed is 6MB" in r.stderr
    r = run(daemon, "--cpus", "99", "busybox", "true")
    assert r.returncode == 125 and "Range of CPUs" in r.stderr


def test_init_runs_tini_as_pid1(daemon: Daemon) -> None:
    r = run(daemon, "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
    assert r.stdout.startswith("/sbin/docker-init -- sh")


def test_labels(daemon: Daemon, name: str) -> None:
    docker(daemon, "create", "--name", name, "--label", "a=b", "-l", "c", "busybox", "true",
           check=True)
    try:
        r = docker(daemon, "inspect", "-f", "{{json .Config.Labels}}", name, check=True)
        assert json.loads(r.stdout) == {"a": "b", "c": ""}
        r = docker(daemon, "ps", "-a", "--filter", "label=a=b", "--format", "{{.Names}}")
        assert r.stdout.split() == [name]
    finally:
        docker(daemon, "rm", "-f", name)


def test_network_none_and_host(daemon: Daemon) -> None:
    r = run(daemon, "--network", "none", "busybox", "ls", "/sys/class/net")
    assert r.stdout.split() == ["lo"]
    r = run(daemon, "--network", "host", "busybox", "ls", "/sys/class/net")
    assert len(r.stdout.split()) > 1
    import os
    r = run(daemon, "--network", "host", "busybox", "hostname")
    assert r.stdout.strip() == os.uname().nodename


def test_etc_files(daemon: Daemon) -> None:
    r = run(daemon, "-h", "myhost", "busybox", "sh", "-c", "cat /etc/hosts; cat /etc/resolv.conf")
    assert "127.0.0.1\tlocalhost" in r.stdout
    assert "nameserver" in r.stdout


def test_stdin_pipe(daemon: Daemon) -> None:
    r = docker(daemon, "run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z",
               input=b"hello\n")
    assert r.stdout == "HELLO\n"


def test_user_forms(daemon: Daemon) -> None:
    assert run(daemon, "-u", "1234:5678", "busybox", "id").stdout == "uid=1234 gid=5678\n"
    assert run(daemon, "-u", "nobody:nogroup", "busybox", "id").stdout == \
        "uid=65534(nobody) gid=65534(nogroup)\n"
    r = run(daemon, "-u", "nosuchuser", "busybox", "id")
    assert r.returncode == 125
    assert "unable to find user nosuchuser: no matching entries in passwd file" in r.stderr


def test_docker_default_sysctls_let_non_root_bind_low_ports(daemon: Daemon) -> None:
    """moby 20.10+: in a network namespace of its own a container gets
    ip_unprivileged_port_start=0 and ping_group_range="0 2147483647", unless --sysctl says
    else; with the host's network it gets nothing (the host's values show)."""
    r = docker(daemon, "run", "--rm", "--network", "none", "--user", "1000", "busybox", "sh", "-c",
               "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range;"
               " nc -l -p 80 & sleep 0.3; netstat -ltn | grep -c ':80 '", check=True)
    assert r.stdout.split() == ["0", "0", "2147483647", "1"]
    r = docker(daemon, "run", "--rm", "--network", "none", "--sysctl",
               "net.ipv4.ip_unprivileged_port_start=500", "busybox", "cat",
               "/proc/sys/net/ipv4/ip_unprivileged_port_start", check=True)
    assert r.stdout.strip() == "500"
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        host = f.read().strip()
    r = docker(daemon, "run", "--rm", "--network", "host", "busybox", "cat",
               "/proc/sys/net/ipv4/ip_unprivileged_port_start", check=True)
    assert r.stdout.strip() == host
