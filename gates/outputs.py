"""Step outputs for GitHub Actions: `verdict`, `report`, `sarif`, `findings` in GITHUB_OUTPUT.

`gates run` writes them itself, so the action (and any workflow step running `gates run`) can
read the verdict without parsing the report; `publish` may write them again later in the job.
Values use the multi-line `name<<DELIMITER` form with a random delimiter, so a path or value can
never inject another output.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from gates.errors import UsageError
from gates.model import Report


def run_outputs(report: Report, written: Sequence[Path]) -> dict[str, str]:
    """The outputs of a run: the verdict, the report paths, and the number of new findings."""
    by_name = {path.name: str(path) for path in written}
    new = sum(1 for f in report.all_findings() if f.new and f.suppressed is None)
    return {
        "verdict": report.verdict.value,
        "report": by_name.get("gates.json", ""),
        "sarif": by_name.get("gates.sarif", ""),
        "findings": str(new),
    }


def write_github_outputs(env: Mapping[str, str], values: Mapping[str, str]) -> bool:
    """Append `values` to the file named by GITHUB_OUTPUT; False when there is none."""
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return False
    lines = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write("".join(lines))
    except OSError as exc:
        raise UsageError(f"cannot write GITHUB_OUTPUT={target}: {exc.strerror}") from None
    return True
