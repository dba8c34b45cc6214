"""The channel-neutral message types the conversation core speaks.

The Telegram layer, the local terminal chat and the tests all translate their own events into an
`Incoming` and render the `Reply` objects they get back, so the conversation itself never learns
which channel it is talking to. Reply text is Telegram-HTML (the subset both channels understand:
<b>, <i>, <a href>), with every piece of user or knowledge text already escaped by the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.media.model import ImageInput, MediaRead

ChatType = Literal["private", "group"]

#: Telegram refuses callback data longer than this many bytes.
CALLBACK_DATA_LIMIT = 64


@dataclass(frozen=True)
class Incoming:
    """One thing a voter did: a text message, a command, or a button press.

    `addressed` matters only in groups: the channel sets it when the bot was mentioned, replied to
    or sent a command, because a bot that answers every group message is a nuisance. `quoted_text`
    is the text of the message the voter replied to (in a group: "@bot is this true?" under a
    forwarded rumour), which is what needs checking when the voter's own text says nothing.
    """

    chat_id: int
    user_id: int
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    callback_data: str | None = None
    chat_type: ChatType = "private"
    addressed: bool = True
    language_code: str | None = None
    forwarded: bool = False
    quoted_text: str | None = None
    replied_buttons: tuple[str, ...] = ()
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: A photo or image document the voter sent (its caption is `text`).
    image: ImageInput | None = None
    #: What the core read from the image or from a link in the text (bot.core.media_input).
    media: MediaRead | None = None

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def is_callback(self) -> bool:
        return self.callback_data is not None

    @property
    def is_command(self) -> bool:
        return self.command is not None

    @classmethod
    def from_text(cls, chat_id: int, user_id: int, text: str, **kwargs: object) -> Incoming:
        """Build an Incoming from raw typed text, recognising "/command args" as a command.

        Channels without their own command parsing (the terminal chat, tests) use this so a
        command is understood the same way everywhere; "/start@SomeBot" loses its bot suffix.
        """
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
            head, *rest = stripped.split()
            name = head[1:].split("@", 1)[0].lower()
            if name and name.isascii() and name.replace("_", "").isalnum():  # as Telegram
                return cls(chat_id, user_id, text=text, command=name, args=tuple(rest), **kwargs)  # type: ignore[arg-type]
        return cls(chat_id, user_id, text=text, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Button:
    """A button under a reply: a callback button (`data`) or a link button (`url`)."""

    label: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has either callback data or a URL")
        if self.data is not None and len(self.data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {self.data!r}")


@dataclass(frozen=True)
class Reply:
    """One message to send: Telegram-HTML text and rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    disable_preview: bool = True
    #: An image file to show before the text (a ticket's screenshot in the checkers' group).
    photo: str | None = None

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]
