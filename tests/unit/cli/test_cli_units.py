"""docker's unit parsers/formatters (go-units, time.ParseDuration, GetTimestamp, ParseSignal)."""

from __future__ import annotations

import pytest

from dockyard.cli import units
from dockyard.cli.units import (
    UnitError,
    bytes_size,
    format_cpus,
    format_duration,
    format_rfc3339nano,
    get_timestamp,
    go_format_float,
    go_quote,
    go_quote_rune,
    human_duration,
    human_size,
    parse_bytes,
    parse_cpus,
    parse_duration,
    parse_human_size,
    parse_rfc3339,
    parse_signal,
    parse_timestamp,
)
from dockyard.errors import InvalidArgument

KIB, MIB, GIB = 1024, 1024**2, 1024**3


# --- sizes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512m", 512 * MIB),
        ("512M", 512 * MIB),
        ("1g", GIB),
        ("1GB", GIB),
        ("1GiB", GIB),
        ("1gib", GIB),
        ("32kb", 32 * KIB),
        ("32Kb", 32 * KIB),
        ("1.5g", int(1.5 * GIB)),
        ("10", 10),
        ("10b", 10),
        ("10B", 10),
        ("1t", 1024**4),
        ("1p", 1024**5),
        ("1 m", MIB),
        ("0", 0),
    ],
)
def test_parse_bytes_is_rams_in_bytes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "invalid size: 'x'"),
        ("", "invalid size: ''"),
        ("-1", "invalid size: '-1'"),
        ("10x", "invalid suffix: 'x'"),
        ("10kx", "invalid suffix: 'kx'"),
        ("10KiBB", "invalid suffix: 'KiBB'"),
        ("10bb", "invalid suffix: 'bb'"),
        ("10Mi", "invalid suffix: 'mi'"),
        ("1.2.3m", 'strconv.ParseFloat: parsing "1.2.3": invalid syntax'),
    ],
)
def test_parse_bytes_errors(text: str, message: str) -> None:
    with pytest.raises(UnitError) as err:
        parse_bytes(text)
    assert str(err.value) == message


def test_unit_error_is_both_invalid_argument_and_value_error() -> None:
    with pytest.raises(InvalidArgument):
        parse_bytes("x")
    with pytest.raises(ValueError):
        parse_bytes("x")


def test_parse_human_size_is_decimal() -> None:
    assert parse_human_size("1kB") == 1000
    assert parse_human_size("1.5MB") == 1_500_000


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (4100, "4.1kB"),
        (1_234_567, "1.23MB"),
        (5_368_709_120, "5.37GB"),
        (999_900, "1e+03kB"),  # go-units' %.3g quirk, as docker prints it
        (10**30, "1e+06YB"),
    ],
)
def test_human_size_three_significant_digits(size: int, expected: str) -> None:
    assert human_size(size) == expected


def test_human_size_precision_four_is_go_units_default() -> None:
    assert human_size(2_746_000, precision=4) == "2.746MB"


@pytest.mark.parametrize(
    ("size", "expected"), [(0, "0B"), (1024, "1KiB"), (1.5 * MIB, "1.5MiB"), (44 * KIB, "44KiB"), (GIB - 1, "1024MiB")]
)
def test_bytes_size_binary(size: float, expected: str) -> None:
    assert bytes_size(size) == expected


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "Less than a second"),
        (0.9, "Less than a second"),
        (1, "1 second"),
        (2, "2 seconds"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (59 * 60, "59 minutes"),
        (60 * 60, "About an hour"),
        (90 * 60 - 1, "About an hour"),
        (90 * 60, "2 hours"),
        (3 * 3600, "3 hours"),
        (47 * 3600, "47 hours"),
        (48 * 3600, "2 days"),
        (13 * 86400, "13 days"),
        (14 * 86400, "2 weeks"),
        (21 * 86400, "3 weeks"),
        (60 * 86400, "2 months"),
        (120 * 86400, "4 months"),
        (2 * 365 * 86400, "2 years"),
        (5 * 365 * 86400, "5 years"),
    ],
)
def test_human_duration(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("-0", 0),
        ("1s", 10**9),
        ("1m30s", 90 * 10**9),
        ("1.5h", 5400 * 10**9),
        ("-1.5h", -5400 * 10**9),
        ("+2m", 120 * 10**9),
        ("300ms", 300_000_000),
        ("10us", 10_000),
        ("10µs", 10_000),
        ("10μs", 10_000),
        ("7ns", 7),
        (".5s", 500_000_000),
        ("1.s", 10**9),
        ("2h45m", (2 * 3600 + 45 * 60) * 10**9),
        ("1h1m1s1ms1us1ns", 3661 * 10**9 + 1_001_001),
        ("9223372036854775807ns", 2**63 - 1),
        ("-9223372036854775808ns", -(2**63)),
    ],
)
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("abc", 'time: invalid duration "abc"'),
        ("1", 'time: missing unit in duration "1"'),
        ("1x", 'time: unknown unit "x" in duration "1x"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        (".s", 'time: invalid duration ".s"'),
        ("-", 'time: invalid duration "-"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("1µ", 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(UnitError) as err:
        parse_duration(text)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1500, "1.5µs"),
        (1_500_000, "1.5ms"),
        (10**9, "1s"),
        (90 * 10**9, "1m30s"),
        (3600 * 10**9, "1h0m0s"),
        (int(1.5 * 10**9), "1.5s"),
        (-(90 * 10**9), "-1m30s"),
        (100 * 3600 * 10**9 + 1, "100h0m0.000000001s"),
    ],
)
def test_format_duration(ns: int, text: str) -> None:
    assert format_duration(ns) == text


# --- CPUs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nano"),
    [("1.5", 1_500_000_000), ("2", 2_000_000_000), ("0.001", 1_000_000), ("3/2", 1_500_000_000), ("1e-3", 1_000_000)],
)
def test_parse_cpus(text: str, nano: int) -> None:
    assert parse_cpus(text) == nano


def test_parse_cpus_errors() -> None:
    with pytest.raises(UnitError) as err:
        parse_cpus("abc")
    assert str(err.value) == "failed to parse abc as a rational number"
    with pytest.raises(UnitError) as err:
        parse_cpus("0.0000000001")
    assert str(err.value) == "value is too precise"


def test_format_cpus() -> None:
    assert format_cpus(0) == ""
    assert format_cpus(1_500_000_000) == "1.500"
    assert format_cpus(1_000_000) == "0.001"


# --- timestamps ----------------------------------------------------------------------------------

NOW = 1_700_000_000.25  # 2023-11-14T22:13:20.25Z


def test_relative_durations_mean_that_long_ago() -> None:
    assert get_timestamp("10m", NOW) == str(int(NOW) - 600)
    assert parse_timestamp("10m", NOW) == int(NOW) - 600
    assert parse_timestamp("1h30m", NOW) == int(NOW) - 5400
    assert parse_timestamp("-10m", NOW) == int(NOW) + 600


def test_unix_timestamps_pass_through() -> None:
    assert get_timestamp("1700000000", NOW) == "1700000000"
    assert get_timestamp("1700000000.5", NOW) == "1700000000.5"
    assert parse_timestamp("1700000000.5", NOW) == 1_700_000_000.5
    assert parse_timestamp("1700000000.000000001", NOW) == pytest.approx(1_700_000_000.000000001)
    assert parse_timestamp("0", NOW) == 0.0  # "0" is a timestamp, not a zero duration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-14T22:13:20Z", "1700000000.000000000"),
        ("2023-11-14T22:13:20.5Z", "1700000000.500000000"),
        ("2023-11-14T22:13:20.123456789Z", "1700000000.123456789"),
        ("2023-11-14T23:13:20+01:00", "1700000000.000000000"),
        ("2023-11-14T21:13:20.25-01:00", "1700000000.250000000"),
        ("2023-11-14T22:13Z", "1699999980.000000000"),
        ("2023-11-14T22Z", "1699999200.000000000"),
        ("2023-11-14Z", "1699920000.000000000"),
        ("2023-11-14+01:00", "1699916400.000000000"),
    ],
)
def test_rfc3339_with_zone(value: str, expected: str) -> None:
    assert get_timestamp(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-14T22:13:20", "1700000000.000000000"),
        ("2023-11-14T22:13:20.5", "1700000000.500000000"),
        ("2023-11-14T22:13", "1699999980.000000000"),
        ("2023-11-14T22", "1699999200.000000000"),
        ("2023-11-14", "1699920000.000000000"),
    ],
)
def test_zone_less_times_are_local(value: str, expected: str) -> None:
    assert get_timestamp(value, NOW, utc_offset=0) == expected
    shifted = get_timestamp(value, NOW, utc_offset=3600)
    assert float(shifted) == float(expected) - 3600


def test_parse_timestamp_returns_float() -> None:
    assert parse_timestamp("2023-11-14T22:13:20.5Z", NOW) == 1_700_000_000.5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", 'failed to parse value as time or duration: "abc"'),
        ("2023-13-01", 'parsing time "2023-13-01": month out of range'),
        ("2023-02-30", 'parsing time "2023-02-30": day out of range'),
        ("2023-1-01", 'parsing time "2023-1-01" as "2006-01-02": cannot parse "1-01" as "01"'),
        ("2023-11-14T25:00:00Z", 'parsing time "2023-11-14T25:00:00Z": hour out of range'),
        ("2023-11-14x", 'parsing time "2023-11-14x": extra text: "x"'),
        ("-5", 'parsing time "-5" as "2006-01-02": cannot parse "-5" as "2006"'),
    ],
)
def test_timestamp_errors(value: str, message: str) -> None:
    with pytest.raises(UnitError) as err:
        get_timestamp(value, NOW, utc_offset=0)
    assert str(err.value) == message


def test_parse_rfc3339() -> None:
    assert parse_rfc3339("2023-11-14T22:13:20.5Z") == 1_700_000_000.5
    assert parse_rfc3339("1970-01-01T01:00:00+01:00") == 0.0
    with pytest.raises(UnitError):
        parse_rfc3339("yesterday")


@pytest.mark.parametrize(
    ("ts", "offset", "text"),
    [
        (0, 0, "1970-01-01T00:00:00Z"),
        (1_700_000_000, 0, "2023-11-14T22:13:20Z"),
        (1_700_000_000.5, 0, "2023-11-14T22:13:20.5Z"),
        (1_700_000_000.123456, 0, "2023-11-14T22:13:20.123456Z"),
        (1_700_000_000, 3600, "2023-11-14T23:13:20+01:00"),
        (1_700_000_000, -5400, "2023-11-14T20:43:20-01:30"),
        (-1.5, 0, "1969-12-31T23:59:58.5Z"),
        (951_782_400, 0, "2000-02-29T00:00:00Z"),
    ],
)
def test_format_rfc3339nano(ts: float, offset: int, text: str) -> None:
    assert format_rfc3339nano(ts, offset) == text


def test_format_rfc3339nano_exact_nanos() -> None:
    assert format_rfc3339nano(1_700_000_000, nanos=123_456_789) == "2023-11-14T22:13:20.123456789Z"
    assert format_rfc3339nano(1_700_000_000, nanos=100) == "2023-11-14T22:13:20.0000001Z"


def test_rfc3339_round_trip() -> None:
    for ts in (0, 86399, 1_700_000_000, 4_102_444_800, -86400 * 365):
        assert parse_rfc3339(format_rfc3339nano(ts)) == ts


# --- signals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "num"),
    [("SIGKILL", 9), ("KILL", 9), ("kill", 9), ("sigterm", 15), ("9", 9), ("HUP", 1), ("SIGUSR1", 10),
     ("WINCH", 28), ("RTMIN", 34), ("RTMIN+3", 37), ("RTMAX-1", 63), ("RTMAX", 64), ("IOT", 6), ("CLD", 17)],
)  # fmt: skip
def test_parse_signal(text: str, num: int) -> None:
    assert parse_signal(text) == num


@pytest.mark.parametrize("text", ["0", "NOPE", "SIG", "", "SIGKILLX"])
def test_parse_signal_errors(text: str) -> None:
    with pytest.raises(UnitError) as err:
        parse_signal(text)
    assert str(err.value) == f"Invalid signal: {text}"


def test_signal_map_is_complete_for_realtime_signals() -> None:
    assert sorted(v for k, v in units.SIGNALS.items() if k.startswith("RT")) == list(range(34, 65))


# --- Go formatting helpers -----------------------------------------------------------------------


def test_go_quote() -> None:
    assert go_quote("abc") == '"abc"'
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("a\nb\tc\x00\x7f") == '"a\\nb\\tc\\x00\\x7f"'
    assert go_quote("héllo") == '"héllo"'
    assert go_quote("\u200b") == '"\\u200b"'
    assert go_quote_rune("z") == "'z'"
    assert go_quote_rune("'") == "'\\''"


@pytest.mark.parametrize(
    ("value", "verb", "text"),
    [
        (1.5, "v", "1.5"),
        (1.0, "v", "1"),
        (123456.0, "v", "123456"),
        (1e6, "v", "1e+06"),
        (1234567.0, "v", "1.234567e+06"),
        (0.0001, "v", "0.0001"),
        (0.00001, "v", "1e-05"),
        (-2.5, "v", "-2.5"),
        (0.0, "v", "0"),
        (1e20, "json", "100000000000000000000"),
        (1e21, "json", "1e+21"),
        (1e-7, "json", "1e-7"),
        (0.000001, "json", "0.000001"),
        (1e6, "json", "1000000"),
    ],
)
def test_go_format_float(value: float, verb: str, text: str) -> None:
    assert go_format_float(value, verb) == text
