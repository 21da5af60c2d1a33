"""The dispatch table: instruction keyword → the function that executes it.

Each function is ``async def (job, state, instruction) -> None`` and ends its step with
``job.commit(...)``; FROM is not in the table (it starts a stage: ``from_.begin_stage``).
"""

from __future__ import annotations

from typing import Any

from dockyard.build.dispatch import copy, meta, run

__all__ = ["TABLE"]

TABLE: dict[str, Any] = {
    "RUN": run.dispatch_run,
    "COPY": copy.dispatch_copy,
    "ADD": copy.dispatch_add,
    **meta.TABLE,
}
