"""The dependencies gate's judgement, pure: manifests parsed, names compared, index answers read.

The index is `RecordedIndex` here (JSON API documents by name, as the labelled corpus gives
them); the HTTP client and the whole gate on a real repository are in
test_dependencies_index.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gates.checks.changes import FileChange
from gates.checks.dependencies import DependenciesGate, choose_index
from gates.checks.deps.declared import normalise_index, outside_repo, without_credentials
from gates.checks.deps.index import Answer, HttpIndex, OfflineIndex, RecordedIndex, project_info
from gates.checks.deps.judge import MAX_LOOKUPS, judge
from gates.checks.deps.manifests import locked_names, parse_pipfile, parse_pyproject
from gates.checks.deps.popular import PopularNames, edit_distance, popular_names
from gates.checks.deps.requirements import logical_lines, parse_requirements, parse_setup_cfg
from gates.checks.deps.sides import manifest_kind
from gates.model import Finding, Severity

AS_OF = datetime(2026, 12, 1, tzinfo=timezone.utc)
OPTIONS = {key: option.default for key, option in DependenciesGate.options.items()}


def release_doc(*dates: str, yanked: Sequence[bool] = ()) -> dict[str, object]:
    """A JSON API document in PyPI's shape, one file per release."""
    releases = {
        f"1.{i}.0": [
            {
                "filename": f"pkg-1.{i}.0.tar.gz",
                "upload_time_iso_8601": f"{day}T10:00:00.000000Z",
                "yanked": bool(yanked[i]) if i < len(yanked) else False,
            }
        ]
        for i, day in enumerate(dates)
    }
    return {"info": {"name": "pkg", "version": f"1.{len(dates) - 1}.0"}, "releases": releases}


def scan(
    files: Sequence[FileChange],
    index: Mapping[str, object] | None = None,
    **options: object,
) -> list[Finding]:
    lookup = RecordedIndex(index or {}, AS_OF, "the test index")
    return judge(files, {**OPTIONS, **options}, lookup)


def rules(findings: list[Finding]) -> list[tuple[str, int | None]]:
    return sorted((f.rule, f.line) for f in findings)


def test_requirements_lines_options_and_continuations() -> None:
    text = (
        "# pinned\n"
        "--extra-index-url https://user:pw42@pkgs.example.com/simple\n"
        "-i https://pypi.org/simple\n"
        "-rbase.txt\n"
        "-c constraints.txt\n"
        "requests==2.31.0 \\\n"
        "    --hash=sha256:abc\n"
        "Flask_Login>=0.6  # auth\n"
        "-e git+https://github.com/a/b.git@main#egg=b-lib\n"
        "-e .\n"
        "not a requirement at all !!\n"
    )
    parsed = parse_requirements("reqs/requirements.txt", text)

    assert [(d.name, d.line, d.url, d.pinned) for d in parsed.deps] == [
        ("requests", 6, "", True),
        ("flask-login", 8, "", False),
        ("b-lib", 9, "git+https://github.com/a/b.git@main#egg=b-lib", False),
        (".", 10, ".", False),
    ]
    assert [(s.how, s.line) for s in parsed.sources] == [
        ("--extra-index-url", 2),
        ("--index-url", 3),
    ]
    assert parsed.includes == ["reqs/base.txt"], "-r is resolved next to the including file"
    assert list(logical_lines("a \\\nb\n\n#x\n")) == [(1, "a b")]


def test_pyproject_tables_are_all_read_with_their_lines() -> None:
    text = """[build-system]
requires = ["setuptools>=68", "cythn"]

[project]
dependencies = ["httpx>=0.27", "lib @ git+https://github.com/x/lib@main"]

[project.optional-dependencies]
ml = ["numpy"]

[dependency-groups]
test = ["pytest", { include-group = "ml" }]

[tool.poetry.dependencies]
python = "^3.11"
Pandas = "^2"
ragkit = { git = "https://github.com/x/ragkit.git", rev = "%s" }

[tool.poetry.group.dev.dependencies]
ruff = "*"

[tool.uv.sources]
fastapi = { git = "https://github.com/x/fastapi", branch = "main" }
local = { path = "libs/local" }

[[tool.uv.index]]
name = "torch"
url = "https://download.pytorch.org/whl/cpu"

[[tool.poetry.source]]
name = "corp"
url = "https://nexus.example/simple"
""".replace("%s", ("0123456789abcdef" * 3)[:40])
    parsed = parse_pyproject("pyproject.toml", text)

    found = {(d.name, d.line, bool(d.url), d.pinned) for d in parsed.deps}
    assert found == {
        ("setuptools", 2, False, False),
        ("cythn", 2, False, False),
        ("httpx", 5, False, False),
        ("lib", 5, True, False),
        ("numpy", 8, False, False),
        ("pytest", 11, False, False),
        ("pandas", 15, False, False),
        ("ragkit", 16, True, True),
        ("ruff", 19, False, False),
        ("fastapi", 22, True, False),
        ("local", 23, True, False),
    }
    assert [(s.url, s.line) for s in parsed.sources] == [
        ("https://download.pytorch.org/whl/cpu", 27),
        ("https://nexus.example/simple", 31),
    ]


def test_setup_cfg_pipfile_and_lock_files() -> None:
    cfg = (
        "[options]\ninstall_requires =\n    requests>=2\n    attrs\n"
        "[options.extras_require]\ndocs =\n    sphinx\n"
    )
    assert [(d.name, d.line) for d in parse_setup_cfg("setup.cfg", cfg).deps] == [
        ("requests", 3),
        ("attrs", 4),
        ("sphinx", 7),
    ]
    pipfile = (
        '[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\nflask = "*"\n\n'
        '[dev-packages]\nmylib = {path = "."}\n'
    )
    parsed = parse_pipfile("Pipfile", pipfile)
    assert [(d.name, d.line, d.url) for d in parsed.deps] == [("flask", 5, ""), ("mylib", 8, ".")]
    assert [s.url for s in parsed.sources] == ["https://pypi.org/simple"]
    lock = 'version = 1\n[[package]]\nname = "Sniffio"\nversion = "1.3.1"\n'
    assert locked_names("uv.lock", lock) == ["sniffio"]
    assert locked_names("Pipfile.lock", '{"_meta": {}, "default": {"idna": {}}}') == ["idna"]
    assert locked_names("poetry.lock", "not [ toml") == []


def test_broken_manifests_are_named_not_raised() -> None:
    assert "not valid TOML" in parse_pyproject("pyproject.toml", "[project\n").problem
    assert "setup.cfg syntax" in parse_setup_cfg("setup.cfg", "no section header\n").problem
    change = FileChange("pyproject.toml", '[project]\ndependencies = ["a"]\n', "[project\n")
    (finding,) = scan([change])
    assert (finding.rule, finding.severity) == ("manifest-unreadable", Severity.WARNING)


def test_manifest_kinds() -> None:
    kinds = {
        p: manifest_kind(p)
        for p in (
            "requirements.txt",
            "dev-requirements.txt",
            "requirements/prod.txt",
            "requirements-test.in",
            "docs/requirements.txt",
            "sub/pyproject.toml",
            "Pipfile",
            "uv.lock",
            "CMakeLists.txt",
            "notes.txt",
        )
    }
    assert [p for p, kind in kinds.items() if kind == "requirements"] == [
        "requirements.txt",
        "dev-requirements.txt",
        "requirements/prod.txt",
        "requirements-test.in",
        "docs/requirements.txt",
    ]
    assert (kinds["CMakeLists.txt"], kinds["notes.txt"], kinds["uv.lock"]) == ("", "", "lock")


@pytest.mark.parametrize(
    ("name", "popular", "how"),
    [
        ("reqeusts", "requests", "two characters swapped"),
        ("requets", "requests", "one character missing"),
        ("numpyy", "numpy", "one character added"),
        ("pandaz", "pandas", "one character changed"),
        ("scikitlearn", "scikit-learn", "spelled with look-alike characters"),
        ("djang0", "django", "spelled with look-alike characters"),
        ("python-requests", "requests", "'python-' added"),
        ("dateutil", "python-dateutil", "its affix dropped"),
        ("py-dateutil", "python-dateutil", "a different affix"),
    ],
)
def test_typosquat_kinds(name: str, popular: str, how: str) -> None:
    found = popular_names().resembles(name)
    assert found is not None and (found.popular, found.how) == (popular, how)
    assert found.rank == popular_names().rank[popular]


@pytest.mark.parametrize(
    "name",
    ["requests", "flask-jwt-simple-auth", "rich", "elasticsearch8", "pydrive", "attrs", "x"],
)
def test_not_typosquats(name: str) -> None:
    assert popular_names().resembles(name) is None


def test_the_most_popular_match_wins_and_popular_names_are_exempt() -> None:
    names = PopularNames(["colorama", "coloramb", "pandas"])
    found = names.resembles("colorame")
    assert found is not None and (found.popular, found.rank) == ("colorama", 1)
    assert names.resembles("coloramb") is None, "a popular name is never a typosquat"
    assert len(popular_names()) == 5000


def test_edit_distance_counts_swaps_once_and_stops_early() -> None:
    assert edit_distance("reqeusts", "requests", 1) == 1
    assert edit_distance("abc", "abc", 1) == 0
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("abcdef", "uvwxyz", 1) == 2, "more than the limit is limit + 1"


def test_typosquat_and_missing_from_the_index_on_the_declaring_line() -> None:
    change = FileChange("requirements.txt", "flask==3.0\n", "flask==3.0\nreqeusts==2.31\n")
    findings = scan([change])
    assert rules(findings) == [("not-on-index", 2), ("typosquat", 2)]
    typo = next(f for f in findings if f.rule == "typosquat")
    assert "looks like `requests`" in typo.message and "not declared at base" in typo.message


def test_a_look_alike_with_years_of_releases_is_shown_not_blocking() -> None:
    change = FileChange("requirements.txt", "", "django-q==1.3.9\nreqeusts==2.31\n")
    index = {
        "django-q": release_doc(
            "2015-06-01", "2016-01-01", "2017-01-01", "2019-01-01", "2020-01-01"
        ),
        "reqeusts": release_doc("2026-11-20"),
    }
    findings = [f for f in scan([change], index) if f.rule == "typosquat"]
    assert [(f.line, f.severity) for f in findings] == [(1, Severity.NOTE), (2, Severity.WARNING)]
    assert "has 5 releases since 2015" in findings[0].message
    offline = [f for f in scan([change], None) if f.rule == "typosquat"]
    assert {f.severity for f in offline} == {Severity.WARNING}, "unknown history: it blocks"


def test_misleading_name_is_reported_even_when_popular() -> None:
    change = FileChange("requirements.txt", "", "sklearn\n")
    (finding,) = scan([change])
    assert finding.rule == "misleading-name" and "scikit-learn" in finding.message


def test_only_new_names_are_judged_wherever_they_moved() -> None:
    base = FileChange("requirements.txt", "reqeusts==1.0\nobscure-lib==1\n", None)
    head = FileChange(
        "pyproject.toml", None, '[project]\ndependencies = ["reqeusts", "obscure-lib"]\n'
    )
    assert scan([base, head]) == [], "moved from requirements.txt, not added"
    bump = FileChange("requirements.txt", "obscure-lib==1\n", "obscure-lib==2\n")
    assert scan([bump]) == []


def test_index_history_rules() -> None:
    index = {
        "fresh-lib": release_doc("2026-11-25", "2026-11-28"),
        "lonely-lib": release_doc("2021-03-01"),
        "young-lib": release_doc("2026-05-01"),
        "old-lib": release_doc("2016-01-01", "2020-01-01"),
        "yanked-lib": release_doc("2019-01-01", yanked=[True]),
        "empty-lib": {"info": {"name": "empty-lib"}, "releases": {"1.0": []}},
    }
    head = "fresh-lib\nlonely-lib\nold-lib\nyanked-lib\nempty-lib\nnowhere-lib\nyoung-lib\n"
    findings = scan([FileChange("requirements.txt", "", head)], index)
    assert rules(findings) == [
        ("new-project", 1),
        ("not-on-index", 4),
        ("not-on-index", 5),
        ("not-on-index", 6),
        ("single-release", 2),
        ("single-release", 7),
    ]
    single = {f.line: f.severity for f in findings if f.rule == "single-release"}
    assert single == {2: Severity.NOTE, 7: Severity.WARNING}, "a lone release of 2021 is settled"
    fresh = next(f for f in findings if f.rule == "new-project")
    assert "5 days ago (2026-11-25, 2 release(s))" in fresh.message
    assert scan([FileChange("r.in", "", "fresh-lib\n")], index, min_age_days=3) == []


def test_offline_is_a_note_naming_what_was_not_checked() -> None:
    change = FileChange("requirements.txt", "", "obscure-lib\nother-lib\nrequests\n")
    lock = FileChange("uv.lock", None, '[[package]]\nname = "obscure-lib"\nversion = "1"\n')
    findings = judge([change, lock], OPTIONS, OfflineIndex("lookups are off"))
    (note,) = findings
    assert (note.rule, note.severity, note.line) == ("index-unchecked", Severity.NOTE, None)
    assert "2 dependencies" in note.message and "lookups are off" in note.message
    assert "obscure-lib (locked in uv.lock), other-lib" in note.message


def test_direct_references() -> None:
    head = (
        "a @ git+https://github.com/x/a@main\n"
        "b @ git+https://github.com/x/b@0123456789abcdef0123456789abcdef01234567\n"
        "-e ../outside\n"
        "-e ./inside\n"
        "c @ https://user:tok3n@files.example.com/c-1.0.tar.gz\n"
    )
    findings = scan([FileChange("requirements.txt", "a==1\n", head)])
    got = sorted((f.line, f.severity) for f in findings)
    assert got == [
        (1, Severity.WARNING),
        (2, Severity.NOTE),
        (3, Severity.WARNING),
        (5, Severity.WARNING),
    ]
    messages = " ".join(f.message for f in findings)
    assert "tok3n" not in messages and "https://***@files.example.com" in messages
    assert "was `a==1`" in messages
    same = scan([FileChange("requirements.txt", head, head + "\n")])
    assert same == [], "a reference already there at base is not the PR's"


def test_new_indexes_and_the_allowed_ones() -> None:
    head = (
        "--extra-index-url https://me:pw@pkgs.example.com/simple/\n"
        "--index-url https://PyPI.org/simple/\n"
        "--extra-index-url https://download.pytorch.org/whl/cpu\n"
        "-f https://wheels.example.org/\n"
    )
    findings = scan(
        [FileChange("requirements.txt", "", head)],
        allowed_indexes=["https://download.pytorch.org/whl"],
    )
    assert rules(findings) == [("new-index", 1), ("new-index", 4)]
    assert "pw@" not in findings[0].message
    lookalike = "--extra-index-url https://pypi.org.files.example/simple\n"
    assert rules(scan([FileChange("requirements.txt", "", lookalike)])) == [("new-index", 1)]
    assert scan([FileChange("requirements.txt", head, head)]) == []


def test_allow_skips_name_and_index_rules() -> None:
    change = FileChange("requirements.txt", "", "reqeusts\nacme_internal\n")
    assert scan([change], allow=["reqeusts", "ACME-internal"]) == []


def test_includes_are_read_inside_the_pr_only() -> None:
    main = FileChange("requirements.txt", "", "-r deps/extra.txt\n-r missing.txt\n")
    included = FileChange("deps/extra.txt", None, "torchvison\n")
    unrelated = FileChange("docs/notes.txt", None, "reqeusts are welcome\n")
    findings = scan([main, included, unrelated])
    assert {(f.path, f.rule) for f in findings} == {
        ("deps/extra.txt", "typosquat"),
        ("deps/extra.txt", "not-on-index"),
    }


def test_project_info_reads_pypi_shape_and_refuses_others() -> None:
    info = project_info(release_doc("2020-05-01", "2019-01-02"))
    assert info.releases == 2 and info.first_upload == datetime(2019, 1, 2, 10, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="releases"):
        project_info({"info": {}})
    broken = RecordedIndex({"x": {"nope": 1}}, AS_OF, "t").lookup("x")
    assert broken.status.value == "unchecked" and "releases" in broken.reason


def test_urls_are_compared_and_shown_without_credentials() -> None:
    assert without_credentials("https://u:p@h.example/simple") == "https://***@h.example/simple"
    assert normalise_index("https://u:p@H.Example/simple/") == "https://***@h.example/simple"
    assert outside_repo("./x", "sub/requirements.txt") is False
    assert outside_repo("../../x", "sub/requirements.txt") is True
    assert outside_repo("file:///opt/x.whl", "requirements.txt") is True
    assert outside_repo("https://h/x.whl", "requirements.txt") is None


def test_index_choice_follows_online_and_the_environment() -> None:
    assert isinstance(choose_index({"online": "auto"}, {}), OfflineIndex)
    assert isinstance(choose_index({"online": "never"}, {"GITHUB_ACTIONS": "true"}), OfflineIndex)
    online = choose_index(
        {"online": "auto"},
        {"GITHUB_ACTIONS": "true", "PIP_INDEX_URL": "https://t:k@m.example/root/+simple/"},
    )
    assert isinstance(online, HttpIndex)
    assert (online.base, online.where) == (
        "https://t:k@m.example/root",
        "https://***@m.example/root",
    )
    configured = choose_index({"online": "always", "index_url": "https://pypi.org/simple/"}, {})
    assert isinstance(configured, HttpIndex) and configured.base == "https://pypi.org"


def test_recorded_answers_need_their_date() -> None:
    gate = DependenciesGate()
    change = FileChange("requirements.txt", "", "lonely-lib\n")
    answers = {"lonely-lib": release_doc("2021-03-01")}
    options = {**OPTIONS, "index_answers": answers, "index_date": "2026-12-01"}
    assert [f.rule for f in gate.scan_changes([change], options)] == ["single-release"]
    with pytest.raises(ValueError, match="index_date"):
        gate.scan_changes([change], {**OPTIONS, "index_answers": answers})


def test_pip_and_uv_config_files_add_indexes() -> None:
    pip_conf = "[global]\ntimeout = 60\nextra-index-url =\n    https://a.example/simple\n    https://b.example/simple\n"
    uv_toml = 'index-url = "https://pypi.org/simple"\n\n[[index]]\nname = "corp"\nurl = "https://c.example/simple"\n'
    findings = scan(
        [
            FileChange("pip.conf", "[global]\ntimeout = 60\n", pip_conf),
            FileChange("uv.toml", None, uv_toml),
        ]
    )
    assert sorted((f.path, f.line) for f in findings) == [
        ("pip.conf", 4),
        ("pip.conf", 5),
        ("uv.toml", 5),
    ]
    assert {f.rule for f in findings} == {"new-index"}
    broken = scan([FileChange("pip.conf", None, "no header\n")])
    assert [f.rule for f in broken] == ["manifest-unreadable"]


def test_names_bound_to_a_named_index_are_not_asked_of_the_configured_one() -> None:
    head = (
        '[tool.poetry.dependencies]\npython = "^3.11"\n'
        'acme-billing = { version = "^3", source = "corp" }\nobscure-lib = "^1"\n'
    )
    findings = scan([FileChange("pyproject.toml", None, head)])
    assert sorted(f.rule for f in findings) == ["index-unchecked", "not-on-index"]
    (note,) = [f.message for f in findings if f.rule == "index-unchecked"]
    assert "taken from the index 'corp'" in note and "acme-billing" in note
    pipfile = (
        '[packages]\ninternal = { version = "*", index = "corp" }\n'
        'flask = { version = "*", index = "pypi" }\n'
    )
    assert parse_pipfile("Pipfile", pipfile).bound == {"internal": "corp"}


class _CountingIndex(RecordedIndex):
    def __init__(self) -> None:
        super().__init__({}, AS_OF, "counting")
        self.asked: list[str] = []

    def lookup(self, name: str) -> Answer:
        self.asked.append(name)
        return super().lookup(name)


def test_lookups_are_capped_and_the_rest_named_in_a_note() -> None:
    names = [f"invented-name-{i:03d}" for i in range(MAX_LOOKUPS + 5)]
    index = _CountingIndex()
    findings = judge([FileChange("requirements.txt", None, "\n".join(names))], OPTIONS, index)
    assert sorted(index.asked) == names[:MAX_LOOKUPS]
    (note,) = [f for f in findings if f.rule == "index-unchecked"]
    assert f"more than {MAX_LOOKUPS}" in note.message and names[-1] in note.message
    assert sum(f.rule == "not-on-index" for f in findings) == MAX_LOOKUPS


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("https://github.com/pallets/werkzeug/archive/refs/heads/main.tar.gz", "werkzeug"),
        ("git+https://github.com/sphinx-doc/sphinx.git@96dbe5e3", "sphinx"),
        ("git+ssh://git@github.com/acme/tool@v2#egg=acme-tool", "acme-tool"),
        ("https://files.example.com/pkgs/fast_json-1.0.3-py3-none-any.whl", "fast-json"),
        ("./libs/common", "common"),
    ],
)
def test_a_nameless_reference_is_named_after_what_it_installs(reference: str, name: str) -> None:
    (dep,) = parse_requirements("requirements.txt", reference + "\n").deps
    assert (dep.name, dep.url) == (name, reference)


def test_the_project_itself_and_workspace_members_are_not_judged() -> None:
    head = """[project]
name = "Invoice_Service"
dependencies = ["invoice-core", "obscure-lib"]
[project.optional-dependencies]
all = ["invoice-service[cli,ml]"]
[tool.uv.sources]
invoice-core = { workspace = true }
"""
    findings = scan([FileChange("pyproject.toml", None, head)])
    assert [(f.rule, f.line) for f in findings] == [("not-on-index", 3)]
    assert "obscure-lib" in findings[0].message


def test_index_options_in_a_constraints_file_count() -> None:
    main = FileChange("requirements.txt", "flask\n", "flask\n-c constraints.txt\n")
    pins = FileChange(
        "constraints.txt", None, "--extra-index-url https://c.example/simple\nreqeusts==1\n"
    )
    findings = scan([main, pins])
    assert [(f.path, f.rule, f.line) for f in findings] == [("constraints.txt", "new-index", 1)]


MANIFEST_PATHS = ("pyproject.toml", "requirements.txt", "setup.cfg", "Pipfile", "pip.conf")
MANIFEST_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from('[]{}="#-\\\n .@:/abcrq1_;+'), max_size=120),
    st.text(max_size=80),
)


@settings(max_examples=200, deadline=None)
@given(path=st.sampled_from(MANIFEST_PATHS), base=MANIFEST_TEXT, head=MANIFEST_TEXT)
def test_any_manifest_text_is_judged_without_raising(path: str, base: str, head: str) -> None:
    findings = scan([FileChange(path, base, head)])
    assert all(f.path == path and f.message for f in findings)
