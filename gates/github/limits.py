"""GitHub's limits, as named constants with where each comes from.

OpenAPI = github/rest-api-description (request schemas, vendored in
tests/schemas/github-rest-writes.json); "extra" = limits GitHub enforces that the description
does not state, from its error messages and docs (`extra_limits` in the same file).
"""

from __future__ import annotations

# Check runs (OpenAPI checks/create, checks/update).
ANNOTATIONS_PER_REQUEST = 50  # output.annotations maxItems
CHECK_OUTPUT_SUMMARY = 65535  # output.summary maxLength
CHECK_OUTPUT_TEXT = 65535  # output.text maxLength
CHECK_OUTPUT_TITLE = 255  # not stated; kept short like an annotation title (extra)
ANNOTATION_TITLE = 255  # extra: "annotation title at most 255 characters"
ANNOTATION_MESSAGE = 64 * 1024  # extra: "message and raw_details at most 64 KB"

# Issue comments (extra: "Body is too long (maximum is 65536 characters)").
COMMENT_BODY = 65536

# Commit statuses (extra: "description at most 140 characters, else 422").
STATUS_DESCRIPTION = 140

# Job summary (extra: GITHUB_STEP_SUMMARY "1 MiB per step"); counted in UTF-8 bytes.
STEP_SUMMARY_BYTES = 1024 * 1024

# Workflow-command annotations (extra: 10 errors, 10 warnings, 10 notices per step, 50 per job).
WORKFLOW_ANNOTATIONS_PER_LEVEL = 10

# Retries: our own policy, not GitHub's (secondary limits answer 403/429 with Retry-After).
RETRY_TOTAL = 5  # attempts after the first
RETRY_BACKOFF_FACTOR = 1.0  # seconds; urllib3 doubles it each retry
RETRY_BACKOFF_MAX = 30.0  # seconds for one wait
RETRY_TIME_CAP = 120.0  # seconds for all waits of one request together
