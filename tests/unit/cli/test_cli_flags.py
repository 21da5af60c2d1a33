"""The docker-compatible flag parser: pflag's grammar, error texts and --help layout."""

from __future__ import annotations

import pytest

from dockyard.cli.flags import FlagError, FlagSet, HelpRequested
from dockyard.cli.units import parse_bytes, parse_cpus
from dockyard.errors import InvalidArgument


def run_flags(interspersed: bool = False) -> FlagSet:
    fs = FlagSet("run", interspersed=interspersed)
    fs.add("env", "e", list, help="Set environment variables")
    fs.add("env-file", None, list, help="Read in a file of environment variables")
    fs.add("memory", "m", str, convert=parse_bytes, type_name="bytes", help="Memory limit")
    fs.add(
        "rm", kind=bool, help="Automatically remove the container and its associated anonymous volumes when it exits"
    )
    fs.add("interactive", "i", bool, help="Keep STDIN open even if not attached")
    fs.add("tty", "t", bool, help="Allocate a pseudo-TTY")
    fs.add("detach", "d", bool, help="Run container in background and print container ID")
    fs.add("publish", "p", list, help="Publish a container's port(s) to the host")
    fs.add("name", None, str, help="Assign a name to the container")
    fs.add("cap-add", None, list, help="Add Linux capabilities")
    fs.add("cpus", None, str, convert=parse_cpus, type_name="decimal", help="Number of CPUs")
    fs.add("stop-timeout", None, int, help="Timeout (in seconds) to stop a container")
    fs.add("sysctl", None, dict, help="Sysctl options")
    fs.add("health-interval", None, "duration", help="Time between running the check (ms|s|m|h) (default 0s)")
    fs.add("cpu-shares", "c", int, help="CPU shares (relative weight)")
    fs.add("network", None, str, help="Connect a container to a network")
    fs.add("net", None, str, hidden=True, dest="network", help="Connect a container to a network")
    return fs


# --- long flags ----------------------------------------------------------------------------------


def test_long_flag_with_separate_and_inline_value() -> None:
    fs = run_flags()
    assert fs.parse(["--name", "web", "img"]).name == "web"
    assert fs.parse(["--name=web", "img"]).name == "web"
    assert fs.parse(["--name=", "img"]).name == ""
    assert fs.parse(["--name=a=b", "img"]).name == "a=b"


def test_dashed_names_become_python_attributes() -> None:
    opts = run_flags().parse(["--env-file", "a.env", "--cap-add", "NET_ADMIN", "--stop-timeout", "5", "img"])
    assert opts.env_file == ["a.env"]
    assert opts.cap_add == ["NET_ADMIN"]
    assert opts.stop_timeout == 5
    assert opts.get("env-file") == ["a.env"]


def test_bool_flag_forms() -> None:
    fs = run_flags()
    assert fs.parse(["--rm", "img"]).rm is True
    assert fs.parse(["--rm=true", "img"]).rm is True
    assert fs.parse(["--rm=false", "img"]).rm is False
    assert fs.parse(["--rm=0", "img"]).rm is False
    assert fs.parse(["--rm=T", "img"]).rm is True
    assert fs.parse(["img"]).rm is False


def test_bool_flag_does_not_consume_next_word() -> None:
    opts = run_flags(interspersed=True).parse(["--rm", "false", "img"])
    assert opts.rm is True
    assert opts.args == ["false", "img"]


def test_bool_flag_rejects_bad_value_with_strconv_text() -> None:
    with pytest.raises(FlagError) as err:
        run_flags().parse(["--rm=abc"])
    assert str(err.value) == 'invalid argument "abc" for "--rm" flag: strconv.ParseBool: parsing "abc": invalid syntax'


def test_alias_flag_fills_the_same_destination() -> None:
    opts = run_flags().parse(["--net", "host", "img"])
    assert opts.network == "host"
    assert opts.is_set("net")
    assert not opts.is_set("network")


# --- shorthands ----------------------------------------------------------------------------------


def test_short_bool_combinations() -> None:
    opts = run_flags().parse(["-it", "img"])
    assert (opts.interactive, opts.tty, opts.detach) == (True, True, False)
    opts = run_flags().parse(["-dit", "img"])
    assert (opts.interactive, opts.tty, opts.detach) == (True, True, True)


def test_short_with_value_forms() -> None:
    fs = run_flags()
    assert fs.parse(["-p", "80:80", "img"]).publish == ["80:80"]
    assert fs.parse(["-p80:80", "img"]).publish == ["80:80"]
    assert fs.parse(["-e=X", "img"]).env == ["X"]  # pflag strips one '=' after a shorthand
    assert fs.parse(["-e==X", "img"]).env == ["=X"]
    assert fs.parse(["-e=", "img"]).env == ["="]  # '-e=' is '-e' with the value '='


def test_bool_combo_ending_in_value_flag_takes_next_word() -> None:
    opts = run_flags().parse(["-dp", "8080:80", "img"])
    assert opts.detach is True
    assert opts.publish == ["8080:80"]
    opts = run_flags().parse(["-dp8080:80", "img"])
    assert opts.publish == ["8080:80"]


def test_short_bool_with_inline_false() -> None:
    assert run_flags().parse(["-d=false", "img"]).detach is False


def test_value_flag_takes_dash_word_as_value() -> None:
    fs = FlagSet("ps", interspersed=True)
    fs.add("last", "n", int, default=-1, help="Show n last created containers (includes all states)")
    assert fs.parse(["-n", "-1"]).last == -1
    assert fs.parse(["--last", "-3"]).last == -3
    assert fs.parse([]).last == -1


def test_repeated_list_flag_accumulates_without_splitting_commas() -> None:
    opts = run_flags().parse(["-e", "A=1,2", "--env", "B=2", "-eC=3", "img"])
    assert opts.env == ["A=1,2", "B=2", "C=3"]


def test_list_default_is_replaced_by_first_use() -> None:
    fs = FlagSet("x")
    fs.add("dns", None, list, default=["1.1.1.1"], help="DNS")
    assert fs.parse([]).dns == ["1.1.1.1"]
    assert fs.parse(["--dns", "8.8.8.8", "--dns", "9.9.9.9"]).dns == ["8.8.8.8", "9.9.9.9"]


def test_strings_kind_splits_csv() -> None:
    fs = FlagSet("x")
    fs.add("platforms", None, "strings", help="Platforms")
    assert fs.parse(["--platforms", "a,b", "--platforms", '"c,d",e']).platforms == ["a", "b", "c,d", "e"]
    assert fs.parse(["--platforms="]).platforms == []


def test_map_kind() -> None:
    opts = run_flags().parse(["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.x", "img"])
    assert opts.sysctl == {"net.ipv4.ip_forward": "1", "kernel.x": ""}


def test_duration_kind_in_nanoseconds() -> None:
    fs = run_flags()
    assert fs.parse(["--health-interval", "1m30s", "img"]).health_interval == 90 * 10**9
    with pytest.raises(FlagError) as err:
        fs.parse(["--health-interval", "abc"])
    assert str(err.value) == 'invalid argument "abc" for "--health-interval" flag: time: invalid duration "abc"'


def test_int_accepts_go_base_prefixes() -> None:
    fs = run_flags()
    assert fs.parse(["-c", "0x10", "img"]).cpu_shares == 16
    assert fs.parse(["-c", "010", "img"]).cpu_shares == 8
    assert fs.parse(["-c", "1_000", "img"]).cpu_shares == 1000


def test_float_kind() -> None:
    fs = FlagSet("x")
    fs.add("ratio", None, float, help="r")
    assert fs.parse(["--ratio", "1.5"]).ratio == 1.5
    with pytest.raises(FlagError) as err:
        fs.parse(["--ratio", " 1"])
    assert (
        str(err.value) == 'invalid argument " 1" for "--ratio" flag: strconv.ParseFloat: parsing " 1": invalid syntax'
    )


# --- positionals, interspersing, terminator ---------------------------------------------------------


def test_non_interspersed_stops_at_first_positional() -> None:
    opts = run_flags().parse(["--rm", "busybox", "ls", "--rm", "-l", "--", "x"])
    assert opts.rm is True
    assert opts.args == ["busybox", "ls", "--rm", "-l", "--", "x"]


def test_non_interspersed_unknown_flags_after_image_are_not_errors() -> None:
    opts = run_flags().parse(["busybox", "--definitely-not-a-flag"])
    assert opts.args == ["busybox", "--definitely-not-a-flag"]


def test_interspersed_allows_flags_after_positionals() -> None:
    fs = FlagSet("rm", interspersed=True)
    fs.add("force", "f", bool, help="Force the removal of a running container (uses SIGKILL)")
    fs.add("volumes", "v", bool, help="Remove anonymous volumes associated with the container")
    opts = fs.parse(["web", "-f", "db", "--volumes"])
    assert opts.args == ["web", "db"]
    assert opts.force and opts.volumes


def test_double_dash_terminates_flags() -> None:
    fs = FlagSet("rm", interspersed=True)
    fs.add("force", "f", bool, help="f")
    opts = fs.parse(["a", "--", "-f", "--force"])
    assert opts.args == ["a", "-f", "--force"]
    assert opts.force is False
    assert opts.args_len_at_dash == 1


def test_single_dash_and_empty_are_positionals() -> None:
    fs = FlagSet("x", interspersed=True)
    opts = fs.parse(["-", "", "b"])
    assert opts.args == ["-", "", "b"]
    assert opts.args_len_at_dash == -1


def test_changed_tracks_user_set_flags() -> None:
    opts = run_flags().parse(["-m", "1g", "img"])
    assert opts.is_set("memory")
    assert not opts.is_set("cpus")
    assert opts.is_set("m") is False  # changed is keyed by long name


# --- errors, with docker's exact text --------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--foo"], "unknown flag: --foo"),
        (["--foo=1"], "unknown flag: --foo"),
        (["-z"], "unknown shorthand flag: 'z' in -z"),
        (["-iz"], "unknown shorthand flag: 'z' in -z"),
        (["-zi"], "unknown shorthand flag: 'z' in -zi"),
        (["--name"], "flag needs an argument: --name"),
        (["-e"], "flag needs an argument: 'e' in -e"),
        (["-ie"], "flag needs an argument: 'e' in -e"),
        (["-m", "abc"], "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'"),
        (["--memory=12x"], "invalid argument \"12x\" for \"-m, --memory\" flag: invalid suffix: 'x'"),
        (["--cpus", "x"], 'invalid argument "x" for "--cpus" flag: failed to parse x as a rational number'),
        (["--stop-timeout", "abc"], 'invalid argument "abc" for "--stop-timeout" flag: strconv.ParseInt: parsing "abc": invalid syntax'),
        (["--stop-timeout", "99999999999999999999"], 'invalid argument "99999999999999999999" for "--stop-timeout" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range'),
        (["---x"], "bad flag syntax: ---x"),
        (["--=x"], "bad flag syntax: --=x"),
        (["-d="], "unknown shorthand flag: '=' in -="),
    ],
)  # fmt: skip
def test_errors_match_docker(argv: list[str], message: str) -> None:
    with pytest.raises(FlagError) as err:
        run_flags().parse(argv)
    assert str(err.value) == message


def test_flag_error_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgument):
        run_flags().parse(["--nope"])


def test_invalid_argument_quotes_value_go_style() -> None:
    with pytest.raises(FlagError) as err:
        run_flags().parse(['--rm=a"b\n'])
    assert str(err.value).startswith('invalid argument "a\\"b\\n" for "--rm" flag')


# --- help and deprecation ------------------------------------------------------------------------


def test_help_flag_is_builtin() -> None:
    assert run_flags().parse(["--help"]).help is True
    opts = run_flags().parse(["-h"])
    assert opts.help is True
    assert opts.warnings == ["Flag shorthand -h has been deprecated, use --help"]
    assert run_flags().parse(["img", "--help"]).help is False  # belongs to the container command


def test_help_without_builtin_flag_raises_help_requested() -> None:
    fs = FlagSet("x", add_help=False)
    with pytest.raises(HelpRequested):
        fs.parse(["--help"])
    with pytest.raises(HelpRequested):
        fs.parse(["-h"])


def test_deprecated_flag_warns_and_is_hidden() -> None:
    fs = FlagSet("x")
    fs.add("old", None, bool, deprecated="use --new instead", help="Old flag")
    fs.add("new", None, bool, help="New flag")
    opts = fs.parse(["--old"])
    assert opts.old is True
    assert opts.warnings == ["Flag --old has been deprecated, use --new instead"]
    assert "--old" not in fs.flag_usages()


def test_redefinition_is_a_programming_error() -> None:
    fs = FlagSet("x")
    fs.add("a", "a", bool)
    with pytest.raises(ValueError):
        fs.add("a")
    with pytest.raises(ValueError):
        fs.add("b", "a")
    with pytest.raises(ValueError):
        fs.add("c", kind=complex)


def test_usage_text_layout() -> None:
    fs = FlagSet("ps", interspersed=True)
    fs.add("all", "a", bool, help="Show all containers (default shows just running)")
    fs.add("filter", "f", list, type_name="filter", help="Filter output based on conditions provided")
    fs.add("last", "n", int, default=-1, help="Show n last created containers (includes all states)")
    fs.add("no-trunc", None, bool, help="Don't truncate output")
    fs.add("quiet", "q", bool, help="Only display container IDs")
    fs.add("format", None, str, help="Format output using a custom template")
    text = fs.usage_text(
        "ps", "[OPTIONS]", "List containers", aliases=["docker container ls", "docker container list", "docker ps"]
    )
    assert text == (
        "\n"
        "Usage:  docker ps [OPTIONS]\n"
        "\n"
        "List containers\n"
        "\n"
        "Aliases:\n"
        "  docker container ls, docker container list, docker ps\n"
        "\n"
        "Options:\n"
        "  -a, --all             Show all containers (default shows just running)\n"
        "  -f, --filter filter   Filter output based on conditions provided\n"
        "      --format string   Format output using a custom template\n"
        "  -n, --last int        Show n last created containers (includes all\n"
        "                        states) (default -1)\n"
        "      --no-trunc        Don't truncate output\n"
        "  -q, --quiet           Only display container IDs\n"
    )


def test_usage_defaults_and_placeholders() -> None:
    fs = FlagSet("x")
    fs.add("log-driver", None, str, default="json-file", help="Logging driver")
    fs.add("sysctl", None, dict, help="Sysctl options")
    fs.add("ratio", None, float, default=0.5, help="Ratio")
    fs.add("timeout", None, "duration", default=30 * 10**9, help="Timeout")
    fs.add("user", "u", str, help="Username or UID (format: `name`|uid)")
    fs.add("progress", None, str, no_opt_default="auto", help="Progress")
    fs.add("hidden", None, bool, hidden=True, help="Hidden")
    fs.add("ulimit", None, list, type_name="ulimit", default_text="[]", help="Ulimit options")
    usage = {line.split()[0 if line.startswith("      ") else 1]: line for line in fs.flag_usages(width=0).splitlines()}
    assert usage["--log-driver"].startswith("      --log-driver string ")
    assert usage["--log-driver"].endswith(' Logging driver (default "json-file")')
    assert usage["--sysctl"].endswith(" Sysctl options (default map[])")
    assert usage["--ratio"].endswith(" Ratio (default 0.5)")
    assert usage["--timeout"].endswith(" Timeout (default 30s)")
    assert usage["--user"].startswith("  -u, --user name ")
    assert usage["--user"].endswith(" Username or UID (format: name|uid)")
    assert usage["--progress"].startswith('      --progress string[="auto"]   Progress')
    assert usage["--ulimit"].endswith(" Ulimit options (default [])")
    assert "--hidden" not in usage and "--help" not in usage
    # every help text starts three spaces after the longest flag column
    column = len('      --progress string[="auto"]') + 3
    assert all(line[column - 1] == " " and line[column] != " " for line in usage.values())


def test_wrapping_follows_pflag() -> None:
    fs = FlagSet("x")
    fs.add("detach", "d", bool, help="Run container in background and print container ID")
    fs.add("health-interval", None, "duration", help="Time between running the check (ms|s|m|h) (default 0s)")
    lines = fs.flag_usages(width=80).splitlines()
    assert lines == [
        "  -d, --detach                     Run container in background and print",
        "                                   container ID",
        "      --health-interval duration   Time between running the check",
        "                                   (ms|s|m|h) (default 0s)",
    ]
    assert len(fs.flag_usages(width=0).splitlines()) == 2


def test_usage_without_visible_flags_has_no_options_section() -> None:
    text = FlagSet("version").usage_text("docker version", "", "Show the Docker version information")
    assert text == "\nUsage:  docker version\n\nShow the Docker version information\n"
