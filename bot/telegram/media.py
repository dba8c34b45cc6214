"""Photos and image documents from Telegram: which file to fetch, and fetching it (getFile).

A photo arrives in several sizes; the largest one under the bot's limit is fetched (a screenshot
is read best at full size), never a thumbnail. An image sent as a file ("document",
uncompressed) is fetched when its MIME type is an image and it is not over the limit. Nothing
is fetched for a file that Telegram says is too big: the voter is told so by the core
(ImageInput.problem "too_big"), and a failed download becomes "unreadable", never an exception.
"""

from __future__ import annotations

import logging

from telegram import Bot, Message
from telegram.error import TelegramError

from bot.media.model import ImageInput
from bot.media.ocr import MAX_BYTES

log = logging.getLogger(__name__)

#: getFile serves files up to 20 MB; the OCR takes at most MAX_BYTES anyway.
DOWNLOAD_LIMIT = min(MAX_BYTES, 20 * 1024 * 1024)
#: Pixels below which a photo size is a thumbnail: no text in it can be read.
MIN_PIXELS = 300 * 300


def image_file(message: Message, limit: int = DOWNLOAD_LIMIT) -> tuple[str | None, bool]:
    """(file_id to fetch, the message had an image at all). file_id None with True: too big."""
    if message.photo:
        sizes = sorted(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        fitting = [
            p for p in sizes if (p.file_size or 0) <= limit and p.width * p.height >= MIN_PIXELS
        ]
        return (fitting[-1].file_id if fitting else None), True
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        if (document.file_size or 0) > limit:
            return None, True
        return document.file_id, True
    return None, False


def message_with_image(message: Message, bot_id: int | None = None) -> Message | None:
    """The message whose image the voter wants checked: their own photo, else the photo they
    replied to ("@bot is this true?" under a screenshot in a group), never one of the bot's."""
    if image_file(message)[1]:
        return message
    replied = message.reply_to_message
    if replied is None or (replied.from_user is not None and replied.from_user.id == bot_id):
        return None
    return replied if image_file(replied)[1] else None


async def fetch_image(bot: Bot, message: Message) -> ImageInput | None:
    """The image of `message` for the core, or None when it has none."""
    file_id, has_image = image_file(message)
    if not has_image:
        return None
    if file_id is None:
        return ImageInput(problem="too_big")
    try:
        file = await bot.get_file(file_id)
        if (file.file_size or 0) > DOWNLOAD_LIMIT:
            return ImageInput(problem="too_big")
        data = await file.download_as_bytearray()
    except (TelegramError, OSError) as exc:
        log.warning("could not fetch an image from chat %s: %s", message.chat_id, exc)
        return ImageInput(problem="unreadable")
    return ImageInput(bytes(data), name=file.file_path or "")
