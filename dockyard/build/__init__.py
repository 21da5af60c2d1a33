"""The Dockerfile frontend: parse → type → execute.

* :mod:`~dockyard.build.parser` — text → :class:`Dockerfile` of :class:`Node` (lines,
  directives, continuations, heredocs);
* :mod:`~dockyard.build.instructions` — :func:`convert` a node to a typed instruction;
  :mod:`~dockyard.build.stages` groups them into stages and meta args;
* :mod:`~dockyard.build.shell_words` — ``$VAR`` expansion as Docker does it;
* executing (daemon side, imported only by the build handler, never from here):
  :mod:`~dockyard.build.service` (the engine's builder: cache, prune),
  :mod:`~dockyard.build.builder` (stage planning, the step loop, the dispatch table in
  :mod:`~dockyard.build.dispatch`), :mod:`~dockyard.build.context` and
  :mod:`~dockyard.build.dockerignore` (the context tar), :mod:`~dockyard.build.cache`,
  :mod:`~dockyard.build.layers` (views and layer commits), :mod:`~dockyard.build.progress`
  (the classic stream texts).

Imports are cheap (no third-party modules), so the CLI may use them for ``--change``.
"""

from __future__ import annotations

from dockyard.build.errors import DockerfileParseError, ExpansionError
from dockyard.build.instructions import (
    AddInstruction, ArgInstruction, CmdInstruction, CopyInstruction, EntrypointInstruction,
    EnvInstruction, ExposeInstruction, FromInstruction, HealthcheckInstruction, Instruction,
    LabelInstruction, MaintainerInstruction, OnbuildInstruction, RunInstruction,
    ShellInstruction, StopsignalInstruction, UserInstruction, VolumeInstruction,
    WorkdirInstruction, convert)
from dockyard.build.line_parsers import Heredoc
from dockyard.build.parser import Dockerfile, Node, ParseWarning, parse
from dockyard.build.shell_words import Lex, expand_word, expand_words
from dockyard.build.stages import Stage, parse_stages

__all__ = [
    "parse", "Dockerfile", "Node", "Heredoc", "ParseWarning",
    "convert", "Instruction", "FromInstruction", "RunInstruction", "CmdInstruction",
    "EntrypointInstruction", "EnvInstruction", "LabelInstruction", "ExposeInstruction",
    "AddInstruction", "CopyInstruction", "VolumeInstruction", "UserInstruction",
    "WorkdirInstruction", "ArgInstruction", "OnbuildInstruction", "StopsignalInstruction",
    "HealthcheckInstruction", "ShellInstruction", "MaintainerInstruction",
    "Stage", "parse_stages",
    "Lex", "expand_word", "expand_words",
    "DockerfileParseError", "ExpansionError",
]
