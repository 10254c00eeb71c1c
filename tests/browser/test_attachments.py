"""Attachments in the browser (docs/attachments.md): a participant records a spoken statement
and attaches a photo and a PDF; each is encrypted in the page and uploaded in pieces (one
upload resumes after its connection dropped); the facilitator opens, plays and passes them
on; only then does the other party open them, and the photo they get carries no EXIF. A file
over a limit is refused in plain words and nothing is sent."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from relay.attachments.models import Attachment
from relay.moderation.models import Message
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.helpers import Sent, both_parties_and_staff, check_page, expect
from tests.browser.scenario import SENTINEL
from tests.conftest import DaphneProcess
from tests.delivery.live import client_for
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

# Small limits, so both refusals can be shown with small files: one blob up to 1,000,000
# bytes; the case's blobs together up to 450,000 (a recording, a photo and a PDF fit).
FILE_LIMIT = 1_000_000
CASE_LIMIT = 450_000
GPS_CANARY = "GPSCANARY"


@pytest.fixture(scope="module")
def media_browser(playwright_driver) -> Iterator[Any]:  # noqa: ANN001
    """Chromium with a fake microphone and camera that it may use without asking."""
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
        ],
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def small_limits_relay(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("RELAY_ATTACHMENT_MAX_BYTES", str(FILE_LIMIT))
    monkeypatch.setenv("RELAY_ATTACHMENTS_MAX_CASE_BYTES", str(CASE_LIMIT))
    server = DaphneProcess().start()
    try:
        yield server
    finally:
        server.stop()


def photo_with_gps() -> bytes:
    """A JPEG whose EXIF names a camera, a place (GPS) and a canary in its description."""
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"  # Make
    exif[0x010E] = GPS_CANARY  # ImageDescription
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 40.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert GPS_CANARY.encode() in data and Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def pdf_letter(size: int) -> bytes:
    """A small PDF padded with a comment to `size` bytes, with a canary in its text."""
    head = b"%PDF-1.4\n% " + f"{SENTINEL}-letter".encode() + b"\n"
    return head + b"%" + b"x" * (size - len(head) - 7) + b"\n%%EOF\n"


def media_ready(page: Any, selector: str) -> None:
    """The media element has loaded the decrypted file far enough to know what it is."""
    page.wait_for_function(
        "s => { const m = document.querySelector(s);"
        " return m && m.readyState >= 1 && m.duration > 0; }",
        arg=selector,
    )


def record(page: Any, button: str, *, video: bool = False) -> None:
    """Record about two seconds with the button named, stop, and wait for the preview.
    Chromium's fake devices now and then give a capture opened just after another no data
    at all; the page then says "Nothing was recorded. Please try again.", and, as a person
    would, the test tries again (at most three times)."""
    for _ in range(3):
        page.get_by_role("button", name=button).click()
        if video:
            expect(page.locator("#record-live")).to_be_visible()
        expect(page.locator("#record-timer")).to_contain_text("Recording: 0:02")
        page.get_by_role("button", name="Stop recording").click()
        status = page.locator("#record-status")
        expect(status).to_contain_text(re.compile("Recording stopped|Nothing was recorded"))
        if "Nothing was recorded" not in status.inner_text():
            media_ready(page, "video#record-preview" if video else "audio#record-preview")
            return
        button = "Record a video statement" if video else "Record a spoken statement"
    pytest.fail("three recordings in a row captured nothing")


def image_shown(page: Any, selector: str) -> None:
    page.wait_for_function(
        "s => { const i = document.querySelector(s);"
        " return i && i.complete && i.naturalWidth === 64; }",
        arg=selector,
    )


def saved_copy(page: Any, scope: Any) -> bytes:
    with page.expect_download() as download:
        scope.locator("a.attachment-save").click()
    path = download.value.path()
    with open(path, "rb") as handle:
        return handle.read()


def test_a_recording_a_photo_and_a_letter_travel_through_the_facilitator(
    media_browser, small_limits_relay
) -> None:
    shuttle = make_case()
    sent = Sent()
    harmed, responsible, staff = both_parties_and_staff(
        media_browser, small_limits_relay.url, sent, shuttle
    )
    expect(harmed.locator("#status-banner")).to_contain_text("The conversation is open")
    # The limits are there before anything is chosen.
    expect(harmed.locator("#attach-limits")).to_contain_text("of up to 512 KB")
    expect(harmed.locator("#attach-limits")).to_contain_text("can be up to 439 KB")

    # --- a spoken statement, recorded in the page ------------------------------------------
    record(harmed, "Record a spoken statement")
    expect(harmed.get_by_role("button", name="Record again")).to_be_visible()
    expect(harmed.locator("#attach-warning")).to_be_hidden()
    check_page(harmed, "attach-recorded")
    # Record again replaces the first take.
    record(harmed, "Record again")
    harmed.get_by_label("Your message").fill(f"My statement {SENTINEL}-spoken")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    spoken = harmed.locator("#messages > li").filter(has_text="My statement")
    expect(spoken).to_contain_text("Waiting for your facilitator")
    expect(spoken).to_contain_text("A recording: Spoken statement")
    expect(harmed.locator("#attach-chosen")).to_be_hidden()

    # The other party has nothing of it before the forward: the server answers 404.
    recording = Attachment.objects.get(case=shuttle.case)
    assert recording.completed_at is not None
    refused = responsible.request.get(f"/api/attachments/{recording.pk}/blob")
    assert refused.status == 404

    # The facilitator plays it in the review, then passes it on.
    staff.get_by_role("button", name="Open this message").click()
    review = staff.locator("#review")
    review.get_by_role("button", name="Play the recording").click()
    media_ready(staff, "#review-original-files audio")
    expect(review.locator(".attachment-warning")).to_have_count(0)
    check_page(staff, "case-review-recording")
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(staff.locator("#queue-empty")).to_be_visible()
    expect(spoken).to_contain_text("Passed on by your facilitator")
    # The case record lists the file under the message and under its forward.
    expect(staff.locator("#record .attachment")).to_have_count(2)

    # The other party plays the forwarded recording.
    heard = responsible.locator("#messages > li").filter(has_text="My statement")
    expect(heard).to_contain_text("passed on by your facilitator")
    heard.get_by_role("button", name="Play the recording").click()
    media_ready(responsible, "#messages audio")
    check_page(responsible, "conversation-recording")

    # --- a photo with GPS in its EXIF: stripped before it is encrypted ------------------------
    harmed.locator("#attach-file").set_input_files(
        files=[{"name": "garden.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps()}]
    )
    expect(harmed.locator("#attach-chosen-name")).to_contain_text("garden.jpg")
    expect(harmed.locator("#attach-warning")).to_be_hidden()
    harmed.get_by_label("Your message").fill(f"Our garden {SENTINEL}-photo")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(harmed.locator("#messages > li").filter(has_text="Our garden")).to_contain_text(
        "A photo: garden.jpg"
    )
    staff.get_by_role("button", name="Open this message").click()
    review.get_by_role("button", name="Show the photo").click()
    image_shown(staff, "#review-original-files img")
    expect(review.locator(".attachment-warning")).to_have_count(0)
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(staff.locator("#queue-empty")).to_be_visible()
    seen = responsible.locator("#messages > li").filter(has_text="Our garden")
    seen.get_by_role("button", name="Show the photo").click()
    image_shown(responsible, "#messages img")
    photo = saved_copy(responsible, seen)
    assert GPS_CANARY.encode() not in photo and b"CanaryCam" not in photo
    opened = Image.open(io.BytesIO(photo))
    assert opened.size == (64, 48)
    assert not opened.getexif() and "exif" not in opened.info
    # The Python client reads the page's forward the same way: the entry, re-sealed to the
    # other party, and the file it names.
    sent_photo = Attachment.objects.filter(case=shuttle.case).order_by("-created_at").first()
    assert sent_photo is not None
    forward = Message.objects.get(derived_from_id=sent_photo.message_id)
    reader = client_for(small_limits_relay, shuttle.responsible)
    (entry,) = reader.open(reader.get(f"/api/messages/{forward.pk}"))["attachments"]
    assert (entry["name"], entry["type"], entry["stripped"]) == ("garden.jpg", "image/jpeg", True)
    out = io.BytesIO()
    reader.download_file(entry, out)
    assert out.getvalue() == photo

    # --- a PDF: not stripped, so the participant is warned and the facilitator told ---------
    letter = pdf_letter(200_000)  # three pieces of the upload
    harmed.locator("#attach-file").set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": letter}]
    )
    expect(harmed.locator("#attach-warning")).to_be_visible()
    expect(harmed.locator("#attach-warning")).to_contain_text("your facilitator will be told")
    check_page(harmed, "attach-pdf-warning")
    # The connection drops after the second piece reached the server: the page asks how
    # much arrived and carries on from there, without sending that piece again.
    pieces: list[str] = []

    def drop_once(route: Any) -> None:
        pieces.append(route.request.post_data or "")
        response = route.fetch()
        if len(pieces) == 2:
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    harmed.route("**/pieces", drop_once)
    harmed.get_by_label("Your message").fill(f"My letter {SENTINEL}-letter")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(harmed.locator("#messages > li").filter(has_text="My letter")).to_contain_text(
        "A PDF document: letter.pdf"
    )
    harmed.unroute("**/pieces")
    offsets = [piece.split('"offset":')[1].split(",")[0] for piece in pieces]
    assert offsets == ["0", "131072", "262144"]
    upload = Attachment.objects.filter(case=shuttle.case).order_by("-created_at").first()
    assert upload is not None and upload.completed_at is not None
    staff.get_by_role("button", name="Open this message").click()
    expect(review.locator(".attachment-warning")).to_contain_text("did not remove")
    review.get_by_role("button", name="Open the PDF").click()
    assert saved_copy(staff, review) == letter
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(staff.locator("#queue-empty")).to_be_visible()
    got = responsible.locator("#messages > li").filter(has_text="My letter")
    got.get_by_role("button", name="Open the PDF").click()
    assert saved_copy(responsible, got) == letter

    # --- a video statement can be recorded and watched, then removed unsent ---------------
    record(harmed, "Record a video statement", video=True)
    expect(harmed.locator("#attach-chosen-name")).to_contain_text("Video statement")
    harmed.get_by_role("button", name="Remove the file").click()
    expect(harmed.locator("#attach-chosen")).to_be_hidden()
    assert Attachment.objects.filter(case=shuttle.case).count() == 3

    # --- over a limit: a plain refusal, nothing uploaded and nothing sent -------------------
    messages = Message.objects.filter(case=shuttle.case).count()
    uploads = Attachment.objects.filter(case=shuttle.case).count()
    harmed.locator("#attach-file").set_input_files(
        files=[{"name": "long.mp3", "mimeType": "audio/mpeg", "buffer": b"\x00" * 1_100_000}]
    )
    expect(harmed.locator("#attach-file-problem")).to_contain_text("This file is too large to send")
    expect(harmed.locator("#attach-chosen")).to_be_hidden()
    harmed.locator("#attach-file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    expect(harmed.locator("#attach-file-problem")).to_contain_text(
        "This kind of file cannot be sent"
    )
    # Room for one file but not in this case any more: the server refuses (413).
    harmed.locator("#attach-file").set_input_files(
        files=[{"name": "more.pdf", "mimeType": "application/pdf", "buffer": pdf_letter(100_000)}]
    )
    harmed.get_by_label("Your message").fill(f"One more {SENTINEL}-more")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(harmed.locator("#compose-send-problem")).to_contain_text(
        "There is no room left in your case"
    )
    expect(harmed.get_by_label("Your message")).to_have_value(f"One more {SENTINEL}-more")
    assert Message.objects.filter(case=shuttle.case).count() == messages
    assert Attachment.objects.filter(case=shuttle.case).count() == uploads

    # Nothing typed or attached left a browser in clear.
    leaks = [item for item in sent.everything() if SENTINEL in item or GPS_CANARY in item]
    assert leaks == []
    # The only console errors: the refused upload (413) and the dropped connection.
    expected = ("413", "ERR_CONNECTION_RESET")
    assert not [p for p in sent.problems if not any(e in p for e in expected)], sent.problems
