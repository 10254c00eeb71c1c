"""Photos lose their metadata in the browser before encryption: a JPEG carrying GPS
coordinates, a camera and a comment, and a PNG with EXIF and text chunks, are stripped by
frontend/src/crypto/stripmeta.js, encrypted by the browser's file module, decrypted by the
Python client, and read back with Pillow: no EXIF, no GPS, no text, the same pixels."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from relay_client import crypto, filecrypt
from tests.vectors.test_files import KEYS, run
from tests.vectors.test_vectors import NODE

STRIP = Path(__file__).resolve().parent / "strip.mjs"
CANARY = "CANARY-camera-7f3a"


def picture() -> Image.Image:
    image = Image.new("RGB", (32, 24))
    image.putdata([(x * 8, y * 10, (x + y) % 256) for y in range(24) for x in range(32)])
    return image


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = CANARY  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}  # GPS IFD
    return exif


def jpeg_with_gps() -> bytes:
    out = io.BytesIO()
    picture().save(out, "JPEG", exif=exif_with_gps(), comment=CANARY.encode(), quality=95)
    return out.getvalue()


def png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", CANARY)
    info.add_itxt("Location", CANARY)
    out = io.BytesIO()
    picture().save(out, "PNG", pnginfo=info, exif=exif_with_gps())
    return out.getvalue()


def strip(data: bytes, tmp_path: Path) -> tuple[bytes, bool]:
    source, target = tmp_path / "in", tmp_path / "out"
    source.write_bytes(data)
    done = subprocess.run(
        [str(NODE), str(STRIP), str(source), str(target)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return target.read_bytes(), '"stripped":true' in done.stdout


def through_the_browser(data: bytes, tmp_path: Path) -> bytes:
    """Strip and encrypt in Node, decrypt in Python: what the facilitator's device opens."""
    stripped, was_stripped = strip(data, tmp_path)
    assert was_stripped
    key = KEYS["odd"]
    case = {"name": "photo", "key": crypto.b64(key), "size": len(stripped)}
    sealed = run("encrypt", [{**case, "content": crypto.b64(stripped)}], tmp_path)
    blob = crypto.unb64(sealed["photo"]["blob"])
    assert CANARY.encode() not in blob
    return b"".join(filecrypt.decrypt_file([blob], len(stripped), key))


def test_a_jpeg_with_gps_arrives_with_none(tmp_path: Path) -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:  # the fixture really carries them
        assert before.getexif().get_ifd(0x8825)[2] == (51.0, 30.0, 12.5)
        assert before.getexif()[0x010F] == CANARY
    arrived = through_the_browser(original, tmp_path)
    assert CANARY.encode() not in arrived and b"Exif" not in arrived
    with Image.open(io.BytesIO(arrived)) as after, Image.open(io.BytesIO(original)) as before:
        assert len(after.getexif()) == 0
        assert after.getexif().get_ifd(0x8825) == {}
        assert "exif" not in after.info and "comment" not in after.info
        assert after.size == before.size
        assert after.tobytes() == before.tobytes()  # the same scan data, not re-encoded


def test_a_png_with_exif_and_text_arrives_with_none(tmp_path: Path) -> None:
    original = png_with_metadata()
    with Image.open(io.BytesIO(original)) as before:
        assert before.info["Author"] == CANARY and "exif" in before.info
    arrived = through_the_browser(original, tmp_path)
    assert CANARY.encode() not in arrived
    with Image.open(io.BytesIO(arrived)) as after:
        assert len(after.getexif()) == 0
        assert not {"Author", "Location", "exif"} & set(after.info)
        assert after.tobytes() == picture().tobytes()


def test_other_types_are_left_alone_and_said_so_and_broken_images_refused(
    tmp_path: Path,
) -> None:
    audio = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
    assert strip(audio, tmp_path) == (audio, False)
    broken = jpeg_with_gps()[:40]
    (tmp_path / "in").write_bytes(broken)
    done = subprocess.run(
        [str(NODE), str(STRIP), str(tmp_path / "in"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "ImageFormatError" in done.stderr


@pytest.fixture(autouse=True)
def _node() -> None:
    if NODE is None:
        pytest.fail("Node.js is needed to run the browser's metadata stripping.")
