"""dangerous-code: unit tests of `scan` on tricky inputs, and end to end on real repos."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import pytest
from conftest import Repo, gates_run

from gates.checks.base import Source
from gates.checks.dangerous import RULES, DangerousCodeGate
from gates.model import Finding, Severity

ROOT = Path(__file__).resolve().parents[2]
GATE = DangerousCodeGate()


def scan(text: str, path: str = "m.py", **options: object) -> list[Finding]:
    return GATE.scan(Source(path, text), {"allowed_hosts": [], **options})


def rules(text: str, **options: object) -> list[tuple[str, int | None]]:
    return [(f.rule, f.line) for f in scan(text, **options)]


def test_aliases_and_from_imports_are_resolved() -> None:
    text = (
        "import subprocess as sp\n"
        "from os import system as sh\n"
        "import pickle as pk\n"
        "run = sp.call\n"
        "sp.run(cmd, shell=True)\n"
        "sh('ls')\n"
        "pk.loads(b)\n"
        "run('make all')\n"
    )
    assert rules(text) == [
        ("shell-command", 5),
        ("shell-command", 6),
        ("unsafe-deserialization", 7),
        ("shell-command", 8),
    ]


def test_a_local_name_shadowing_a_module_is_not_the_module() -> None:
    text = "import os\n\ndef f(os):\n    os.system('x')\n"  # `os` is a parameter here
    assert rules(text) == []


def test_decoded_payload_through_a_local_of_the_same_function_only() -> None:
    text = (
        "import base64\n"
        "def a():\n"
        "    code = base64.b64decode(BLOB)\n"
        "    exec(code)\n"
        "def b(code):\n"
        "    exec(code)\n"  # another function's `code` is a parameter: not decoded
    )
    found = scan(text)
    assert [(f.rule, f.line, f.severity) for f in found] == [
        ("decoded-exec", 4, Severity.ERROR),
        ("eval-nonliteral", 6, Severity.WARNING),
    ]


def test_loop_exits_in_nested_functions_and_loops_do_not_count() -> None:
    text = (
        "while True:\n"
        "    def inner():\n"
        "        while True:\n"
        "            break\n"
        "    for x in y:\n"
        "        break\n"
        "    lambda: sys.exit()\n"
    )
    assert rules(text) == [("unbounded-loop", 1)]


def test_return_inside_a_nested_loop_still_leaves_the_function() -> None:
    text = "def f(xs):\n    while True:\n        for x in xs:\n            return x\n"
    assert rules(text) == []


@pytest.mark.parametrize(
    "bound", ["10**6", "1_000_000", "1000 * 1000", "2 << 20", "10 ** 10 ** 10"]
)
def test_large_range_spellings(bound: str) -> None:
    assert rules(f"for i in range({bound}):\n    pass\n") == [("large-range-loop", 1)]


def test_small_and_negative_ranges() -> None:
    assert rules("for i in range(999_999):\n    pass\nfor j in range(-10**7, 0):\n    pass\n") == []


def test_allowed_hosts_globs_and_dynamic_hosts() -> None:
    text = (
        "import requests\n"
        "requests.get('https://api.github.com/x')\n"
        "requests.get('https://evil.example/x')\n"
        "requests.get(make_url())\n"
    )
    found = scan(text, allowed_hosts=["*.github.com", "api.github.com"])
    assert [(f.rule, f.line, f.severity) for f in found] == [
        ("network-egress", 3, Severity.WARNING),
        ("network-egress-dynamic", 4, Severity.NOTE),
    ]
    assert "evil.example" in found[0].message


@pytest.mark.parametrize(
    "text",
    [
        "def f(:\n    pass\n",
        "x = 'unterminated\n",
        "\0",
        "    indented = 1\n",
        "(" * 300 + ")" * 300,
    ],
)
def test_unparsable_files_give_one_note_and_never_raise(text: str) -> None:
    found = scan(text)
    assert [f.rule for f in found] == ["syntax-error"]
    assert found[0].severity is Severity.NOTE


def test_location_comes_from_the_ast_node() -> None:
    (finding,) = scan("x = 1\nif x:\n    y = eval(data)\n")
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (3, 9, 3, 19)
    assert finding.message.startswith("`eval` of a non-literal argument: ")


def test_every_rule_is_documented() -> None:
    doc = (ROOT / "gates/docs/safety.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"### `{rule}`" in doc, rule


def test_only_python_files_are_wanted() -> None:
    assert GATE.wants("a/b.py") and GATE.wants("X.PYW")
    assert not GATE.wants("notes.md") and not GATE.wants("script.sh")


# --- end to end ------------------------------------------------------------------------------


def run_stage(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return gates_run(repo, "--stages", "dangerous-code", *args, timeout=120)


def _findings(repo: Repo) -> list[dict[str, object]]:
    report = json.loads((repo.path / "reports/gates.json").read_text())
    return [f for g in report["gates"] if g["name"] == "dangerous-code" for f in g["findings"]]


def test_planted_eval_is_new_and_blocking_old_one_is_not(repo: Repo) -> None:
    repo.write("old.py", "def f(s):\n    return eval(s)\n")
    base = repo.commit("base")
    repo.write("old.py", "def f(s):\n    return eval(s)\n\n\nX = 1\n")  # touched, eval unchanged
    repo.write("new.py", "import os\n\ndef g(cmd):\n    return eval(cmd)\n")
    repo.commit("pr")
    result = run_stage(repo.path, "--base", base)
    assert result.returncode == 1, result.stdout + result.stderr
    by_path = {f["path"]: f for f in _findings(repo)}
    assert by_path["new.py"]["rule"] == "eval-nonliteral" and by_path["new.py"]["line"] == 4
    assert by_path["new.py"]["new"] is True
    assert by_path["old.py"]["new"] is False and by_path["old.py"]["line"] == 2


def test_unchanged_eval_alone_does_not_block(repo: Repo) -> None:
    repo.write("old.py", "def f(s):\n    return eval(s)\n")
    base = repo.commit("base")
    repo.write("old.py", "def f(s):\n    return eval(s)\n\n\nX = 1\n")
    repo.commit("pr")
    result = run_stage(repo.path, "--base", base)
    assert result.returncode == 0, result.stdout + result.stderr
    (finding,) = _findings(repo)
    assert finding["new"] is False


def test_inline_suppression_marks_and_does_not_block(repo: Repo) -> None:
    base = repo.commit("base")
    repo.write(
        "tool.py",
        "def calc(expr):\n"
        "    return eval(expr)  # gates: ignore[eval-nonliteral] trusted CLI input\n",
    )
    repo.commit("pr")
    result = run_stage(repo.path, "--base", base)
    assert result.returncode == 0, result.stdout + result.stderr
    (finding,) = _findings(repo)
    assert finding["new"] is True
    assert finding["suppressed"] == {"kind": "inline", "reason": "trusted CLI input", "line": 2}


def test_allowed_hosts_from_the_safety_stage_section(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.gates.safety]\nallowed_hosts = ["*.example.com"]\n')
    base = repo.commit("base")
    repo.write("net.py", "import requests\nrequests.get('https://api.example.com/x')\n")
    repo.commit("pr")
    result = run_stage(repo.path, "--base", base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _findings(repo) == []


def test_project_config_excludes_its_own_corpus() -> None:
    from gates.config import load_config
    from gates.paths import select
    from gates.registry import REGISTRY

    config = load_config(ROOT, REGISTRY, None, {})
    for name in ("dangerous-code", "prompt-injection"):
        excluded = config.gates[name].exclude
        kept = select(
            ["tests/corpus/safety/prompt-injection/hidden.toml", "gates/app.py"], (), excluded
        )
        assert list(kept) == ["gates/app.py"], name


def test_parsing_emits_no_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an "invalid escape sequence" warning would raise here
        assert scan('PATTERN = "\\d+"\n') == []


@pytest.mark.parametrize(
    "text",
    [
        "def f(src):\n    return compile(src, '<x>', 'exec')\n",
        "def f(n):\n    return compile(f'x.{n}', '<x>', 'eval')\n",
        "import builtins\ndef f(s):\n    return builtins.compile(s, '<x>', 'exec')\n",
        "from builtins import compile as cc\ndef f(s):\n    return cc(s, '<x>', 'exec')\n",
        "def f(s):\n    return compile(source=s, filename='<x>', mode='exec')\n",
        "def f(xs):\n    src = 'x = 0\\n'\n    src += xs\n    return compile(src, '<x>', 'exec')\n",
        "import builtins\n_c = builtins.compile\ndef f(s):\n    return _c(s, '<x>', 'exec')\n",
    ],
)
def test_compile_of_runtime_source_is_reported(text: str) -> None:
    assert [r for r, _ in rules(text)] == ["compile-nonliteral"]
    assert scan(text)[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C = compile('x + 1', '<x>', 'eval')\n", []),
        ("S = 'x = 1'\nC = compile(S, '<x>', 'exec')\n", []),
        ("C = compile(f'x = 1', '<x>', 'exec')\n", []),
        ("import textwrap\nC = compile(textwrap.dedent('  x = 1'), '<x>', 'exec')\n", []),
        ("V = eval(compile('6 * 7', '<x>', 'eval'))\n", []),
        ("import re\ndef f(p):\n    return re.compile(p)\n", []),
        ("def f(m):\n    return m.compile(optimizer='adam')\n", []),
        ("def f(lines, compile):\n    return compile(lines)\n", []),
        ("compile = lambda xs: sorted(xs)\ndef f(xs):\n    return compile(xs)\n", []),
        ("import ast\ndef f(s):\n    return compile(s, '<x>', 'exec', ast.PyCF_ONLY_AST)\n", []),
        ("import ast\nf = lambda s: compile(s, 'x', 'exec', flags=ast.PyCF_ONLY_AST | 1)\n", []),
        # the code object runs in this file: the exec is the one finding
        ("def f(s):\n    exec(compile(s, '<x>', 'exec'))\n", [("eval-nonliteral", 2)]),
        ("def f(s):\n    c = compile(s, '<x>', 'exec')\n    exec(c)\n", [("eval-nonliteral", 3)]),
    ],
)
def test_compile_look_alikes(text: str, expected: list[tuple[str, int]]) -> None:
    assert rules(text) == expected
