"""docker's --format directives (table, json), header row and Go tabwriter alignment."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.cli.gotemplate import (
    HEADER_FUNCS,
    Template,
    TemplateError,
    header_name,
    parse_format,
    render_rows,
    render_table,
    tabwrite,
)

ROWS: list[dict[str, Any]] = [
    {"ID": "abc123def456", "Image": "busybox", "Command": '"sh"', "RunningFor": "2 minutes ago", "Names": "web",
     "Labels": {"a": "1"}, "Ports": ["80/tcp"]},
    {"ID": "0123456789ab", "Image": "nginx:latest", "Command": '"/docker-entrypoint.…"', "RunningFor": "3 hours ago",
     "Names": "a_very_long_name", "Labels": {}, "Ports": []},
]  # fmt: skip
HEADERS = {"ID": "CONTAINER ID", "RunningFor": "CREATED"}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("table", (True, "")),
        ("table {{.ID}}\\t{{.Names}}", (True, "{{.ID}}\t{{.Names}}")),
        ("table {{.ID}}\t{{.Names}}", (True, "{{.ID}}\t{{.Names}}")),
        ("json", (False, "{{json .}}")),
        ("{{.ID}}", (False, "{{.ID}}")),
        ("  {{.ID}}\\n{{.Names}}  ", (False, "{{.ID}}\n{{.Names}}")),
        ("\t{{.ID}} ", (False, "\t{{.ID}}")),  # only spaces are trimmed
        ("tablefoo", (True, "foo")),
        ("JSON", (False, "JSON")),
    ],
)
def test_parse_format(fmt: str, expected: tuple[bool, str]) -> None:
    assert parse_format(fmt) == expected


def test_tabwrite_pads_columns_to_widest_cell_plus_three_min_ten() -> None:
    assert tabwrite("a\tb\tc\nlonger\tx\ty\n") == "a         b         c\nlonger    x         y\n"
    assert tabwrite("0123456789ABC\tx\n") == "0123456789ABC   x\n"


def test_tabwrite_line_without_tabs_ends_a_column_block() -> None:
    text = "a\tb\nno tabs here\nccccccccccccccccc\td\n"
    assert tabwrite(text) == "a         b\nno tabs here\nccccccccccccccccc   d\n"


def test_tabwrite_ragged_rows_and_empty_cells() -> None:
    assert tabwrite("a\tb\tc\ndd\tee\n") == "a         b         c\ndd        ee\n"
    assert tabwrite("\tx\n") == "          x\n"
    assert tabwrite("a\t\n") == "a         \n"


def test_tabwrite_without_trailing_newline_and_custom_params() -> None:
    assert tabwrite("a\tb") == "a         b"
    assert tabwrite("a\tb\nccc\td", minwidth=0, padding=1) == "a   b\nccc d"
    assert tabwrite("a\tb", minwidth=0, padding=1, tabwidth=8, padchar="\t") == "a\tb"


def test_render_table_like_docker_ps() -> None:
    _, text = parse_format("table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Names}}")
    assert render_table(ROWS, text, HEADERS) == (
        "CONTAINER ID   IMAGE          COMMAND                  CREATED         NAMES\n"
        'abc123def456   busybox        "sh"                     2 minutes ago   web\n'
        '0123456789ab   nginx:latest   "/docker-entrypoint.…"   3 hours ago     a_very_long_name\n'
    )


def test_render_table_without_rows_prints_the_header() -> None:
    assert render_table([], "{{.ID}}\t{{.Names}}", HEADERS) == "CONTAINER ID   NAMES\n"


def test_header_functions_leave_column_names_alone() -> None:
    text = '{{truncate .ID 4}}\t{{.Names | upper}}\t{{json .Labels}}\t{{join .Ports ","}}\t{{pad .Image 1 1}}|'
    out = render_table(ROWS[:1], text, HEADERS).splitlines()
    assert out[0].split() == ["CONTAINER", "ID", "NAMES", "LABELS", "PORTS", "IMAGE", "|"]
    assert out[0].endswith(" IMAGE |")  # pad is not overridden, so the header is padded too
    assert out[1].split() == ["abc1", "WEB", '{"a":"1"}', "80/tcp", "busybox", "|"]


def test_header_functions_table_is_dockers() -> None:
    assert set(HEADER_FUNCS) == {"json", "split", "join", "title", "lower", "upper", "truncate"}
    assert Template("{{upper .X}}").execute({"X": "Names"}, funcs=HEADER_FUNCS) == "Names"


def test_header_that_fails_keeps_partial_output() -> None:
    rows = [{"ID": "x", "State": {"Status": "up"}}]
    assert render_table(rows, "{{.ID}}\t{{.State.Status}}", HEADERS) == "CONTAINER ID   \nx              up\n"


def test_row_errors_carry_dockers_prefix() -> None:
    with pytest.raises(TemplateError) as err:
        render_table(ROWS, "{{.Nope.Deeper}}", missingkey="error")
    assert str(err.value) == (
        'template parsing error: template: :1:7: executing "" at <.Nope.Deeper>: map has no entry for key "Nope"'
    )
    with pytest.raises(TemplateError) as err:
        render_rows(ROWS, "{{nope}}")
    assert str(err.value) == 'template parsing error: template: :1: function "nope" not defined'


def test_render_rows_one_line_per_row() -> None:
    assert render_rows(ROWS, "{{.ID}}: {{.Names}}") == "abc123def456: web\n0123456789ab: a_very_long_name\n"
    assert render_rows([], "{{.ID}}") == ""
    assert render_rows([{"A": 1}], parse_format("json")[1]) == '{"A":1}\n'


def test_render_accepts_a_parsed_template() -> None:
    tmpl = Template("{{.Names}}")
    assert render_rows(ROWS, tmpl) == "web\na_very_long_name\n"


@pytest.mark.parametrize(
    ("field", "header"),
    [("ID", "ID"), ("Names", "NAMES"), ("RunningFor", "RUNNING FOR"), ("CreatedAt", "CREATED AT"),
     ("LocalVolumes", "LOCAL VOLUMES"), ("HTTPPort", "HTTP PORT"), ("Size2", "SIZE2"), ("snake_case", "SNAKE CASE")],
)  # fmt: skip
def test_header_name(field: str, header: str) -> None:
    assert header_name(field) == header
