"""Where blobs live: the storage named ``attachments`` in Django's ``STORAGES`` — the local
file system under ``RELAY_ATTACHMENT_DIR`` by default, an S3-compatible bucket through
django-storages with ``RELAY_ATTACHMENT_STORAGE=s3`` (relay/settings; docs/attachments.md,
"Storage").

An S3 object cannot be appended to, so on every backend a blob is stored as its pieces, one
object each, under the upload's prefix ``<case id>/<attachment id>/``, each named by the
offset it starts at (``piece_name``, zero-padded so names sort in order). A
piece is written whole at the upload's received length, overwriting whatever a failed
request left under that name; a download reads the pieces below the received length in
order, one at a time.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

ALIAS = "attachments"
# Offsets have this many digits, so piece names sort as their offsets do (up to 1 PB).
OFFSET_DIGITS = 15


def blob_storage() -> Storage:
    return storages[ALIAS]


def blob_prefix(case_id: Any, attachment_id: Any) -> str:
    return f"{case_id}/{attachment_id}"


def piece_name(prefix: str, offset: int) -> str:
    return f"{prefix}/{offset:0{OFFSET_DIGITS}d}"


def write_piece(prefix: str, offset: int, data: bytes) -> None:
    """Store ``data`` as the piece starting at ``offset``, replacing any object of that name
    (left by a request that failed after writing it)."""
    name = piece_name(prefix, offset)
    saved = blob_storage().save(name, ContentFile(data))
    if saved != name:
        # The storage must overwrite (allow_overwrite / file_overwrite), never rename.
        blob_storage().delete(saved)
        raise RuntimeError(f"The attachment storage stored a piece as {saved!r}, not {name!r}.")


def piece_offsets(prefix: str, received: int) -> list[int]:
    """The offsets of the stored pieces below ``received``, in order (an object at or past
    it was left by a failed request and is not part of the blob)."""
    try:
        _, names = blob_storage().listdir(prefix)
    except FileNotFoundError:
        return []
    offsets = sorted(int(n) for n in names if n.isdigit() and len(n) == OFFSET_DIGITS)
    return [o for o in offsets if o < received]


class PieceReader(io.RawIOBase):
    """A stored blob read as one file, piece after piece: only one piece is open at a time
    (on S3, django-storages holds that one piece, at most 128 KiB, in memory)."""

    def __init__(self, prefix: str, received: int) -> None:
        self.prefix = prefix
        self.offsets = piece_offsets(prefix, received)
        self.current: Any = None
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self.current is None:
                if not self.offsets:
                    return 0
                offset = self.offsets.pop(0)
                if offset != self.position:
                    raise OSError(f"Piece {offset} of {self.prefix} is missing or misplaced.")
                self.current = blob_storage().open(piece_name(self.prefix, offset), "rb")
            data = self.current.read(len(buffer))
            if data:
                buffer[: len(data)] = data
                self.position += len(data)
                return len(data)
            self.current.close()
            self.current = None

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
        super().close()


def open_blob(prefix: str, received: int) -> io.BufferedReader:
    return io.BufferedReader(PieceReader(prefix, received), buffer_size=64 * 1024)


def delete_blob(prefix: str) -> None:
    """Delete every object of a blob (its pieces, and any a failed request left); nothing if
    it is already gone."""
    storage = blob_storage()
    try:
        _, names = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in names:
        storage.delete(f"{prefix}/{name}")
    # The file system keeps the upload's directory: remove it once empty (S3 has none).
    try:
        if not storage.listdir(prefix)[1] and storage.exists(prefix):
            storage.delete(prefix)
    except (FileNotFoundError, OSError):
        pass
