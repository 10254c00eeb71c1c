"""One table of error codes: the one in docs/api.md ("Error codes"). Every (status, code) the
server can answer with is a row of it, and every row is answered somewhere in ``relay/``.

The server's codes are found in its source: each ``RelayError`` subclass's own code (where
the class is raised), each ``code="..."`` given to one, each ``error(status, "code", ...)``
reply, and each ``"code": "..."`` written into a WebSocket frame.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

from relay.errors import RelayError
from tests.conftest import ROOT

DOC = ROOT / "docs" / "api.md"
SOURCE = ROOT / "relay"
SOCKET_ONLY = "–"  # the status column of a code only a WebSocket frame carries


def documented() -> set[tuple[str, str]]:
    text = DOC.read_text()
    section = text.split("\n### Error codes\n", 1)[1].split("\n#", 1)[0]
    rows: set[tuple[str, str]] = set()
    for line in section.splitlines():
        match = re.fullmatch(r"\| (\d{3}|–) \| `([a-z_]+)` \| .+ \|", line.strip())
        if match:
            rows.add((match.group(1), match.group(2)))
        elif line.startswith("| ") and not line.startswith(("| status", "| ---")):
            raise AssertionError(f"not a row of one status and one code: {line}")
    assert rows, "docs/api.md has no Error codes table"
    return rows


def modules() -> Iterator[Path]:
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def error_classes() -> dict[str, type[RelayError]]:
    for path in modules():
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if "class " in path.read_text() and "Error" in path.read_text():
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 — e.g. production settings without their environment
                continue

    def below(cls: type[RelayError]) -> Iterator[type[RelayError]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return {cls.__name__: cls for cls in [RelayError, *below(RelayError)]}


def called_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def passes_a_relay_error_on(status: ast.expr, code: ast.expr) -> bool:
    """``error(exc.status, exc.code, ...)``: the reply of an error already counted."""
    return (
        isinstance(status, ast.Attribute)
        and status.attr == "status"
        and isinstance(code, ast.Attribute)
        and code.attr == "code"
    )


def raised() -> set[tuple[str, str]]:
    classes = error_classes()
    found: set[tuple[str, str]] = set()
    for path in modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name):
                cls = classes.get(node.exc.id)
                if cls is not None:
                    found.add((str(cls.status), cls.code))
            if isinstance(node, ast.Call):
                name = called_name(node)
                if name in classes:
                    cls = classes[name]
                    code = next((k.value for k in node.keywords if k.arg == "code"), None)
                    if code is None:
                        found.add((str(cls.status), cls.code))
                    else:
                        assert isinstance(code, ast.Constant) and isinstance(code.value, str), (
                            f"{path}:{node.lineno}: give code= as a literal, so it can be checked"
                        )
                        found.add((str(cls.status), code.value))
                elif isinstance(node.func, ast.Name) and name == "error" and len(node.args) >= 2:
                    status, code = node.args[0], node.args[1]
                    if passes_a_relay_error_on(status, code):
                        continue
                    assert isinstance(status, ast.Constant) and isinstance(code, ast.Constant), (
                        f"{path}:{node.lineno}: give error()'s status and code as literals"
                    )
                    found.add((str(status.value), str(code.value)))
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.add((SOCKET_ONLY, value.value))
    return found


def test_every_code_the_server_answers_with_is_in_the_table() -> None:
    missing = raised() - documented()
    assert not missing, f"add these (status, code) rows to docs/api.md: {sorted(missing)}"


def test_every_row_of_the_table_is_answered_somewhere() -> None:
    unused = documented() - raised()
    assert not unused, f"docs/api.md promises codes the server never answers: {sorted(unused)}"


def test_the_collector_sees_each_kind_of_source() -> None:
    codes = raised()
    assert ("404", "not_found") in codes  # a RelayError subclass raised as it is
    assert ("400", "recipients_forbidden") in codes  # code= given to one
    assert ("401", "bad_credentials") in codes  # an error(...) reply
    assert ("413", "too_large") in codes  # the body limit's own error
    assert (SOCKET_ONLY, "bad_frame") in codes  # a WebSocket frame
