"""MCP server configs and agent settings (JSON): what runs, where it connects, what it may do.

An MCP server entry is code the agent starts on the developer's machine (or a host it talks to)
as soon as the repository is opened. The entry is judged as a supply-chain pin would be: a
package run with no exact version (`npx -y pkg`, `uvx pkg`, `pipx run pkg`, an untagged docker
image) runs whatever is published next; a shell that pipes a download into an interpreter runs
whatever that host serves; a remote server over plain http, or on a host nobody listed, sees the
agent's context. Settings files also grant permissions: `Bash(*)` or `bypassPermissions` let the
agent run anything without asking. Secrets written into `env` or `headers` are reported masked.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from gates.checks.agent_config_directives import DIRECTIVES, directive_at
from gates.checks.agent_config_hits import (
    CREDENTIAL,
    EXFILTRATION,
    INSECURE_URL,
    INVALID,
    PERMISSIONS,
    REMOTE_SCRIPT,
    UNKNOWN_HOST,
    UNPINNED,
    Hit,
)
from gates.checks.base import Source
from gates.checks.egress import host_allowed
from gates.checks.redact import mask, masked_line
from gates.checks.secrets import SecretsGate
from gates.sources import snippet_hash, split_lines
from gates.text import one_line, reveal_invisible

# Files read as JSON with comments and trailing commas, as their tools read them (VS Code's
# JSONC; Gemini CLI strips comments). The others are strict JSON for their tools.
JSONC_PREFIXES = (".vscode/", ".gemini/")
SHOWN = 80

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104  # nosec B104
_EXACT_VERSION = re.compile(r"^v?\d+(?:\.\d+){1,3}(?:[-+][\w.+-]+)?$")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish"})
_REMOTE_SCRIPT = re.compile(
    r"\b(?:curl|wget|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^|;&\n]*\|\s*(?:sudo\s+)?"
    r"(?:(?:ba|z|da|k)?sh|python3?|node|perl|ruby|iex|Invoke-Expression)\b"
    r"|\$\(\s*(?:curl|wget)\b|<\(\s*(?:curl|wget)\b|\b(?:iex|Invoke-Expression)\b[^\n]*(?:iwr|irm|DownloadString)",
    re.IGNORECASE,
)
_SECRET_NAME = re.compile(
    r"(?:^|[_-])(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|APIKEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH"
    r"|AUTHORIZATION|CREDENTIALS?|PAT|KEY)(?:$|[_-])",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"\$\{|\$[A-Z_]|\{\{|<[^>]*>|\byour[\s_-]|\bx{4,}|change[-_]?me|placeholder|example|dummy|redacted|\.\.\.|^env:"
    r"|^input:|\*{3,}",
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(r"^(?:Bearer|Basic|Token|Bot)\s+", re.IGNORECASE)
# Every Bash command, any tool, or a shell / interpreter that runs whatever it is given.
_EVERYTHING = re.compile(
    r"^(?:\*|Bash|mcp__\*|Bash\(\s*\*?\s*(?::\s*\*)?\s*\)|Bash\(\s*(?:bash|sh|zsh|python3?|node|perl|ruby"
    r"|eval|exec|sudo|env|xargs|npx|uvx)\s*(?::\s*\*|\s\*)\s*\))$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Parsed:
    data: object
    error: str | None


def parse(path: str, text: str) -> Parsed:
    """The JSON value, or the parse error named with its line and column."""
    source = strip_jsonc(text) if path.startswith(JSONC_PREFIXES) or "/.vscode/" in path else text
    try:
        return Parsed(json.loads(source), None)
    except json.JSONDecodeError as exc:
        return Parsed(None, f"{exc.msg} at line {exc.lineno}, column {exc.colno}")
    except RecursionError:
        return Parsed(None, "nested too deeply")


def strip_jsonc(text: str) -> str:
    """JSONC to JSON: comments blanked (newlines kept, so error positions stay true) and
    trailing commas dropped; strings are copied untouched."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
        else:
            out.append(char)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return len(text)


def scan_config(
    path: str, text: str, base_text: str | None, allowed_hosts: tuple[str, ...]
) -> list[Hit]:
    parsed = parse(path, text)
    if parsed.error is not None:
        return [
            Hit(
                INVALID,
                _error_line(parsed.error),
                f"{path} is not valid JSON: "
                f"{parsed.error}; its agent would not load it, and gates cannot check it",
                f"{INVALID}:{parsed.error}",
            )
        ]
    locate = _Locator(text)
    base = _base_servers(path, base_text)
    hits: list[Hit] = []
    for name, server in servers(parsed.data).items():
        hits += _server(name, server, locate, base, allowed_hosts)
    hits += _permissions(parsed.data, locate)
    hits += _hooks(parsed.data, locate)
    hits += secrets(path, text, parsed.data, locate)
    return hits


def _error_line(error: str) -> int | None:
    match = re.search(r"at line (\d+)", error)
    return int(match.group(1)) if match else None


def servers(data: object) -> dict[str, Mapping[str, object]]:
    """`mcpServers` (Claude, Cursor, Gemini, Amazon Q) or `servers` (VS Code), name -> entry."""
    if not isinstance(data, Mapping):
        return {}
    found: dict[str, Mapping[str, object]] = {}
    for key in ("mcpServers", "servers"):
        table = data.get(key)
        if isinstance(table, Mapping):
            found.update({str(k): v for k, v in table.items() if isinstance(v, Mapping)})
    return found


def command_line(server: Mapping[str, object]) -> list[str]:
    """The server's argv: `command` (split when it holds arguments) followed by `args`."""
    command = server.get("command")
    words: list[str] = []
    if isinstance(command, str):
        try:
            words = shlex.split(command) if " " in command.strip() else [command]
        except ValueError:
            words = command.split()
    args = server.get("args")
    if isinstance(args, list):
        words += [str(a) for a in args]
    return words


def _base_servers(path: str, base_text: str | None) -> dict[str, str]:
    if base_text is None:
        return {}
    parsed = parse(path, base_text)
    return {name: _shown(s) for name, s in servers(parsed.data).items()}


def _shown(server: Mapping[str, object]) -> str:
    url = _url_of(server)
    return one_line(reveal_invisible(url or shlex.join(command_line(server))), SHOWN)


def _url_of(server: Mapping[str, object]) -> str:
    for key in ("url", "httpUrl", "serverUrl"):
        value = server.get(key)
        if isinstance(value, str):
            return value
    return ""


class _Locator:
    """Finds the line of a server's entry and of a value in it (JSON has no positions)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def key(self, name: str, after: int = 1) -> int | None:
        return self.find(re.escape(json.dumps(name)) + r"\s*:", after)

    def value(self, value: str, after: int = 1) -> int | None:
        return self.find(re.escape(json.dumps(value, ensure_ascii=False)[1:-1]), after)

    def find(self, regex: str, after: int = 1) -> int | None:
        start = _nth_line_offset(self.text, after)
        match = re.compile(regex).search(self.text, start)
        return self.text.count("\n", 0, match.start()) + 1 if match else None


def _nth_line_offset(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _server(
    name: str,
    server: Mapping[str, object],
    locate: _Locator,
    base: Mapping[str, str],
    allowed_hosts: tuple[str, ...],
) -> list[Hit]:
    line = locate.key(name)
    at_base = base.get(name)
    was = "server added by this PR" if at_base is None else f"at base: `{at_base}`"
    label = f"MCP server {json.dumps(name)}"
    argv = command_line(server)
    hits: list[Hit] = []
    for spec in unpinned(argv):
        shown = one_line(reveal_invisible(spec), SHOWN)
        hits.append(
            Hit(
                UNPINNED,
                _line(locate, spec, line),
                f"{label} runs `{shown}` with no exact "
                f"version, so it runs whatever is published next ({was})",
                f"{UNPINNED}:{name}:{spec}",
            )
        )
    for script in remote_scripts(argv):
        shown = one_line(reveal_invisible(script), SHOWN)
        hits.append(
            Hit(
                REMOTE_SCRIPT,
                _line(locate, script, line),
                f"{label} pipes a download into an interpreter: `{shown}` ({was})",
                f"{REMOTE_SCRIPT}:{name}:{script}",
            )
        )
    for url in [_url_of(server), *(a for a in argv if re.match(r"https?://", a))]:
        hits += _url(label, name, url, _line(locate, url, line), was, allowed_hosts)
    if server.get("trust") is True:
        hits.append(
            Hit(
                PERMISSIONS,
                _line(locate, '"trust"', line, raw=True),
                f'{label} has "trust": true: its tool calls run without asking ({was})',
                f"{PERMISSIONS}:{name}:trust",
            )
        )
    return hits


def _line(locate: _Locator, value: str, after: int | None, raw: bool = False) -> int | None:
    start = after or 1
    found = locate.find(re.escape(value), start) if raw else locate.value(value, start)
    return found or after


def _url(
    label: str, name: str, url: str, line: int | None, was: str, allowed: tuple[str, ...]
) -> list[Hit]:
    if not url:
        return []
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return []
    shown = one_line(reveal_invisible(url), SHOWN)
    if not host or host in _LOOPBACK or host.endswith(".localhost"):
        return []
    if parts.scheme == "http":
        return [
            Hit(
                INSECURE_URL,
                line,
                f"{label} connects to {shown} over plain http: anyone on "
                f"the path can read and change what the agent sends and receives ({was})",
                f"{INSECURE_URL}:{name}:{url}",
            )
        ]
    if parts.scheme == "https" and not host_allowed(host, allowed):
        return [
            Hit(
                UNKNOWN_HOST,
                line,
                f"{label} connects to {host}, which is not in "
                f"allowed_hosts: the agent's context goes to that host ({was})",
                f"{UNKNOWN_HOST}:{name}:{host}",
            )
        ]
    return []


def unpinned(argv: Sequence[str]) -> list[str]:
    """The package specs this command line runs without an exact version."""
    words = _after_wrapper(list(argv))
    if not words:
        return []
    script = _shell_script(words)
    if script is not None:
        return [spec for part in _subcommands(script) for spec in unpinned(part)]
    spec = _package_spec(words)
    return [spec] if spec is not None and not _pinned(words, spec) else []


def _after_wrapper(words: list[str]) -> list[str]:
    """`cmd /c npx ...` (Windows configs) is the command it wraps."""
    if (
        len(words) > 1
        and _base(words[0]) in ("cmd", "cmd.exe")
        and words[1].lower() in ("/c", "/k")
    ):
        return words[2:]
    return words


def _base(word: str) -> str:
    return word.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _shell_script(words: Sequence[str]) -> str | None:
    if _base(words[0]) in _SHELLS and "-c" in words[1:-1]:
        return words[words.index("-c", 1) + 1]
    if _base(words[0]) in ("powershell", "pwsh", "powershell.exe", "pwsh.exe"):
        for flag in ("-Command", "-c"):
            if flag in words[1:-1]:
                return words[words.index(flag, 1) + 1]
    return None


def _subcommands(script: str) -> Iterator[list[str]]:
    for part in re.split(r"&&|\|\||;|\|", script):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        if words:
            yield words


_NPX_VALUE_FLAGS = frozenset({"-p", "--package", "-c", "--call", "--registry", "--cache"})
_UVX_VALUE_FLAGS = frozenset(
    {
        "--from",
        "--with",
        "--python",
        "-p",
        "--index-url",
        "--index",
        "--extra-index-url",
        "-i",
        "--with-requirements",
        "--constraint",
        "-c",
        "--directory",
    }
)
_PIPX_VALUE_FLAGS = frozenset({"--spec", "--python", "--pip-args", "--index-url", "-i"})
_DOCKER_VALUE_FLAGS = frozenset(
    {
        "-e",
        "--env",
        "-v",
        "--volume",
        "-p",
        "--publish",
        "--name",
        "--network",
        "--net",
        "--mount",
        "-w",
        "--workdir",
        "-u",
        "--user",
        "--env-file",
        "--entrypoint",
        "--platform",
        "-l",
        "--label",
        "--add-host",
        "--cpus",
        "-m",
        "--memory",
        "--pull",
        "--cap-add",
        "--cap-drop",
        "--device",
        "--security-opt",
        "--tmpfs",
        "--ulimit",
        "-h",
        "--hostname",
        "--restart",
    }
)


def _package_spec(words: list[str]) -> str | None:
    """The package a runner fetches (npx / bunx / pnpm dlx / uvx / pipx run / docker run)."""
    tool = _base(words[0])
    rest = words[1:]
    if tool in ("pnpm", "yarn", "bun") and rest[:1] in (["dlx"], ["x"]):
        return _first_operand(rest[1:], _NPX_VALUE_FLAGS, ("-p", "--package"))
    if tool == "npm" and rest[:1] == ["exec"]:
        return _first_operand(rest[1:], _NPX_VALUE_FLAGS, ("-p", "--package"))
    if tool in ("npx", "bunx", "pnpx"):
        return _first_operand(rest, _NPX_VALUE_FLAGS, ("-p", "--package"))
    if tool == "uv" and rest[:2] == ["tool", "run"]:
        return _first_operand(rest[2:], _UVX_VALUE_FLAGS, ("--from",))
    if tool == "uvx":
        return _first_operand(rest, _UVX_VALUE_FLAGS, ("--from",))
    if tool == "pipx" and rest[:1] == ["run"]:
        return _first_operand(rest[1:], _PIPX_VALUE_FLAGS, ("--spec",))
    if tool in ("docker", "podman") and rest[:1] == ["run"]:
        return _first_operand(rest[1:], _DOCKER_VALUE_FLAGS, ())
    return None


def _first_operand(
    words: Sequence[str], value_flags: frozenset[str], spec_flags: tuple[str, ...]
) -> str | None:
    """The first word that is not an option (or the value of a spec option such as --from)."""
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return words[i + 1] if i + 1 < len(words) else None
        flag, eq, value = word.partition("=")
        if flag in spec_flags:
            return value if eq else (words[i + 1] if i + 1 < len(words) else None)
        if word.startswith("-"):
            i += 2 if flag in value_flags and not eq else 1
            continue
        return word
    return None


def _pinned(words: Sequence[str], spec: str) -> bool:
    if spec.startswith((".", "/", "~", "file:")) or re.match(r"^[A-Za-z]:[\\/]", spec):
        return True  # a local path: the repository's own code
    if _base(words[0]) in ("docker", "podman"):
        return _image_pinned(spec)
    if _base(words[0]) in ("uvx", "uv", "pipx"):
        return _python_pinned(spec)
    return _npm_pinned(spec)


def _npm_pinned(spec: str) -> bool:
    if "#" in spec:  # github:owner/repo#<commit>, git+https://...#<commit>
        return bool(_COMMIT.match(spec.rsplit("#", 1)[1]))
    at = spec.rfind("@")
    return at > 0 and bool(_EXACT_VERSION.match(spec[at + 1 :]))


def _python_pinned(spec: str) -> bool:
    if "==" in spec:
        return bool(_EXACT_VERSION.match(spec.split("==", 1)[1].strip()))
    if spec.startswith("git+") or "://" in spec:
        return bool(_COMMIT.match(spec.rsplit("@", 1)[-1])) if "@" in spec else False
    if "@" in spec:
        return bool(_EXACT_VERSION.match(spec.rsplit("@", 1)[1]))
    return False


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    return ":" in name and name.rsplit(":", 1)[1] not in ("latest", "")


def remote_scripts(argv: Sequence[str]) -> list[str]:
    """Shell text in the command line that runs what a download returns."""
    text = " ".join(argv)
    return [one_line(text, 200)] if _REMOTE_SCRIPT.search(text) else []


def _permissions(data: object, locate: _Locator) -> list[Hit]:
    if not isinstance(data, Mapping):
        return []
    hits: list[Hit] = []
    permissions = data.get("permissions")
    if isinstance(permissions, Mapping):
        allow = permissions.get("allow")
        for entry in allow if isinstance(allow, list) else []:
            if isinstance(entry, str) and _EVERYTHING.match(entry.strip()):
                shown = one_line(reveal_invisible(entry), SHOWN)
                hits.append(
                    Hit(
                        PERMISSIONS,
                        locate.value(entry),
                        f"permissions.allow grants "
                        f'"{shown}": the agent may run any command without asking',
                        f"{PERMISSIONS}:allow:{entry}",
                    )
                )
        if permissions.get("defaultMode") == "bypassPermissions":
            hits.append(
                Hit(
                    PERMISSIONS,
                    locate.value("bypassPermissions"),
                    "permissions."
                    'defaultMode is "bypassPermissions": every tool call runs without '
                    "asking",
                    f"{PERMISSIONS}:bypassPermissions",
                )
            )
    if data.get("dangerouslySkipPermissions") is True:
        hits.append(
            Hit(
                PERMISSIONS,
                locate.key("dangerouslySkipPermissions"),
                "dangerouslySkipPermissions is true: every tool call runs without asking",
                f"{PERMISSIONS}:dangerouslySkipPermissions",
            )
        )
    if data.get("enableAllProjectMcpServers") is True:
        hits.append(
            Hit(
                PERMISSIONS,
                locate.key("enableAllProjectMcpServers"),
                "enableAllProjectMcpServers is true: every MCP server a later PR adds to "
                ".mcp.json starts without being approved",
                f"{PERMISSIONS}:enableAll",
            )
        )
    return hits


def _hooks(data: object, locate: _Locator) -> list[Hit]:
    """Hook and helper commands of agent settings run on their own, like a server's command."""
    hits: list[Hit] = []
    for command in _commands(data.get("hooks") if isinstance(data, Mapping) else None):
        shown = one_line(reveal_invisible(command), SHOWN)
        line = locate.value(command)
        if _REMOTE_SCRIPT.search(command):
            hits.append(
                Hit(
                    REMOTE_SCRIPT,
                    line,
                    f"a hook pipes a download into an interpreter: `{shown}`",
                    f"{REMOTE_SCRIPT}:hook:{command}",
                )
            )
        if any(d.rule == EXFILTRATION and directive_at(d, command) is not None for d in DIRECTIVES):
            hits.append(
                Hit(
                    EXFILTRATION,
                    line,
                    f"a hook sends local data out: `{shown}`",
                    f"{EXFILTRATION}:hook:{command}",
                )
            )
    return hits


def _commands(node: object) -> Iterator[str]:
    if isinstance(node, Mapping):
        command = node.get("command")
        if isinstance(command, str):
            yield command
        for value in node.values():
            yield from _commands(value)
    elif isinstance(node, list):
        for item in node:
            yield from _commands(item)


@functools.cache
def _secrets_gate() -> SecretsGate:
    return SecretsGate()


def secrets(path: str, text: str, data: object, locate: _Locator) -> list[Hit]:
    """The secrets detector over the file, then literal values of secret-named `env` and
    `headers` keys it did not recognise. Only masked values leave this function."""
    hits = [
        Hit(
            CREDENTIAL,
            f.line,
            f"{f.message} (in an agent config every clone shares)",
            f"{CREDENTIAL}:{f.snippet_hash or f.message}",
            column=f.column,
            snippet_hash=f.snippet_hash,
        )
        for f in _secrets_gate().scan(Source(path, text), {})
    ]
    reported = {h.line for h in hits}
    lines = split_lines(text)
    for where, key, value in _named_values(data):
        if not _SECRET_NAME.search(key) or not _literal_secret(value):
            continue
        line = locate.value(value)
        if line is None or line in reported:
            continue
        reported.add(line)
        hits.append(_named_secret(where, key, value, line, lines))
    return hits


def _named_values(data: object) -> Iterator[tuple[str, str, str]]:
    if not isinstance(data, Mapping):
        return
    tables: list[tuple[str, object]] = [("env", data.get("env"))]
    for name, server in servers(data).items():
        tables += [
            (f"env of MCP server {json.dumps(name)}", server.get("env")),
            (f"headers of MCP server {json.dumps(name)}", server.get("headers")),
        ]
    for where, table in tables:
        if isinstance(table, Mapping):
            for key, value in table.items():
                if isinstance(value, str):
                    yield where, str(key), value


def _literal_secret(value: str) -> bool:
    bare = _AUTH_SCHEME.sub("", value.strip())
    if len(bare) < 16 or " " in bare or _PLACEHOLDER.search(bare):
        return False
    if bare.startswith(("/", "./", "~", "http://", "https://")):
        return False
    return any(c.isdigit() for c in bare) and any(c.isalpha() for c in bare)


def _named_secret(where: str, key: str, value: str, line: int, lines: Sequence[str]) -> Hit:
    bare = _AUTH_SCHEME.sub("", value.strip())
    masked = mask(bare)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    at = text.find(bare)
    hidden = masked_line(text, at, at + len(bare), masked) if at >= 0 else masked
    shown_key = one_line(reveal_invisible(key), 60)
    return Hit(
        CREDENTIAL,
        line,
        f"{shown_key} in the {where} is a literal secret: {masked}; load it "
        "from the environment or an input prompt, and rotate it",
        f"{CREDENTIAL}:{where}:{key}:{masked}",
        column=at + 1 if at >= 0 else None,
        snippet_hash=snippet_hash((hidden,), 1, 1),
    )
