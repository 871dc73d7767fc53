"""The event file, read in one place by `run` and `publish` (gates/event.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.errors import UsageError
from gates.event import load_event
from gates.github.context import read_event


def test_the_name_and_payload_and_nothing_outside_actions(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": {"number": 7}}')
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request"}
    assert load_event(env) == ("pull_request", {"pull_request": {"number": 7}})
    assert read_event(env) == {"pull_request": {"number": 7}}
    assert load_event({}) == ("", {})


@pytest.mark.parametrize(
    ("text", "why"),
    [("", "is empty"), ("{not json", "is not JSON"), ("[1, 2]", "is not a JSON object")],
)
def test_a_bad_event_file_is_named_for_run_and_publish(tmp_path: Path, text: str, why: str) -> None:
    event = tmp_path / "event.json"
    event.write_text(text)
    env = {"GITHUB_EVENT_PATH": str(event)}
    for read in (load_event, read_event):
        with pytest.raises(UsageError, match=f"GITHUB_EVENT_PATH={event} {why}"):
            read(env)


def test_a_missing_event_file_stops_run_but_not_publish(tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_PATH": str(tmp_path / "gone.json")}
    with pytest.raises(UsageError, match="no such file"):
        load_event(env)
    assert read_event(env) == {}
