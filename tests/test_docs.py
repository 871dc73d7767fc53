"""The documentation a user copies from: every TOML example is a config gates accepts, and every
relative link between the documents leads to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gates.config import load_config
from gates.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "SECURITY.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.S | re.M)
_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")
README_LIMIT = 15 * 1024


def _toml_examples() -> list[tuple[str, str]]:
    return [
        (f"{doc.name} example {i}", text)
        for doc in DOCUMENTS
        for i, text in enumerate(_TOML_BLOCK.findall(doc.read_text(encoding="utf-8")))
    ]


@pytest.mark.parametrize(("where", "text"), _toml_examples())
def test_every_toml_example_is_a_valid_config(where: str, text: str, tmp_path: Path) -> None:
    nested = "[tool.gates" in text
    name = "pyproject.toml" if nested else ".gates.toml"
    (tmp_path / name).write_text(text, encoding="utf-8")
    config = load_config(tmp_path, REGISTRY)
    assert config.source.endswith(name), where


def test_the_readme_has_examples_and_every_doc_is_reached() -> None:
    assert _toml_examples(), "no TOML example found: the pattern is wrong"
    linked = {
        (doc.parent / target).resolve()
        for doc in DOCUMENTS
        for target, _ in _LINK.findall(doc.read_text(encoding="utf-8"))
        if not target.startswith(("http://", "https://", "mailto:"))
    }
    missing = sorted(str(p.relative_to(ROOT)) for p in linked if not p.exists())
    assert not missing, f"links to files that do not exist: {missing}"
    unreached = [d.name for d in DOCUMENTS[3:] if d.resolve() not in linked]
    assert not unreached, f"docs no other document links to: {unreached}"


def test_the_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= README_LIMIT
