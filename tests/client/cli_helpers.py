"""Running the command-line client in-process against a live Daphne."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings

from relay_client.cli import main
from tests.factories import Person, otp_token


def kdf_floor_arg() -> str:
    """The cheap Argon2id cost that test settings serve, as --kdf-floor PASSES,MIB."""
    return f"{settings.RELAY_KDF_OPSLIMIT},{settings.RELAY_KDF_MEMLIMIT // (1024 * 1024)}"


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(
    url: str,
    person: Person | None,
    *args: str,
    monkeypatch,
    password: str | None = None,
    otp: bool = True,
    floor: bool = True,
    username: str | None = None,
) -> Result:
    """Run ``relay-client`` as ``person`` (staff pass a fresh backup code)."""
    argv = ["--server", url]
    if floor:
        argv += ["--kdf-floor", kdf_floor_arg()]
    if person is not None:
        argv += ["--username", username or person.user.username]
        if otp and "otp_device" in person.extra:
            argv += ["--otp", otp_token(person)]
        monkeypatch.setenv("RELAY_PASSWORD", password or person.password)
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, *args], out=out, err=err, stdin=io.StringIO(""))
    return Result(code, out.getvalue(), err.getvalue())
