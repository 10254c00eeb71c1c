"""Attachment file encryption: the browser and the Python client read each other's blobs.

Secretstream headers are random, so the browser-to-Python and Python-to-browser directions
are made fresh in each run; ``files.json`` holds one blob made by the Python client when the
format was fixed, so a change to the format breaks the test rather than both sides at once.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from pathlib import Path

import pytest

from relay_client import crypto, filecrypt
from tests.vectors.test_vectors import NODE, ROOT

HERE = Path(__file__).resolve().parent
FILES_VECTOR = HERE / "files.json"
CHECK = HERE / "files.mjs"


def content(label: str, size: int) -> bytes:
    stream = bytearray()
    counter = 0
    while len(stream) < size:
        stream += hashlib.blake2b(f"{label}:{counter}".encode(), digest_size=64).digest()
        counter += 1
    return bytes(stream[:size])


SIZES = {
    "empty": 0,
    "one": 1,
    "chunk": filecrypt.CHUNK,
    "chunk+1": filecrypt.CHUNK + 1,
    "odd": 200_003,
}
KEYS = {name: hashlib.blake2b(f"key:{name}".encode(), digest_size=32).digest() for name in SIZES}


def encrypt(data: bytes, key: bytes) -> bytes:
    return b"".join(filecrypt.encrypt_file(io.BytesIO(data), len(data), key))


def run(mode: str, cases: list[dict], tmp_path: Path) -> dict:
    path = tmp_path / f"{mode}.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    return node_files(mode, path)


def node_files(mode: str, path: Path) -> dict:
    if (
        NODE is None
        or not (ROOT / "frontend" / "node_modules" / "libsodium-wrappers-sumo").exists()
    ):
        pytest.fail("Node.js and frontend/node_modules are needed: run `make frontend`.")
    done = subprocess.run(
        [NODE, str(CHECK), mode, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_buckets_are_whole_chunks_and_grow_by_at_most_an_eighth_above_one_mib() -> None:
    assert filecrypt.padded_size(0) == filecrypt.CHUNK
    assert filecrypt.padded_size(filecrypt.CHUNK + 1) == 2 * filecrypt.CHUNK
    assert filecrypt.padded_size(1024 * 1024) == 1024 * 1024
    for size in (1024 * 1024 + 1, 5_000_000, 200 * 1024 * 1024 - 7, 3_000_000_000):
        bucket = filecrypt.padded_size(size)
        assert size <= bucket <= size * 1.125 and bucket % filecrypt.CHUNK == 0
    # Files of nearby sizes share a bucket, so the blob does not tell them apart.
    assert filecrypt.padded_size(150_000) == filecrypt.padded_size(250_000)
    assert filecrypt.cipher_size(10) == filecrypt.HEADER_BYTES + filecrypt.CIPHER_CHUNK


def test_python_round_trip_in_any_split_and_refuses_damage() -> None:
    data = content("round", 200_003)
    key = filecrypt.new_file_key()
    blob = encrypt(data, key)
    assert len(blob) == filecrypt.cipher_size(len(data))
    assert data[:64] not in blob
    pieces = [blob[i : i + 1000] for i in range(0, len(blob), 1000)]
    assert b"".join(filecrypt.decrypt_file(pieces, len(data), key)) == data
    header, body = blob[: filecrypt.HEADER_BYTES], blob[filecrypt.HEADER_BYTES :]
    first, second = body[: filecrypt.CIPHER_CHUNK], body[filecrypt.CIPHER_CHUNK :]
    broken = {
        "wrong key": (blob, filecrypt.new_file_key()),
        "truncated": (blob[: -filecrypt.CIPHER_CHUNK], key),
        "cut mid-chunk": (blob[:-5], key),
        "reordered": (
            header + second[: filecrypt.CIPHER_CHUNK] + first + second[filecrypt.CIPHER_CHUNK :],
            key,
        ),
        "flipped bit": (blob[:100] + bytes([blob[100] ^ 1]) + blob[101:], key),
        "extra bytes": (blob + b"\0" * filecrypt.CIPHER_CHUNK, key),
    }
    for name, (damaged, with_key) in broken.items():
        with pytest.raises(filecrypt.FileDecryptError):
            b"".join(filecrypt.decrypt_file([damaged], len(data), with_key))
            pytest.fail(f"{name} opened")
    with pytest.raises(ValueError):
        list(filecrypt.encrypt_file(io.BytesIO(data), len(data) + 1, key))
    with pytest.raises(ValueError):
        list(filecrypt.encrypt_file(io.BytesIO(data), len(data) - 1, key))


def test_browser_opens_python_blobs_and_refuses_a_wrong_key(tmp_path: Path) -> None:
    committed = json.loads(FILES_VECTOR.read_text(encoding="utf-8"))
    cases = [
        {
            "name": name,
            "key": crypto.b64(KEYS[name]),
            "size": size,
            "blob": crypto.b64(encrypt(content(name, size), KEYS[name])),
        }
        for name, size in SIZES.items()
    ]
    wrong = dict(cases[1], name="wrong key", key=crypto.b64(KEYS["odd"]))
    opened = run("decrypt", [*cases, wrong, *committed["cases"]], tmp_path)
    for name, size in SIZES.items():
        assert crypto.unb64(opened[name]) == content(name, size), name
    assert "refused" in opened["wrong key"]
    for case in committed["cases"]:
        assert crypto.unb64(opened[case["name"]]) == crypto.unb64(case["content"])


def test_python_opens_browser_blobs(tmp_path: Path) -> None:
    cases = [
        {
            "name": name,
            "key": crypto.b64(KEYS[name]),
            "size": size,
            "content": crypto.b64(content(name, size)),
        }
        for name, size in SIZES.items()
    ]
    sealed = run("encrypt", cases, tmp_path)
    for name, size in SIZES.items():
        blob = crypto.unb64(sealed[name]["blob"])
        assert sealed[name]["padded"] == filecrypt.padded_size(size)
        assert len(blob) == sealed[name]["cipher"] == filecrypt.cipher_size(size)
        opened = b"".join(filecrypt.decrypt_file([blob], size, KEYS[name]))
        assert opened == content(name, size), name


def test_the_committed_python_blob_still_opens_in_python() -> None:
    for case in json.loads(FILES_VECTOR.read_text(encoding="utf-8"))["cases"]:
        blob = crypto.unb64(case["blob"])
        opened = b"".join(filecrypt.decrypt_file([blob], case["size"], crypto.unb64(case["key"])))
        assert opened == crypto.unb64(case["content"])
