"""The one glob rule every config key uses (paths, exclude, budgets, allowed binaries)."""

from __future__ import annotations

import pytest

from gates.paths import (
    MAX_ALTERNATIVES,
    GlobError,
    check_glob,
    compile_glob,
    compile_host_glob,
    expand_braces,
    matches,
    select,
)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/deep/guide.md", True),  # no `/`: the name at any depth
        ("*.md", "README.rst", False),
        ("docs/*.md", "docs/a.md", True),
        ("docs/*.md", "docs/deep/a.md", False),  # `*` stays within a segment
        ("docs/**/*.md", "docs/a.md", True),  # `**` is also no segment at all
        ("docs/**/*.md", "docs/x/y/a.md", True),
        ("agents/**/*.py", "agents/router.py", True),
        ("agents/**/*.py", "lib/agents/router.py", False),  # with `/`: anchored at the root
        ("src/flask/", "src/flask/app.py", True),
        ("src/flask", "src/flask/json/tag.py", True),  # a directory means what is below it
        ("src/flask", "src/flask_extra/app.py", False),
        ("tests", "pkg/tests/test_a.py", True),
        ("./src/a?.py", "src/ab.py", True),
        ("src/[ab].py", "src/c.py", False),
        ("src/[!ab].py", "src/c.py", True),
        # braces: alternatives, expanded first, each with the rules above
        ("agents/**/*.{py,md}", "agents/x/notes.md", True),
        ("agents/**/*.{py,md}", "agents/router.py", True),
        ("agents/**/*.{py,md}", "agents/router.txt", False),
        ("*.{py,md}", "deep/down/a.md", True),  # no `/` in the alternative: any depth
        ("{src,lib}/**", "lib/a/b.py", True),
        ("{src,lib}/**", "pkg/src/a.py", False),
        ("{src,lib}/**", "srclib/a.py", False),
        ("src/{a,b{c,d}}.py", "src/bd.py", True),  # nested
        ("src/{a,b{c,d}}.py", "src/b.py", False),
        ("{docs/*.md,*.rst}", "deep/x.rst", True),  # each alternative decides its anchoring
        ("{docs/*.md,*.rst}", "deep/docs/x.md", False),
        ("notes{,.bak}", "notes.bak", True),  # an empty alternative
        ("*.{py}", "a.py", True),  # one alternative is still a group
        # escapes, classes
        ("a\\{b,c\\}.txt", "a{b,c}.txt", True),
        ("a\\*.txt", "ab.txt", False),
        ("a\\*.txt", "a*.txt", True),
        ("src/[a\\-c].py", "src/b.py", False),  # an escaped `-` is no range
        ("src/[a\\-c].py", "src/-.py", True),
        ("[]x].py", "].py", True),  # `]` first in a class is literal
        ("a[!x]b", "a/b", False),  # a class never matches `/`
        ("a[/]b", "a/b", False),
    ],
)
def test_glob_rules(pattern: str, path: str, expected: bool) -> None:
    assert matches(path, [pattern]) is expected


def test_select_keeps_order_and_applies_excludes() -> None:
    files = ("src/pkg/a.py", "src/pkg/gen/b.py", "tests/test_a.py", "README.md")
    assert select(files, ["src/pkg"], ["src/pkg/gen"]) == ("src/pkg/a.py",)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("src/[z-a]/*.py", "bad character range z-a"),
        ("agents/**/*.{py,md", "unbalanced '{'"),
        ("agents/*.py}", "unbalanced '}'"),
        ("src/[abc.py", "unclosed '['"),
        ("src/a\\", "lone '\\'"),
        ("", "empty pattern"),
        ("   ", "empty pattern"),
        ("!vendor/**", "negation"),
        ("{a,b}" * 9, f"more than {MAX_ALTERNATIVES}"),
        ("{" * 40 + "}" * 40, "nested more than"),
    ],
)
def test_bad_patterns_say_why(pattern: str, why: str) -> None:
    with pytest.raises(GlobError) as raised:
        compile_glob(pattern)
    assert why in str(raised.value)
    assert check_glob(pattern) == f"bad glob {pattern!r}: {raised.value}"


def test_brace_expansion_order_and_duplicates() -> None:
    assert expand_braces("a{b,c{d,e}}f") == ("abf", "acdf", "acef")
    assert expand_braces("{a,a}x,y") == ("ax,y",)  # top-level commas are literal
    assert expand_braces("[{]x") == ("[{]x",)  # a class keeps its braces


def test_host_globs_match_whole_names_with_braces() -> None:
    assert compile_host_glob("{api,www}.example.com").match("www.example.com")
    assert compile_host_glob("*.example.com").match("a.b.example.com")
    assert not compile_host_glob("*.example.com").match("example.com.evil.io")
    with pytest.raises(GlobError, match="unbalanced"):
        compile_host_glob("{api.example.com")
