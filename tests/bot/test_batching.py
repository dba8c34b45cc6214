"""A burst of text from one voter becomes one question; commands and buttons are not held."""

from __future__ import annotations

import asyncio

from bot.core import Incoming, MessageBatcher


class Recorder:
    def __init__(self) -> None:
        self.delivered: list[Incoming] = []

    async def __call__(self, incoming: Incoming) -> None:
        self.delivered.append(incoming)


def text(chat: int, body: str, **kwargs) -> Incoming:
    return Incoming.from_text(chat, chat, body, **kwargs)


async def test_parts_within_the_window_are_joined():
    got = Recorder()
    batcher = MessageBatcher(got, window=0.4)
    await batcher.submit(text(1, "Breaking: the election", forwarded=True))
    await asyncio.sleep(0.05)
    await batcher.submit(text(1, "is postponed to June"))
    assert got.delivered == []
    await asyncio.sleep(1.0)
    (one,) = got.delivered
    assert one.text == "Breaking: the election\nis postponed to June"
    assert one.forwarded


async def test_parts_after_a_pause_are_separate_questions():
    got = Recorder()
    batcher = MessageBatcher(got, window=0.05)
    await batcher.submit(text(1, "first"))
    await asyncio.sleep(0.6)
    await batcher.submit(text(1, "second"))
    await batcher.drain()
    assert [m.text for m in got.delivered] == ["first", "second"]


async def test_chats_are_batched_separately():
    got = Recorder()
    batcher = MessageBatcher(got, window=0.05)
    await batcher.submit(text(1, "a"))
    await batcher.submit(text(2, "b"))
    await batcher.submit(text(1, "c"))
    await asyncio.sleep(0.5)
    assert sorted(m.text for m in got.delivered) == ["a\nc", "b"]


async def test_commands_and_buttons_flush_first_and_are_not_held():
    got = Recorder()
    batcher = MessageBatcher(got, window=5)
    await batcher.submit(text(1, "is this true"))
    await batcher.submit(text(1, "/help"))
    assert [m.text or m.command for m in got.delivered] == ["is this true", "/help"]
    await batcher.submit(Incoming(1, 1, callback_data="h:1:abc"))
    assert got.delivered[-1].callback_data == "h:1:abc"


async def test_a_long_stream_is_delivered_after_max_wait():
    got = Recorder()
    batcher = MessageBatcher(got, window=0.1, max_wait=0.3)
    for i in range(12):
        await batcher.submit(text(1, f"part {i}"))
        await asyncio.sleep(0.05)
    await batcher.drain()
    assert len(got.delivered) >= 2
    assert "\n".join(m.text for m in got.delivered).split("\n") == [f"part {i}" for i in range(12)]


async def test_a_failing_delivery_does_not_break_the_batcher():
    calls: list[str] = []

    async def deliver(incoming: Incoming) -> None:
        calls.append(incoming.text)
        if incoming.text == "boom":
            raise RuntimeError("send failed")

    batcher = MessageBatcher(deliver, window=0.02)
    await batcher.submit(text(1, "boom"))
    await asyncio.sleep(0.1)
    await batcher.submit(text(1, "next"))
    await batcher.drain()
    assert calls == ["boom", "next"]


async def test_batched_parts_reach_the_conversation_as_one_question(services):
    replies = []

    async def deliver(incoming: Incoming) -> None:
        replies.append(await services.conversation.handle(incoming))

    batcher = MessageBatcher(deliver, window=0.1)
    await batcher.submit(text(1, "Soldiers will guard every ballot box", forwarded=True))
    await batcher.submit(text(1, "and arrest opposition voters", forwarded=True))
    await batcher.drain()
    assert len(replies) == 1
    assert "fact-checkers" in replies[0][0].text


async def test_group_chatter_is_never_merged_into_an_addressed_question():
    got = Recorder()
    batcher = MessageBatcher(got, window=0.1)
    group = {"chat_type": "group"}
    await batcher.submit(text(-5, "lol", addressed=False, **group))
    await batcher.submit(text(-5, "is this true?", addressed=True, **group))
    await batcher.drain()
    assert [(m.text, m.addressed) for m in got.delivered] == [
        ("lol", False), ("is this true?", True)
    ]
