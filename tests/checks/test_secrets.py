"""The secrets gate: its rules on their own, and end to end through `python -m gates run`.

Fake secrets are assembled at run time from pieces, so this file itself holds none that a
scanner (ours included) would report.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest
from conftest import Repo
from regex_starts import branches, mandatory_literals, parse, starts
from safety_e2e import run_safety

from gates.checks import secrets
from gates.checks.base import Source
from gates.checks.redact import SensitiveCheckGate, mask, mask_email
from gates.checks.secrets import SecretsGate
from gates.gate import GateContext, GateError
from gates.model import Finding

AWS_ID = "AKIA" + "LACI35K21PEA9DJ2"
AWS_SECRET = "IUrQdMftdK7Z9Z2" + "AOyxpz/Yyj1v3X/" + "n7e90me/BU"
GH_TOKEN = "ghp" + "_nx5xrbw0aRFvKyQQbV4iOmSpnXJzjdO9KnUc"
PEM_BODY = "/+4FZHkSS8DxRABRY4XyJNVXWR+It/5r7kam/" + "BJqMYiXKTY7QRiu95j3jl/ep8Ly"
BEGIN = "-----BEGIN " + "RSA PRIVATE KEY-----"

GATE = SecretsGate()


def scan(text: str, path: str = "app.py") -> list[tuple[str, int | None, int | None]]:
    return [(f.rule, f.line, f.column) for f in GATE.scan(Source(path, text), {})]


def test_aws_key_found_at_its_line_and_column_and_masked() -> None:
    [finding] = GATE.scan(Source("settings.py", f'import os\nKEY = "{AWS_ID}"\n'), {})
    assert (finding.rule, finding.line, finding.column) == ("secret-aws-access-key", 2, 8)
    assert finding.end_column == 8 + len(AWS_ID)
    assert AWS_ID not in finding.message and "AKIA****" in finding.message
    assert finding.snippet_hash and not finding.extra


def test_aws_id_and_secret_are_told_apart() -> None:
    text = f"aws_key_id = '{AWS_ID}'\naws_secret_access_key = '{AWS_SECRET}'\n"
    assert scan(text) == [("secret-aws-access-key", 1, 15), ("secret-aws-secret-key", 2, 26)]


def test_one_finding_per_secret_even_when_several_rules_match() -> None:
    # A GitHub token in a `token = "..."` assignment is also high-entropy; the specific rule wins.
    assert scan(f'api_token = "{GH_TOKEN}"\n') == [("secret-github-token", 1, 14)]


def test_pem_block_reported_once_at_begin_with_its_extent() -> None:
    text = f"x = 1\n{BEGIN}\n{PEM_BODY}\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
    [finding] = GATE.scan(Source("k.pem", text), {})
    assert (finding.rule, finding.line, finding.end_line) == ("secret-private-key", 2, 5)
    assert PEM_BODY[:8] not in finding.message


def test_pem_header_without_body_is_code_not_a_key() -> None:
    assert scan(f'if line.startswith("{BEGIN}"):\n    pass\n') == []


@pytest.mark.parametrize(
    "value",
    ["", "changeme", "<password>", "${DB_PASSWORD}", "***", "your-password-here", "{{ pw }}"],
)
def test_password_placeholders_stay_quiet(value: str) -> None:
    assert scan(f'DB_PASSWORD = "{value}"\n') == []


def test_password_from_environment_stays_quiet() -> None:
    assert scan('password = os.environ["DB_PASSWORD"]\n') == []


def test_real_looking_password_is_reported() -> None:
    assert scan("password = " + '"Xk29!vLq7Pz"' + "\n") == [("secret-password-assignment", 1, 13)]


def test_vendor_example_keys_are_not_reported() -> None:
    assert scan('AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7' + 'EXAMPLE"\n') == []


def test_hashes_and_uuids_stay_quiet() -> None:
    text = (
        'commit = "461d48609f8486441fdd56cf00ab1e0842f46694"\n'
        'digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"\n'
        'token_id = "123e4567-e89b-12d3-a456-426614174000"\n'
    )
    assert scan(text) == []


def test_scan_is_safe_on_threads() -> None:
    text = f'KEY = "{AWS_ID}"\ntok = "{GH_TOKEN}"\n'
    expected = scan(text)
    results: list[object] = []

    def work() -> None:
        for _ in range(5):
            results.append(scan(text))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 20


def test_mask_keeps_at_most_four_and_a_quarter() -> None:
    assert mask(AWS_ID) == "AKIA" + "*" * 16
    assert mask("hunter2") == "h******"
    assert mask("abc") == "***"
    at = "@"
    assert mask_email(f"john.doe{at}acme.com") == "j***@a***.com"
    assert mask_email(f"jo{at}ab.io") == "j***@***.io"
    for value in (AWS_ID, "hunter2", "x" * 200):
        clear = len(mask(value).rstrip("*"))
        assert clear <= 4 and clear <= len(value) / 4


def _pr(repo: Repo) -> str:
    repo.write(
        "pyproject.toml",
        '[tool.gates]\nstages = ["safety"]\n\n'
        '[tool.gates.secrets]\nexclude = ["tests/fixtures/**"]\n',
    )
    repo.write("config.py", "import os\n")
    base = repo.commit("base")
    repo.write("config.py", f'import os\n\nAWS_ACCESS_KEY_ID = "{AWS_ID}"\n')
    repo.write(
        "allowed.py",
        f'KEY = "{AWS_ID}"  # gates: ignore[secret-aws-access-key] fake key for the docs\n',
    )
    repo.write("tests/fixtures/keys.py", f'KEY = "{AWS_ID}"\n')
    repo.commit("pr")
    return base


def test_planted_key_is_new_blocking_and_masked_everywhere(repo: Repo) -> None:
    run = run_safety(repo.path, _pr(repo))
    assert run.returncode == 1, run.stdout + run.stderr
    by_path = {f["path"]: f for f in run.findings("secrets")}
    assert set(by_path) == {"config.py", "allowed.py"}  # the fixture path is excluded
    planted = by_path["config.py"]
    assert (planted["rule"], planted["line"], planted["column"]) == ("secret-aws-access-key", 3, 22)
    assert planted["new"] is True and planted["suppressed"] is None
    assert run.gate("secrets")["status"] == "fail"
    suppressed = by_path["allowed.py"]
    assert suppressed["suppressed"]["reason"] == "fake key for the docs"
    assert {"gates.json", "gates.sarif", "gates.md"} <= set(run.report_bytes)
    assert run.leaks(AWS_ID) == []
    assert run.leaks(AWS_ID[4:12]) == []


def test_only_a_suppressed_key_does_not_block(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.gates]\nstages = ["safety"]\n')
    base = repo.commit("base")
    repo.write("a.py", f'# gates: ignore[secrets] fixture\nKEY = "{AWS_ID}"\n')
    repo.commit("pr")
    run = run_safety(repo.path, base)
    assert run.returncode == 0, run.stdout + run.stderr
    [finding] = run.findings("secrets")
    assert finding["suppressed"] and finding["line"] == 2
    assert run.leaks(AWS_ID) == []


class _Crashing(SensitiveCheckGate):
    name = "crashing"

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        return [Finding("x", "x", "x", int(source.text), "a", "x")]  # type: ignore[arg-type]


def test_a_crash_never_carries_the_value_into_the_report(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(AWS_ID)
    ctx = GateContext(
        name="crashing",
        root=tmp_path,
        diff=None,  # type: ignore[arg-type]  # a text check's run() never reads the diff
        files=("a.txt",),
        options={},
        python="python",
        scratch=tmp_path,
        timeout_s=10,
        env={},
    )
    with pytest.raises(GateError) as caught:
        _Crashing().run(ctx)
    assert AWS_ID not in str(caught.value) and "ValueError" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.output_tail == ""


def test_every_own_pattern_holds_a_listed_head() -> None:
    # a file without any head skips the per-line search: the list must be complete. Heads are
    # found anywhere in a line (`Q~` sits inside an Azure client secret), so each match must
    # contain one; most patterns start with theirs.
    def contains_a_head(branch: list[tuple[object, object]]) -> bool:
        return any(h in run for run in mandatory_literals(branch) for h in secrets._OWN_HEADS)

    for _, pattern in secrets._OWN_PATTERNS:
        found = starts(parse(pattern.pattern))
        if found and all(s.startswith(secrets._OWN_HEADS) for s in found):
            continue
        assert all(contains_a_head(b) for b in branches(parse(pattern.pattern))), pattern.pattern
    assert not contains_a_head(parse(r"[\w~.-]{3}\dQ[~.][\w~.-]{31,34}"))  # the check can fail


def test_a_token_deep_in_a_long_file_is_still_found() -> None:
    token = "ghp_" + "a1B2c3D4e5" * 4
    text = "x = 1\n" * 5000 + f'TOKEN = "{token}"\n'
    (finding,) = SecretsGate().scan(Source("deep.py", text), {})
    assert finding.rule == "secret-github-token" and finding.line == 5001


def test_every_secret_sounding_name_holds_a_listed_word() -> None:
    # a line without any of the words is not searched for assignments: the list must be complete
    for pattern in (secrets._SECRET_NAME, secrets._PASSWORD_NAME):
        for branch in branches(parse(pattern.pattern)):
            runs = {run.lower() for run in mandatory_literals(branch)}
            assert any(w in run for run in runs for w in secrets._NAME_WORDS), (pattern, runs)


def test_each_vendor_pattern_guard_is_in_every_match() -> None:
    installed = {r.pattern: r for r, _ in secrets._whole_text_patterns() or ()}
    assert installed, "the vendor patterns should be searched on the whole text"
    for pattern, guard in secrets._DENYLIST_GUARDS.items():
        regex = installed.get(pattern)
        assert regex is not None, f"no installed detect-secrets pattern {pattern!r}: stale guard"
        fold = (lambda text: text.lower()) if regex.flags & re.IGNORECASE else (lambda t: t)
        runs = {
            fold(run) for branch in branches(parse(pattern)) for run in mandatory_literals(branch)
        }
        assert any(guard in run for run in runs), (pattern, guard, runs)


@pytest.mark.parametrize(
    "pattern", [r"^ghp_\w+", r"token\s*$", r"\Aey", r"(?<!\s)AKIA", r"sk_(?=live)", r"x(?!\s)"]
)
def test_a_pattern_that_sees_line_ends_is_searched_line_by_line(pattern: str) -> None:
    assert not secrets._within_a_line(pattern)
    assert secrets._within_a_line(r"glimt-[A-Za-z0-9_\-]{25}(?!\w)")


def test_whole_text_shortcuts_still_find_what_lines_hold() -> None:
    stripe = "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    # CRLF: the whole text holds a CR each line has lost
    assert ("secret-stripe-key", 2, 8) in scan(f'x = 1\r\nkey = "{stripe}"\r\n')
    # a minified line: the part past the cap is not searched, the part before it is
    long_line = f'k = "{stripe}"; ' + "a = 1; " * 2000
    assert ("secret-stripe-key", 1, 6) in scan(long_line + "\n")
    # ... and where the cut ends a token the whole line continues, lines decide, as before
    gitlab = "glimt-" + "A1b2C3d4E5f6G7h8I9j0K1l2M"
    cut = "x = '" + "a" * (secrets._LINE_CAP - len(gitlab) - 5) + gitlab + "zzzz'\n"
    assert [rule for rule, _, _ in scan(cut)] == ["secret-gitlab-token"]
    # not ASCII: the name patterns fold a long s (U+017F) to `s`, which lower() does not
    sample = "h7Kq9vLm" + "2Xp4Rt8W"
    folded = "db_pa\u017f\u017fword"
    assert ("secret-password-assignment", 2, 16) in scan(f'# \u00fc\n{folded} = "{sample}"\n')
    assert ("secret-password-assignment", 2, 16) in scan(f'# u\ndb_password = "{sample}"\n')
    assert scan(f'# u\ndb_host = "{sample}"\n') == []


def test_an_upstream_pattern_that_sees_line_ends_turns_the_whole_text_search_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Anchored:  # a detect-secrets plugin whose token must fill its line
        denylist = (re.compile(r"^tok_[0-9]{6}$"),)

    monkeypatch.setattr(secrets, "_ds_plugins", lambda: [Anchored()])
    secrets._whole_text_patterns.cache_clear()
    try:
        assert secrets._whole_text_patterns() is None
        text = "x = 1\ntok_123456\n"  # per line it matches; across the text `^` would not
        assert not secrets._no_vendor_token(text, tuple(text.splitlines()))
    finally:
        secrets._whole_text_patterns.cache_clear()


AZURE_SECRET = "HGb7Q" + "~xatws8phP9nhFyJfm.5di4P.-zJ5-9.FHz"
GOOGLE_SECRET = "GOCSPX" + "-tKsf2rcDkdfrUnW5gcF_Ha6ili8G"
RANDOM_SECRET = "Vx7pR2mQ9kLw4Zt" + "B8nYc3HsJ6dFg1aUe"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (f"AZURE_CLIENT_SECRET={AZURE_SECRET}\n", ".env"),
        (f'cred = ClientSecretCredential(t, c, "{AZURE_SECRET}")\n', "app.py"),
        (f"az login --service-principal -u x -p {AZURE_SECRET} --tenant t\n", "login.sh"),
        (f'{{"client_secret": "{GOOGLE_SECRET}"}}\n', "client.json"),
        (f"Our staging app uses {GOOGLE_SECRET} for now.\n", "setup.md"),
        (f"okta:\n  client-secret: {RANDOM_SECRET}\n", "okta.yaml"),
        (f"  - KEYCLOAK_CLIENT_SECRET={RANDOM_SECRET}\n", "compose.yml"),
        (f"DEBUG cognito client_secret={RANDOM_SECRET} ok\n", "auth.log"),
        (f'export const auth = {{ clientSecret: "{RANDOM_SECRET}" }};\n', "auth.ts"),
    ],
)
def test_cloud_identity_client_secrets(text: str, path: str) -> None:
    assert [rule for rule, _, _ in scan(text, path)] == ["secret-client-secret"]


@pytest.mark.parametrize(
    "text",
    [
        "AZURE_CLIENT_SECRET=<your-client-secret>\n",
        "client_secret: YOUR_CLIENT_SECRET\n",
        "GOOGLE_CLIENT_SECRET=GOCSPX-" + "x" * 28 + "\n",
        'CLIENT_SECRET = os.environ["AZURE_CLIENT_SECRET"]\n',
        "client_secret: ${{ secrets.AZURE_CLIENT_SECRET }}\n",
        "Secrets look like `abc1Q~...` and expire.\n",
        "client_id: 24056360-ba28-4679-8d4c-a9c767c98fb9\n",
    ],
)
def test_client_secret_look_alikes(text: str) -> None:
    assert scan(text, "settings.yaml") == []


@pytest.mark.parametrize(
    "url",
    [
        "mysql://shop:a7Tvo9hB" + "KqFYY@db.example.com/shop",  # starts with "a"
        "http://telegraf:kpXz9w3Q" + "testlY7Z@influx:8086",  # a word inside random text
        "amqps://billing:Zk4:q9W" + "m2xLp7@mq.example.com:5671",  # a colon inside
        "redis://:tYgjmUh%Bel" + "31iEl2@cache:6379/0",
    ],
)
def test_url_passwords_that_used_to_pass_for_placeholders(url: str) -> None:
    assert [rule for rule, _, _ in scan(f'URL = "{url}"\n')] == ["secret-url-password"]


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres:postgres@db:5432/dev",
        "amqp://guest:guest@rabbit:5672//",
        "postgresql://api:[REDACTED]@pg:5432/api",
        "postgresql://user:password@localhost/app",
        "redis://:${REDIS_PASSWORD}@redis:6379",
        "postgresql://${DB_USER}:${DB_PASSWORD}@db/${DB_NAME}",
        "mysql://u:my-test-password@localhost/db",
    ],
)
def test_url_placeholders_and_image_defaults(url: str) -> None:
    assert scan(f"{url}\n", "docs.md") == []
