"""The local terminal chat: the same conversation core as Telegram, in a terminal.

For trying the bot without a Telegram token, for curators checking how an entry reads, and for
tests (it works with piped standard input). Replies are printed as plain text; the buttons under
a reply are numbered, and typing a number presses that button. /commands work as on Telegram.

The terminal is also the channel for fact-checkers' answers: when an operator answers a ticket
(`factcheck tickets answer` in another terminal), the outbox delivers the notification here, as
Telegram would, so the whole loop can be tried without a token. Notifications for other voters
of the same database (another `--user-id`) are printed too, headed with their chat.

`/photo PATH [caption]` sends an image file as a photo, the way a voter sends a screenshot on
Telegram (the terminal's stand-in for the attachment button).
"""

from __future__ import annotations

import asyncio
import html
import re
import shlex
import sys
from typing import TYPE_CHECKING, TextIO

from bot.core.conversation import Conversation
from bot.core.messages import Button, Incoming, Reply
from bot.media.model import ImageInput
from bot.media.ocr import MAX_BYTES

if TYPE_CHECKING:
    from bot.escalation.outbox import SendResult
    from bot.escalation.wiring import Escalation

_LINK = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_BOLD = re.compile(r"</?b>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]+>")
QUIT = frozenset({"/quit", "/exit"})
ButtonRows = tuple[tuple[Button, ...], ...]


def to_plain(text: str, *, ansi: bool = False) -> str:
    """Telegram-HTML as terminal text: links as "label <url>", bold as ANSI bold when wanted."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        return label if html.unescape(label) == url else f"{label} ({url})"

    text = _LINK.sub(link, text)

    def bold(match: re.Match[str]) -> str:
        if not ansi:
            return ""
        return "\x1b[22m" if match.group(0)[1] == "/" else "\x1b[1m"

    text = _BOLD.sub(bold, text)
    return html.unescape(_TAG.sub("", text))


class ConsoleChat:
    """One voter talking to the conversation through a terminal."""

    def __init__(
        self,
        conversation: Conversation,
        out: TextIO,
        *,
        user_id: int = 1,
        chat_id: int | None = None,
        language_code: str | None = None,
        ansi: bool = False,
    ) -> None:
        self.conversation = conversation
        self.out = out
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.language_code = language_code
        self.ansi = ansi
        self.buttons: list[Button] = []

    def incoming_for(self, line: str) -> Incoming | None:
        """What the typed line means: a button press (a number), a command, or text."""
        stripped = line.strip()
        if stripped.isdigit() and self.buttons and 1 <= int(stripped) <= len(self.buttons):
            button = self.buttons[int(stripped) - 1]
            if button.url is not None:
                self._write(f"(link) {button.url}\n")
                return None
            return Incoming(
                self.chat_id, self.user_id, callback_data=button.data,
                language_code=self.language_code,
            )
        if stripped == "/photo" or stripped.startswith("/photo "):
            return self._photo(stripped.removeprefix("/photo").strip())
        return Incoming.from_text(
            self.chat_id, self.user_id, line, language_code=self.language_code
        )

    def _photo(self, args: str) -> Incoming | None:
        """`/photo PATH [caption]`: the file as the photo a voter sent (quote a PATH with
        spaces); a file that cannot be read is said so here, as a phone would."""
        try:
            path, *caption = shlex.split(args)
        except ValueError:
            path, caption = "", []
        if not path:
            self._write("(usage: /photo PATH [caption])\n\n")
            return None
        try:
            with open(path, "rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError as exc:
            self._write(f"(cannot open {path}: {exc.strerror or exc})\n\n")
            return None
        image = ImageInput(data, name=path) if len(data) <= MAX_BYTES else ImageInput(
            problem="too_big", name=path
        )
        return Incoming(
            self.chat_id, self.user_id, text=" ".join(caption), image=image,
            language_code=self.language_code,
        )

    async def send(self, line: str) -> list[Reply]:
        incoming = self.incoming_for(line)
        if incoming is None:
            return []
        replies = await self.conversation.handle(incoming)
        self.show(replies)
        return replies

    def show(self, replies: list[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            self._write(to_plain(reply.text, ansi=self.ansi) + "\n")
            for row in reply.buttons:
                labels = []
                for button in row:
                    self.buttons.append(button)
                    labels.append(f"[{len(self.buttons)}] {button.label}")
                self._write("   " + "   ".join(labels) + "\n")
            self._write("\n")
        self.out.flush()

    async def deliver(self, chat_id: int, text: str, buttons: ButtonRows) -> SendResult | None:
        """The outbox's `send` for this terminal: print this voter's notification like a reply.

        Another chat's notification is another voter's (it may quote their words), so it is not
        shown here: it is reported as not deliverable now and stays in the outbox for its own
        chat (a local chat with that voter's id, or Telegram), until the outbox gives up on it.
        """
        if chat_id != self.chat_id:
            from bot.escalation.outbox import SendResult

            return SendResult.error(f"chat {chat_id} is another voter's, not this terminal's")
        self.show([Reply(text, buttons=buttons)])
        return None

    def _write(self, text: str) -> None:
        self.out.write(text)


async def run_console(
    conversation: Conversation,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    user_id: int = 1,
    language_code: str | None = None,
    escalation: Escalation | None = None,
) -> int:
    """Chat until end of input or /quit. Prompts only when a person is typing. With
    `escalation`, fact-checkers' answers are delivered to this terminal while it runs."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    chat = ConsoleChat(
        conversation, stdout, user_id=user_id, language_code=language_code, ansi=interactive
    )
    if interactive:
        stdout.write(
            "Local chat with the fact-check bot. Type /start, a question, /photo PATH to send "
            "a screenshot, or /quit.\n\n"
        )
    stop = asyncio.Event()
    delivering: asyncio.Task[None] | None = None
    if escalation is not None:

        async def deliver(chat_id: int, text: str, buttons: ButtonRows) -> SendResult | None:
            if chat_id != chat.chat_id:
                return await chat.deliver(chat_id, text, buttons)  # not shown here
            if interactive:
                stdout.write("\n")
            result = await chat.deliver(chat_id, text, buttons)
            if interactive:
                stdout.write("> ")
                stdout.flush()
            return result

        delivering = asyncio.create_task(escalation.make_dispatcher(deliver).run(stop))
    try:
        return await _read_loop(chat, stdin, stdout, interactive)
    finally:
        stop.set()
        if delivering is not None:
            await delivering


async def _read_loop(chat: ConsoleChat, stdin: TextIO, stdout: TextIO, interactive: bool) -> int:
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            return 0
        if line.strip() in QUIT:
            return 0
        await chat.send(line.rstrip("\r\n"))
