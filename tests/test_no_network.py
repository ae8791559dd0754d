"""Only `assistant models pull` may open a network connection: no other module imports a network library.

A static check over the package's source with `ast`, so it also covers modules no test imports, and
imports inside functions. assistant/models.py is the one exception (its `pull`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import assistant

PACKAGE = Path(assistant.__file__).resolve().parent
NETWORK = ("socket", "urllib.request", "http.client", "requests", "httpx", "aiohttp")
ALLOWED = {PACKAGE / "models.py"}
# sd_notify talks to systemd over a local AF_UNIX socket: `socket` is allowed there, but no internet family
# and no name lookup (checked below).
UNIX_SOCKETS_ONLY = {PACKAGE / "service.py"}
INTERNET = ("AF_INET", "AF_INET6", "create_connection", "getaddrinfo", "gethostbyname")
_IMPORTERS = ("import_module", "import_optional", "__import__")


def _is_network(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in NETWORK)


def _imported(node: ast.AST) -> list[str]:
    """The modules a node imports: import statements, and import_module("...")-style calls."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level or not node.module:
            return []
        if _is_network(node.module):
            return [node.module]
        # `from urllib import request` and `from http import client` import the module itself.
        return [f"{node.module}.{alias.name}" for alias in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in _IMPORTERS and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def network_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for every network library the source imports."""
    return [
        (getattr(node, "lineno", 0), module)
        for node in ast.walk(ast.parse(source))
        for module in _imported(node)
        if _is_network(module)
    ]


def test_the_scan_sees_every_form_of_import() -> None:
    source = (
        "import os\nimport socket\nfrom urllib import request\nfrom http.client import HTTPConnection\n"
        "from urllib.parse import quote\nimport urllib.error\nfrom . import socket_like\n"
        "def f():\n    import requests.adapters\n    importlib.import_module('httpx')\n"
        "    import_optional('aiohttp', engine='x', extra='y')\n"
    )
    assert network_imports(source) == [
        (2, "socket"),
        (3, "urllib.request"),
        (4, "http.client"),
        (9, "requests.adapters"),
        (10, "httpx"),
        (11, "aiohttp"),
    ]


def test_only_models_py_imports_network_libraries() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in ALLOWED
        for line, module in network_imports(path.read_text(encoding="utf-8"))
        if not (path in UNIX_SOCKETS_ONLY and module == "socket")
    ]
    assert found == [], "network imports outside assistant/models.py:\n" + "\n".join(found)


def test_unix_socket_modules_use_no_internet_socket() -> None:
    for path in sorted(UNIX_SOCKETS_ONLY):
        if not path.exists():
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.ImportFrom):
                names.update(alias.name for alias in node.names)
        used = names & set(INTERNET)
        assert not used, f"{path.name} may only use AF_UNIX sockets, but uses {sorted(used)}"


def test_models_py_is_where_the_network_is() -> None:
    # If pull stopped downloading, the exception above would be stale.
    assert (PACKAGE / "models.py") in ALLOWED
    assert any(m == "urllib.request" for _, m in network_imports((PACKAGE / "models.py").read_text()))
