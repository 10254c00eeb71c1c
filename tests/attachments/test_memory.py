"""The server never holds a whole attachment in memory (docs/attachments.md, "Memory").

A 200 MB file goes from the Python client, in pieces, through a real Daphne process into
storage and back out as a streamed download. The test reads the server process's resident
memory from /proc: its peak (VmHWM, reset just before the transfer) may exceed the resident
size measured before it by at most ``RSS_GROWTH_BOUND``. Neither side needs the file in
memory either: the content is generated as it is read, the client encrypts it into a spool
file, and the download is hashed as it arrives, never kept.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from relay_client.client import RelayClient
from tests.conftest import DaphneProcess
from tests.delivery.live import client_for
from tests.factories import make_case

FILE_BYTES = 200_000_000
# The most the server's peak resident memory may grow over a whole 200 MB round trip.
RSS_GROWTH_BOUND = 16 * 1024 * 1024


class GeneratedFile(io.RawIOBase):
    """``size`` bytes made up as they are read (each 64 KiB block numbered, so no two are
    alike), hashed on the way out; never all in memory."""

    BLOCK = 64 * 1024

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.sha256 = hashlib.sha256()
        self.pattern = hashlib.shake_256(b"relay attachment memory test").digest(self.BLOCK)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self.size - self.position)
        out = bytearray()
        while len(out) < want:
            index, within = divmod(self.position + len(out), self.BLOCK)
            block = index.to_bytes(8, "big") + self.pattern[8:]
            out += block[within : within + want - len(out)]
        buffer[:want] = out
        self.sha256.update(out)
        self.position += want
        return want


class HashingSink(io.RawIOBase):
    """Counts and hashes what is written to it, keeping none of it."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sha256.update(data)
        self.written += len(data)
        return len(data)


def memory_kib(pid: int) -> dict[str, int]:
    """The process's current (VmRSS) and peak (VmHWM) resident memory, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def reset_peak(pid: int) -> None:
    """Set the process's VmHWM back to its current VmRSS (Linux, ``clear_refs`` 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@pytest.fixture
def big_file_server(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DaphneProcess]:
    # The default limit of one file (100 MiB) is below this test's file.
    monkeypatch.setenv("RELAY_ATTACHMENT_MAX_BYTES", str(256 * 1024 * 1024))
    server = DaphneProcess().start()
    try:
        yield server
    finally:
        server.stop()


def upload(client: RelayClient, case_id: str, size: int) -> tuple[dict, str, float]:
    """Encrypt a generated file of ``size`` bytes and upload it: its payload entry, the
    hash of its content and the seconds the upload took."""
    source = GeneratedFile(size)
    with tempfile.TemporaryFile() as spool:
        entry = client.encrypt_file(
            io.BufferedReader(source), size, spool, name="film.mp4", media_type="video/mp4"
        )
        started = time.monotonic()
        entry["attachment_id"] = client.upload_blob(case_id, str(uuid.uuid4()), spool)
        return entry, source.sha256.hexdigest(), time.monotonic() - started


def download(client: RelayClient, entry: dict) -> tuple[str, float]:
    """Download and decrypt a file, keeping none of it: its content's hash and the seconds
    the download took."""
    started = time.monotonic()
    sink = HashingSink()
    client.download_file(entry, sink)
    assert sink.written == entry["size"]
    return sink.sha256.hexdigest(), time.monotonic() - started


@pytest.mark.live
def test_a_200_mb_file_round_trips_without_the_server_holding_it(big_file_server, capsys):
    sc = make_case()
    client = client_for(big_file_server, sc.harmed)
    assert big_file_server.proc is not None
    pid = big_file_server.proc.pid
    # A small round trip first, so code loaded on first use is not counted as growth.
    entry, sent, _ = upload(client, sc.id, 300_000)
    assert download(client, entry)[0] == sent
    base = memory_kib(pid)["VmRSS"]
    reset_peak(pid)

    entry, sent, up = upload(client, sc.id, FILE_BYTES)
    upload_peak = memory_kib(pid)["VmHWM"]
    reset_peak(pid)
    got, down = download(client, entry)
    download_peak = memory_kib(pid)["VmHWM"]

    assert got == sent
    growth = {
        "upload": (upload_peak - base) * 1024, "download": (download_peak - base) * 1024
    }  # fmt: skip
    with capsys.disabled():
        print(
            f"\n200 MB round trip: upload {up:.1f} s, download {down:.1f} s; server resident "
            f"memory {base // 1024} MiB before, peak growth during the upload "
            f"{growth['upload'] / 2**20:.1f} MiB, during the download "
            f"{growth['download'] / 2**20:.1f} MiB (bound {RSS_GROWTH_BOUND // 2**20} MiB)"
        )
    assert max(growth.values()) <= RSS_GROWTH_BOUND, growth
