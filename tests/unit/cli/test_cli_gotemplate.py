"""Go text/template as docker --format uses it: the language (fields, pipelines, control flow)."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.cli.gotemplate import Template, TemplateError, render

CONTAINER: dict[str, Any] = {
    "Id": "4f66ad9a0b2e",
    "Name": "/web",
    "State": {"Status": "running", "Running": True, "Paused": False, "Pid": 4242, "ExitCode": 0, "Health": None},
    "Config": {
        "Labels": {"com.example.vendor": "ACME", "version": "1.0", "a": "first"},
        "Env": ["PATH=/usr/bin", "A=1"],
        "Cmd": ["nginx", "-g", "daemon off;"],
        "Image": "nginx:latest",
    },
    "NetworkSettings": {
        "Networks": {"bridge": {"IPAddress": "172.17.0.2"}, "backend": {"IPAddress": "10.0.0.5"}},
        "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
    },
    "Names": ["web", "frontend"],
    "RestartCount": 3,
    "Ratio": 0.5,
}


def r(text: str, data: Any = CONTAINER, **kw: Any) -> str:
    return render(text, data, **kw)


# --- fields --------------------------------------------------------------------------------------


def test_plain_text_passes_through() -> None:
    assert r("hello, world") == "hello, world"
    assert r("") == ""


def test_fields_and_nested_fields() -> None:
    assert r("{{.Name}}") == "/web"
    assert r("{{.State.Status}}") == "running"
    assert r("{{.Config.Image}} {{.State.Pid}}") == "nginx:latest 4242"
    assert r("{{.NetworkSettings.Networks.bridge.IPAddress}}") == "172.17.0.2"


def test_map_key_access_as_field() -> None:
    assert r("{{.Config.Labels.version}}") == "1.0"


def test_index_with_dotted_key_and_list_position() -> None:
    assert r('{{index .Config.Labels "com.example.vendor"}}') == "ACME"
    assert r("{{index .Names 1}}") == "frontend"
    assert r('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}') == "8080"
    assert r('{{index .NetworkSettings.Networks "backend" "IPAddress"}}') == "10.0.0.5"


def test_dot_and_root_variable() -> None:
    assert r("{{.}}", "plain") == "plain"
    assert r("{{range .Names}}{{$.Name}}:{{.}} {{end}}") == "/web:web /web:frontend "


def test_data_may_be_objects_with_attributes_and_methods() -> None:
    class Row:
        ID = "abc"

        def Label(self, key: str) -> str:
            return {"x": "1"}.get(key, "")

        def Names(self) -> str:
            return "web"

    assert r('{{.ID}} {{.Names}} {{.Label "x"}}', Row()) == "abc web 1"


def test_callable_dict_values_act_as_methods() -> None:
    data = {"Label": lambda k: f"<{k}>", "Now": lambda: "now"}
    assert r('{{.Label "a"}} {{.Now}}', data) == "<a> now"
    assert r('{{"b" | .Label}}', data) == "<b>"


# --- functions -----------------------------------------------------------------------------------


def test_json_function() -> None:
    assert r("{{json .State}}") == (
        '{"Status":"running","Running":true,"Paused":false,"Pid":4242,"ExitCode":0,"Health":null}'
    )
    assert r("{{json .Names}}") == '["web","frontend"]'
    assert r("{{json .Name}}") == '"/web"'
    assert r('{{json "<a&b>"}}') == '"<a&b>"'  # docker turns Go's HTML escaping off


def test_json_of_whole_object_is_compact_and_ordered() -> None:
    data = {"B": 1, "A": [1.5, None, True], "C": {"z": "1", "y": "2"}}
    assert r("{{json .}}", data) == '{"B":1,"A":[1.5,null,true],"C":{"y":"2","z":"1"}}'


def test_join_split_upper_lower_title() -> None:
    assert r('{{join .Names ","}}') == "web,frontend"
    assert r('{{join .Config.Cmd " "}}') == "nginx -g daemon off;"
    assert r('{{split .Config.Image ":"}}') == "[nginx latest]"
    assert r('{{index (split .Config.Image ":") 1}}') == "latest"
    assert r("{{upper .State.Status}} {{lower .Config.Image}}") == "RUNNING nginx:latest"
    assert r('{{title "hello wide-world foo_bar"}}') == "Hello Wide-World Foo_bar"
    assert r('{{title "ALL caps"}}') == "ALL Caps"  # Go's Title leaves the rest alone


def test_truncate_and_pad() -> None:
    assert r("{{truncate .Id 4}}") == "4f66"
    assert r("{{truncate .Id 100}}") == "4f66ad9a0b2e"
    assert r('{{pad "x" 2 3}}|') == "  x   |"
    assert r('{{pad "" 2 3}}|') == "|"  # docker pads only non-empty strings


def test_printf_and_print() -> None:
    assert r('{{printf "%s has pid %d" .Name .State.Pid}}') == "/web has pid 4242"
    assert r('{{printf "%-6s|%6s|" "ab" "cd"}}') == "ab    |    cd|"
    assert r('{{printf "%05.1f %x %X %o %q %v %t" 3.14159 255 255 8 "q" .Names true}}') == (
        '003.1 ff FF 10 "q" [web frontend] true'
    )
    assert r('{{print "a" 1 2 "b"}}') == "a1 2b"
    assert r('{{println "a" 1}}') == "a 1\n"


def test_pipelines_pass_the_value_as_last_argument() -> None:
    assert r("{{.Name | upper}}") == "/WEB"
    assert r('{{.State.Status | printf "status=%s"}}') == "status=running"
    assert r('{{.Config.Image | split ":" | len}}', {"Config": {"Image": "x"}}) == "1"
    assert r('{{":" | split .Config.Image | len}}') == "2"
    assert r("{{.Names | len}}") == "2"


def test_len() -> None:
    assert r("{{len .Names}} {{len .Config.Labels}} {{len .Name}}") == "2 3 4"
    assert r('{{len "héllo"}}') == "6"  # bytes, as in Go


def test_slice() -> None:
    assert r("{{slice .Names 1}}") == "[frontend]"
    assert r('{{slice "abcdef" 1 3}}') == "bc"


def test_html_js_urlquery() -> None:
    assert r('{{html "<a href=\\"x\\">&</a>"}}') == "&lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt;"
    assert r('{{js "it\'s <b>"}}') == "it\\'s \\u003Cb\\u003E"
    assert r('{{urlquery "a b&c"}}') == "a+b%26c"


def test_custom_functions() -> None:
    tmpl = Template('{{shout .Name "!"}}', funcs={"shout": lambda s, e: s.upper() + e})
    assert tmpl.execute(CONTAINER) == "/WEB!"


# --- comparisons and logic -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('eq .State.Status "running"', "true"),
        ('eq .State.Status "exited" "running"', "true"),
        ('eq .State.Status "exited"', "false"),
        ('ne .State.Status "exited"', "true"),
        ("eq .State.ExitCode 0", "true"),
        ("eq .Ratio 0.5", "true"),
        ("lt .RestartCount 5", "true"),
        ("le .RestartCount 3", "true"),
        ("gt .RestartCount 3", "false"),
        ("ge .RestartCount 3", "true"),
        ('lt "a" "b"', "true"),
        ("and .State.Running .State.Pid", "4242"),
        ("and .State.Running .State.Paused", "false"),
        ('or .State.Paused "" "fallback"', "fallback"),
        ("or .State.Running .Nope", "true"),
        ("not .State.Paused", "true"),
        ("not .Names", "false"),
        ("eq .State.Health nil", "true"),
        ("eq .Missing .State.Health", "true"),
    ],
)
def test_comparison_and_logic_functions(expr: str, expected: str) -> None:
    assert r("{{" + expr + "}}") == expected


def test_and_or_short_circuit() -> None:
    # the second argument would fail if evaluated
    assert r("{{and false (index .Names 9)}}") == "false"
    assert r("{{or true (index .Names 9)}}") == "true"


# --- control flow --------------------------------------------------------------------------------


def test_if_else_if_else() -> None:
    tmpl = '{{if eq .State.Status "exited"}}E{{else if .State.Paused}}P{{else if .State.Running}}R{{else}}?{{end}}'
    assert r(tmpl) == "R"
    assert r(tmpl, {"State": {"Status": "x", "Paused": False, "Running": False}}) == "?"
    assert r(tmpl, {"State": {"Status": "exited"}}) == "E"


@pytest.mark.parametrize(
    ("value", "truth"),
    [(True, "T"), (False, "F"), (0, "F"), (1, "T"), (0.0, "F"), ("", "F"), ("x", "T"), ([], "F"), ([0], "T"),
     ({}, "F"), ({"a": 1}, "T"), (None, "F")],
)  # fmt: skip
def test_if_truth_is_gos(value: Any, truth: str) -> None:
    assert r("{{if .V}}T{{else}}F{{end}}", {"V": value}) == truth


def test_if_on_missing_key_is_false() -> None:
    assert r("{{if .Nope}}T{{else}}F{{end}}") == "F"


def test_with_sets_dot_and_has_else() -> None:
    assert r("{{with .State}}{{.Status}}/{{.Pid}}{{end}}") == "running/4242"
    assert r("{{with .State.Health}}{{.Status}}{{else}}no healthcheck{{end}}") == "no healthcheck"
    assert r("{{with $s := .State}}{{$s.Pid}}{{end}}") == "4242"


def test_range_over_list() -> None:
    assert r("{{range .Names}}<{{.}}>{{end}}") == "<web><frontend>"
    assert r("{{range $i, $n := .Names}}{{$i}}={{$n}} {{end}}") == "0=web 1=frontend "
    assert r("{{range $n := .Names}}{{$n}};{{end}}") == "web;frontend;"


def test_range_over_map_is_sorted_by_key() -> None:
    assert (
        r("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}") == "a=first com.example.vendor=ACME version=1.0 "
    )
    assert r("{{range .Config.Labels}}{{.}},{{end}}") == "first,ACME,1.0,"
    assert r("{{range $k, $v := .NetworkSettings.Networks}}{{$k}}:{{$v.IPAddress}} {{end}}") == (
        "backend:10.0.0.5 bridge:172.17.0.2 "
    )


def test_range_else_break_continue() -> None:
    assert r("{{range .Empty}}x{{else}}none{{end}}", {"Empty": []}) == "none"
    assert r("{{range .Nope}}x{{else}}none{{end}}") == "none"
    assert r("{{range .L}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}", {"L": [1, 2, 3, 4]}) == "12"
    assert r("{{range .L}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", {"L": [1, 2, 3]}) == "13"


def test_range_over_int() -> None:
    assert r("{{range 3}}{{.}}{{end}}") == "012"


def test_nested_range_and_root() -> None:
    data = {"Groups": [{"Name": "a", "Items": [1, 2]}, {"Name": "b", "Items": [3]}], "Sep": "-"}
    assert r("{{range .Groups}}{{$g := .Name}}{{range .Items}}{{$g}}{{$.Sep}}{{.}} {{end}}{{end}}", data) == (
        "a-1 a-2 b-3 "
    )


# --- variables -----------------------------------------------------------------------------------


def test_variable_declaration_and_assignment() -> None:
    assert r("{{$x := .Name}}{{$x}}") == "/web"
    assert r('{{$x := "a"}}{{$x = "b"}}{{$x}}') == "b"
    assert r("{{$x := 0}}{{range .Names}}{{$x = .}}{{end}}{{$x}}") == "frontend"  # assignment reaches out


def test_variables_are_scoped_to_their_block() -> None:
    with pytest.raises(TemplateError, match='undefined variable "\\$y"'):
        Template("{{if true}}{{$y := 1}}{{end}}{{$y}}")


def test_declaration_prints_nothing() -> None:
    assert r("a{{$x := 1}}b") == "ab"


# --- literals, comments, white space -------------------------------------------------------------


def test_literals() -> None:
    assert r('{{"a\\tb\\u00e9\\x41"}}') == "a\tb\u00e9A"
    assert r("{{`raw\\n`}}") == "raw\\n"
    assert r("{{'a'}}") == "97"  # a character constant is a rune
    assert r("{{42}} {{-7}} {{0x1F}} {{1_000}} {{010}} {{1.5}} {{1e3}} {{2.0}}") == "42 -7 31 1000 8 1.5 1000 2"
    assert r("{{true}} {{false}}") == "true false"
    assert r('{{printf "%T %T %T %T" 1 1.5 "s" true}}') == "int float64 string bool"


def test_comments() -> None:
    assert r("a{{/* a comment */}}b") == "ab"
    assert r("a {{- /* trimmed */ -}} b") == "ab"
    assert r("a{{/* multi\nline */}}b") == "ab"


def test_trim_markers() -> None:
    assert r("a  {{- .Name}}") == "a/web"
    assert r("{{.Name -}}  \n\t b") == "/webb"
    assert r("a \n {{- .Name -}} \n b") == "a/webb"
    assert r("{{- .Name -}}") == "/web"
    assert r("{{range .Names -}}\n  {{.}}\n{{- end}}") == "webfrontend"


def test_minus_without_space_is_a_number_not_a_trim() -> None:
    assert r("x {{-3}}") == "x -3"


def test_newlines_inside_actions() -> None:
    assert r("{{if\n.State.Running\n}}up{{end}}") == "up"


def test_parenthesized_pipelines() -> None:
    assert r('{{(printf "%s-%s" "a" "b") | upper}}') == "A-B"
    assert r("{{if (eq (len .Names) 2)}}two{{end}}") == "two"


def test_template_is_reusable_across_rows() -> None:
    tmpl = Template("{{.Name}}:{{.State.Status}}")
    assert tmpl.execute(CONTAINER) == "/web:running"
    assert tmpl.execute({"Name": "/db", "State": {"Status": "exited"}}) == "/db:exited"
