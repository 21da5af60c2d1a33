"""Shell-word expansion: what ``$VAR`` means in a Dockerfile argument (BuildKit's lexer)."""

from __future__ import annotations

import pytest

from dockyard.build.errors import ExpansionError
from dockyard.build.shell_words import Lex, expand_word, expand_words
from dockyard.errors import InvalidArgument

ENV = {"HOME": "/root", "DIR": "/opt/default", "EMPTY": "", "SPACED": "x  y",
       "FILE": "archive.tar.gz", "P": "a-b-a"}


@pytest.mark.parametrize("word,expected", [
    ("$HOME", "/root"),
    ("${HOME}", "/root"),
    ("$HOME/bin", "/root/bin"),
    ("${HOME}bin", "/rootbin"),
    ("$HOMEbin", ""),                       # the name runs to the first non [A-Za-z0-9_]
    ("$UNSET", ""),
    ("a$", "a$"),                           # a $ that starts no name stays
    ("$ a", "$ a"),
    ("5$ end$", "5$ end$"),
    ("$1x", "x"),                           # positional parameters are just unset names
    ("${UNSET:-fallback}", "fallback"),
    ("${EMPTY:-fallback}", "fallback"),     # ':' treats empty as unset
    ("${EMPTY-fallback}", ""),              # without ':' only unset counts
    ("${UNSET-fallback}", "fallback"),
    ("${HOME:-fallback}", "/root"),
    ("${HOME:+set}", "set"),
    ("${EMPTY:+set}", ""),
    ("${EMPTY+set}", "set"),
    ("${UNSET+set}", ""),
    ("${UNSET:-${DIR:-/nested}}", "/opt/default"),
    ("${UNSET:-a b}", "a b"),
    ("${UNSET:-\"q\"}", "q"),
    ("${DIR#/}", "opt/default"),
    ("${DIR#*/}", "opt/default"),
    ("${DIR##*/}", "default"),
    ("${DIR%/*}", "/opt"),
    ("${DIR%%/*}", ""),
    ("${FILE%.*}", "archive.tar"),
    ("${FILE%%.*}", "archive"),
    ("${FILE#*.}", "tar.gz"),
    ("${FILE##*.}", "gz"),
    ("${DIR#nomatch}", "/opt/default"),
    ("${DIR/opt/srv}", "/srv/default"),
    ("${P/a/x}", "x-b-a"),
    ("${P//a/x}", "x-b-x"),
    ("${P/a}", "-b-a"),
    ("${P//a/$HOME}", "/root-b-/root"),
])
def test_expansion(word: str, expected: str) -> None:
    assert expand_word(word, ENV) == expected


@pytest.mark.parametrize("word,expected", [
    (r"\$HOME", "$HOME"),                   # escaped $: no expansion, escape removed
    (r"a\ b", "a b"),
    (r"\\", "\\"),
    ("'$HOME'", "$HOME"),                   # single quotes: nothing is special
    ("'a\\b'", "a\\b"),
    ('"$HOME"', "/root"),                   # double quotes: $ still expands
    ('"a \\"q\\" b"', 'a "q" b'),
    ('"a\\b"', "a\\b"),                     # \ before an ordinary char stays inside "..."
    ('"\\$HOME"', "$HOME"),
    ("\"it's\"", "it's"),
    ("'say \"hi\"'", 'say "hi"'),
    ('a"b"c', "abc"),
    ("trailing\\", "trailing"),             # an escape at the very end is dropped
    ('"$SPACED"', "x  y"),
])
def test_quotes_and_escapes(word: str, expected: str) -> None:
    assert expand_word(word, ENV) == expected


def test_backtick_escape() -> None:
    assert expand_word("`$HOME", ENV, escape="`") == "$HOME"
    assert expand_word(r"C:\data\$HOME", ENV, escape="`") == "C:\\data\\/root"
    assert expand_word('"a `"b`""', ENV, escape="`") == 'a "b"'


@pytest.mark.parametrize("word,message", [
    ("${X:?need X}", 'failed to process "${X:?need X}": X: need X'),
    ("${X?}", 'failed to process "${X?}": X: is not allowed to be unset'),
    ("${EMPTY:?}", 'failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty'),
    ("${HOME", "syntax error: missing '}'"),
    ("${", "syntax error: missing '}'"),
    ("${}", "syntax error: bad substitution"),
    ("${:x}", "syntax error: bad substitution"),
    ("${X:-abc", "syntax error: missing '}'"),
    ("${X!}", "unsupported modifier (!) in substitution"),
    ("${X:#a}", "unsupported modifier (:#) in substitution"),
    ("'open", "unexpected end of statement while looking for matching single-quote"),
    ('"open', "unexpected end of statement while looking for matching double-quote"),
])
def test_errors(word: str, message: str) -> None:
    with pytest.raises(ExpansionError) as info:
        expand_word(word, ENV)
    assert message in str(info.value)
    assert str(info.value).startswith("failed to process ")
    assert isinstance(info.value, InvalidArgument)


def test_set_variables_pass_the_check() -> None:
    assert expand_word("${HOME:?need it}", ENV) == "/root"
    assert expand_word("${EMPTY?}", ENV) == ""


@pytest.mark.parametrize("word,expected", [
    ('a "b c" $EMPTY', ["a", "b c"]),
    ("$SPACED", ["x", "y"]),                # unquoted expansions are split
    ('"$SPACED"', ["x  y"]),
    ("'$SPACED'", ["$SPACED"]),
    (r"a\ b c", ["a b", "c"]),
    ("  lead   trail  ", ["lead", "trail"]),
    ('""', []),                             # empty fields are dropped, as BuildKit does
    ("", []),
    ("pre$SPACED", ["prex", "y"]),
])
def test_expand_words(word: str, expected: list[str]) -> None:
    assert expand_words(word, ENV) == expected


def test_lexer_modes() -> None:
    keep = Lex(skip_unset_env=True)
    assert keep.process_word("$X ${Y} ${Z:-d} $HOME", ENV) == "$X ${Y} ${Z:-d} /root"
    raw = Lex(raw_quotes=True)
    assert raw.process_words("<<'EOF' \"a b\"", {}) == ["<<'EOF'", '"a b"']
    assert Lex(raw_escapes=True).process_word(r"a\$b", {}) == r"a\$b"


def test_env_is_case_sensitive() -> None:
    assert expand_word("$home", ENV) == ""
