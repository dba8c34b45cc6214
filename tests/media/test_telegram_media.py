"""Which file of a Telegram photo or document the bot fetches (bot.telegram.media)."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.core.batching import MessageBatcher
from bot.core.messages import Incoming
from bot.media.model import ImageInput
from bot.telegram.media import image_file, message_with_image
from bot.telegram.updates import BotIdentity, from_update

ME = BotIdentity(id=666, username="FactBot")
VOTER = {"id": 42, "is_bot": False, "first_name": "Voter"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Voter"}


def message(**extra: Any) -> Any:
    data: dict[str, Any] = {"message_id": 7, "date": 1_700_000_000, "chat": PRIVATE,
                            "from": VOTER, **extra}
    return Update.de_json({"update_id": 1, "message": data}, None).message


def size(name: str, side: int, file_size: int) -> dict[str, Any]:
    return {"file_id": name, "file_unique_id": name + "u", "width": side, "height": side,
            "file_size": file_size}


def test_the_largest_photo_size_under_the_limit_is_fetched() -> None:
    photo = [size("small", 90, 2_000), size("big", 1280, 900_000), size("mid", 320, 30_000)]
    assert image_file(message(photo=photo)) == ("big", True)
    assert image_file(message(photo=photo), limit=100_000) == ("mid", True)
    assert image_file(message(photo=photo), limit=1_000) == (None, True)  # too big
    # only a thumbnail fits: nothing readable is fetched
    assert image_file(message(photo=photo), limit=10_000) == (None, True)


def test_image_documents_are_fetched_other_files_are_not() -> None:
    def doc(mime: str, file_size: int = 50_000) -> dict[str, Any]:
        return {"file_id": "d", "file_unique_id": "du", "mime_type": mime,
                "file_size": file_size}

    assert image_file(message(document=doc("image/png"))) == ("d", True)
    assert image_file(message(document=doc("image/jpeg", 50_000_000))) == (None, True)
    assert image_file(message(document=doc("application/pdf"))) == (None, False)
    assert image_file(message(text="just text")) == (None, False)


def test_a_caption_is_the_text_of_the_photo_message() -> None:
    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 7, "date": 1_700_000_000, "chat": PRIVATE, "from": VOTER,
        "photo": [size("p", 800, 80_000)], "caption": "จริงไหม",
    }}, None)
    incoming = from_update(update, ME)
    assert incoming is not None and incoming.text == "จริงไหม" and incoming.addressed


def test_a_photo_is_never_merged_with_text_sent_around_it() -> None:
    photo = Incoming(1, 1, text="caption", image=ImageInput(b"x"))
    assert not MessageBatcher.batchable(photo)
    assert MessageBatcher.batchable(Incoming(1, 1, text="plain text"))


def test_the_photo_replied_to_is_checked_unless_it_is_the_bots() -> None:
    photo = [size("p", 800, 80_000)]
    own = message(photo=photo)
    assert message_with_image(own, 666) is own
    rumour = {"message_id": 5, "date": 1_700_000_000, "chat": PRIVATE, "from": VOTER,
              "photo": photo}
    asking = message(text="@FactBot is this true?", reply_to_message=rumour)
    replied = message_with_image(asking, 666)
    assert replied is not None and replied.message_id == 5
    bots = dict(rumour, **{"from": {"id": 666, "is_bot": True, "first_name": "Fact"}})
    assert message_with_image(message(text="?", reply_to_message=bots), 666) is None
    assert message_with_image(message(text="plain"), 666) is None
