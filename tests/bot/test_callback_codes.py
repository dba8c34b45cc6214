"""Every button code the bot writes is named in bot/core/callbacks.py (issue #18): the voters'
one-letter actions and the checkers' desk's actions. The formats are unchanged, so buttons on
cards already sent keep working after the change."""

from __future__ import annotations

from bot.core import callbacks
from bot.core.callbacks import Action, DeskAction, parse, parse_desk


def test_voter_buttons_keep_their_formats_and_parse_back() -> None:
    assert callbacks.language("th") == "l:th"
    assert callbacks.forget(True) == "f:y" and callbacks.forget(False) == "f:n"
    assert callbacks.none_of_these("q7") == "x:q7"
    assert callbacks.same_ticket(3, 9) == "j:3:9" and callbacks.other_ticket(3) == "k:3"
    picked = parse(callbacks.pick("q7", "entry-1"))
    assert picked is not None and picked.action == Action.PICK and picked.token == "q7"
    assert parse("ck:take:5") is None  # a desk button is not a voter's


def test_desk_buttons_keep_their_formats_and_parse_back() -> None:
    assert callbacks.desk(DeskAction.TAKE, 12) == "ck:take:12"
    assert callbacks.desk(DeskAction.VERDICT, 12, "false") == "ck:v:12:false"
    assert callbacks.desk(DeskAction.REGION, 12, "") == "ck:r:12:"  # the region's Skip
    assert callbacks.desk(DeskAction.CANCEL) == "ck:no"
    verdict = parse_desk("ck:v:12:false")
    assert verdict is not None and (verdict.action, verdict.ticket, verdict.value) == (
        DeskAction.VERDICT, 12, "false"
    )
    assert parse_desk("ck:no") == callbacks.DeskCallback(DeskAction.CANCEL)
    assert parse_desk("l:th") is None  # a voter's button is not the desk's


def test_codes_are_distinct() -> None:
    assert len({a.value for a in Action}) == len(Action)
    assert callbacks.DESK_PREFIX not in {a.value for a in Action}
