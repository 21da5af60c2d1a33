"""Restart policies, as Docker's restart manager decides them.

``HostConfig.RestartPolicy`` = ``{"Name": no|always|unless-stopped|on-failure,
"MaximumRetryCount": n}``. After a container's process ends:

- a container stopped by the user (``stop``/``kill``) is never restarted by the policy;
- ``always`` and ``unless-stopped`` restart it; ``on-failure`` only for a non-zero exit and
  while ``RestartCount < MaximumRetryCount`` (0 = no limit);
- the delay before a restart starts at 100 ms and doubles each time (at most 1 minute); a
  run of 10 s or more resets it.

When the daemon starts, ``always`` containers are started whatever their state, and
``unless-stopped`` ones unless the user stopped them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["should_restart", "next_delay", "start_on_boot"]

INITIAL_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0


def _policy(hc: dict[str, Any]) -> tuple[str, int]:
    p = hc.get("RestartPolicy") or {}
    return (p.get("Name") or "no"), int(p.get("MaximumRetryCount") or 0)


def should_restart(hc: dict[str, Any], exit_code: int, *, manually_stopped: bool,
                   restart_count: int) -> bool:
    name, max_retries = _policy(hc)
    if manually_stopped or hc.get("AutoRemove"):
        return False
    if name in ("always", "unless-stopped"):
        return True
    if name == "on-failure":
        return exit_code != 0 and (max_retries == 0 or restart_count < max_retries)
    return False


def next_delay(previous: float, ran_for: float) -> float:
    if ran_for >= RESET_AFTER or previous <= 0:
        return INITIAL_DELAY
    return min(previous * 2, MAX_DELAY)


def start_on_boot(hc: dict[str, Any], *, manually_stopped: bool) -> bool:
    name, _ = _policy(hc)
    return name == "always" or (name == "unless-stopped" and not manually_stopped)
