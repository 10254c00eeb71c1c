"""Every message an error carries is the catalogue's: a hub running Relay in another
language shows API and WebSocket errors in it (docs/frontend.md, "Languages").

A static check over ``relay/``: wherever one of the ``RelayError`` classes is raised (or a
subclass hands its message to ``super().__init__``, or the WebSocket answers a bad frame),
the message must not be bare English — a string literal, an f-string, or pieces of either
joined with ``+`` — but go through ``gettext`` (or a name holding what ``gettext`` gave).
Management commands' ``CommandError`` messages are for operators and stay English."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

SOURCE = ROOT / "relay"


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def error_class_names() -> set[str]:
    """RelayError and every class defined in relay/ that derives from one of them."""
    bases: dict[str, set[str]] = {}
    for _path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {
                    base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                    for base in node.bases
                }
    names = {"RelayError"}
    while True:
        more = {name for name, of in bases.items() if of & names} - names
        if not more:
            return names
        names |= more


def bare_english(node: ast.expr) -> bool:
    """A message written out in English rather than looked up in the catalogue."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(char.isalpha() for char in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return bare_english(node.left) or bare_english(node.right)
    if isinstance(node, ast.IfExp):
        return bare_english(node.body) or bare_english(node.orelse)
    return False


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def messages_given(tree: ast.Module, errors: set[str]) -> Iterator[ast.expr]:
    """The message argument of every error constructed, every error class's
    ``super().__init__``, and every bad-frame reply."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in errors:
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and called_name(inner) == "__init__"
                    and inner.args
                ):
                    yield inner.args[0]
        if not isinstance(node, ast.Call):
            continue
        name = called_name(node)
        if name in errors:
            yield from node.args[:1]
            yield from (kw.value for kw in node.keywords if kw.arg == "message")
        elif name == "_bad_frame" and len(node.args) > 1:
            yield node.args[1]


def untranslated_messages() -> list[str]:
    errors = error_class_names()
    found = []
    for path, tree in modules():
        for message in messages_given(tree, errors):
            if bare_english(message):
                found.append(f"{path.relative_to(ROOT)}:{message.lineno}: {ast.unparse(message)}")
    return found


def test_every_error_message_goes_through_the_catalogue() -> None:
    found = untranslated_messages()
    assert not found, "error messages not passed through gettext:\n  " + "\n  ".join(found)


def test_the_check_finds_bare_english_and_passes_the_catalogues() -> None:
    """The check itself: literals, f-strings and joined pieces are caught; gettext and
    gettext with values are not."""
    caught = [
        'InvalidRequest("Give a name.")',
        'IllegalTransition(f"A case cannot move from {a} to {b}.")',
        'InvalidRequest("Kinds are " + ", ".join(kinds) + ".")',
        'AccessDenied("Not yours." if x else gettext("Gone."))',
        'InvalidRequest(message="Give a name.")',
    ]
    passed = [
        'InvalidRequest(gettext("Give a name."))',
        'InvalidRequest(gettext("Give %(name)s.") % {"name": name})',
        "AccessDenied()",
        "IllegalTransition(refusal)",
    ]
    errors = error_class_names()
    assert {"InvalidRequest", "Throttled", "WrongOffset", "BodyTooLarge"} <= errors
    for source, expected in [(c, True) for c in caught] + [(p, False) for p in passed]:
        tree = ast.parse(source)
        flagged = any(bare_english(m) for m in messages_given(tree, errors))
        assert flagged == expected, source
