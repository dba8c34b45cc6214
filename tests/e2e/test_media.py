"""A screenshot over Telegram (issue #19): the voter sends a photo, the bot fetches it (getFile and
the file download, served by the bridge), reads it, escalates it with the image for the
checkers' group, and a second voter forwarding the same picture joins the same ticket."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from bot.media.ocr import OcrEngine

pytestmark = pytest.mark.e2e

# Unlike anything in tests/e2e/kb and unlike the other e2e tests' claims.
# (Answered claims of other e2e tests are knowledge by the time this runs, and ballots and
# soldiers are among them: a claim near them would be offered those first.)
CLAIM = (
    "A livestream shows a monkey stealing the district chief's spectacles while he voted "
    "in Chiang Mai this morning"
)


def _screenshot() -> bytes:
    from screenshots import Style, available_fonts, render

    thai, latin = available_fonts()
    if not thai or not latin:
        pytest.skip("fonts missing: scripts/install-system-deps.sh --fonts")
    buffer = io.BytesIO()
    render(CLAIM, Style("chat", thai[0], latin[0])).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def test_a_screenshot_is_read_escalated_with_its_image_and_joined(e2e) -> None:
    if not OcrEngine().available:
        pytest.skip("Tesseract (tha, msa, eng) missing: scripts/install-system-deps.sh")
    data = _screenshot()
    checker = e2e.checker()
    first = e2e.voter("en")
    first.send_photo(e2e.bridge.add_file(data), len(data))
    (receipt,) = first.replies(1, timeout=60)
    assert receipt.text == e2e.expected("en", "escalated_new")
    assert e2e.bridge.calls_of("getFile")  # the largest size was fetched, not the thumbnail
    assert all(c.params["file_id"] != "thumb" for c in e2e.bridge.calls_of("getFile"))

    card = checker.wait_for_message("Chiang Mai", timeout=30)
    number = int(re.search(r"Ticket #(\d+)", card.text).group(1))
    photos = e2e.bridge.calls_of("sendPhoto", chat_id=checker.chat_id)
    assert photos, "the checkers' group did not get the screenshot"

    image = Image.open(io.BytesIO(data))
    forwarded = io.BytesIO()
    image.resize((image.width * 3 // 4, image.height * 3 // 4)).save(
        forwarded, format="JPEG", quality=45
    )
    second = e2e.voter("en")
    second.send_photo(e2e.bridge.add_file(forwarded.getvalue()), len(forwarded.getvalue()))
    (joined,) = second.replies(1, timeout=60)
    assert joined.text == e2e.expected("en", "escalated_joined", askers=2)
    assert f"#{number}" in card.text


def test_a_photo_too_big_to_fetch_gets_a_clear_reply(e2e) -> None:
    voter = e2e.voter("en")
    calls = len(e2e.bridge.calls_of("getFile"))
    voter.send_photo("never-fetched", 50 * 1024 * 1024)
    (reply,) = voter.replies(1, timeout=30)
    assert reply.text == e2e.expected("en", "image_too_big")
    assert len(e2e.bridge.calls_of("getFile")) == calls
