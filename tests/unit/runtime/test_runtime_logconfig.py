"""LogConfig validation: Docker's drivers and --log-opt keys, sizes and counts."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidArgument
from dockyard.runtime.logconfig import from_human_size, parse_log_config


def test_defaults_and_options() -> None:
    assert parse_log_config(None).driver == "json-file"
    opts = parse_log_config({"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}})
    assert (opts.max_size, opts.max_file) == (10_000_000, 3)
    local = parse_log_config({"Type": "local"})
    assert (local.max_size, local.max_file, local.readable) == (20_000_000, 5, True)
    assert not parse_log_config({"Type": "none"}).readable


@pytest.mark.parametrize("text,size", [("1k", 1000), ("1.5m", 1_500_000), ("2MB", 2_000_000),
                                       ("100", 100), ("1g", 10**9), ("3 kib", 3000)])
def test_human_sizes_are_decimal(text: str, size: int) -> None:
    assert from_human_size(text) == size


@pytest.mark.parametrize("cfg,message", [
    ({"Type": "syslog"}, "logger: no log driver named 'syslog' is registered"),
    ({"Type": "json-file", "Config": {"max-siz": "1m"}}, "unknown log opt 'max-siz' for json-file log driver"),
    ({"Type": "json-file", "Config": {"max-size": "lots"}}, "invalid size: 'lots'"),
    ({"Type": "json-file", "Config": {"max-size": "1m", "max-file": "0"}}, "max-file cannot be less than 1"),
    ({"Type": "json-file", "Config": {"max-file": "2"}}, "max-file cannot be set when max-size is not set"),
    ({"Type": "none", "Config": {"max-size": "1m"}}, "unknown log opt 'max-size' for none log driver"),
])
def test_bad_configs_are_refused(cfg: dict, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_log_config(cfg)
