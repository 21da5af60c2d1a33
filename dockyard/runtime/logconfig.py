"""``HostConfig.LogConfig``: which logging drivers dockyard has, and their options.

Drivers: ``json-file`` (Docker's default: ``<id>-json.log``, rotated by ``max-size`` and
``max-file``), ``local`` (Docker's compact on-disk driver; here the same json-file, kept
private: ``LogPath`` is empty, as Docker shows it) and ``none`` (nothing is kept, so
``docker logs`` refuses). Others (syslog, journald, fluentd, ...) are refused at create
with Docker's "no log driver named" error rather than silently doing nothing.

Options are checked at create, as Docker's ``ValidateLogOpt``: an unknown key is an error;
``max-size`` is a go-units human size (decimal: ``10m`` = 10 000 000 bytes), ``max-file``
a count of at least 1 that needs ``max-size``; ``compress`` gzips the rotated files (the
local driver's default). ``labels``, ``env``, ``tag`` and the rest of Docker's keys are
accepted and have no effect on what is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dockyard.errors import InvalidArgument

__all__ = ["LogOptions", "parse_log_config", "DRIVERS"]

DRIVERS = ("json-file", "local", "none")
_COMMON_KEYS = {"labels", "labels-regex", "env", "env-regex", "tag", "mode", "max-buffer-size"}
_FILE_KEYS = {"max-size", "max-file", "compress"} | _COMMON_KEYS
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_DECIMAL = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
_LOCAL_DEFAULT_SIZE = 20 * 10**6  # Docker's local driver: 20 MB, 5 files
_LOCAL_DEFAULT_FILES = 5


@dataclass(frozen=True)
class LogOptions:
    driver: str
    max_size: int = -1     # bytes; -1: never rotate
    max_file: int = 1
    compress: bool = False

    @property
    def readable(self) -> bool:
        return self.driver != "none"


def from_human_size(text: str) -> int:
    """go-units FromHumanSize: ``"10m"`` → 10 000 000 (decimal prefixes)."""
    m = _SIZE_RE.match(text)
    if not m:
        raise InvalidArgument(f"invalid size: '{text}'")
    try:
        number = float(m.group(1))
    except ValueError:
        raise InvalidArgument(f"invalid size: '{text}'") from None
    return int(number * _DECIMAL[(m.group(2) or "").lower()])


def parse_log_config(log_config: dict[str, Any] | None) -> LogOptions:
    """Validate ``LogConfig`` (``{"Type": ..., "Config": {...}}``) and type its options."""
    cfg = log_config or {}
    driver = cfg.get("Type") or "json-file"
    opts = {str(k): str(v) for k, v in (cfg.get("Config") or {}).items()}
    if driver not in DRIVERS:
        raise InvalidArgument(f"logger: no log driver named '{driver}' is registered")
    if driver == "none":
        for key in opts:
            raise InvalidArgument(f"unknown log opt '{key}' for none log driver")
        return LogOptions("none")
    for key in opts:
        if key not in _FILE_KEYS:
            raise InvalidArgument(f"unknown log opt '{key}' for {driver} log driver")
    size = from_human_size(opts["max-size"]) if opts.get("max-size") else -1
    files = 1
    if opts.get("max-file"):
        try:
            files = int(opts["max-file"])
        except ValueError:
            raise InvalidArgument(f'strconv.Atoi: parsing "{opts["max-file"]}": invalid syntax') from None
        if files < 1:
            raise InvalidArgument("max-file cannot be less than 1")
        if size <= 0 and driver == "json-file":
            raise InvalidArgument("max-file cannot be set when max-size is not set")
    if driver == "local":
        size = size if size > 0 else _LOCAL_DEFAULT_SIZE
        files = files if opts.get("max-file") else _LOCAL_DEFAULT_FILES
    compress = driver == "local"
    if opts.get("compress"):
        if opts["compress"] not in ("true", "false", "1", "0"):
            raise InvalidArgument(f"error reading compress log option: invalid value "
                                  f"{opts['compress']}")
        compress = opts["compress"] in ("true", "1")
    return LogOptions(driver, size if size > 0 else -1, files, compress)
