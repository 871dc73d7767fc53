"""Network egress in Python calls: which calls reach the network, and the host they name.

Used by the dangerous-code check to tell `requests.post("https://collector.evil.io")` (a literal
host, checked against `allowed_hosts`) from `requests.get(url)` (a host known at run time).
"""

from __future__ import annotations

import ast
import re
from urllib.parse import urlsplit

from gates.checks.pyast import Names, arg
from gates.paths import compile_host_glob

# The client libraries' request functions and the methods of their sessions/clients/pools.
_HTTP_CALL = re.compile(
    r"^(?:requests(?:\.api|\.Session\(\)|\.session\(\))?|httpx(?:\.(?:Async)?Client\(\))?"
    r"|aiohttp(?:\.ClientSession\(\))?"
    r"|urllib3(?:\.(?:PoolManager|ProxyManager|HTTPS?ConnectionPool|connection_from_url)\(\))?)"
    r"\.(get|post|put|patch|delete|head|options|stream|ws_connect|request|urlopen)$"
)

_URL_OPENERS = {"urllib.request.urlopen", "urllib.request.urlretrieve"}

_HOST_CTORS = {"http.client.HTTPConnection", "http.client.HTTPSConnection"}

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 - a name, not a bind


def downloads(name: str) -> bool:
    """A call that fetches data over the network (its result executed is remote code)."""
    return bool(_HTTP_CALL.match(name)) or name in _URL_OPENERS


def egress_target(call: ast.Call, name: str) -> tuple[ast.expr | None, bool]:
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


def literal_host(node: ast.expr, names: Names, is_url: bool) -> str | None:
    """The host a URL/host/address expression names; None when it is computed; "" when none."""
    if isinstance(node, ast.Call) and names.call_name(node) == "urllib.request.Request":
        inner = arg(node, 0, "url")
        return literal_host(names.unique(inner), names, True) if inner is not None else None
    if isinstance(node, ast.Tuple) and node.elts:
        return literal_host(names.unique(node.elts[0]), names, False)
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


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return any(compile_host_glob(glob).match(host) for glob in allowed)
