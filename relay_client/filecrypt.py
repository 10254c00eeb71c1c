"""Attachment files encrypted in chunks with libsodium's secretstream (file format v1).

A file is encrypted under its own random 32-byte file key, which travels inside the sealed
message payload with the file's name, type and size; the server only ever holds the
ciphertext. Before encryption the content is padded with zero bytes to a size bucket, so the
stored length tells little more than the file's order of magnitude. The padded content is cut
into chunks of ``CHUNK`` bytes; each becomes one secretstream message (the last one tagged
FINAL), so a stored blob is ``HEADER_BYTES + n * (CHUNK + ABYTES)`` bytes long and every
uploaded piece after the header has the same size. A reader decrypts chunk by chunk and never
needs the whole file in memory; truncation, reordering or a chunk from another file fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import nacl.bindings as sodium
import nacl.exceptions

FORMAT = "relay-file-v1"
CHUNK = 64 * 1024
KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
CIPHER_CHUNK = CHUNK + ABYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_SMALL_LIMIT = 1024 * 1024


class FileDecryptError(Exception):
    """The blob is not this file: wrong key, damaged, truncated or reordered."""


def new_file_key() -> bytes:
    return os.urandom(KEY_BYTES)


def padded_size(size: int) -> int:
    """The bucket a file of ``size`` bytes is padded to.

    Powers of two from one chunk up to 1 MiB; above that, the next multiple of an eighth of
    the largest power of two not above the size (at most 12.5% overhead). Every bucket is a
    whole number of chunks.
    """
    if size < 0:
        raise ValueError("a file size cannot be negative")
    if size <= _SMALL_LIMIT:
        bucket = CHUNK
        while bucket < size:
            bucket *= 2
        return bucket
    step = (1 << (size.bit_length() - 1)) // 8
    return -(-size // step) * step


def cipher_size(size: int) -> int:
    """The stored blob's length for a file of ``size`` bytes."""
    return HEADER_BYTES + (padded_size(size) // CHUNK) * CIPHER_CHUNK


def _padded_chunks(source: BinaryIO, size: int) -> Iterator[bytes]:
    remaining = size
    for _ in range(padded_size(size) // CHUNK):
        piece = source.read(min(CHUNK, remaining)) if remaining > 0 else b""
        if len(piece) != min(CHUNK, max(remaining, 0)):
            raise ValueError("the file is shorter than its stated size")
        remaining -= len(piece)
        yield piece + bytes(CHUNK - len(piece))
    if source.read(1):
        raise ValueError("the file is longer than its stated size")


def encrypt_file(source: BinaryIO, size: int, key: bytes) -> Iterator[bytes]:
    """Yield the blob: the secretstream header, then one ciphertext per chunk."""
    if len(key) != KEY_BYTES:
        raise ValueError("a file key is 32 bytes")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    yield sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    total = padded_size(size) // CHUNK
    for index, chunk in enumerate(_padded_chunks(source, size), start=1):
        tag = _TAG_FINAL if index == total else _TAG_MESSAGE
        yield sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, None, tag)


def decrypt_file(blob: Iterable[bytes], size: int, key: bytes) -> Iterator[bytes]:
    """Yield the file's bytes from the blob's pieces (any split), checking every chunk."""
    buffer = bytearray()
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    started = finished = False
    remaining = size
    pieces = iter(blob)
    while True:
        want = CIPHER_CHUNK if started else HEADER_BYTES
        while len(buffer) < want:
            piece = next(pieces, None)
            if piece is None:
                break
            buffer.extend(piece)
        if not buffer:
            break
        if finished or len(buffer) < want:
            raise FileDecryptError("the blob is truncated or has bytes after its end")
        part, buffer = bytes(buffer[:want]), buffer[want:]
        try:
            if not started:
                sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, part, key)
                started = True
                continue
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, part, None)
        except (nacl.exceptions.CryptoError, ValueError) as exc:
            raise FileDecryptError("the blob does not open with this key") from exc
        finished = tag == _TAG_FINAL
        keep = plain[: max(min(remaining, len(plain)), 0)]
        remaining -= len(keep)
        if keep:
            yield keep
    if not finished or remaining != 0:
        raise FileDecryptError("the blob is truncated")
