"""``dockyard build``: the classic builder's client, compared with ``DOCKER_BUILDKIT=0 docker build``.

Covers tags, -f (inside, outside the context, ``-``), stdin contexts (tar and bare
Dockerfile), --build-arg (with and without a value), --label, --target, --no-cache, --pull,
-q, --iidfile, --network, --progress, client-side .dockerignore, and failures (message on
stderr, the step's exit code as ours).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path


from build_helpers import cleanup, docker_build  # noqa: F401
from engine_helpers import VENV_BIN, Daemon, docker, dockyard


def _build(d: Daemon, *args: str, cwd: Path, input: bytes | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    raw = subprocess.run([str(VENV_BIN / "dockyard"), "build", *args], env={**d.env, **(env or {})}, cwd=cwd,
                         input=input, capture_output=True, timeout=240,
                         stdin=None if input is not None else subprocess.DEVNULL)
    return subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode(errors="replace"),
                                       raw.stderr.decode(errors="replace"))


def _ctx(tmp_path: Path, dockerfile: str, **files: str) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(dockerfile)
    for rel, text in files.items():
        p = ctx / rel.replace("__", "/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return ctx


def _steps(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("Step ") or ln.startswith("Successfully tagged")]


def test_build_tags_args_labels_iidfile(daemon: Daemon, cleanup, tmp_path: Path, name: str) -> None:  # noqa: F811
    ctx = _ctx(tmp_path, "FROM busybox\nARG WHO=nobody\nARG FROM_ENV\nCOPY hello /hello\n"
                         "RUN echo \"hi $WHO $FROM_ENV\" > /greet\nCMD [\"cat\", \"/greet\"]\n", hello="world\n")
    iid = tmp_path / "iid"
    iid.write_text("stale")
    r = _build(daemon, "-t", f"{name}:1", "-t", f"{name}:2", "--build-arg", "WHO=cli", "--build-arg", "FROM_ENV",
               "--label", "via=cli", "--iidfile", str(iid), "--network", "none", "--progress", "plain", ".",
               cwd=ctx, env={"FROM_ENV": "env"})
    cleanup.extend([f"{name}:1", f"{name}:2"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("Sending build context to Docker daemon  ")
    assert "Step 7/7 : LABEL via=cli" in r.stdout
    assert f"Successfully tagged {name}:1\nSuccessfully tagged {name}:2\n" in r.stdout
    image_id = iid.read_text()
    assert image_id.startswith("sha256:") and f"Successfully built {image_id[7:19]}" in r.stdout
    assert dockyard(daemon, "run", "--rm", f"{name}:2", check=True).stdout == "hi cli env\n"
    ref = docker_build(daemon, "-t", f"{name}:ref", "--build-arg", "WHO=cli", "--build-arg", "FROM_ENV=env",
                       "--label", "via=cli", "--network", "none", ".", cwd=ctx)
    cleanup.append(f"{name}:ref")
    assert _steps(r.stdout)[:-2] == _steps(ref.stdout)[:-1]
    assert r.stdout.splitlines()[0] == ref.stdout.splitlines()[0]  # same context size: same tar


def test_dockerignore_applied_client_side(daemon: Daemon, cleanup, tmp_path: Path, name: str) -> None:  # noqa: F811
    ctx = _ctx(tmp_path, "FROM busybox\nCOPY . /ctx\nRUN find /ctx | sort\n", a="a", **{
        "skip.log": "x", "sub__keep.log": "k", "sub__deep__z": "z", ".dockerignore": "*.log\n!sub/keep.log\nsub/deep\n"})
    ours = _build(daemon, "--no-cache", "-t", f"{name}:y", ".", cwd=ctx)
    ref = docker_build(daemon, "--no-cache", "-t", f"{name}:d", ".", cwd=ctx)
    cleanup.extend([f"{name}:y", f"{name}:d"])
    assert ours.returncode == 0, ours.stderr
    listing = [ln for ln in ours.stdout.splitlines() if ln.startswith("/ctx")]
    assert listing == [ln for ln in ref.stdout.splitlines() if ln.startswith("/ctx")]
    assert "/ctx/sub/keep.log" in listing and "/ctx/skip.log" not in listing and "/ctx/sub/deep" not in listing
    assert ours.stdout.splitlines()[0] == ref.stdout.splitlines()[0]


def test_dockerfile_outside_context_and_from_stdin(daemon: Daemon, cleanup, tmp_path: Path,  # noqa: F811
                                                   name: str) -> None:
    ctx = _ctx(tmp_path, "FROM busybox\nRUN false\n", data="d\n")
    outside = tmp_path / "elsewhere.Dockerfile"
    outside.write_text("FROM busybox\nCOPY data /data\nCMD [\"cat\", \"/data\"]\n")
    r = _build(daemon, "-f", str(outside), "-t", f"{name}:out", str(ctx), cwd=tmp_path)
    cleanup.append(f"{name}:out")
    assert r.returncode == 0, r.stderr
    assert dockyard(daemon, "run", "--rm", f"{name}:out", check=True).stdout == "d\n"
    r = _build(daemon, "-f", "-", "-t", f"{name}:stdin", ".", cwd=ctx,
               input=b"FROM busybox\nCOPY data /from-stdin\nCMD [\"cat\", \"/from-stdin\"]\n")
    cleanup.append(f"{name}:stdin")
    assert r.returncode == 0, r.stderr
    assert dockyard(daemon, "run", "--rm", f"{name}:stdin", check=True).stdout == "d\n"
    sub = ctx / "docker"
    sub.mkdir()
    (sub / "Custom").write_text("FROM busybox\nCOPY data /x\n")
    r = _build(daemon, "-f", "docker/Custom", "-q", ".", cwd=ctx)
    assert r.returncode == 0, r.stderr
    cleanup.append(r.stdout.strip())
    assert r.stdout.strip().startswith("sha256:") and len(r.stdout.strip()) == 71


def test_stdin_contexts(daemon: Daemon, cleanup, tmp_path: Path, name: str) -> None:  # noqa: F811
    r = _build(daemon, "-t", f"{name}:df", "-", cwd=tmp_path, input=b"FROM busybox\nCMD [\"echo\", \"bare\"]\n")
    cleanup.append(f"{name}:df")
    assert r.returncode == 0, r.stderr
    assert dockyard(daemon, "run", "--rm", f"{name}:df", check=True).stdout == "bare\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for fname, data in (("Dockerfile", b"FROM busybox\nCOPY f /f\nCMD [\"cat\", \"/f\"]\n"), ("f", b"tar\n")):
            info = tarfile.TarInfo(fname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    r = _build(daemon, "-t", f"{name}:tar", "-", cwd=tmp_path, input=buf.getvalue())
    cleanup.append(f"{name}:tar")
    assert r.returncode == 0, r.stderr
    assert dockyard(daemon, "run", "--rm", f"{name}:tar", check=True).stdout == "tar\n"
    r = _build(daemon, "-f", "-", "-", cwd=tmp_path, input=b"FROM busybox\n")
    assert r.returncode == 1 and "can't use stdin for both build context and dockerfile" in r.stderr


def test_target_no_cache_pull_flags(daemon: Daemon, cleanup, tmp_path: Path, name: str) -> None:  # noqa: F811
    ctx = _ctx(tmp_path, "FROM busybox AS one\nRUN echo one > /stage\nFROM busybox AS two\nRUN echo two > /stage\n")
    r = _build(daemon, "--target", "one", "-t", f"{name}:one", ".", cwd=ctx)
    cleanup.append(f"{name}:one")
    assert r.returncode == 0, r.stderr
    assert dockyard(daemon, "run", "--rm", f"{name}:one", "cat", "/stage", check=True).stdout == "one\n"
    again = _build(daemon, "--target", "one", ".", cwd=ctx)
    assert "Using cache" in again.stdout
    fresh = _build(daemon, "--target", "one", "--no-cache", ".", cwd=ctx)
    assert fresh.returncode == 0 and "Using cache" not in fresh.stdout
    pulled = _build(daemon, "--target", "one", "--pull", ".", cwd=ctx)
    ref = docker_build(daemon, "--target", "one", "--pull", ".", cwd=ctx)
    assert pulled.returncode == ref.returncode


def test_failures_match_docker(daemon: Daemon, cleanup, tmp_path: Path) -> None:  # noqa: F811
    """(docker keeps a failed step's container unless --force-rm: these builds pass it.)"""
    ctx = _ctx(tmp_path, "FROM busybox\nRUN echo before && exit 3\n")
    ours, ref = _build(daemon, "--force-rm", ".", cwd=ctx), docker_build(daemon, "--force-rm", ".", cwd=ctx)
    assert ours.returncode == ref.returncode == 3
    assert ours.stderr.splitlines()[-1] == ref.stderr.splitlines()[-1] == \
        "The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3"
    quiet = _build(daemon, "-q", "--force-rm", ".", cwd=ctx)
    assert quiet.returncode == 3 and quiet.stdout == "" and "before" in quiet.stderr
    (ctx / "Dockerfile").write_text("FROM busybox\nBOGUS x\n")
    ours, ref = _build(daemon, "--force-rm", ".", cwd=ctx), docker_build(daemon, "--force-rm", ".", cwd=ctx)
    assert ours.returncode == ref.returncode == 1
    assert ours.stderr.splitlines()[-1] == ref.stderr.splitlines()[-1]
    for args in (("no-such-dir",), ("-f", "missing.Dockerfile", ".")):
        ours, ref = _build(daemon, *args, cwd=ctx), docker_build(daemon, *args, cwd=ctx)
        assert ours.returncode == ref.returncode == 1, args
        assert ours.stderr.splitlines()[-1] == ref.stderr.splitlines()[-1], args
    assert docker(daemon, "ps", "-aq", check=True).stdout == ""  # --force-rm removed the failed step's container


def test_bad_tag_refused_while_parsing_flags(daemon: Daemon, tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, "FROM busybox\n")
    ours, ref = _build(daemon, "-t", "Bad:tag", ".", cwd=ctx), docker_build(daemon, "-t", "Bad:tag", ".", cwd=ctx)
    assert ours.returncode == ref.returncode == 125
    wanted = next(ln for ln in ref.stderr.splitlines() if ln.startswith("invalid argument"))
    assert ours.stderr.splitlines()[0] == wanted
