"""How templates print values (Go's fmt and encoding/json), and their error texts."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.cli.gotemplate import Template, TemplateError, go_json, render, sprint_value, sprintf
from dockyard.errors import InvalidArgument

# --- %v rendering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("s", "s"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-1, "-1"),
        (1.5, "1.5"),
        (2.0, "2"),
        (1e6, "1e+06"),
        (1e-5, "1e-05"),
        (["a", "b"], "[a b]"),
        ([], "[]"),
        ([1, [2, 3]], "[1 [2 3]]"),
        ({"b": 2, "a": 1}, "map[a:1 b:2]"),
        ({}, "map[]"),
        ({"k": ["x", None]}, "map[k:[x <nil>]]"),
        ({"k": {"n": True}}, "map[k:map[n:true]]"),
    ],
)
def test_values_print_like_go(value: Any, text: str) -> None:
    assert render("{{.V}}", {"V": value}) == text
    assert sprint_value(value) == text


def test_nil_and_missing_print_no_value() -> None:
    assert render("{{.V}}", {"V": None}) == "<no value>"
    assert render("{{.Nope}}", {}) == "<no value>"
    assert render("{{.A.B.C}}", {"A": {}}) == "<no value>"


def test_missing_key_of_string_map() -> None:
    data = {"Config": {"Labels": {"a": "1"}}}
    assert render("{{.Config.Labels.b}}", data) == "<no value>"  # Go's default for map fields
    assert render('{{index .Config.Labels "b"}}', data) == ""  # index yields the zero value
    assert render('{{index .Config.Labels "b"}}', {"Config": {"Labels": None}}) == ""
    assert render("{{.Config.Labels.b}}", data, missingkey="zero") == ""


def test_index_of_missing_key_in_non_string_map_is_nil() -> None:
    assert render('{{index .M "x"}}', {"M": {"a": 1}}) == "<no value>"


# --- printf --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "args", "text"),
    [
        ("%s", ["x"], "x"),
        ("%v", [[1, 2]], "[1 2]"),
        ("%d", [[1, 2]], "[1 2]"),
        ("%q", [["a", "b"]], '["a" "b"]'),
        ("%5d|%-5d|%05d", [1, 2, -3], "    1|2    |-0003"),
        ("%+d %x %#x %X %o %#o %b %c %U", [5, 255, 255, 255, 8, 8, 5, 65, 0x1F600], "+5 ff 0xff FF 10 010 101 A U+1F600"),
        ("%.2f %e %g %.3g %8.3f", [3.14159, 1234.5678, 0.000012, 3.14159, 2.5], "3.14 1.234568e+03 1.2e-05 3.14    2.500"),
        ("%.2s|%5.1s|", ["abcdef", "xyz"], "ab|    x|"),
        ("%x %X % x", ["hi", "hi", "hi"], "6869 6869 68 69"),
        ("%t %v", [True, None], "true <nil>"),
        ("%*d|%-*d|", [4, 7, 3, 1], "   7|1  |"),
        ("100%%", [], "100%"),
        ("%d", ["x"], "%!d(string=x)"),
        ("%s", [5], "%!s(int=5)"),
        ("%f", [5], "%!f(int=5)"),
        ("%d", [1.5], "%!d(float64=1.5)"),
        ("%s", [None], "%!s(<nil>)"),
        ("%d %d", [1], "1 %!d(MISSING)"),
        ("%d", [1, "x", 2], "1%!(EXTRA string=x, int=2)"),
        ("%", [], "%!(NOVERB)"),
        ("%z", [1], "%!z(int=1)"),
        ("%T %T %T", [[1], {"a": 1}, None], "[]interface {} map[string]interface {} <nil>"),
        ("%v %v %v %+v % v %05v", [float("inf"), float("-inf"), float("nan"), float("nan"), float("inf"), float("inf")],
         "+Inf -Inf NaN +NaN  Inf  +Inf"),
    ],
)  # fmt: skip
def test_sprintf_matches_go(fmt: str, args: list[Any], text: str) -> None:
    assert sprintf(fmt, args) == text


# --- json ----------------------------------------------------------------------------------------


def test_json_is_compact() -> None:
    assert go_json({"A": [1, 2], "B": {"C": None}}) == '{"A":[1,2],"B":{"C":null}}'


def test_json_escapes_like_go() -> None:
    assert go_json('q"b\\s\n\r\t\b\f\x01\x7f') == '"q\\"b\\\\s\\n\\r\\t\\b\\f\\u0001\x7f"'
    assert go_json("\u2028\u2029") == '"\\u2028\\u2029"'
    assert go_json("héllo 世界") == '"héllo 世界"'
    assert go_json("<a&b>") == '"<a&b>"'
    assert go_json("<a&b>", escape_html=True) == '"\\u003ca\\u0026b\\u003e"'
    assert go_json("bad\udcff") == '"bad\ufffd"'


def test_json_numbers_like_go() -> None:
    assert go_json([1, 1.0, 1.5, 1e21, 1e-7, 123456789.0, -0.0]) == "[1,1,1.5,1e+21,1e-7,123456789,-0]"
    with pytest.raises(ValueError, match="json: unsupported value: NaN"):
        go_json(float("nan"))
    assert render("{{json .}}", float("inf")) == ""  # docker prints nothing when encoding fails


def test_json_sorts_string_maps_and_keeps_struct_order() -> None:
    assert go_json({"z": "1", "a": "2"}) == '{"a":"2","z":"1"}'
    assert go_json({"Z": 1, "A": "x"}) == '{"Z":1,"A":"x"}'


def test_json_of_tuples_and_other_objects() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing"

    assert go_json((1, "a")) == '[1,"a"]'
    assert go_json(Thing()) == '"thing"'


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{.Foo}}", 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"'),
        ("ab\n {{.Foo}}", 'template: :2:3: executing "" at <.Foo>: map has no entry for key "Foo"'),
        ("{{.State.Nope}}", 'template: :1:8: executing "" at <.State.Nope>: map has no entry for key "Nope"'),
        ("{{.State.Health.Status}}", 'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status'),
    ],
)  # fmt: skip
def test_missingkey_error_mode_matches_docker_inspect(text: str, message: str) -> None:
    data = {"State": {"Status": "up", "Health": None}, "Config": {"Labels": {"a": "1"}}}
    with pytest.raises(TemplateError) as err:
        render(text, data, missingkey="error")
    assert str(err.value) == message


def test_missingkey_error_mode_spares_string_maps() -> None:
    data = {"Config": {"Labels": {"a": "1"}}}
    assert render("{{.Config.Labels.b}}", data, missingkey="error") == "<no value>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{foo}}", 'template: :1: function "foo" not defined'),
        ("{{.X", "template: :1: unclosed action"),
        ("a\n{{.X", "template: :2: unclosed action"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{else}}", "template: :1: unexpected {{else}}"),
        ("{{if .X}}", "template: :1: unexpected EOF"),
        ("{{range .X}}{{else}}{{else}}{{end}}", "template: :1: expected end; found {{else}}"),
        ("{{$x}}", 'template: :1: undefined variable "$x"'),
        ("{{}}", "template: :1: missing value for command"),
        ("{{if}}{{end}}", "template: :1: missing value for if"),
        ('{{"abc}}', "template: :1: unterminated quoted string"),
        ("{{`abc}}", "template: :1: unterminated raw quoted string"),
        ("{{1x}}", 'template: :1: bad number syntax: "1x"'),
        ("{{.X | 3}}", "template: :1: non executable command in pipeline stage 2"),
        ("{{#}}", 'template: :1: unexpected "#" in command'),
        ("{{.X}", "template: :1: bad character U+007D '}'"),
        ("{{.X | nil}}", "template: :1: non executable command in pipeline stage 2"),
        ("{{range .X}}{{else nil}}{{end}}", "template: :1: unexpected <nil> in else"),
        ("{{(.X}}", "template: :1: unclosed left paren"),
        ("{{.X)}}", "template: :1: unexpected right paren"),
        ("{{break}}", "template: :1: {{break}} outside {{range}}"),
        ("{{/* x }}", "template: :1: unclosed comment"),
        ("{{/* x */ .X}}", "template: :1: comment ends before closing delimiter"),
        ("{{$x := 1}}{{$x:1}}", "template: :1: expected :="),
        ("{{\x01}}", "template: :1: unrecognized character in action: U+0001"),
        ("{{.X.}}", "template: :1: unexpected <.> in operand"),
        ('{{"a".X}}', 'template: :1: unexpected . after term "\\"a\\""'),
        ('{{define "x"}}{{end}}', "template: :1: {{define}} is not supported by docker --format templates"),
    ],
)  # fmt: skip
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as err:
        Template(text)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{index .L 5}}", 'template: :1:2: executing "" at <index .L 5>: error calling index: index out of range: 5'),
        ("{{index .S 1}}", 'template: :1:2: executing "" at <index .S 1>: error calling index: can\'t index item of type int'),
        ("{{join .L}}", 'template: :1:2: executing "" at <join>: wrong number of args for join: want 2 got 1'),
        ("{{upper .S}}", 'template: :1:8: executing "" at <.S>: wrong type for value; expected string; got int'),
        ('{{join .M ","}}', 'template: :1:7: executing "" at <.M>: wrong type for value; expected []string; got map[string]interface {}'),
        ('{{join .Mixed ","}}', 'template: :1:7: executing "" at <.Mixed>: wrong type for value; expected []string; got []interface {}'),
        ("{{truncate .L.x 1}}", 'template: :1:13: executing "" at <.L.x>: can\'t evaluate field x in type []string'),
        ("{{.Mixed.x}}", 'template: :1:8: executing "" at <.Mixed.x>: can\'t evaluate field x in type []interface {}'),
        ("{{.S.Field}}", 'template: :1:4: executing "" at <.S.Field>: can\'t evaluate field Field in type int'),
        ("{{nil}}", 'template: :1:2: executing "" at <nil>: nil is not a command'),
        ("{{.S 1}}", 'template: :1:2: executing "" at <.S>: S is not a method but has arguments'),
        ("{{.S nil}}", 'template: :1:2: executing "" at <.S>: S is not a method but has arguments'),
        ('{{eq .S "x"}}', 'template: :1:2: executing "" at <eq .S "x">: error calling eq: incompatible types for comparison'),
        ("{{lt .L .L}}", 'template: :1:2: executing "" at <lt .L .L>: error calling lt: invalid type for comparison'),
        ("{{len .S}}", 'template: :1:2: executing "" at <len .S>: error calling len: len of type int'),
        ("{{range .T}}{{end}}", "template: :1:8: executing \"\" at <{{range .T}}{{end}}>: range can't iterate over txt"),
        ("{{$x := 1}}{{.S | $x}}", 'template: :1:18: executing "" at <$x>: can\'t give argument to non-function $x'),
        ("{{printf 1}}", 'template: :1:9: executing "" at <1>: expected string; found 1'),
        ('{{truncate "abc" "x"}}', 'template: :1:17: executing "" at <"x">: expected integer; found "x"'),
    ],
)  # fmt: skip
def test_execution_errors(text: str, message: str) -> None:
    data = {"L": ["a"], "S": 5, "T": "txt", "M": {"a": "b"}, "Mixed": ["a", 1]}
    with pytest.raises(TemplateError) as err:
        render(text, data)
    assert str(err.value) == message


def test_method_errors_are_wrapped() -> None:
    def boom() -> str:
        raise RuntimeError("kaput")

    with pytest.raises(TemplateError) as err:
        render("{{.Boom}}", {"Boom": boom})
    assert str(err.value) == 'template: :1:2: executing "" at <.Boom>: error calling Boom: kaput'


def test_template_error_is_invalid_argument_and_keeps_partial_output() -> None:
    with pytest.raises(InvalidArgument) as err:
        render("ab{{.X}}cd{{index .X 3}}", {"X": ["a"]})
    assert isinstance(err.value, TemplateError)
    assert err.value.partial == "ab[a]cd"


def test_unknown_missingkey_option() -> None:
    with pytest.raises(ValueError, match="unrecognized option missingkey=nope"):
        Template("x", missingkey="nope")
