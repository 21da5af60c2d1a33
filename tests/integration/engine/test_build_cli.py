"""The real docker CLI's classic builder (``DOCKER_BUILDKIT=0 docker build``) against
dockyardd: tags, -f outside the context and -f -, stdin contexts, -q, --iidfile,
--build-arg, --label, --target, --network, --no-cache, failures' exit codes."""

from __future__ import annotations

import os
from pathlib import Path

from build_helpers import cleanup, docker_build, sdk  # noqa: F401
from engine_helpers import Daemon, docker


def _ctx(tmp_path: Path, dockerfile: str, **files: str) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (ctx / name).write_text(text)
    return ctx


def test_cli_build_tags_args_labels(daemon: Daemon, sdk, cleanup, tmp_path: Path,  # noqa: F811
                                    name: str) -> None:
    ctx = _ctx(tmp_path, "FROM busybox\nARG WHO=nobody\nCOPY hello /hello\n"
                         "RUN echo \"hi $WHO\" > /greet\nCMD [\"cat\", \"/greet\"]\n",
               hello="world\n")
    iid = tmp_path / "iid"
    r = docker_build(daemon, "-t", f"{name}:1", "-t", f"{name}:2", "--build-arg", "WHO=cli",
                     "--label", "via=cli", "--iidfile", str(iid), "--network", "none", ".",
                     cwd=ctx)
    assert r.returncode == 0, r.stdout + r.stderr
    cleanup.extend([f"{name}:1", f"{name}:2"])
    assert "Step 5/6 : CMD [\"cat\", \"/greet\"]" in r.stdout
    assert "Step 6/6 : LABEL via=cli" in r.stdout
    assert f"Successfully tagged {name}:1\nSuccessfully tagged {name}:2\n" in r.stdout
    image_id = iid.read_text().strip()
    assert image_id.startswith("sha256:") and f"Successfully built {image_id[7:19]}" in r.stdout
    out = docker(daemon, "run", "--rm", f"{name}:2", check=True).stdout
    assert out == "hi cli\n"
    labels = sdk.api.inspect_image(f"{name}:1")["Config"]["Labels"]
    assert labels == {"via": "cli"}


def test_cli_dockerfile_outside_context_and_stdin(daemon: Daemon, cleanup,  # noqa: F811
                                                  tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, "FROM busybox\nRUN exit 1\n", data="ctx-data\n")
    outside = tmp_path / "elsewhere.Dockerfile"
    outside.write_text("FROM busybox\nCOPY . /ctx/\nCMD [\"ls\", \"-a\", \"/ctx\"]\n")
    r = docker_build(daemon, "-q", "-f", str(outside), ".", cwd=ctx)
    assert r.returncode == 0, r.stdout + r.stderr
    image_id = r.stdout.strip()
    cleanup.append(image_id)
    assert image_id.startswith("sha256:") and len(image_id) == 71
    listing = docker(daemon, "run", "--rm", image_id, check=True).stdout.split()
    # the CLI ships the outside Dockerfile under a generated name, which it also ignores
    assert sorted(listing) == [".", "..", "Dockerfile", "data"]
    r = docker_build(daemon, "-q", "-f", "-", ".", cwd=ctx,
                     input=b"FROM busybox\nCOPY data /data\n")
    assert r.returncode == 0, r.stdout + r.stderr
    cleanup.append(r.stdout.strip())
    r = docker_build(daemon, "-q", "-", cwd=tmp_path, input=b"FROM busybox\nLABEL stdin=1\n")
    assert r.returncode == 0, r.stdout + r.stderr
    cleanup.append(r.stdout.strip())


def test_cli_target_and_no_cache(daemon: Daemon, cleanup, tmp_path: Path) -> None:  # noqa: F811
    ctx = _ctx(tmp_path, "FROM busybox AS one\nRUN echo one-ran\nFROM one AS two\nRUN exit 5\n")
    r = docker_build(daemon, "--target", "one", "--no-cache", ".", cwd=ctx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "one-ran" in r.stdout and "exit 5" not in r.stdout
    cleanup.append(r.stdout.strip().split("Successfully built ")[-1].strip())


def test_cli_failure_exit_code_and_parse_error(daemon: Daemon, sdk, cleanup,  # noqa: F811
                                                tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, "FROM busybox\nRUN echo failing; exit 4\n")
    r = docker_build(daemon, "--force-rm", ".", cwd=ctx)
    assert r.returncode == 4
    assert "The command '/bin/sh -c echo failing; exit 4' returned a non-zero code: 4" in r.stderr
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN true\nNOPE x\n")
    r = docker_build(daemon, ".", cwd=ctx)
    assert r.returncode == 1 and "Dockerfile:3: unknown instruction: NOPE" in r.stderr


def test_cli_without_buildkit_env_falls_back_to_classic(daemon: Daemon, cleanup,  # noqa: F811
                                                        tmp_path: Path) -> None:
    """CLI 28 without buildx uses the legacy builder (with its deprecation notice)."""
    ctx = _ctx(tmp_path, "FROM busybox\nLABEL fallback=1\n")
    env_kit = os.environ.get("DOCKER_BUILDKIT")
    assert env_kit is None or env_kit == ""
    r = docker_build(daemon, "-q", ".", cwd=ctx, buildkit="")
    if r.returncode != 0:  # a CLI that has buildx would need a BuildKit daemon
        assert "buildx" in r.stderr.lower() or "buildkit" in r.stderr.lower()
        return
    cleanup.append(r.stdout.strip())
    assert r.stdout.strip().startswith("sha256:")
