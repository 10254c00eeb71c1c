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
APP_SERVICES = ("migrate", "app1", "app2", "worker")


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
    worker = " ".join(services["worker"]["command"])
    assert worker.index("check --deploy") < worker.index("-m relay.monitoring.worker")
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
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


def test_relay_processes_are_health_checked_on_readyz_and_limited(compose):
    services = compose["services"]
    for name in ("app1", "app2"):
        check = services[name]["healthcheck"]
        assert "http://127.0.0.1:8000/readyz" in " ".join(check["test"])
        assert {"interval", "timeout", "retries", "start_period"} <= set(check)
        # The metrics listener is on the compose network only, never published.
        assert services[name]["expose"] == ["9100"]
        assert "ports" not in services[name]
        assert services[name]["environment"]["RELAY_METRICS_PORT"] == "9100"
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]
    for name, service in services.items():
        if name in ("migrate", "backup", "restore"):
            continue
        limits = service["deploy"]["resources"]["limits"]
        assert {"cpus", "memory"} <= set(limits), name
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "health_uri /readyz" in caddyfile
    assert "9100" not in caddyfile


def test_the_backup_service_runs_the_backup_script_on_demand(compose):
    backup = compose["services"]["backup"]
    assert backup["profiles"] == ["backup"]
    assert backup["entrypoint"] == ["sh", "/deploy/backup.sh", "/backups"]
    assert backup["image"] == compose["services"]["postgres"]["image"]
    assert "audit-checkpoints:/audit-checkpoints:ro" in backup["volumes"]
    assert "@postgres:5432/" in backup["environment"]["DATABASE_URL"]
    restore = compose["services"]["restore"]
    assert restore["profiles"] == ["restore"] and restore["image"] == backup["image"]
    assert restore["entrypoint"] == ["sh", "/deploy/restore.sh"]
    assert restore["environment"]["RELAY_MANAGE"] == "none"


def settings_read() -> set[str]:
    """Every environment variable the settings modules read."""
    names: set[str] = set()
    for module in ("__init__.py", "production.py"):
        tree = ast.parse((ROOT / "relay" / "settings" / module).read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.args[0].value)
                and (
                    (isinstance(node.func, ast.Attribute) and node.func.attr == "get")
                    or (
                        isinstance(node.func, ast.Name) and node.func.id in ("env_bool", "env_list")
                    )
                )
            ):
                names.add(node.args[0].value)
    return names


def test_env_example_lists_every_setting_relay_reads():
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    read = settings_read()
    assert {"RELAY_SECRET_KEY", "RELAY_RETENTION_CASE_DAYS", "RELAY_SMS_BACKEND"} <= read
    assert read <= listed, sorted(read - listed)


def test_the_video_profile_runs_jitsi_with_token_authentication_against_relays_secret(compose):
    services = compose["services"]
    jitsi = {name: svc for name, svc in services.items() if name.startswith("jitsi-")}
    assert set(jitsi) == {"jitsi-prosody", "jitsi-jicofo", "jitsi-jvb", "jitsi-web"}
    for service in jitsi.values():
        assert service["profiles"] == ["video"]
        assert service["image"].startswith("jitsi/")
    prosody = jitsi["jitsi-prosody"]["environment"]
    assert prosody["AUTH_TYPE"] == "jwt" and prosody["ENABLE_GUESTS"] == "0"
    assert prosody["JWT_APP_SECRET"] == "${RELAY_JITSI_APP_SECRET}"
    assert prosody["JWT_APP_ID"] == prosody["JWT_ACCEPTED_ISSUERS"] == "${RELAY_JITSI_APP_ID}"
    assert prosody["JWT_ACCEPTED_AUDIENCES"] == "jitsi"
    assert prosody["ENABLE_LOBBY"] == "1"
    # Relay's own services are in no profile: `docker compose up` starts them without Jitsi.
    for name in ("app1", "app2", "worker", "migrate", "proxy"):
        assert "profiles" not in services[name]
