"""The one user-facing error type. The CLI turns it into one clear line and exit code 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage, bad config or bad input: the message names the problem; exit code 2."""


class ConfigError(UsageError):
    """A config file that cannot be used; the message names the file and the key."""
