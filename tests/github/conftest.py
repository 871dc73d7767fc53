"""The fake GitHub API fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHub


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A running fake API; on teardown, no request it saw may have broken a limit."""
    with FakeGitHub() as api:
        yield api
    assert api.over_limit() == []
    assert [r.path for r in api.requests if r.status == 422] == []
