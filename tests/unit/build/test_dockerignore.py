"""``.dockerignore`` reading and matching, case by case against moby's patternmatcher."""

from __future__ import annotations

import pytest

from dockyard.build.dockerignore import Matcher, read_patterns


def test_read_patterns() -> None:
    text = "\ufeff# comment\n  *.log  \n\n!  keep.log\n/abs/path\n./dot/../clean\n #not comment\n"
    assert read_patterns(text) == ["*.log", "!keep.log", "abs/path", "clean", "#not comment"]


@pytest.mark.parametrize("patterns,path,excluded", [
    (["*.log"], "a.log", True),
    (["*.log"], "dir/a.log", False),            # * does not cross /
    (["**/*.log"], "dir/sub/a.log", True),
    (["**/*.log"], "a.log", True),               # ** matches zero directories
    (["dir"], "dir/deep/file", True),            # a parent directory matches
    (["dir/**"], "dir/x", True),
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["*.md", "!README.md"], "README.md", False),
    (["*.md", "!README.md"], "OTHER.md", True),
    (["docs", "!docs/keep"], "docs/keep/x", False),
    (["docs", "!docs/keep", "docs/keep/no"], "docs/keep/no", True),
    (["file?.txt"], "file1.txt", True),
    (["file?.txt"], "file10.txt", False),
    (["[a-c].txt"], "b.txt", True),
    (["[^a-c].txt"], "b.txt", False),
    (["[!a-c].txt"], "d.txt", True),
    (["\\*star"], "*star", True),
    (["\\*star"], "xstar", False),
    (["a.b"], "axb", False),                    # regexp specials are literal
    (["foo**"], "foobar/baz", True),
    (["**"], "anything/at/all", True),
])
def test_matching(patterns: list[str], path: str, excluded: bool) -> None:
    assert Matcher.from_list(patterns).excluded(path) is excluded
