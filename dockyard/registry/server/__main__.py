"""``python -m dockyard.registry.server [serve|garbage-collect] ARGS…`` (``serve`` is the default)."""

from __future__ import annotations

import sys

from . import gc_main, main


def _run(argv: list[str]) -> int:
    if argv and argv[0] == "garbage-collect":
        return gc_main(argv[1:])
    if argv and argv[0] == "serve":
        return main(argv[1:])
    return main(argv)


if __name__ == "__main__":
    sys.exit(_run(sys.argv[1:]))
