"""Dangerous Python code, found on the AST (never by regex over text).

Each rule has a stable id, a severity and a reason; `gates/docs/safety.md` has a section per id.
Names are resolved through imports and single assignments, so `import subprocess as sp`,
`from os import system` or `run = subprocess.run` do not hide a call. A file that does not parse
gives one note (it was not analysed) and never an exception.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gates.checks.base import Source, TextCheckGate
from gates.checks.egress import LOCAL_HOSTS, egress_target, host_allowed, literal_host
from gates.checks.pyast import (
    ASSIGNING,
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
from gates.checks.pyflow import calls_in_loops, decoded, exits, loops_in_try, params, stringy
from gates.gate import GateTraits, Option
from gates.model import Finding, Severity, Stage
from gates.paths import check_host_globs


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
    Rule(
        "compile-nonliteral",
        W,
        "builds a code object from text made at run time, which any later exec/eval runs",
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
_STATIC_WRAPPERS = {"textwrap.dedent", "inspect.cleandoc"}  # literal in, literal out


def _only_ast(call: ast.Call) -> bool:
    """`compile(src, name, mode, ast.PyCF_ONLY_AST)` parses, as `ast.parse` does: no code object."""
    flags = arg(call, 3, "flags")
    return flags is not None and any(
        isinstance(n, (ast.Name, ast.Attribute))
        and (n.id if isinstance(n, ast.Name) else n.attr) == "PyCF_ONLY_AST"
        for n in ast.walk(flags)
    )


_BUILTINS = {"builtins", "__builtins__"}
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
_FORKS = {"os.fork", "os.forkpty"}
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
    traits = GateTraits(cost_model=(0.0, 0.22), rules=frozenset(RULES))
    stage = Stage.SAFETY
    description = "dangerous Python constructs (eval, shell, pickle, egress, ...) found on the AST"
    default_fail_on = "warning"
    options: Mapping[str, Option] = {
        "allowed_hosts": Option(
            list,
            [],
            item=str,
            check=check_host_globs,
            help="host globs network calls may reach (e.g. *.example.com)",
        ),
    }

    def wants(self, path: str) -> bool:
        return path.lower().endswith((".py", ".pyw"))

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        allowed = tuple(str(h).lower() for h in options.get("allowed_hosts", ()) or ())  # type: ignore[attr-defined]
        return _scan(source, allowed)


def _scan(source: Source, allowed: tuple[str, ...]) -> list[Finding]:
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" is not ours to print
            warnings.simplefilter("ignore")
            tree = ast.parse(source.text, filename=source.path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return [_finding(source.path, "syntax-error", f"cannot parse: {exc}", line=line)]
    scanner = _Scanner(source.path, tree, allowed)
    try:
        scanner.scan_module()
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


_VISITED = frozenset(
    {ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.While, ast.Call}
    | {ast.For, ast.AsyncFor, ast.comprehension}
)
# What a scan walks for: the nodes the rules visit and the ones that name values.
_WALKED = _VISITED | ASSIGNING


class _Scanner:
    """One pass over a module, keeping the name scope and loop depth of the current function."""

    def __init__(self, path: str, tree: ast.Module, allowed_hosts: tuple[str, ...]) -> None:
        self.path = path
        self.allowed = allowed_hosts
        self.aliases = import_aliases(tree)
        self._module_nodes = walk_scope(tree.body, _WALKED)  # walked once: names, then rules
        self.module_names = scope_assignments(self._module_nodes)
        self.defined = {n.name for n in tree.body if isinstance(n, SCOPES) and hasattr(n, "name")}
        self.findings: list[Finding] = []
        self.names = Names(self.aliases, self.module_names, self.module_names)
        self._tree = tree
        self.quiet: set[int] = set()  # ids of calls already reported as part of an outer one

    # Both need a walk of the whole module, and only a fork or an endless `while` asks for them.
    @functools.cached_property
    def loop_calls(self) -> set[int]:
        return calls_in_loops(self._tree)

    @functools.cached_property
    def caught_loops(self) -> set[int]:
        return loops_in_try(self._tree)

    def report(self, rule: str, what: str, node: ast.AST) -> None:
        self.findings.append(_finding(self.path, rule, what, getattr(node, "lineno", 1), node))

    def scan_module(self) -> None:
        self._visit_all(self._module_nodes)

    def _scan_body(self, body: list[ast.stmt]) -> None:
        self._visit_all(walk_scope(body, _VISITED))

    def _visit_all(self, nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            self._visit(node)

    def _visit(self, node: ast.AST) -> None:
        if type(node) not in _VISITED:  # most nodes: one lookup instead of five isinstance
            return
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
        local: dict[str, list[ast.expr]] = {a.arg: [] for a in params(node.args)}
        nodes = walk_scope(body, _WALKED)
        local.update(scope_assignments(nodes))
        outer = [*node.args.defaults, *node.args.kw_defaults]
        if not isinstance(node, ast.Lambda):
            outer += node.decorator_list
        self._scan_body([ast.Expr(e) for e in outer if e is not None])
        saved = self.names
        self.names = Names(self.aliases, local, self.module_names)
        self._visit_all(nodes)
        self.names = saved

    # --- loops -----------------------------------------------------------------------------

    def _check_while(self, node: ast.While) -> None:
        test = node.test
        if not (isinstance(test, ast.Constant) and test.value) or exits(node.body, self.names):
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
        """`getattr(builtins, "ex" + "ec")(...)`: a builtin fetched by a (computed) name, called
        at once or through a name bound to it (`run = getattr(builtins, name)`)."""
        func = self.names.unique(call.func)
        if not (isinstance(func, ast.Call) and self.names.call_name(func) == "getattr"):
            return None
        if len(func.args) < 2 or self.names.qualname(func.args[0]) not in _BUILTINS:
            return None
        attr = func.args[1]
        if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
            return attr.value
        return "exec"  # a computed builtin name is there to hide what it calls

    def _eval(self, call: ast.Call, name: str) -> None:
        if name not in _EVAL_SINKS or name in self.defined:
            return
        func = call.func
        if (
            isinstance(func, ast.Name)
            and self.names.values(func.id)
            and self.names.qualname(func) == func.id
        ):
            return  # `compile = lambda ...` in this file: not the builtin (an alias of it is)
        code = arg(call, 0, "source")
        if code is None or self._static_source(code):
            return
        for inner in ast.walk(code):
            if isinstance(inner, ast.Call) and self.names.call_name(inner) in _EVAL_SINKS:
                self.quiet.add(id(inner))
        if decoded(code, self.names, set()):
            self.report("decoded-exec", f"`{name}` of decoded data", call)
        elif name != "compile":
            self.report("eval-nonliteral", f"`{name}` of a non-literal argument", call)
        elif id(call) not in self._executed_compiles and not _only_ast(call):
            self.report("compile-nonliteral", "`compile` of a non-literal source", call)

    def _static_source(self, node: ast.expr) -> bool:
        """Source fixed when the file is written: a literal, a name bound once to one, an
        f-string without placeholders, a dedented literal, or the compile of any of these."""
        if isinstance(node, ast.Name) and node.id in self._augmented:
            return False  # `src = "..."` then `src += part`: built at run time
        node = self.names.unique(node)
        if is_literal_text(node):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(isinstance(v, ast.Constant) for v in node.values)
        if isinstance(node, ast.Call) and node.args:
            name = self.names.call_name(node)
            if name in _STATIC_WRAPPERS or (name == "compile" and name not in self.defined):
                return self._static_source(node.args[0])
        return False

    @functools.cached_property
    def _augmented(self) -> set[str]:
        """Names this file extends in place (`+=`): a single assignment does not fix them."""
        return {
            node.target.id
            for node in ast.walk(self._tree)
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
        }

    @functools.cached_property
    def _executed_compiles(self) -> set[int]:
        """`code = compile(src, ...)` whose name a call of exec/eval in this file runs: one
        finding (the exec's) for the pair, as for `exec(compile(src, ...))`."""
        run = {
            node.args[0].id
            for node in ast.walk(self._tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("exec", "eval")
            and node.args
            and isinstance(node.args[0], ast.Name)
        }
        return {
            id(node.value)
            for node in ast.walk(self._tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and any(isinstance(t, ast.Name) and t.id in run for t in node.targets)
        }

    def _shell(self, call: ast.Call, name: str) -> None:
        if name == "pty.spawn" and _names_a_shell(arg(call, 0, "argv")):
            self.report("shell-command", "`pty.spawn` of an interactive shell", call)
        elif name in _SHELL_ALWAYS:
            self.report("shell-command", f"`{name}` runs its command through a shell", call)
        elif name in _SUBPROCESS:
            shell = keyword(call, "shell")
            if shell is not None and not (isinstance(shell, ast.Constant) and not shell.value):
                self.report("shell-command", f"`{name}` with shell=True", call)
            elif stringy(arg(call, 0, "args"), self.names):
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
        target, is_url = egress_target(call, name)
        if target is None:
            return
        host = literal_host(self.names.unique(target), self.names, is_url)
        if host is None:
            self.report(
                "network-egress-dynamic", f"`{name}` to a host known only at run time", call
            )
        elif host and host not in LOCAL_HOSTS and not host_allowed(host, self.allowed):
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
