"""Screenshots, photos and links: what happens before (and after) they are checked like text.

Before: an image or page already sent to fact-checkers (the same picture re-compressed, the same
article under another tracking link) goes straight to that ticket: the voter joins it, or, once
checkers answered it, gets the answer at once (TicketService sends it). A picture with no
readable text, or one that cannot be read, gets a reply saying so and what to do instead, unless
its caption says enough to check. A link that could not be opened, with nothing else written,
gets a reply asking for the text. Everything else goes on as text: caption and read text
together, decided by the same matcher and policy as any message.

After: when the question is escalated, the image is kept (a metadata-free JPEG under MEDIA_DIR)
and a media row ties it, or the link and what was read from it, to the voter and the ticket, so
checkers see it and the next voter who sends it finds that ticket.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.context import TurnContext
from bot.core.inputs import Prepared
from bot.core.messages import Reply
from bot.media.model import MediaRead

log = logging.getLogger(__name__)

_IMAGE_PROBLEMS = {
    "too_big": "image_too_big",
    "unreadable": "image_unreadable",
    "timeout": "image_unreadable",
    "no_ocr": "image_no_ocr",
}


async def known_ticket_key(ctx: TurnContext) -> str | None:
    """The claim key of the ticket this image or page already went to (open or answered)."""
    media = ctx.incoming.media
    if media is None or not (media.image_hash or media.canonical_url):
        return None
    image_hash, read_text, url = media.image_hash, media.read_text, media.canonical_url
    found = await ctx.db(
        lambda store: store.media_ticket_key(
            image_hash=image_hash, read_text=read_text, canonical_url=url
        )
    )
    return found.value if found.ok else None


def early_reply(ctx: TurnContext, prepared: Prepared) -> Reply | None:
    """The reply for an image or link there is nothing to check in, else None."""
    media = ctx.incoming.media
    if media is None or prepared.kind == "text":
        return None
    if media.kind == "image":
        if media.problem is not None:
            return Reply(ctx.t(_IMAGE_PROBLEMS.get(media.problem, "image_unreadable")))
        return Reply(ctx.t("image_no_text"))
    if media.problem is not None and prepared.kind == "url_only":
        return Reply(ctx.t("link_unreadable"))
    return None


async def attach(
    ctx: TurnContext, ticket_id: int | None, question_id: int | None,
    media: MediaRead | None = None,
) -> None:
    """Keep the image or link of an escalated question with its ticket (see the module doc).
    `media`: what the question came with when it is escalated by a later turn (a button);
    otherwise this turn's. A failure here is logged: the question is already with the checkers."""
    media = media if media is not None else ctx.incoming.media
    if media is None or ticket_id is None:
        return
    path = None
    store = getattr(ctx.deps.media, "store", None)
    if media.kind == "image" and media.jpeg and store is not None:
        try:
            path = await asyncio.to_thread(store.save, media.jpeg)
        except OSError:
            log.exception("could not keep an escalated image; checkers get its text only")
    user_id, chat_id = ctx.incoming.user_id, ctx.incoming.chat_id
    await ctx.db(
        lambda store: store.record_media(
            user_id=user_id, chat_id=chat_id, kind=media.kind, question_id=question_id,
            ticket_id=ticket_id, image_hash=media.image_hash, sha256=media.sha256, path=path,
            url=media.url, canonical_url=media.canonical_url, title=media.title or None,
            read_text=media.read_text or None,
        )
    )
