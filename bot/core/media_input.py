"""Before a turn is understood: read the image a voter sent, or the link in their text.

The conversation calls `read_media` once per message (never for commands or button presses,
nor for group chatter not addressed to the bot) and then checks the caption and what was read
together, exactly as it checks a text (`text_with_media`). Reading is bounded: OCR runs in a
worker thread a bounded number at a time and under a timeout (bot.media.reader), a link under
its own timeout and size cap (bot.media.links); a failure is recorded in `MediaRead.problem`,
never raised, so the voter always gets a reply.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.core.messages import Incoming
from bot.media.links import find_urls, without_urls
from bot.media.model import MediaRead
from bot.media.reader import MediaReader

log = logging.getLogger(__name__)


async def read_media(
    incoming: Incoming, reader: MediaReader | None, *, read_links: bool = True
) -> Incoming:
    """`incoming` with `media` set when it carries an image or a link, else unchanged."""
    if incoming.is_command or incoming.is_callback or incoming.media is not None:
        return incoming
    if not incoming.is_private and not incoming.addressed:
        return incoming
    if incoming.image is not None:
        if reader is None:
            media = MediaRead("image", problem="no_ocr")
        else:
            media = await reader.read_image(incoming.image)
        log.info("read an image: %r", media)
        return replace(incoming, media=media)
    if reader is None or not read_links:
        return incoming
    urls = find_urls(incoming.text)
    if not urls:
        return incoming
    media = await reader.read_link(urls[0])
    log.info("read a link: %r", media)
    return replace(incoming, media=media)


def text_with_media(text: str, media: MediaRead | None) -> str:
    """What the voter wrote, then what was read from their image or link. A link that was read
    is left out: its letters ("https", the domain, a path) only confuse the matcher, and the
    checkers see it with the ticket (bot.media.records)."""
    if media is None or not media.read_text:
        return text
    if media.kind == "link":
        text = without_urls(text)
    return f"{text.strip()}\n{media.read_text}".strip()
