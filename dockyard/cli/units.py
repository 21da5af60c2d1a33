"""Docker's unit parsers and formatters, with the docker CLI's exact semantics and texts.

Why hand-written: the CLI must match docker byte for byte (``512m`` is 536870912, ``--since 10m``
means "ten minutes before now", ``docker images`` prints ``1.23MB``), and it must start fast, so
this module imports nothing beyond ``time``. What each function mirrors:

==========================  ==================================================================
``parse_bytes``             go-units ``RAMInBytes`` (binary: ``512m`` == 512 MiB)
``parse_human_size``        go-units ``FromHumanSize`` (decimal: ``1kB`` == 1000)
``human_size``              go-units ``HumanSizeWithPrecision`` (``1.23MB``, ``4.1kB``, ``0B``)
``bytes_size``              go-units ``BytesSize`` (``1.5MiB``)
``human_duration``          go-units ``HumanDuration`` (``About an hour``)
``parse_duration``          Go ``time.ParseDuration``, in nanoseconds
``format_duration``         Go ``time.Duration.String`` (``1m30s``)
``parse_cpus``              docker ``opts.ParseCPUs`` (``--cpus 1.5`` -> NanoCPUs)
``get_timestamp``           docker ``timetypes.GetTimestamp`` (``--since``/``--until`` wire text)
``parse_timestamp``         the same, as a float unix time
``format_rfc3339nano``      Go ``time.RFC3339Nano`` formatting
``parse_signal``            moby ``signal.ParseSignal`` (``SIGKILL``, ``KILL``, ``9``)
``go_quote``                Go ``strconv.Quote`` (``%q``), used by the flag and template errors
==========================  ==================================================================

Every parse failure raises :class:`UnitError`, which is both an ``InvalidArgument`` (so the CLI
maps it to exit code 125) and a ``ValueError`` (so a flag's ``convert`` hook turns it into
pflag's ``invalid argument "x" for "-m, --memory" flag: <reason>``).
"""

from __future__ import annotations

import time as _time

from dockyard.errors import InvalidArgument

__all__ = [
    "SIGNALS",
    "UnitError",
    "bytes_size",
    "format_cpus",
    "format_duration",
    "format_rfc3339nano",
    "get_timestamp",
    "go_format_float",
    "go_quote",
    "go_quote_rune",
    "human_duration",
    "human_size",
    "is_nan",
    "parse_bytes",
    "parse_cpus",
    "parse_duration",
    "parse_human_size",
    "parse_rfc3339",
    "parse_signal",
    "parse_timestamp",
]


class UnitError(InvalidArgument, ValueError):
    """A value that is not a size, duration, time, CPU count or signal; the text is docker's."""


# --- Go string quoting -------------------------------------------------------------------------

_NAMED_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _quote_char(ch: str, quote: str) -> str:
    if ch == quote or ch == "\\":
        return "\\" + ch
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate stands for an invalid UTF-8 byte in Go
        return "\\ufffd"
    if ch.isprintable():
        return ch
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote``: what ``%q`` prints, and what pflag/template errors show."""
    return '"' + "".join(_quote_char(ch, '"') for ch in s) + '"'


def go_quote_rune(ch: str) -> str:
    """Go's ``%q`` of a rune (``'z'``), as in ``unknown shorthand flag: 'z' in -z``."""
    return "'" + "".join(_quote_char(c, "'") for c in ch) + "'"


def _time_quote(s: str) -> str:
    """The ``time`` package's own quoting: non-ASCII and control bytes become ``\\xNN``."""
    out = ['"']
    for ch in s:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        elif ch in '"\\':
            out.append("\\" + ch)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# --- Go float formatting -----------------------------------------------------------------------


def is_nan(f: float) -> bool:
    """NaN is the one float unequal to itself (``math.isnan`` without importing ``math``)."""
    return f != f  # noqa: PLR0124


def _shortest_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``abs(f)`` and the decimal-point position.

    ``digits * 10**(dp - len(digits))`` is the value, the same (digits, dp) pair Go's
    ``strconv`` works from; Python's ``repr`` gives the same shortest round-trip digits.
    """
    text = repr(abs(f))
    exp = 0
    if "e" in text:
        text, e = text.split("e")
        exp = int(e)
    whole, _, frac = text.partition(".")
    digits = (whole + frac).lstrip("0")
    dp = len(whole) + exp - (len(whole + frac) - len((whole + frac).lstrip("0")))
    digits = digits.rstrip("0")
    if not digits:
        return "0", 1
    return digits, dp


def _fmt_e(neg: bool, digits: str, dp: int) -> str:
    exp = dp - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if exp < 0 else "+"
    return ("-" if neg else "") + f"{mant}e{sign}{abs(exp):02d}"


def _fmt_f(neg: bool, digits: str, dp: int) -> str:
    if dp <= 0:
        text = "0." + "0" * (-dp) + digits
    elif dp >= len(digits):
        text = digits + "0" * (dp - len(digits))
    else:
        text = digits[:dp] + "." + digits[dp:]
    return ("-" if neg else "") + text


def go_format_float(f: float, verb: str = "v") -> str:
    """Go's shortest formatting of a float64, for ``%v`` (``verb="v"``) or encoding/json (``"json"``).

    The two differ only in when they switch to an exponent: ``%v`` does so for exponents < -4 or
    >= 6 (``1e+06``), encoding/json for ``abs < 1e-6`` or ``abs >= 1e21``, and it writes
    ``1e-7`` where ``%v`` writes ``1e-07``.
    """
    if is_nan(f):
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    neg = f < 0 or (f == 0 and str(f).startswith("-"))
    if f == 0:
        return "-0" if neg else "0"
    digits, dp = _shortest_digits(f)
    if verb == "json":
        a = abs(f)
        if a < 1e-6 or a >= 1e21:
            mant, _, exp_text = _fmt_e(neg, digits, dp).partition("e")
            if exp_text.startswith("-0"):
                exp_text = "-" + exp_text[2:]
            return f"{mant}e{exp_text}"
        return _fmt_f(neg, digits, dp)
    exp = dp - 1
    if exp < -4 or exp >= 6:
        return _fmt_e(neg, digits, dp)
    return _fmt_f(neg, digits, dp)


# --- sizes -------------------------------------------------------------------------------------

_BINARY = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_DECIMAL = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
_DECIMAL_ABBRS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_ABBRS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _go_parse_float(text: str) -> float:
    """``strconv.ParseFloat(text, 64)`` for decimal input; the error text is Go's."""
    body = text[1:] if text[:1] in "+-" else text
    ok = bool(body) and all(c in "0123456789.eE+-_" for c in body) or body.lower() in ("inf", "infinity", "nan")
    if ok:
        try:
            return float(text)
        except ValueError:
            pass
    raise UnitError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax")


def _parse_size(text: str, units: dict[str, int]) -> int:
    sep = max(text.rfind(c) for c in "0123456789. ")
    if sep == -1:
        raise UnitError(f"invalid size: '{text}'")
    if text[sep] != " ":
        num, sfx = text[: sep + 1], text[sep + 1 :]
    else:
        num, sfx = text[:sep], text[sep + 1 :]
    size = _go_parse_float(num)
    if size < 0:
        raise UnitError(f"invalid size: '{text}'")
    if not sfx:
        return int(size)
    if len(sfx) > 3:
        raise UnitError(f"invalid suffix: '{sfx}'")
    sfx = sfx.lower()
    if sfx[0] == "b":
        if len(sfx) > 1:
            raise UnitError(f"invalid suffix: '{sfx}'")
        return int(size)
    mul = units.get(sfx[0])
    if mul is None or (len(sfx) == 2 and sfx[1] != "b") or (len(sfx) == 3 and sfx[1:] != "ib"):
        raise UnitError(f"invalid suffix: '{sfx}'")
    return int(size * mul)


def parse_bytes(text: str) -> int:
    """RAMInBytes: ``"512m"`` -> 536870912; suffixes b,k,m,g,t,p (+``b``/``ib``), any case."""
    return _parse_size(text, _BINARY)


def parse_human_size(text: str) -> int:
    """FromHumanSize: like :func:`parse_bytes` but decimal (``"1kB"`` -> 1000)."""
    return _parse_size(text, _DECIMAL)


def _scale(size: float, base: float, abbrs: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(abbrs) - 1:
        size /= base
        i += 1
    return size, abbrs[i]


def _go_g(value: float, precision: int) -> str:
    # Go's %.Ng and C's %.Ng agree (same switch to %e, trailing zeros dropped, 2-digit exponent).
    return f"{value:.{precision}g}"


def human_size(size: float, precision: int = 3) -> str:
    """``docker images``/``ps -s`` sizes: decimal units, ``precision`` significant digits (``1.23MB``)."""
    value, unit = _scale(float(size), 1000.0, _DECIMAL_ABBRS)
    return _go_g(value, precision) + unit


def bytes_size(size: float) -> str:
    """BytesSize: binary units with 4 significant digits (``1.5MiB``)."""
    value, unit = _scale(float(size), 1024.0, _BINARY_ABBRS)
    return _go_g(value, 4) + unit


# --- durations ---------------------------------------------------------------------------------

NANOSECOND = 1
MICROSECOND = 1000
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_DURATION_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # micro sign
    "\u03bcs": MICROSECOND,  # Greek mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_MAX_DURATION = (1 << 63) - 1


def human_duration(seconds: float) -> str:
    """HumanDuration: ``"Less than a second"`` ... ``"About an hour"`` ... ``"2 years"``."""
    secs = int(seconds)
    if secs < 1:
        return "Less than a second"
    if secs == 1:
        return "1 second"
    if secs < 60:
        return f"{secs} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def parse_duration(text: str) -> int:
    """Go ``time.ParseDuration`` in nanoseconds: ``"1m30s"``, ``"-1.5h"``, ``"300ms"``, ``"2h45m"``."""
    bad = UnitError(f"time: invalid duration {_time_quote(text)}")
    s = text
    neg = False
    if s[:1] in ("-", "+"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise bad
    total = 0
    while s:
        if s[0] not in ".0123456789":
            raise bad
        i = 0
        while i < len(s) and s[i] in "0123456789":
            i += 1
        whole, pre = (int(s[:i]) if i else 0), i > 0
        if whole > 1 << 63:
            raise bad
        s = s[i:]
        frac, scale, post = 0, 1.0, False
        if s[:1] == ".":
            s = s[1:]
            i = 0
            overflow = False
            while i < len(s) and s[i] in "0123456789":
                if not overflow:
                    if frac > (1 << 63) // 10:
                        overflow = True  # Go stops accumulating digits it cannot hold
                    else:
                        frac = frac * 10 + int(s[i])
                        scale *= 10
                i += 1
            post = i > 0
            s = s[i:]
        if not pre and not post:
            raise bad
        i = 0
        while i < len(s) and s[i] != "." and s[i] not in "0123456789":
            i += 1
        if i == 0:
            raise UnitError(f"time: missing unit in duration {_time_quote(text)}")
        unit_name, s = s[:i], s[i:]
        unit = _DURATION_UNITS.get(unit_name)
        if unit is None:
            raise UnitError(f"time: unknown unit {_time_quote(unit_name)} in duration {_time_quote(text)}")
        if whole > (1 << 63) // unit:
            raise bad
        value = whole * unit
        if frac > 0:
            value += int(float(frac) * (float(unit) / scale))
            if value > 1 << 63:
                raise bad
        total += value
        if total > 1 << 63:
            raise bad
    if neg:
        return -total
    if total > _MAX_DURATION:
        raise bad
    return total


def _fmt_frac(value: int, prec: int) -> tuple[str, int]:
    """Go's fmtFrac: the fraction digits of ``value`` (trailing zeros dropped) and the integer part."""
    digits = ""
    printed = False
    for _ in range(prec):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printed else ""), value


def format_duration(ns: int) -> str:
    """Go ``Duration.String``: ``"0s"``, ``"1.5ms"``, ``"1m30s"``, ``"1h0m0s"``."""
    neg = ns < 0
    u = -ns if neg else ns
    if u < SECOND:
        if u == 0:
            return "0s"
        if u < MICROSECOND:
            frac, whole, unit = "", u, "ns"
        elif u < MILLISECOND:
            frac, whole = _fmt_frac(u, 3)
            unit = "\u00b5s"
        else:
            frac, whole = _fmt_frac(u, 6)
            unit = "ms"
        text = f"{whole}{frac}{unit}"
    else:
        frac, secs = _fmt_frac(u, 9)
        text = f"{secs % 60}{frac}s"
        minutes = secs // 60
        if minutes > 0:
            text = f"{minutes % 60}m" + text
            hours = minutes // 60
            if hours > 0:
                text = f"{hours}h" + text
    return ("-" if neg else "") + text


# --- CPUs --------------------------------------------------------------------------------------


def _parse_rational(text: str) -> tuple[int, int] | None:
    """big.Rat.SetString for decimal input: ``"1.5"``, ``"3/2"``, ``"1e-3"``; None if not a number."""
    if "/" in text:
        top, _, bottom = text.partition("/")
        body = top[1:] if top[:1] in "+-" else top
        if not body.isdigit() or not bottom.isdigit() or not body.isascii() or not bottom.isascii():
            return None
        return (int(top), int(bottom)) if int(bottom) else None
    s = text
    sign = 1
    if s[:1] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    mant, exp = s, 0
    for marker in ("e", "E"):
        if marker in s:
            mant, _, exp_text = s.partition(marker)
            body = exp_text[1:] if exp_text[:1] in "+-" else exp_text
            if not body.isdigit() or not body.isascii():
                return None
            exp = int(exp_text)
            break
    whole, _, frac = mant.partition(".")
    if not (whole or frac) or not (whole + frac).isdigit() or not (whole + frac).isascii():
        return None
    num = sign * int(whole + frac)
    den = 10 ** len(frac)
    if exp >= 0:
        num *= 10**exp
    else:
        den *= 10 ** (-exp)
    return num, den


def parse_cpus(text: str) -> int:
    """docker ``--cpus``: ``"1.5"`` -> 1500000000 NanoCPUs; errors are docker's."""
    rat = _parse_rational(text)
    if rat is None:
        raise UnitError(f"failed to parse {text} as a rational number")
    num, den = rat
    if (num * 10**9) % den:
        raise UnitError("value is too precise")
    return num * 10**9 // den


def format_cpus(nano: int) -> str:
    """NanoCPUs.String: ``""`` for 0, else three decimals (``"1.500"``)."""
    if nano == 0:
        return ""
    milli = (abs(nano) * 1000 + 500_000_000) // 10**9  # big.Rat.FloatString rounds half away from 0
    sign = "-" if nano < 0 else ""
    return f"{sign}{milli // 1000}.{milli % 1000:03d}"


# --- timestamps --------------------------------------------------------------------------------

# Layouts as docker writes them, split into Go's layout elements; the text is used in errors.
_LAYOUTS: dict[str, tuple[str, ...]] = {
    "2006-01-02": ("2006", "-", "01", "-", "02"),
    "2006-01-02Z07:00": ("2006", "-", "01", "-", "02", "Z07:00"),
    "2006-01-02T15": ("2006", "-", "01", "-", "02", "T", "15"),
    "2006-01-02T15:04": ("2006", "-", "01", "-", "02", "T", "15", ":", "04"),
    "2006-01-02T15:04:05": ("2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05"),
    "2006-01-02T15:04:05.999999999": ("2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05", ".999999999"),
    "2006-01-02T15Z07:00": ("2006", "-", "01", "-", "02", "T", "15", "Z07:00"),
    "2006-01-02T15:04Z07:00": ("2006", "-", "01", "-", "02", "T", "15", ":", "04", "Z07:00"),
    "2006-01-02T15:04:05Z07:00": ("2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05", "Z07:00"),
    "2006-01-02T15:04:05.999999999Z07:00": (
        "2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05", ".999999999", "Z07:00",
    ),
}  # fmt: skip


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _getnum(value: str, fixed: bool) -> tuple[int, str] | None:
    if not value[:1].isdigit() or not value[:1].isascii():
        return None
    if not value[1:2].isdigit() or not value[1:2].isascii():
        return None if fixed else (int(value[0]), value[1:])
    return int(value[:2]), value[2:]


def _go_time_parse(layout: str, value: str, default_offset: int) -> tuple[int, int]:
    """Go ``time.Parse`` for docker's layouts: (unix seconds, nanoseconds); Go's error texts."""
    year, month, day, hour, minute, sec, nsec = 1, 1, 1, 0, 0, 0, 0
    offset = default_offset
    rest = value

    def fail(elem: str, at: str) -> UnitError:
        return UnitError(
            f"parsing time {_time_quote(value)} as {_time_quote(layout)}: "
            f"cannot parse {_time_quote(at)} as {_time_quote(elem)}"
        )

    def out_of_range(what: str) -> UnitError:
        return UnitError(f"parsing time {_time_quote(value)}: {what} out of range")

    for elem in _LAYOUTS[layout]:
        hold = rest
        if elem == "2006":
            if len(rest) < 4 or not rest[:4].isdigit() or not rest[:4].isascii():
                raise fail(elem, hold)
            year, rest = int(rest[:4]), rest[4:]
        elif elem in ("01", "02", "15", "04", "05"):
            got = _getnum(rest, elem != "15")
            if got is None:
                raise fail(elem, hold)
            num, rest = got
            limits = {"01": ("month", 1, 12), "02": ("day", 1, 31), "15": ("hour", 0, 23),
                      "04": ("minute", 0, 59), "05": ("second", 0, 59)}  # fmt: skip
            what, lo, hi = limits[elem]
            if not lo <= num <= hi:
                raise out_of_range(what)
            if elem == "01":
                month = num
            elif elem == "02":
                day = num
            elif elem == "15":
                hour = num
            elif elem == "04":
                minute = num
            else:
                sec = num
            # Go reads a fraction after the seconds even when the layout has none.
            fraction_follows = rest[:1] in (".", ",") and "0" <= rest[1:2] <= "9" and rest[1:2] != ""
            if elem == "05" and fraction_follows and ".999999999" not in _LAYOUTS[layout]:
                n = 1
                while n < len(rest) and "0" <= rest[n] <= "9":
                    n += 1
                nsec, rest = int((rest[1:n] + "000000000")[:9]), rest[n:]
        elif elem == ".999999999":
            if len(rest) < 2 or rest[0] not in ".," or not "0" <= rest[1] <= "9":
                continue  # the fraction is optional
            n = 1
            while n < len(rest) and "0" <= rest[n] <= "9":
                n += 1
            nsec, rest = int((rest[1:n] + "000000000")[:9]), rest[n:]
        elif elem == "Z07:00":
            if rest[:1] == "Z":
                offset, rest = 0, rest[1:]
                continue
            if len(rest) < 6 or rest[3] != ":" or rest[0] not in "+-":
                raise fail(elem, hold)
            hh, mm = _getnum(rest[1:3], True), _getnum(rest[4:6], True)
            if hh is None or mm is None or hh[1] or mm[1]:
                raise fail(elem, hold)
            offset = (hh[0] * 3600 + mm[0] * 60) * (-1 if rest[0] == "-" else 1)
            rest = rest[6:]
        else:
            if not rest.startswith(elem):
                raise fail(elem, hold)
            rest = rest[len(elem) :]
    if rest:
        raise UnitError(f"parsing time {_time_quote(value)}: extra text: {_time_quote(rest)}")
    if day > _days_in(month, year):
        raise out_of_range("day")
    days = _days_from_civil(year, month, day)
    return days * 86400 + hour * 3600 + minute * 60 + sec - offset, nsec


def _local_offset(at: float) -> int:
    return _time.localtime(at).tm_gmtoff or 0


def get_timestamp(value: str, now: float | None = None, utc_offset: int | None = None) -> str:
    """docker ``GetTimestamp``: the ``since``/``until`` text docker sends to the API.

    A Go duration means "that long before ``now``" (``"10m"`` -> whole unix seconds); an RFC 3339
    date or time becomes ``"<sec>.<nanos>"`` (zone-less input is read in the local zone, or
    ``utc_offset`` seconds east of UTC); a unix timestamp is passed through unchanged.
    """
    now = _time.time() if now is None else now
    if value != "0":
        try:
            d = parse_duration(value)
        except UnitError:
            pass
        else:
            return str(int((now * SECOND - d) // SECOND))
    in_location = not (any(c in value for c in "zZ+") or value.count("-") == 3)
    if "." in value:
        layout = "2006-01-02T15:04:05.999999999" if in_location else "2006-01-02T15:04:05.999999999Z07:00"
    elif "T" in value:
        colons = value.count(":")
        if not in_location and not any(c in value for c in "zZ") and colons > 0:
            colons -= 1
        suffix = "" if in_location else "Z07:00"
        layout = ("2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05")[min(colons, 2)] + suffix
    else:
        layout = "2006-01-02" if in_location else "2006-01-02Z07:00"
    offset = _local_offset(now) if utc_offset is None else utc_offset
    try:
        secs, nsec = _go_time_parse(layout, value, offset if in_location else 0)
    except UnitError:
        if "-" in value:
            raise
        whole, _, frac = value.partition(".")
        if not _is_go_int(whole) or (frac and not _is_go_int(frac)):
            raise UnitError(f"failed to parse value as time or duration: {go_quote(value)}") from None
        return value
    return f"{secs}.{nsec:09d}"


def _is_go_int(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return body.isdigit() and body.isascii()


def parse_timestamp(value: str, now: float | None = None, utc_offset: int | None = None) -> float:
    """``--since``/``--until`` as a float unix time (see :func:`get_timestamp` for the forms)."""
    text = get_timestamp(value, now, utc_offset)
    whole, _, frac = text.partition(".")
    secs = int(whole)
    if not frac:
        return float(secs)
    nsec = int(frac) * 10 ** (9 - len(frac)) if len(frac) <= 9 else int(frac[:9])
    return secs + (nsec / 1e9 if secs >= 0 else -nsec / 1e9)


def parse_rfc3339(value: str) -> float:
    """An RFC 3339 time with optional fraction (the API's ``Created``) as a float unix time."""
    layout = "2006-01-02T15:04:05.999999999Z07:00"
    secs, nsec = _go_time_parse(layout, value, 0)
    return secs + nsec / 1e9


def format_rfc3339nano(ts: float, utc_offset: int = 0, *, nanos: int | None = None) -> str:
    """Go's RFC3339Nano: ``2024-01-02T03:04:05.123456789Z``; trailing fraction zeros dropped.

    ``ts`` is unix seconds (a float keeps the digits it was written with); pass an int ``ts``
    and ``nanos`` for exact nanosecond times such as an event's ``timeNano // 10**9``.
    """
    if nanos is None:
        if isinstance(ts, int):
            secs, nanos = ts, 0
        else:
            digits, dp = _shortest_digits(ts)
            shift = dp - len(digits) + 9
            total = int(digits) * 10**shift if shift >= 0 else int(digits) // 10 ** (-shift)
            secs, nanos = divmod(-total if ts < 0 else total, 10**9)
    else:
        secs = int(ts)
    local = secs + utc_offset
    days, rem = divmod(local, 86400)
    y, m, d = _civil_from_days(days)
    text = f"{y:04d}-{m:02d}-{d:02d}T{rem // 3600:02d}:{rem % 3600 // 60:02d}:{rem % 60:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    if utc_offset == 0:
        return text + "Z"
    sign = "-" if utc_offset < 0 else "+"
    off = abs(utc_offset) // 60
    return f"{text}{sign}{off // 60:02d}:{off % 60:02d}"


# --- signals -----------------------------------------------------------------------------------

SIGNALS: dict[str, int] = {
    "ABRT": 6, "ALRM": 14, "BUS": 7, "CHLD": 17, "CLD": 17, "CONT": 18, "FPE": 8, "HUP": 1,
    "ILL": 4, "INT": 2, "IO": 29, "IOT": 6, "KILL": 9, "PIPE": 13, "POLL": 29, "PROF": 27,
    "PWR": 30, "QUIT": 3, "SEGV": 11, "STKFLT": 16, "STOP": 19, "SYS": 31, "TERM": 15,
    "TRAP": 5, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "USR1": 10, "USR2": 12,
    "VTALRM": 26, "WINCH": 28, "XCPU": 24, "XFSZ": 25, "RTMIN": 34, "RTMAX": 64,
}  # fmt: skip
SIGNALS.update({f"RTMIN+{i}": 34 + i for i in range(1, 16)})
SIGNALS.update({f"RTMAX-{i}": 64 - i for i in range(1, 15)})
"""moby's Linux signal map (names without ``SIG``); real-time signals as ``RTMIN+n``/``RTMAX-n``."""


def parse_signal(text: str) -> int:
    """``"SIGKILL"``, ``"kill"``, ``"9"`` -> 9; ``Invalid signal: X`` otherwise (0 included)."""
    if _is_go_int(text):
        num = int(text)
        if num == 0:
            raise UnitError(f"Invalid signal: {text}")
        return num
    name = text.upper()
    name = name.removeprefix("SIG")
    sig = SIGNALS.get(name)
    if sig is None:
        raise UnitError(f"Invalid signal: {text}")
    return sig
