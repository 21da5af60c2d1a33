"""Typed instructions and the parser's error messages (always ``file:line: reason``)."""

from __future__ import annotations

import pytest

from dockyard.build import (AddInstruction, CmdInstruction, CopyInstruction,
                            DockerfileParseError, EntrypointInstruction, EnvInstruction,
                            FromInstruction, HealthcheckInstruction, OnbuildInstruction,
                            RunInstruction, VolumeInstruction, convert, parse, parse_stages)
from dockyard.build import instructions as ins
from dockyard.build.flags import FlagError, parse_duration
from dockyard.errors import BuildError, InvalidArgument


def one(line: str) -> ins.Instruction:
    df = parse(line)
    assert len(df.nodes) == 1
    return convert(df.nodes[0])


def error_of(text: str, file: str = "Dockerfile") -> DockerfileParseError:
    with pytest.raises(DockerfileParseError) as info:
        parse_stages(parse(text, file=file))
    return info.value


# -- the typed values -------------------------------------------------------------------

def test_from() -> None:
    assert one("FROM --platform=linux/arm64 busybox:1.36 AS Build") == FromInstruction(
        base="busybox:1.36", stage_name="build", platform="linux/arm64",
        original="FROM --platform=linux/arm64 busybox:1.36 AS Build", start_line=1, end_line=1)
    assert one("from scratch").platform is None


def test_run_forms_and_flags() -> None:
    run = one('RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=none '
              'echo "hi"')
    assert isinstance(run, RunInstruction)
    assert run.cmd == ['echo "hi"'] and run.prepend_shell
    assert run.mounts == ["type=cache,target=/c", "type=tmpfs,target=/t"]
    assert run.network == "none" and run.security is None
    run = one('RUN ["echo", "exec"]')
    assert run.cmd == ["echo", "exec"] and not run.prepend_shell


def test_cmd_and_entrypoint() -> None:
    cmd = one("CMD echo hi")
    assert isinstance(cmd, CmdInstruction) and cmd.cmd == ["echo hi"] and cmd.prepend_shell
    ep = one('ENTRYPOINT ["/bin/sh", "-c"]')
    assert isinstance(ep, EntrypointInstruction) and ep.cmd == ["/bin/sh", "-c"]
    assert not ep.prepend_shell
    assert one("CMD []").cmd == []


def test_env_label_arg_pairs_keep_values_as_written() -> None:
    env = one('ENV A=1 B="two words" C=\\$X')
    assert isinstance(env, EnvInstruction)
    assert env.pairs == [("A", "1"), ("B", '"two words"'), ("C", "\\$X")]
    assert one("ENV LEGACY the rest of the line").pairs == [("LEGACY", "the rest of the line")]
    assert one('LABEL "k"="v" x=y').pairs == [('"k"', '"v"'), ("x", "y")]
    assert one("ARG A B=2 C=").pairs == [("A", None), ("B", "2"), ("C", "")]


def test_expose_volume_user_workdir_stopsignal_maintainer() -> None:
    assert one("EXPOSE 80 443/tcp 53/udp").ports == ["443/tcp", "53/udp", "80"]
    vol = one('VOLUME ["/a b", "/c"]')
    assert isinstance(vol, VolumeInstruction) and vol.paths == ["/a b", "/c"] and vol.json
    assert one("VOLUME /a /b").paths == ["/a", "/b"]
    assert one("USER app:app").user == "app:app"
    assert one("WORKDIR /some path").path == "/some path"
    assert one("STOPSIGNAL SIGQUIT").signal == "SIGQUIT"
    assert one("MAINTAINER Jane <j@x>").maintainer == "Jane <j@x>"


def test_copy_and_add() -> None:
    copy = one("COPY --from=build --chown=1:2 --chmod=0644 --link --exclude=*.md "
               "--exclude=*.txt a b /dst/")
    assert isinstance(copy, CopyInstruction)
    assert (copy.sources, copy.dest, copy.from_, copy.chown, copy.chmod, copy.link) == (
        ["a", "b"], "/dst/", "build", "1:2", "0644", True)
    assert copy.exclude == ["*.md", "*.txt"]
    add = one("ADD --checksum=sha256:abc --keep-git-dir=true https://x/y.git /src")
    assert isinstance(add, AddInstruction)
    assert add.checksum == "sha256:abc" and add.keep_git_dir and add.sources == ["https://x/y.git"]
    # Shell-form COPY splits on whitespace only: quotes are not special (as in Docker).
    assert one('COPY "a b" /x').sources == ['"a', 'b"']


def test_copy_heredoc_is_chomped_run_heredoc_is_not() -> None:
    df = parse("FROM a\nCOPY <<-EOF /f\n\t\tx\n\tEOF\nRUN <<-EOF\n\tx\nEOF\n")
    copy, run = convert(df.nodes[1]), convert(df.nodes[2])
    assert isinstance(copy, CopyInstruction) and copy.sources == []
    assert copy.heredocs[0].content == "x\n" and copy.heredocs[0].chomp
    assert isinstance(run, RunInstruction) and run.heredocs[0].content == "\tx\n"


def test_healthcheck() -> None:
    hc = one("HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD curl -f x || exit 1")
    assert isinstance(hc, HealthcheckInstruction)
    assert hc.test == ["CMD-SHELL", "curl -f x || exit 1"]
    assert (hc.interval, hc.timeout, hc.retries) == (90 * 10**9, 5 * 10**8, 3)
    assert one('HEALTHCHECK CMD ["true"]').test == ["CMD", "true"]
    assert one("healthcheck none").test == ["NONE"]


def test_onbuild() -> None:
    ob = one('ONBUILD RUN echo "x"')
    assert isinstance(ob, OnbuildInstruction)
    assert ob.expression == 'RUN echo "x"' and ob.trigger == "RUN"
    df = parse("ONBUILD COPY <<EOF /f\nbody\nEOF\n")
    assert convert(df.nodes[0]).expression == "COPY <<EOF /f\nbody\nEOF"


def test_shell() -> None:
    assert one('SHELL ["/bin/ash", "-c"]').shell == ["/bin/ash", "-c"]


def test_to_dict_drops_location() -> None:
    d = one("USER x").to_dict()
    assert d == {"instruction": "USER", "user": "x"}


def test_stages_and_meta_args() -> None:
    df = parse("ARG TAG=1\nFROM a:$TAG AS One\nRUN x\nFROM one\nARG TAG\n")
    stages, meta = parse_stages(df)
    assert [a.pairs for a in meta] == [[("TAG", "1")]]
    assert [(s.name, s.index, len(s.instructions)) for s in stages] == [("one", 0, 1), ("", 1, 1)]


# -- errors: Docker's text, with file and line ------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("FROM busybox\nRUN true\nFORM x", "Dockerfile:3: unknown instruction: FORM"),
    ("FROM a\nfrobnicate x", "Dockerfile:2: unknown instruction: FROBNICATE"),
    ("RUN x", "Dockerfile:1: no build stage in current context"),
    ("FROM a b", "Dockerfile:1: FROM requires either one or three arguments"),
    ("FROM a AS b c", "Dockerfile:1: FROM requires either one or three arguments"),
    ("FROM", "Dockerfile:1: FROM requires either one or three arguments"),
    ("FROM a AS 1st", 'Dockerfile:1: invalid name for build stage: "1st", name can\'t start '
                      "with a number or contain symbols"),
    ("FROM a\nENV", "Dockerfile:2: ENV requires at least one argument"),
    ("FROM a\nENV A", "Dockerfile:2: ENV must have two arguments"),
    ("FROM a\nENV =x", "Dockerfile:2: ENV names can not be blank"),
    ("FROM a\nLABEL =x", "Dockerfile:2: LABEL names can not be blank"),
    ("FROM a\nENV a=1 foo", 'Dockerfile:2: Syntax error - can\'t find = in "foo". Must be of '
                            "the form: name=value"),
    ("FROM a\nLABEL", "Dockerfile:2: LABEL requires at least one argument"),
    ("FROM a\nARG", "Dockerfile:2: ARG requires at least one argument"),
    ("FROM a\nEXPOSE", "Dockerfile:2: EXPOSE requires at least one argument"),
    ("FROM a\nVOLUME", "Dockerfile:2: VOLUME requires at least one argument"),
    ('FROM a\nVOLUME [""]', "Dockerfile:2: VOLUME specified can not be an empty string"),
    ("FROM a\nUSER", "Dockerfile:2: USER requires exactly one argument"),
    ("FROM a\nWORKDIR", "Dockerfile:2: WORKDIR requires exactly one argument"),
    ("FROM a\nSTOPSIGNAL", "Dockerfile:2: STOPSIGNAL requires exactly one argument"),
    ("FROM a\nMAINTAINER", "Dockerfile:2: MAINTAINER requires exactly one argument"),
    ("FROM a\nCOPY x", "Dockerfile:2: COPY requires at least two arguments, but only one was "
                       "provided. Destination could not be determined"),
    ("FROM a\nADD x", "Dockerfile:2: ADD requires at least two arguments"),
    ("FROM a\nCOPY x <<EOF\nEOF", "Dockerfile:2: COPY cannot accept a heredoc as a destination"),
    ("FROM a\nCOPY --foo=1 x y", "Dockerfile:2: unknown flag: foo"),
    ("FROM a\nADD --from=b x y", "Dockerfile:2: unknown flag: from"),
    ("FROM a\nCOPY --from x y", "Dockerfile:2: missing a value on flag: from"),
    ("FROM a\nCOPY --link=maybe x y", "Dockerfile:2: expecting boolean value for flag link, "
                                      "not: maybe"),
    ("FROM a\nCOPY --link= x y", "Dockerfile:2: missing a value on flag: link"),
    ("FROM a\nCOPY --from=a --from=b x y", "Dockerfile:2: duplicate flag specified: from"),
    ("FROM a\nENV --x=1 A=1", "Dockerfile:2: unknown flag: x"),
    ("FROM --plat=x a", "Dockerfile:1: unknown flag: plat"),
    ("FROM a\nRUN --network=bridge x", 'Dockerfile:2: unsupported network mode "bridge"'),
    ("FROM a\nSHELL /bin/sh -c", "Dockerfile:2: SHELL requires the arguments to be in JSON form"),
    ("FROM a\nSHELL []", "Dockerfile:2: SHELL requires at least one argument"),
    ("FROM a\nONBUILD ONBUILD RUN x", "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` "
                                      "isn't allowed"),
    ("FROM a\nONBUILD FROM b", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger"),
    ("FROM a\nONBUILD MAINTAINER b", "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD "
                                     "trigger"),
    ("FROM a\nONBUILD", "Dockerfile:2: ONBUILD requires at least one argument"),
    ("FROM a\nHEALTHCHECK", "Dockerfile:2: HEALTHCHECK requires at least one argument"),
    ("FROM a\nHEALTHCHECK NONE x", "Dockerfile:2: HEALTHCHECK NONE takes no arguments"),
    ("FROM a\nHEALTHCHECK CMD", "Dockerfile:2: Missing command after HEALTHCHECK CMD"),
    ("FROM a\nHEALTHCHECK RUN x", 'Dockerfile:2: Unknown type "RUN" in HEALTHCHECK (try CMD)'),
    ("FROM a\nHEALTHCHECK --interval=10us CMD x",
     'Dockerfile:2: Interval "interval" cannot be less than 1ms'),
    ("FROM a\nHEALTHCHECK --timeout=abc CMD x", 'Dockerfile:2: time: invalid duration "abc"'),
    ("FROM a\nHEALTHCHECK --retries=-1 CMD x", "Dockerfile:2: --retries cannot be negative (-1)"),
    ("FROM a\nHEALTHCHECK --retries=x CMD x",
     'Dockerfile:2: strconv.ParseInt: parsing "x": invalid syntax'),
    ("FROM a\nHEALTHCHECK --bogus=1 CMD x", "Dockerfile:2: unknown flag: bogus"),
])
def test_typing_errors(text: str, message: str) -> None:
    assert str(error_of(text)).startswith(message)


@pytest.mark.parametrize("text,message", [
    ("", "Dockerfile:1: file with no instructions"),
    ("# only a comment\n\n", "Dockerfile:2: file with no instructions"),
    ("FROM a\nCMD [1, 2]", "Dockerfile:2: when using JSON array syntax, arrays must be "
                           "comprised of strings only"),
    ("FROM a\nCOPY [\"a\", null]", "Dockerfile:2: when using JSON array syntax"),
    ("FROM a\nRUN <<EOF\nbody\n", "Dockerfile:2: unterminated heredoc"),
    ("# escape=x\nFROM a", "Dockerfile:1: invalid escape token 'x' does not match ` or \\"),
    ("# escape=`\n# escape=\\\nFROM a", "Dockerfile:2: only one escape parser directive can "
                                        "be used"),
    ("FROM a\nENV a=1 \\\n  z", "Dockerfile:2: Syntax error - can't find = in \"z\""),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(DockerfileParseError) as info:
        parse(text)
    assert str(info.value).startswith(message)


def test_error_attributes_and_kinds() -> None:
    err = error_of("FROM a\n\nRUN ok \\\n  more\nFORM x\n", file="build/app.Dockerfile")
    assert str(err) == "build/app.Dockerfile:5: unknown instruction: FORM"
    assert (err.file, err.line, err.reason) == ("build/app.Dockerfile", 5,
                                                "unknown instruction: FORM")
    assert isinstance(err, BuildError) and isinstance(err, InvalidArgument)
    multi = error_of("FROM a\nENV A=1 \\\n    B\n")
    assert (multi.line, multi.end_line) == (2, 3)


@pytest.mark.parametrize("text", [
    "FROM a\nRUN '", 'FROM a\nRUN "', "FROM a\nRUN <<", "FROM a\nRUN <<'", "FROM a\nCOPY <<",
    "FROM a\nCOPY <<'A B' /x", "\\", "`", "FROM a\nENV \\", "FROM a\nLABEL '\"=", "FROM \x00",
    "FROM a\nCMD [\"\\ud800\"]", "FROM a\nEXPOSE $X", "FROM a\nARG ===", "ONBUILD",
    "FROM a\nHEALTHCHECK --interval=1.s CMD x", "FROM a\nRUN --=x y", "FROM a\nCOPY -- --x y",
])
def test_odd_input_never_escapes_as_a_python_error(text: str) -> None:
    try:
        parse_stages(parse(text))
    except DockerfileParseError:
        pass


# -- Go durations -----------------------------------------------------------------------

@pytest.mark.parametrize("text,ns", [
    ("0", 0), ("1s", 10**9), ("1.5s", 15 * 10**8), ("1m30s", 90 * 10**9), ("500ms", 5 * 10**8),
    ("2h", 7200 * 10**9), ("3us", 3000), ("3\u00b5s", 3000), ("7ns", 7), (".5s", 5 * 10**8),
    ("-1s", -(10**9)), ("1h2m3.5s", (3723 * 10**9) + 5 * 10**8),
])
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text,message", [
    ("", 'time: invalid duration ""'), ("1", 'time: missing unit in duration "1"'),
    ("1x", 'time: unknown unit "x" in duration "1x"'), ("s", 'time: invalid duration "s"'),
    (".s", 'time: invalid duration ".s"'),
])
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(FlagError, match=message):
        parse_duration(text)
