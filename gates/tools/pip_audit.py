"""pip-audit: known vulnerabilities in the project's dependencies, on the line that declares them.

What is audited, first found wins: the `requirements*.txt` files (all of them, `-r` each), else
`pyproject.toml` (pip-audit's project mode), else, with `environment = true`, the installed
environment of the project's interpreter (opt-in). pip-audit runs in gates' own environment
and cannot be pointed at another interpreter, so that environment is written out `pip
freeze`-style by the project's interpreter (name==version of every installed distribution, minus
those installed from a local path or URL, which no index knows) and audited with `-r`.

pip-audit needs the network (PyPI's JSON API or OSV), so a short TCP probe of the vulnerability
service (or of the HTTPS proxy) decides first: offline, the gate is `skipped` with the reason,
or `error` when `required = true`. Connection errors during the run, and a run in which no
dependency could be looked up, are treated the same way.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from gates.gate import GateContext, GateError, GateOutcome, GateTraits, Option, Scope
from gates.model import Finding, Severity, Stage
from gates.proc import ProcResult
from gates.sources import read_text, split_lines
from gates.tools.common import require_module, require_ran, tool_failure

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

INSTALL = "pip install pip-audit"
SERVICE_HOSTS = {"pypi": ("pypi.org", 443), "osv": ("api.osv.dev", 443)}
PROBE_TIMEOUT_S = 3.0
_REQUIREMENTS = re.compile(r"(^|/)requirements[^/]*\.txt$|(^|/)requirements/[^/]+\.txt$")
_OFFLINE_WORDS = (
    "ConnectionError",
    "Max retries exceeded",
    "Name or service not known",
    "Temporary failure in name resolution",
    "Failed to establish a new connection",
    "Network is unreachable",
    "Connection refused",
    "Read timed out",
)
_DESCRIPTION_CHARS = 300
_NOTHING_TO_AUDIT = (
    "nothing to audit: no requirements*.txt and no [project] dependencies "
    "(set environment = true to audit the installed environment of `python`)"
)


@dataclass(frozen=True)
class Declared:
    """Where a dependency is declared: file and 1-based line."""

    path: str
    line: int | None


def requirement_lines(path: str, text: str) -> dict[str, Declared]:
    """Canonical name -> declaring line, for a requirements file (options and URLs skipped)."""
    found: dict[str, Declared] = {}
    for number, raw in enumerate(split_lines(text), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        line = line.rstrip("\\").strip()
        try:
            name = canonicalize_name(Requirement(line).name)
        except InvalidRequirement:
            continue
        found.setdefault(name, Declared(path, number))
    return found


def all_pinned(text: str) -> bool:
    """Every requirement pins one version (`==`): the file is a lock, no resolution needed."""
    pinned = 0
    for raw in split_lines(text):
        line = raw.split(" #", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("#") or line.startswith("--hash"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            return False
        specs = list(requirement.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
            return False
        pinned += 1
    return pinned > 0


def pyproject_lines(path: str, text: str, names: Iterable[str]) -> dict[str, Declared]:
    """The line of each name's quoted dependency string in pyproject.toml, when there is one."""
    found: dict[str, Declared] = {}
    lines = split_lines(text)
    for name in names:
        spelled = r"[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", name))
        quoted = re.compile(rf"""["']\s*{spelled}\s*(\[|[<>=!~;@ ]|["'])""", re.IGNORECASE)
        for number, line in enumerate(lines, start=1):
            if quoted.search(line):
                found[name] = Declared(path, number)
                break
    return found


def parse_audit_json(
    text: str, declared: Mapping[str, Declared], fallback: str, gate: str = "audit"
) -> tuple[list[Finding], list[str]]:
    """Parse `pip-audit --format json`: findings and the dependencies it could not audit.

    A vulnerability is placed on the line that declares the package; a package no file declares
    (a transitive dependency) goes on `fallback` (the audited file, or "" for the environment).
    Raises ValueError when the text is not pip-audit's JSON.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        raise ValueError("pip-audit JSON output has no 'dependencies' list")
    findings: list[Finding] = []
    unaudited: list[str] = []
    for dep in data["dependencies"]:
        if not isinstance(dep, dict):
            continue
        name = canonicalize_name(str(dep.get("name", "")))
        if dep.get("skip_reason"):
            unaudited.append(f"{name}: {dep['skip_reason']}")
            continue
        where = declared.get(name, Declared(fallback, None))
        for vuln in dep.get("vulns") or []:
            if isinstance(vuln, dict):
                findings.append(_finding(name, str(dep.get("version", "?")), vuln, where, gate))
    return findings, unaudited


def _finding(
    name: str, version: str, vuln: Mapping[str, Any], where: Declared, gate: str
) -> Finding:
    vuln_id = str(vuln.get("id", "unknown"))
    fixes = [str(v) for v in vuln.get("fix_versions") or []]
    aliases = [str(a) for a in vuln.get("aliases") or []]
    fixed = f"fixed in {', '.join(fixes)}" if fixes else "no fixed version yet"
    also = f" (aliases: {', '.join(aliases)})" if aliases else ""
    extra = {"package": name, "version": version, "fix_versions": ", ".join(fixes)}
    if aliases:
        extra["aliases"] = ", ".join(aliases)
    description = " ".join(str(vuln.get("description") or "").split())
    if description:
        extra["description"] = description[:_DESCRIPTION_CHARS]
    return Finding(
        gate=gate,
        tool="pip-audit",
        rule=vuln_id,
        severity=Severity.ERROR,
        path=where.path,
        line=where.line,
        message=f"{name} {version} has known vulnerability {vuln_id}{also}; {fixed}",
        help_uri=f"https://osv.dev/vulnerability/{vuln_id}",
        extra=extra,
    )


def probe_target(service: str, override: str, env: Mapping[str, str]) -> tuple[str, int]:
    """What to connect to: the override, else the HTTPS proxy, else the service's host."""
    if override:
        host, _, port = override.rpartition(":")
        return host.strip("[]"), int(port)
    proxy = env.get("HTTPS_PROXY") or env.get("https_proxy")
    if proxy:
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.hostname:
            return parts.hostname, parts.port or 80
    return SERVICE_HOSTS[service]


def probe(host: str, port: int, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a TCP connection opens within the timeout; otherwise why it did not."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return f"cannot reach {host}:{port} ({exc.strerror or exc})"


def looks_offline(result: ProcResult) -> bool:
    text = result.stderr + result.stdout
    return any(word in text for word in _OFFLINE_WORDS)


def _check_probe(value: object) -> str | None:
    if value == "":
        return None
    host, _, port = str(value).rpartition(":")
    return None if host and port.isdigit() else "must be HOST:PORT"


@dataclass(frozen=True)
class Plan:
    """What pip-audit audits: its arguments, where findings go, and how to describe it."""

    args: tuple[str, ...]
    declared: Mapping[str, Declared]
    fallback: str
    source: str


def plan_audit(root: Path, files: Sequence[str]) -> Plan:
    """Requirements files, else pyproject.toml, else the installed environment."""
    requirements = sorted(f for f in files if _REQUIREMENTS.search(f))
    if requirements:
        declared: dict[str, Declared] = {}
        texts = [read_text(root, f) or "" for f in requirements]
        for rel, text in zip(requirements, texts, strict=True):
            for name, where in requirement_lines(rel, text).items():
                declared.setdefault(name, where)
        args = [arg for rel in requirements for arg in ("-r", rel)]
        if all(all_pinned(text) for text in texts):
            args += ["--no-deps", "--disable-pip"]  # a lock file: nothing to resolve
        return Plan(tuple(args), declared, requirements[0], ", ".join(requirements))
    pyproject = read_text(root, "pyproject.toml") if "pyproject.toml" in files else None
    names = pyproject_dependencies(pyproject or "")
    if pyproject is not None and names:
        lines = pyproject_lines("pyproject.toml", pyproject, names)
        return Plan((".",), lines, "pyproject.toml", "pyproject.toml")
    return Plan((), {}, "", "the installed environment")


def pyproject_dependencies(text: str) -> list[str]:
    """Canonical names in [project] dependencies and optional-dependencies."""
    try:
        project = tomllib.loads(text).get("project", {})
    except tomllib.TOMLDecodeError:
        return []
    specs = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        specs += list(group)
    names: list[str] = []
    for spec in specs:
        try:
            names.append(canonicalize_name(Requirement(str(spec)).name))
        except InvalidRequirement:
            continue
    return list(dict.fromkeys(names))


class AuditGate:
    name = "audit"
    stage = Stage.SECURITY
    tool = "pip-audit"
    scope = Scope.PROJECT
    description = "pip-audit: known vulnerabilities in the project's dependencies (needs network)"
    default_timeout_s = 600.0
    # Advisories appear every day: the same files may be vulnerable tomorrow (never cached).
    # Its time is the index's, not the files'.
    traits = GateTraits(cost_model=(10.0, 0.0), cacheable=False)
    default_fail_on = "error"
    options: Mapping[str, Option] = {
        "required": Option(bool, False, help="offline is an error instead of skipped"),
        "environment": Option(
            bool, False, help="without declared dependencies, audit the environment of python"
        ),
        "service": Option(str, "pypi", choices=tuple(SERVICE_HOSTS), help="vulnerability DB"),
        "probe": Option(str, "", check=_check_probe, help="HOST:PORT to probe instead"),
        "args": Option(list, [], item=str, help="extra arguments for pip-audit"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        plan = plan_audit(ctx.root, ctx.files)
        if not plan.args and not ctx.options.get("environment"):
            return GateOutcome.skipped(_NOTHING_TO_AUDIT)
        if not plan.args:
            plan = environment_plan(ctx)
        service = str(ctx.options.get("service", "pypi"))
        host, port = probe_target(service, str(ctx.options.get("probe", "")), ctx.env)
        reason = probe(host, port)
        if reason:
            return self._offline(ctx, reason)
        result = self._audit(ctx, plan, service)
        try:
            findings, unaudited = parse_audit_json(
                result.stdout, plan.declared, plan.fallback, self.name
            )
        except ValueError:
            if looks_offline(result):
                return self._offline(ctx, "pip-audit could not reach the vulnerability service")
            require_module(result, "pip_audit", INSTALL)
            raise tool_failure(result, "pip-audit did not produce its JSON report") from None
        audited = _audited_count(result.stdout) - len(unaudited)
        if unaudited and audited <= 0:
            why = f"no dependency could be audited ({unaudited[0]})"
            return self._offline(ctx, why, "vulnerability data unavailable")
        return GateOutcome(
            findings=findings,
            metrics={"dependencies_audited": audited, "dependencies_unaudited": len(unaudited)},
            detail=_detail(plan, unaudited),
        )

    def _audit(self, ctx: GateContext, plan: Plan, service: str) -> ProcResult:
        cache = ctx.scratch / "cache"
        argv = [
            *plan.args,
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--vulnerability-service",
            service,
            "--cache-dir",
            str(cache),
            *[str(a) for a in ctx.options.get("args", [])],  # type: ignore[attr-defined]
        ]
        result = ctx.tool_module("pip_audit", *argv)
        require_ran(result, INSTALL)
        if result.returncode not in (0, 1):  # 1: vulnerabilities found, or pip-audit failed
            raise tool_failure(result, "pip-audit failed")
        return result

    def _offline(self, ctx: GateContext, reason: str, kind: str = "offline") -> GateOutcome:
        """Skipped with the reason, or an error when the project requires the audit."""
        if ctx.options.get("required"):
            raise GateError(f"{kind}: {reason}; the audit is required ([audit] required = true)")
        return GateOutcome.skipped(f"{kind}: {reason}; the dependency audit needs network access")


# Run by the project's interpreter: its installed distributions as pins, leaving out those
# installed from a directory or URL (direct_url.json: the project itself, editable installs).
_FREEZE = (
    "import sys; del sys.path[0]\n"
    "import importlib.metadata as m, json\n"
    "pins = {}\n"
    "for d in m.distributions():\n"
    "    name = d.metadata['Name']\n"
    "    if name and not d.read_text('direct_url.json'):\n"
    "        pins.setdefault(name, d.version)\n"
    "print('\\n'.join(f'{k}=={v}' for k, v in sorted(pins.items())))\n"
)


def environment_plan(ctx: GateContext) -> Plan:
    """The project's installed environment as a pinned requirements file in the scratch."""
    result = ctx.run([ctx.python, "-c", _FREEZE], timeout_s=60)
    if not result.ok:
        raise tool_failure(result, f"cannot list the packages installed in {ctx.python}")
    frozen = ctx.scratch / "environment-requirements.txt"
    frozen.write_text(result.stdout, encoding="utf-8")
    args = ("-r", str(frozen), "--no-deps", "--disable-pip")
    return Plan(args, {}, "", f"the installed environment of {ctx.python}")


def _audited_count(text: str) -> int:
    try:
        return len(json.loads(text)["dependencies"])
    except (ValueError, KeyError, TypeError):
        return 0


def _detail(plan: Plan, unaudited: list[str]) -> str:
    lines = [f"audited: {plan.source}"]
    if unaudited:
        lines.append(f"{len(unaudited)} dependenc(ies) could not be audited:")
        lines += unaudited[:20]
        if len(unaudited) > 20:
            lines.append(f"... and {len(unaudited) - 20} more")
    return "\n".join(lines)
