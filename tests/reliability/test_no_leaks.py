"""Every planted secret and PII value is found, and none of them reaches any output in full:
terminal, report files, job summary, step outputs, workflow annotations, GitHub requests.
(The suite-wide leak guard in conftest.py checks the same for every other test.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import planted
from conftest import Repo, gates_run
from fake_github import FakeGitHub
from publish_helpers import actions_env

PLANTED_FILE = f'''"""Settings a careless PR might add."""
AWS_ACCESS_KEY_ID = "{planted.AWS_ACCESS_KEY_ID}"
aws_secret_access_key = "{planted.AWS_SECRET_ACCESS_KEY}"
GH = "{planted.GITHUB_TOKEN}"
CUSTOMER = {{"ssn": "{planted.US_SSN}", "card": "{planted.CARD_NUMBER}", "iban": "{planted.IBAN}"}}
CONTACT = "{planted.EMAIL}"
'''


def test_planted_values_are_found_and_never_leak(repo: Repo, tmp_path: Path) -> None:
    repo.write("README.md", "app\n")
    base = repo.commit("base")
    repo.write("settings.py", PLANTED_FILE)
    repo.commit("pr")
    # security too: bandit quotes the passwords it finds (B105-B107) in its own messages
    run = gates_run(repo.path, "--base", base, "--stages", "safety,security")
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    lines = {f["line"] for g in report["gates"] for f in g["findings"] if f["new"]}
    assert lines >= {2, 3, 4, 5, 6}, lines  # every planted line was caught
    with FakeGitHub() as api:
        env = {**os.environ, **actions_env(tmp_path, api)}
        published = subprocess.run(
            [sys.executable, "-m", "gates", "publish", str(repo.path / "reports/gates.json")],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    assert published.returncode == 1, published.stdout + published.stderr
    assert api.check_runs and list(api.all_comments())
    outputs = [run.stdout, run.stderr, published.stdout, published.stderr]
    outputs += [p.read_text() for p in (repo.path / "reports").iterdir()]
    outputs += [(tmp_path / "summary.md").read_text(), (tmp_path / "output.txt").read_text()]
    outputs += [json.dumps(r.body) for r in api.requests]
    for value in planted.ALL:
        assert not any(value in text for text in outputs), f"{value[:4]}... leaked"
    assert "AKIA" in (repo.path / "reports/gates.md").read_text()  # masked, still recognisable
