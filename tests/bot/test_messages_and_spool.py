"""The message types channels build, and the escalation spool's file handling."""

from __future__ import annotations

import json

import pytest

from bot.core import Button, Incoming, Spool


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("/start", "start", ()),
        ("/language th", "language", ("th",)),
        ("/start@FactCheckBot lang_ms", "start", ("lang_ms",)),
        ("  /HELP  ", "help", ()),
        ("/ not a command", None, ()),
        ("/", None, ()),
        ("and/or", None, ()),
        ("/สวัสดี", None, ()),
        ("/ไทย", None, ()),
    ],
)
def test_from_text_recognises_commands(text, command, args):
    incoming = Incoming.from_text(1, 2, text)
    assert (incoming.command, incoming.args) == (command, args)
    assert incoming.text == text


def test_buttons_are_either_callback_or_link_and_fit_telegram():
    Button("ok", data="h:1:abcdefgh")
    Button("site", url="https://example.org/")
    with pytest.raises(ValueError):
        Button("both", data="x", url="https://example.org/")
    with pytest.raises(ValueError):
        Button("neither")
    with pytest.raises(ValueError):
        Button("long", data="ก" * 30)  # 90 bytes in UTF-8


def test_spool_survives_restarts_skips_bad_lines_and_forgets(tmp_path):
    path = tmp_path / "var" / "spool.jsonl"
    spool = Spool(path)
    assert spool.add(user_id=1, chat_id=1, text="claim one", language="th")
    assert spool.add(user_id=2, chat_id=2, text="claim two", language="ms", question_id=5)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n\n")
    again = Spool(path)
    assert [(i.user_id, i.text, i.question_id) for i in again.pending()] == [
        (1, "claim one", None), (2, "claim two", 5)
    ]
    assert again.forget_user(1) == 1
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["user_id"] for line in lines] == [2]


def test_spool_without_a_file_keeps_items_in_memory():
    spool = Spool(None)
    assert spool.add(user_id=1, chat_id=1, text="x", language="en") is False
    assert len(spool) == 1


def test_spool_drain_stops_at_the_first_failure_and_keeps_the_rest(tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    for n in range(3):
        spool.add(user_id=n, chat_id=n, text=f"claim {n}", language="en")

    class FlakyRepository:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def escalate(self, **kwargs):
            self.calls.append(kwargs["text"])
            if kwargs["text"] == "claim 1":
                raise ConnectionError("database went away")

    repository = FlakyRepository()
    assert spool.drain(repository) == 1
    assert [i.text for i in spool.pending()] == ["claim 1", "claim 2"]
    assert Spool(tmp_path / "spool.jsonl").pending() == spool.pending()
