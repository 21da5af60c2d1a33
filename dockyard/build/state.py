"""The state of a stage while it builds: an image config in the making, its top layer,
and the build arguments in scope.

``config`` is a whole image config (``config`` = the runtime config Docker calls
``runConfig``, ``rootfs.diff_ids``, ``history``); ``id`` is what its image ID would be
(the cache's parent key and the `` ---> <id>`` of each step); ``image`` is the image it is
stored as once a step has committed it (see ``Job.commit``).
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any

from dockyard.build.stages import Stage
from dockyard.oci import image as oci

__all__ = ["StageState", "DEFAULT_SHELL", "BUILTIN_ARGS", "env_map", "scratch_config"]

DEFAULT_SHELL = ["/bin/sh", "-c"]
#: build args usable without an ARG line (moby's builtinAllowedBuildArgs); not in history
BUILTIN_ARGS = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}


def env_map(env: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in env or []:
        k, _, v = e.partition("=")
        out[k] = v
    return out


def scratch_config() -> dict[str, Any]:
    return {"architecture": oci.arch(), "os": "linux", "created": oci.rfc3339(),
            "config": oci.empty_container_config(),
            "rootfs": {"type": "layers", "diff_ids": []}, "history": []}


@dataclass
class StageState:
    stage: Stage
    config: dict[str, Any]
    chain: str | None = None
    base_id: str = ""                       # the FROM image's ID ("" for scratch)
    args: dict[str, str | None] = field(default_factory=dict)   # declared ARGs
    cmd_set: bool = False                   # a CMD ran in this stage (ENTRYPOINT keeps it)
    escape: str = "\\"
    #: the image this state is stored as: the FROM image, then each step's intermediate
    #: image (the next step's Parent)
    image: str = ""

    def __post_init__(self) -> None:
        if not self.image:
            self.image = self.base_id

    @property
    def run(self) -> dict[str, Any]:
        """The runtime config (``Config`` of the image)."""
        return self.config["config"]

    @property
    def id(self) -> str:
        return "sha256:" + hashlib.sha256(oci.canonical(self.config)).hexdigest()

    @property
    def diff_ids(self) -> list[str]:
        return list(self.config["rootfs"]["diff_ids"])

    @property
    def shell(self) -> list[str]:
        return list(self.run.get("Shell") or DEFAULT_SHELL)

    def env(self) -> dict[str, str]:
        """What ``$VAR`` sees: the ARGs with a value, then ENV (which wins)."""
        out = {k: v for k, v in self.args.items() if v is not None}
        out.update(env_map(self.run.get("Env")))
        return out

    def arg_env(self) -> dict[str, str]:
        """ARGs with a value that no ENV overrides (what RUN adds to its environment
        and what its cache key records, as ``|N K=V ...``)."""
        env = env_map(self.run.get("Env"))
        return {k: v for k, v in sorted(self.args.items())
                if v is not None and k not in env}

    def copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.config)

    def comment(self, text: str) -> str:
        """Docker's history text of a metadata step: ``/bin/sh -c #(nop)  ENV A=b``."""
        return " ".join(self.shell + ["#(nop) ", text])

    def comment_string(self, text: str) -> str:
        """... and of a WORKDIR/COPY/ADD step (one space): ``/bin/sh -c #(nop) WORKDIR /a``."""
        return " ".join(self.shell + ["#(nop) " + text])
