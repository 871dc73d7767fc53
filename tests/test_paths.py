"""The one glob rule every config key uses (paths, exclude, budgets, allowed binaries)."""

from __future__ import annotations

import pytest

from gates.paths import matches, select


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
    ],
)
def test_glob_rules(pattern: str, path: str, expected: bool) -> None:
    assert matches(path, [pattern]) is expected


def test_select_keeps_order_and_applies_excludes() -> None:
    files = ("src/pkg/a.py", "src/pkg/gen/b.py", "tests/test_a.py", "README.md")
    assert select(files, ["src/pkg"], ["src/pkg/gen"]) == ("src/pkg/a.py",)
