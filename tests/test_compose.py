"""docker-compose.yml describes the production layout and gives every Relay container the
environment the production settings require (no container engine is needed to check that)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "app1", "app2")


def _scalar(text: str) -> Any:
    text = text.strip()
    if text[:1] in ("&", "*", "|", ">", "{"):
        raise ValueError(f"anchors, aliases, block scalars and flow maps are not used: {text!r}")
    if text.startswith("["):
        return json.loads(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def parse_block_yaml(source: str) -> dict[str, Any]:
    """The block-style YAML subset docker-compose.yml keeps to: nested mappings, lists of
    scalars, quoted scalars and JSON-style flow lists. Anything else is an error, so the
    file cannot drift into syntax this check would misread."""
    lines = []
    for raw in source.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError(f"tab indentation: {raw!r}")
        lines.append((len(raw) - len(raw.lstrip(" ")), raw.strip()))

    def block(i: int, indent: int) -> tuple[Any, int]:
        if lines[i][1].startswith("- "):
            items = []
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                items.append(_scalar(lines[i][1][2:]))
                i += 1
            return items, i
        mapping: dict[str, Any] = {}
        while i < len(lines) and lines[i][0] == indent:
            match = re.fullmatch(r"([A-Za-z0-9_.-]+):(?:\s+(.*))?", lines[i][1])
            if match is None:
                raise ValueError(f"not a mapping entry: {lines[i][1]!r}")
            key, value = match.group(1), match.group(2)
            if key in mapping:
                raise ValueError(f"duplicate key {key!r}")
            i += 1
            if value is not None:
                mapping[key] = _scalar(value)
            elif i < len(lines) and lines[i][0] > indent:
                mapping[key], i = block(i, lines[i][0])
            else:
                mapping[key] = None
        if i < len(lines) and lines[i][0] > indent:
            raise ValueError(f"unexpected indentation: {lines[i][1]!r}")
        return mapping, i

    parsed, end = block(0, 0)
    if end != len(lines):
        raise ValueError(f"unparsed from: {lines[end][1]!r}")
    return parsed


def env_file_keys(path: Path) -> set[str]:
    keys = set()
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keys.add(line.split("=", 1)[0].strip())
    return keys


def production_required() -> tuple[str, ...]:
    tree = ast.parse((ROOT / "relay" / "settings" / "production.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "REQUIRED" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("relay/settings/production.py has no REQUIRED tuple")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return parse_block_yaml((ROOT / "docker-compose.yml").read_text())


def test_services_make_the_production_layout(compose):
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "app1", "app2", "proxy"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["proxy"]["image"].startswith("caddy:")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy app1:8000 app2:8000" in caddyfile
    assert {"443:443", "80:80"} <= set(services["proxy"]["ports"])
    for name in ("app1", "app2"):
        command = " ".join(services[name]["command"])
        assert "manage.py check --deploy" in command
        assert command.index("check --deploy") < command.index("-m relay.serve")
        assert "--proxy-headers" in command
        assert services[name]["build"] == "."
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    assert (ROOT / "Dockerfile").read_text().startswith("#")


def test_every_relay_container_gets_what_production_requires(compose):
    required = production_required()
    assert {"RELAY_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RELAY_ALLOWED_HOSTS"} <= set(required)
    example = env_file_keys(ROOT / ".env.example")
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env"
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "relay.settings.production"
        provided = set(environment) | example
        missing = [var for var in required if var not in provided]
        assert not missing, f"{name} lacks {missing}"
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
    # Everything the file interpolates must be in the example .env.
    interpolated = set(re.findall(r"\$\{([A-Z_]+)\}", (ROOT / "docker-compose.yml").read_text()))
    assert interpolated <= example, interpolated - example


def test_the_parser_refuses_what_it_does_not_understand():
    with pytest.raises(ValueError):
        parse_block_yaml("services:\n  other: *anchor\n")
    with pytest.raises(ValueError):
        parse_block_yaml("services:\n  app:\n    - x\n  bad line\n")
    with pytest.raises(ValueError):
        parse_block_yaml("a: 1\na: 2\n")
    assert parse_block_yaml('a:\n  b: ["x", "y"]\n  c:\n    - "1:1"\n') == {
        "a": {"b": ["x", "y"], "c": ["1:1"]}
    }
