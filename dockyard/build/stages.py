"""Typed instructions grouped into build stages (the end of the typing step).

Every FROM starts a stage; the instructions after it belong to it. ARGs before the first
FROM are *meta args* (usable in FROM lines, and inside a stage once re-declared)::

    ARG TAG=latest           → meta_args
    FROM busybox:$TAG AS a   → stages[0] (name "a", index 0)
    RUN echo a               →   stages[0].instructions
    FROM a                   → stages[1] (name "", index 1)

Stage names are lower-cased (``AS Builder`` is ``builder``); ``--from=`` refers to a stage
by name or index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockyard.build.errors import DockerfileParseError
from dockyard.build.instructions import (ArgInstruction, FromInstruction, Instruction,
                                         convert)
from dockyard.build.parser import Dockerfile

__all__ = ["Stage", "parse_stages"]


@dataclass
class Stage:
    """One ``FROM`` and what follows it."""

    name: str
    index: int
    base: FromInstruction
    instructions: list[Instruction] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "index": self.index, "base": self.base.to_dict(),
                "instructions": [i.to_dict() for i in self.instructions]}


def parse_stages(df: Dockerfile) -> tuple[list[Stage], list[ArgInstruction]]:
    """Type every node of ``df`` and split them into (stages, meta args)."""
    stages: list[Stage] = []
    meta_args: list[ArgInstruction] = []
    for node in df.nodes:
        inst = convert(node)
        if isinstance(inst, FromInstruction):
            stages.append(Stage(inst.stage_name, len(stages), inst))
        elif not stages and isinstance(inst, ArgInstruction):
            meta_args.append(inst)
        elif not stages:
            raise DockerfileParseError.at("no build stage in current context", df.file,
                                          node.start_line, node.end_line)
        else:
            stages[-1].instructions.append(inst)
    return stages, meta_args
