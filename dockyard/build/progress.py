"""The classic builder's stream texts (clients match them), as jsonmessage lines.

What a build answers, line by line::

    {"stream":"Step 1/3 : FROM busybox\\n"}
    {"stream":" ---> 3f57d9401f8d\\n"}
    {"stream":"Step 2/3 : RUN echo hi\\n"}
    {"stream":" ---> Running in 8b1d2c3a4f5e\\n"}
    {"stream":"hi\\n"}
    {"stream":" ---> Removed intermediate container 8b1d2c3a4f5e\\n"}
    {"stream":" ---> 5a3e1b2c3d4e\\n"}
    {"aux":{"ID":"sha256:5a3e..."}}
    {"stream":"Successfully built 5a3e1b2c3d4e\\n"}
    {"stream":"Successfully tagged app:latest\\n"}

A cached step says `` ---> Using cache`` before its id; a failure is the last line,
``{"errorDetail":{"code":N,"message":M},"error":M}``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["stream", "step", "arrow", "using_cache", "running_in", "removed", "built",
           "tagged", "aux_id", "error", "short"]


def short(image_id: str) -> str:
    return image_id.split(":", 1)[-1][:12]


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj) + "\r\n").encode()


def stream(text: str) -> bytes:
    return _line({"stream": text})


def step(n: int, total: int, original: str) -> bytes:
    return stream(f"Step {n}/{total} : {original}\n")


def arrow(image_id: str) -> bytes:
    return stream(f" ---> {short(image_id)}\n")


def using_cache() -> bytes:
    return stream(" ---> Using cache\n")


def running_in(cid: str) -> bytes:
    return stream(f" ---> Running in {cid[:12]}\n")


def removed(cid: str) -> bytes:
    return stream(f" ---> Removed intermediate container {cid[:12]}\n")


def built(image_id: str) -> bytes:
    return stream(f"Successfully built {short(image_id)}\n")


def tagged(name: str) -> bytes:
    return stream(f"Successfully tagged {name}\n")


def aux_id(image_id: str) -> bytes:
    return _line({"aux": {"ID": image_id}})


def error(message: str, code: int | None = None) -> bytes:
    detail: dict[str, Any] = {"message": message}
    if code is not None:
        detail = {"code": code, "message": message}
    return _line({"errorDetail": detail, "error": message})
