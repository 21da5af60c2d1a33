"""Parser rules that the golden files do not pin down one by one."""

from __future__ import annotations

import pytest

from dockyard.build import DockerfileParseError, parse


def test_crlf_bom_and_no_final_newline() -> None:
    df = parse("\ufeffFROM a\r\nRUN x \\\r\n  y\r\nCMD z")
    assert [(n.instruction, n.args, n.start_line, n.end_line) for n in df.nodes] == [
        ("from", ["a"], 1, 1), ("run", ["x   y"], 2, 3), ("cmd", ["z"], 4, 4)]


def test_directives_only_at_the_top() -> None:
    df = parse("#Syntax = x/y\n# ESCAPE=`\n# check=error=true\n# note\n#escape=\\\nFROM a `\n  b")
    assert df.directives == {"syntax": "x/y", "escape": "`", "check": "error=true"}
    assert df.escape == "`"
    assert df.nodes[0].comments == ["note", "escape=\\"]
    assert df.nodes[0].args == ["a", "b"]
    assert parse("\n# escape=`\nFROM a").escape == "\\"  # a blank line ends directives
    assert parse("# unknown=1\n# escape=`\nFROM a").directives == {}


def test_backtick_continuation_and_literal_backslash() -> None:
    df = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\nRUN x\\")
    assert df.nodes[1].args == ["dir c:\\   /w"]
    assert df.nodes[2].args == ["x\\"]


def test_continuation_to_end_of_file_and_lone_escape_line() -> None:
    df = parse("FROM a\nRUN a \\\n\\\n b \\")
    assert df.nodes[1].args == ["a  b"] and df.nodes[1].original == "RUN a  b "
    assert (df.nodes[1].start_line, df.nodes[1].end_line) == (2, 4)


def test_empty_continuation_warning_has_a_line() -> None:
    df = parse("FROM a\nRUN a \\\n\n b")
    assert [(w.message, w.line) for w in df.warnings] == [
        ("Empty continuation line found in: RUN a  b", 4)]


def test_flags_quotes_escapes_and_double_dash() -> None:
    df = parse('FROM a\nCOPY --chown="a b" --x=\\"q --  --not-a-flag /d\nCOPY --link')
    assert df.nodes[1].flags == ["--chown=a b", '--x="q']
    assert df.nodes[1].args == ["--not-a-flag", "/d"]
    assert df.nodes[2].flags == ["--link"] and df.nodes[2].args == []


def test_json_form_rules() -> None:
    df = parse('FROM a\nCMD  ["a" , "b"]  \nCMD [] \nCMD ["\\u00e9", "\\n"]\nCMD [NaN]\n'
               'CMD {"a": 1}\nCMD ["a"] trailing')
    got = [(n.args, n.json) for n in df.nodes[1:]]
    assert got == [(["a", "b"], True), ([], True), (["\u00e9", "\n"], True),
                   (["[NaN]"], False), (['{"a": 1}'], False), (['["a"] trailing'], False)]


def test_heredoc_words() -> None:
    df = parse('FROM a\nRUN echo "<<NO" && cat <<E"O"F 2<<-X <<A\n1\nEOF\n\t\tX\nA\n')
    docs = [(h.name, h.expand, h.chomp, h.fd, h.content) for h in df.nodes[1].heredocs]
    assert docs == [("EOF", False, False, 0, "1\n"), ("X", True, True, 2, ""),
                    ("A", True, False, 0, "")]
    assert df.nodes[1].end_line == 6
    # No heredocs in JSON form, nor for instructions that cannot take them.
    df = parse('FROM a\nRUN ["cat", "<<EOF"]\nENV A=<<EOF\nCMD cat <<EOF\n')
    assert all(not n.heredocs for n in df.nodes) and len(df.nodes) == 4


def test_onbuild_nodes() -> None:
    df = parse("FROM a\nONBUILD copy --from=b x y")
    node = df.nodes[1]
    assert node.args == ["COPY", "x", "y"] and node.sub is not None
    assert node.sub.flags == ["--from=b"] and node.sub.instruction == "copy"
    assert df.children is df.nodes


def test_comments_collect_until_an_instruction() -> None:
    df = parse("# a\n\n# b\nFROM x\n# c\n#\n# d\nRUN y\nRUN z")
    assert [n.comments for n in df.nodes] == [["a", "b"], ["d"], []]


def test_heredoc_bodies_keep_their_line_endings() -> None:
    df = parse("FROM a\r\nCOPY <<EOF /f\r\none\r\ntwo\nEOF\r\nRUN x\r\n")
    assert df.nodes[1].heredocs[0].content == "one\r\ntwo\n"
    assert df.nodes[2].args == ["x"] and df.nodes[1].end_line == 5


def test_indented_comment_text_is_what_buildkit_keeps() -> None:
    # BuildKit trims the text after the line's *first* character, so an indented
    # comment keeps its '#'; a directive is never a comment.
    df = parse("# syntax=x\n  # indented\n#plain\nFROM a")
    assert df.nodes[0].comments == ["# indented", "plain"]


def test_directive_error_names_its_line() -> None:
    with pytest.raises(DockerfileParseError, match="^Dockerfile:1: invalid escape token"):
        parse("# escape=\"\nFROM a")
