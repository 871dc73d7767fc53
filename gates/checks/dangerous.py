"""Dangerous Python code, found on the AST (never by regex over text).

Each rule has a stable id, a severity and a reason; `docs/safety-rules.md` has a section per id.
Names are resolved through imports and single assignments, so `import subprocess as sp`,
`from os import system` or `run = subprocess.run` do not hide a call. A file that does not parse
gives one note (it was not analysed) and never an exception.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from gates.checks.base import Source, TextCheckGate
from gates.checks.pyast import (
    SCOPES,
    UNKNOWN,
    Names,
    arg,
    const_int,
    import_aliases,
    is_literal_text,
    keyword,
    path_text,
    scope_assignments,
    walk_scope,
)
from gates.gate import Option
from gates.model import Finding, Severity, Stage


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    why: str  # appended to every message of the rule


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {r.id: r for r in rules}


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE
RULES = _rules(
    Rule("eval-nonliteral", W, "runs code built at run time; any input reaching it runs as Python"),
    Rule(
        "shell-command", W, "a shell parses the command, so interpolated input can inject commands"
    ),
    Rule("unsafe-deserialization", W, "loading this format can run arbitrary code from the data"),
    Rule(
        "dynamic-import", N, "imports a module chosen at run time, so input decides what code runs"
    ),
    Rule("decoded-exec", E, "executes decoded, decompressed or downloaded data: a hidden payload"),
    Rule("unbounded-loop", W, "the loop has no reachable break, return, raise or exit"),
    Rule("large-range-loop", W, "loops a million times or more: CPU and time exhaustion"),
    Rule("fork-bomb", E, "forks processes in a loop, which can exhaust the process table"),
    Rule("network-egress", W, "sends data to a host that is not on the allowed_hosts list"),
    Rule(
        "network-egress-dynamic", N, "connects to a host computed at run time; review where it goes"
    ),
    Rule(
        "sensitive-path-write",
        E,
        "writes credentials, shell start-up or system files (persistence)",
    ),
    Rule("destructive-delete", W, "deletes an absolute or home path outside the project"),
    Rule("trace-hook", W, "replaces interpreter trace/profile/audit hooks that tools rely on"),
    Rule("native-code", W, "ctypes reaches native memory and libraries, bypassing Python's safety"),
    Rule("ignore-termination", W, "ignores termination signals, so the process cannot be stopped"),
    Rule("syntax-error", N, "the file does not parse, so it was not analysed"),
)

_EVAL_SINKS = {"eval", "exec", "compile"}
_BUILTINS = {"builtins", "__builtins__"}
_DECODERS = {
    *(
        f"base64.{n}"
        for n in [
            "b64decode",
            "b32decode",
            "b32hexdecode",
            "b16decode",
            "a85decode",
            "b85decode",
            "decodebytes",
            "decodestring",
            "urlsafe_b64decode",
            "standard_b64decode",
        ]
    ),
    *(f"{m}.decompress" for m in ("zlib", "gzip", "bz2", "lzma")),
    "codecs.decode",
    "binascii.unhexlify",
    "binascii.a2b_base64",
    "binascii.a2b_hex",
    "binascii.a2b_uu",
    "bytes.fromhex",
    "bytearray.fromhex",
    "marshal.loads",
    "chr",
}
_SHELL_ALWAYS = {
    "os.system",
    "os.popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell",
    "commands.getoutput",
}
_SUBPROCESS = {f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")}
_DESERIALIZE = {
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "marshal.load",
    "marshal.loads",
    "shelve.open",
    "dill.load",
    "dill.loads",
    "joblib.load",
    "jsonpickle.decode",
    "pandas.read_pickle",
    "yaml.unsafe_load",
    "yaml.unsafe_load_all",
}
_DYNAMIC_IMPORT = {"__import__", "importlib.import_module", "importlib.__import__"}
_LOOP_EXITS = {"sys.exit", "exit", "quit", "os._exit", "os.abort"}
_FORKS = {"os.fork", "os.forkpty"}
# The client libraries' request functions and the methods of their sessions/clients/pools.
_HTTP_CALL = re.compile(
    r"^(?:requests(?:\.api|\.Session\(\)|\.session\(\))?|httpx(?:\.(?:Async)?Client\(\))?"
    r"|aiohttp(?:\.ClientSession\(\))?"
    r"|urllib3(?:\.(?:PoolManager|ProxyManager|HTTPS?ConnectionPool|connection_from_url)\(\))?)"
    r"\.(get|post|put|patch|delete|head|options|stream|ws_connect|request|urlopen)$"
)
_URL_OPENERS = {"urllib.request.urlopen", "urllib.request.urlretrieve"}
_HOST_CTORS = {"http.client.HTTPConnection", "http.client.HTTPSConnection"}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 - a name, not a bind
_SENSITIVE = re.compile(
    r"(^|/)\.ssh(/|$)|(^|/)authorized_keys$|^/etc(/|$)|(^|/)crontab$|^/var/spool/cron"
    r"|(^|/)\.(bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|zlogin|profile|login|cshrc)$"
)
_WRITE_MODES = re.compile(r"[wax+]")
_COPIES = {f"shutil.{n}" for n in ("copy", "copy2", "copyfile", "copytree", "move")} | {
    "os.rename",
    "os.replace",
    "os.symlink",
    "os.link",
}
_DELETES = {"shutil.rmtree", "os.remove", "os.unlink", "os.rmdir", "os.removedirs"}
_SCRATCH = ("/tmp/", "/var/tmp/")  # noqa: S108 - prefixes we exempt, not files we use
_TRACE_HOOKS = {
    "sys.settrace",
    "sys.setprofile",
    "sys.addaudithook",
    "threading.settrace",
    "threading.setprofile",
    "threading.settrace_all_threads",
    "threading.setprofile_all_threads",
}
_CTYPES_CALLS = {
    f"ctypes.{n}"
    for n in [
        "CDLL",
        "PyDLL",
        "WinDLL",
        "OleDLL",
        "LibraryLoader",
        "memmove",
        "memset",
        "string_at",
        "wstring_at",
        "cast",
        "CFUNCTYPE",
        "PYFUNCTYPE",
        "WINFUNCTYPE",
    ]
}
_CTYPES_LOADERS = ("ctypes.cdll.", "ctypes.pydll.", "ctypes.windll.", "ctypes.oledll.")
_TERM_SIGNALS = {"signal.SIGTERM", "signal.SIGINT", "signal.SIGHUP", "signal.SIGQUIT"}


class DangerousCodeGate(TextCheckGate):
    name = "dangerous-code"
    stage = Stage.SAFETY
    description = "dangerous Python constructs (eval, shell, pickle, egress, ...) found on the AST"
    default_fail_on = "warning"
    options: Mapping[str, Option] = {
        "allowed_hosts": Option(
            list, [], item=str, help="host globs network calls may reach (e.g. *.example.com)"
        ),
    }

    def wants(self, path: str) -> bool:
        return path.lower().endswith((".py", ".pyw"))

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        allowed = tuple(str(h).lower() for h in options.get("allowed_hosts", ()) or ())  # type: ignore[attr-defined]
        try:
            with warnings.catch_warnings():  # "invalid escape sequence" is not ours to print
                warnings.simplefilter("ignore")
                tree = ast.parse(source.text, filename=source.path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None) or 1
            return [_finding(source.path, "syntax-error", f"cannot parse: {exc}", line=line)]
        scanner = _Scanner(source.path, tree, allowed)
        try:
            scanner.scan_module(tree)
        except RecursionError:
            return [_finding(source.path, "syntax-error", "too deeply nested to analyse", line=1)]
        return scanner.findings


def _finding(path: str, rule_id: str, what: str, line: int, node: ast.AST | None = None) -> Finding:
    rule = RULES[rule_id]
    return Finding(
        gate="dangerous-code",
        tool="gates",
        rule=rule_id,
        severity=rule.severity,
        path=path,
        message=f"{what}: {rule.why}",
        line=getattr(node, "lineno", line),
        end_line=getattr(node, "end_lineno", None),
        column=getattr(node, "col_offset", -1) + 1 if node is not None else None,
        end_column=(getattr(node, "end_col_offset", None) or 0) + 1 if node is not None else None,
    )


class _Scanner:
    """One pass over a module, keeping the name scope and loop depth of the current function."""

    def __init__(self, path: str, tree: ast.Module, allowed_hosts: tuple[str, ...]) -> None:
        self.path = path
        self.allowed = allowed_hosts
        self.aliases = import_aliases(tree)
        self.module_names = scope_assignments(tree.body)
        self.defined = {n.name for n in tree.body if isinstance(n, SCOPES) and hasattr(n, "name")}
        self.findings: list[Finding] = []
        self.names = Names(self.aliases, self.module_names, self.module_names)
        self.loop_calls = _calls_in_loops(tree)
        self.caught_loops = _loops_in_try(tree)
        self.quiet: set[int] = set()  # ids of calls already reported as part of an outer one

    def report(self, rule: str, what: str, node: ast.AST) -> None:
        self.findings.append(_finding(self.path, rule, what, getattr(node, "lineno", 1), node))

    def scan_module(self, tree: ast.Module) -> None:
        self._scan_body(tree.body)

    def _scan_body(self, body: list[ast.stmt]) -> None:
        for node in walk_scope(body):
            self._visit(node)

    def _visit(self, node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self._enter_function(node)
        elif isinstance(node, ast.ClassDef):
            self._scan_body(node.body)
        elif isinstance(node, ast.While):
            self._check_while(node)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._check_range(node.iter)
        elif isinstance(node, ast.Call):
            self._check_call(node)

    def _enter_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        body: list[ast.stmt] = (
            [ast.Expr(node.body)] if isinstance(node, ast.Lambda) else list(node.body)
        )
        local: dict[str, list[ast.expr]] = {a.arg: [] for a in _params(node.args)}
        local.update(scope_assignments(body))
        outer = [*node.args.defaults, *node.args.kw_defaults]
        if not isinstance(node, ast.Lambda):
            outer += node.decorator_list
        self._scan_body([ast.Expr(e) for e in outer if e is not None])
        saved = self.names
        self.names = Names(self.aliases, local, self.module_names)
        self._scan_body(body)
        self.names = saved

    # --- loops -----------------------------------------------------------------------------

    def _check_while(self, node: ast.While) -> None:
        test = node.test
        if not (isinstance(test, ast.Constant) and test.value) or _exits(node.body, self.names):
            return
        if id(node) in self.caught_loops and any(
            isinstance(n, ast.Call) for n in walk_scope(node.body)
        ):
            return  # `try: while True: q.get_nowait() ... except Empty:` ends by an exception
        self.report("unbounded-loop", "`while` loop on a constant true condition", node)

    def _check_range(self, iterable: ast.expr) -> None:
        if isinstance(iterable, ast.Call) and self.names.call_name(iterable) == "range":
            values = [const_int(a) for a in iterable.args]
            if any(v is not None and v >= 10**6 for v in values):
                self.report("large-range-loop", "loop over a range of a million or more", iterable)

    # --- calls -----------------------------------------------------------------------------

    def _check_call(self, call: ast.Call) -> None:
        if id(call) in self.quiet:
            return
        name = self._builtin_via_getattr(call) or self.names.call_name(call)
        for check in (
            self._eval,
            self._shell,
            self._deserialize,
            self._dynamic_import,
            self._fork,
            self._egress,
            self._write,
            self._delete,
            self._hooks,
        ):
            check(call, name)

    def _builtin_via_getattr(self, call: ast.Call) -> str | None:
        """`getattr(builtins, "ex" + "ec")(...)`: a builtin fetched by a (computed) name."""
        func = call.func
        if not (isinstance(func, ast.Call) and self.names.call_name(func) == "getattr"):
            return None
        if len(func.args) < 2 or self.names.qualname(func.args[0]) not in _BUILTINS:
            return None
        attr = func.args[1]
        if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
            return attr.value
        return "exec"  # a computed builtin name is there to hide what it calls

    def _eval(self, call: ast.Call, name: str) -> None:
        if name not in _EVAL_SINKS or name in self.defined or not call.args:
            return
        code = call.args[0]
        if is_literal_text(code):
            return
        for inner in ast.walk(code):
            if isinstance(inner, ast.Call) and self.names.call_name(inner) in _EVAL_SINKS:
                self.quiet.add(id(inner))
        if _decoded(code, self.names, set()):
            self.report("decoded-exec", f"`{name}` of decoded data", call)
        elif name != "compile":  # compiling alone runs nothing; the exec/eval of it is reported
            self.report("eval-nonliteral", f"`{name}` of a non-literal argument", call)

    def _shell(self, call: ast.Call, name: str) -> None:
        if name == "pty.spawn" and _names_a_shell(arg(call, 0, "argv")):
            self.report("shell-command", "`pty.spawn` of an interactive shell", call)
        elif name in _SHELL_ALWAYS:
            self.report("shell-command", f"`{name}` runs its command through a shell", call)
        elif name in _SUBPROCESS:
            shell = keyword(call, "shell")
            if shell is not None and not (isinstance(shell, ast.Constant) and not shell.value):
                self.report("shell-command", f"`{name}` with shell=True", call)
            elif _stringy(arg(call, 0, "args"), self.names):
                self.report("shell-command", f"`{name}` with a string command", call)

    def _deserialize(self, call: ast.Call, name: str) -> None:
        unsafe = name in _DESERIALIZE or (name == "yaml.load" and not self._safe_yaml(call))
        if unsafe:
            self.report("unsafe-deserialization", f"`{name}`", call)

    def _safe_yaml(self, call: ast.Call) -> bool:
        loader = arg(call, 1, "Loader")
        spelled = self.names.qualname(loader) if loader is not None else None
        return bool(spelled) and "Safe" in str(spelled)

    def _dynamic_import(self, call: ast.Call, name: str) -> None:
        if name in _DYNAMIC_IMPORT and call.args and not is_literal_text(call.args[0]):
            target = self.names.unique(call.args[0])
            if not is_literal_text(target):
                self.report("dynamic-import", f"`{name}` of a computed module name", call)

    def _fork(self, call: ast.Call, name: str) -> None:
        if name in _FORKS and id(call) in self.loop_calls:
            self.report("fork-bomb", f"`{name}` inside a loop", call)

    def _egress(self, call: ast.Call, name: str) -> None:
        target, is_url = _egress_target(call, name)
        if target is None:
            return
        host = _literal_host(self.names.unique(target), self.names, is_url)
        if host is None:
            self.report(
                "network-egress-dynamic", f"`{name}` to a host known only at run time", call
            )
        elif host and host not in _LOCAL_HOSTS and not _allowed(host, self.allowed):
            self.report("network-egress", f"`{name}` to {host}", call)

    def _write(self, call: ast.Call, name: str) -> None:
        target = self._write_target(call, name)
        if target is None:
            return
        spelled = path_text(self.names, target)
        if spelled and _SENSITIVE.search(spelled.replace(UNKNOWN, "*")):
            shown = spelled.replace(UNKNOWN, "…")
            self.report("sensitive-path-write", f"`{_called(call, name)}` to {shown}", call)

    def _write_target(self, call: ast.Call, name: str) -> ast.expr | None:
        if name in ("open", "io.open", "codecs.open"):
            mode = arg(call, 1, "mode")
            writes = isinstance(mode, ast.Constant) and _WRITE_MODES.search(str(mode.value))
            return arg(call, 0, "file") if writes else None
        if name in _COPIES:
            return arg(call, 1, "dst")
        if isinstance(call.func, ast.Attribute):
            method = call.func.attr
            mode = arg(call, 0, "mode")
            if method in ("write_text", "write_bytes", "touch", "symlink_to") or (
                method == "open"
                and isinstance(mode, ast.Constant)
                and _WRITE_MODES.search(str(mode.value))
            ):
                return call.func.value
        return None

    def _delete(self, call: ast.Call, name: str) -> None:
        target: ast.expr | None = None
        if name in _DELETES:
            target = arg(call, 0, "path")
        elif isinstance(call.func, ast.Attribute) and call.func.attr in ("unlink", "rmdir"):
            target = call.func.value
        if target is None:
            return
        spelled = path_text(self.names, target)
        if spelled and spelled.startswith(("/", "~")) and not spelled.startswith(_SCRATCH):
            shown = spelled.replace(UNKNOWN, "…")
            self.report("destructive-delete", f"`{_called(call, name)}` of {shown}", call)

    def _hooks(self, call: ast.Call, name: str) -> None:
        if name in _TRACE_HOOKS:
            self.report("trace-hook", f"`{name}`", call)
        elif name in _CTYPES_CALLS or name.startswith(_CTYPES_LOADERS) or ".pythonapi." in name:
            self.report("native-code", f"`{name}`", call)
        elif name == "signal.signal" and len(call.args) >= 2:
            signum = self.names.qualname(call.args[0])
            handler = self.names.qualname(call.args[1])
            if _term_signal(call.args[0], signum) and handler == "signal.SIG_IGN":
                shown = signum or ast.unparse(call.args[0])
                self.report("ignore-termination", f"signal `{shown}` set to SIG_IGN", call)


_SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "csh", "tcsh", "fish", "cmd.exe", "powershell"}


def _names_a_shell(node: ast.expr | None) -> bool:
    """`"/bin/sh"` or `["bash", "-i"]`: the program is a shell."""
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        node = node.elts[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.rsplit("/", 1)[-1] in _SHELLS
    return False


def _term_signal(node: ast.expr, name: str | None) -> bool:
    """SIGTERM/SIGINT/SIGHUP/SIGQUIT by name or by number (15, 2, 1, 3)."""
    return name in _TERM_SIGNALS or const_int(node) in (1, 2, 3, 15)


def _called(call: ast.Call, name: str) -> str:
    """The called name for a message; a method on an unnamed receiver shows as `.method`."""
    if name:
        return name
    return f".{call.func.attr}" if isinstance(call.func, ast.Attribute) else "call"


def _params(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *extra]


def _exits(body: list[ast.stmt], names: Names) -> bool:
    """True when the loop body can leave the loop: break (of this loop), return, raise, exit.

    A `yield` or `await` counts too: a generator or coroutine loop is driven, and can be
    stopped or cancelled, by its consumer.
    """
    own = _own_breaks(body)
    for node in walk_scope(body):
        if isinstance(node, (ast.Return, ast.Raise, ast.Yield, ast.YieldFrom, ast.Await)):
            return True
        if isinstance(node, ast.Break) and id(node) in own:
            return True
        if isinstance(node, ast.Call) and names.call_name(node) in _LOOP_EXITS:
            return True
    return False


def _own_breaks(body: list[ast.stmt]) -> set[int]:
    """The `break` statements in a loop body that leave that loop, not a nested one."""
    found: set[int] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            found.add(id(node))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            stack.extend(node.orelse)  # a nested loop's else belongs to the outer loop
        elif not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return found


_TRY_NODES: tuple[type[ast.Try], ...] = (ast.Try, getattr(ast, "TryStar", ast.Try))


def _loops_in_try(tree: ast.Module) -> set[int]:
    """Ids of the loops inside a `try` body that has `except` handlers (in the same function)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, _TRY_NODES) and node.handlers:
            found.update(id(n) for n in walk_scope(node.body) if isinstance(n, ast.While))
    return found


def _calls_in_loops(tree: ast.Module) -> set[int]:
    """Ids of the calls that run repeatedly: in a loop or comprehension of the same function."""
    found: set[int] = set()
    for node in ast.walk(tree):
        repeated: list[ast.stmt] = []
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            repeated = list(node.body)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            repeated = [ast.Expr(node.elt)]
        elif isinstance(node, ast.DictComp):
            repeated = [ast.Expr(node.key), ast.Expr(node.value)]
        found.update(id(n) for n in walk_scope(repeated) if isinstance(n, ast.Call))
    return found


def _decoded(node: ast.expr, names: Names, seen: set[str], depth: int = 0) -> bool:
    """True when the expression (or a local it reads) decodes, decompresses or reverses data."""
    if depth > 6:
        return False
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            called = names.call_name(inner)
            if called in _DECODERS or called.endswith(".fromhex") or _downloads(called):
                return True
            method = inner.func.attr if isinstance(inner.func, ast.Attribute) else ""
            if method == "decode" and _decodes_literal_or_codec(inner):
                return True
        if isinstance(inner, ast.Subscript) and _reversed(inner):
            return True
        if isinstance(inner, ast.Name) and names.qualname(inner) == "chr":
            return True  # "".join(map(chr, [...])) spells code as numbers
        if isinstance(inner, ast.Name) and inner.id not in seen:
            seen.add(inner.id)
            if any(_decoded(v, names, seen, depth + 1) for v in names.values(inner.id)):
                return True
    return False


def _downloads(name: str) -> bool:
    """A call that fetches data over the network (its result executed is remote code)."""
    return bool(_HTTP_CALL.match(name)) or name in _URL_OPENERS


def _decodes_literal_or_codec(call: ast.Call) -> bool:
    """`b"...".decode()` of an inline blob, or `.decode("rot13")`-style codec decoding."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(receiver, ast.Constant) or _codec_arg(call)


def _codec_arg(call: ast.Call) -> bool:
    codec = arg(call, 0, "encoding")
    return isinstance(codec, ast.Constant) and str(codec.value).lower().replace("_", "") in (
        "rot13",
        "hex",
        "base64",
        "zlib",
        "bz2",
        "hexcodec",
        "base64codec",
        "zlibcodec",
    )


def _reversed(node: ast.Subscript) -> bool:
    """`"...)(tnirp"[::-1]`: a string literal reversed to hide what it says."""
    step = node.slice.step if isinstance(node.slice, ast.Slice) else None
    return (
        step is not None
        and const_int(step) == -1
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, (str, bytes))
    )


def _stringy(node: ast.expr | None, names: Names) -> bool:
    """A command given as one string (literal, f-string, concatenation or formatting)."""
    if node is None:
        return False
    node = names.unique(node)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _stringy(node.left, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and isinstance(node.func.value, ast.Constant)
    return False


def _egress_target(call: ast.Call, name: str) -> tuple[ast.expr | None, bool]:
    """The URL (True) or host/address (False) argument of a network call; None if no such call."""
    head = name.split(".", 1)[0]
    method = _HTTP_CALL.match(name)
    if method:
        if method.group(1) == "request" or (method.group(1) == "stream" and head == "httpx"):
            return arg(call, 1, "url"), True
        return arg(call, 0, "url"), True
    if name in _URL_OPENERS:
        return arg(call, 0, "url"), True
    if name in _HOST_CTORS:
        return arg(call, 0, "host"), False
    if name in ("httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession"):
        return arg(call, 0 if head == "aiohttp" else 99, "base_url"), True
    if name == "socket.create_connection" or name in (
        "socket.socket().connect",
        "socket.socket().connect_ex",
    ):
        return arg(call, 0, "address"), False
    return None, False


def _literal_host(node: ast.expr, names: Names, is_url: bool) -> str | None:
    """The host a URL/host/address expression names; None when it is computed; "" when none."""
    if isinstance(node, ast.Call) and names.call_name(node) == "urllib.request.Request":
        inner = arg(node, 0, "url")
        return _literal_host(names.unique(inner), names, True) if inner is not None else None
    if isinstance(node, ast.Tuple) and node.elts:
        return _literal_host(names.unique(node.elts[0]), names, False)
    prefix = _literal_prefix(node, names)
    if prefix is None:
        return None
    return _host_of(prefix, isinstance(names.unique(node), ast.Constant), is_url)


def _literal_prefix(node: ast.expr, names: Names) -> str | None:
    """The literal start of a URL: a constant, or an f-string/concatenation's leading constants."""
    node = names.unique(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        value = node.value
        return value.decode("latin-1") if isinstance(value, bytes) else value
    if isinstance(node, ast.JoinedStr):
        prefix = ""
        for part in node.values:
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            known = _literal_prefix(inner, names)
            if known is None or not isinstance(names.unique(inner), ast.Constant):
                return prefix + (known or "") if prefix or known else None
            prefix += known
        return prefix
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_prefix(node.left, names)
    return None


def _host_of(text: str, complete: bool, is_url: bool) -> str | None:
    """Host of a URL or `host[:port]`; for a partial literal, only when the host is complete.

    A URL argument without a scheme is relative (to a client's base URL): "" (no host).
    """
    text = text.strip()
    if "://" not in text:
        if is_url:
            return ""
        text = "//" + text
    after = text.split("//", 1)[1]
    if not complete and not re.search(r"[/:?#]", after):
        return None  # f"https://{sub}.example.com" or "https://api." + tld: not fully literal
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return (host or "").lower()


def _allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(host, glob) for glob in allowed)
