"""Learning from voters (issue #15), through the conversation core with the real matcher and
SQLite: picks from a "did you mean" list teach the bot; two voters (or one checker) make a
phrasing learned; "not what I asked" withdraws; a checker's rejection is final; /forget removes
the voter's part; the matcher's candidates, country and near-miss rules still bound what is
served.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import callbacks
from bot.core.callbacks import parse
from bot.core.learned import NEAR_IDENTICAL, phrase_of, similarity
from bot.core.messages import Button
from bot.storage.models import LearnedPhrasing, PhrasingVote
from bot.storage.repository import Repository
from bot.texts import t

#: Messages the kb-small matcher answers with a list of entries from one country.
LISTS = {
    "en": "how do i get a postal ballot",
    "ms": "undi pos macam mana nak mohon",
    "th": "ผลเลือกตั้งประกาศเมื่อไหร่",
}
#: The same messages as a voter might forward them: other casing, emoji, punctuation.
COPIES = {
    "en": "How do I get a POSTAL ballot?? 🙏",
    "ms": "Undi pos macam mana nak mohon??? 🙏",
    "th": "ผลเลือกตั้งประกาศเมื่อไหร่ 🤔🤔",
}
#: A longer message, one word added (near-identical), and one naming another country.
LONG = "how do i get a postal ballot for the election this year"
LONG_NEAR = LONG + " thanks"
LONG_OTHER_COUNTRY = LONG + " thailand"
#: Entries of Thailand and Malaysia look alike for it: the voter's country decides.
BOTH_COUNTRIES = "Where do I have to vote?"


def picks(buttons: list[Button]) -> list[Button]:
    return [b for b in buttons if b.data and b.data.startswith("p:")]


def card_entry(chat: Any) -> str:
    """The entry hash of the card the voter was shown last (its feedback buttons name it)."""
    (card,) = chat.last
    assert card.text.startswith("<b>"), chat.text()
    parsed = parse(card.all_buttons()[0].data or "")
    assert parsed is not None and parsed.value
    return parsed.value


async def pick_first(chat: Any, text: str) -> str:
    """Ask `text`, expect a list, pick its first entry; returns that entry's hash."""
    await chat.say(text)
    assert chat.is_clarify(), chat.text()
    first = picks(chat.buttons())[0]
    parsed = parse(first.data or "")
    assert parsed is not None and parsed.value
    await chat.press(first)
    return parsed.value


def _rows(services: Any, model: type) -> list[Any]:
    from sqlalchemy import select

    with services.database.session() as session:
        return list(session.scalars(select(model)))


@pytest.mark.parametrize("lang", ["en", "ms", "th"])
async def test_two_voters_teach_the_third_is_answered_without_a_list(
    services: Any, new_chat: Any, lang: str
) -> None:
    taught = await pick_first(new_chat(user_id=1), LISTS[lang])
    third = new_chat(user_id=3)
    await third.say(LISTS[lang])
    assert third.is_clarify(), "one voter's pick is not enough"
    assert await pick_first(new_chat(user_id=2), LISTS[lang]) == taught

    fourth = new_chat(user_id=4)
    await fourth.say(LISTS[lang])
    assert not fourth.is_clarify(), fourth.text()
    assert card_entry(fourth) == taught
    # A forwarded copy (casing, emoji, punctuation) is the same phrasing once normalised.
    fifth = new_chat(user_id=5)
    await fifth.say(COPIES[lang])
    assert card_entry(fifth) == taught

    (row,) = _rows(services, LearnedPhrasing)
    assert row.phrase == phrase_of(COPIES[lang], None), "normalised, not the voter's text"
    assert "?" not in row.phrase and row.language == lang
    assert len(_rows(services, PhrasingVote)) == 2


async def test_the_same_voter_twice_does_not_teach(services: Any, new_chat: Any) -> None:
    voter = new_chat(user_id=1)
    await pick_first(voter, LISTS["en"])
    await pick_first(voter, LISTS["en"])
    other = new_chat(user_id=2)
    await other.say(LISTS["en"])
    assert other.is_clarify()


async def test_typed_choice_teaches_like_a_button(services: Any, new_chat: Any) -> None:
    first = new_chat(user_id=1)
    await first.say(LISTS["ms"])
    wanted = parse(picks(first.buttons())[0].data or "")
    assert wanted is not None
    await first.say("yang pertama")
    assert card_entry(first) == wanted.value
    second = new_chat(user_id=2)
    await second.say(LISTS["ms"])
    await second.say("1")
    assert card_entry(second) == wanted.value
    third = new_chat(user_id=3)
    await third.say(LISTS["ms"])
    assert card_entry(third) == wanted.value


async def test_not_what_i_asked_withdraws_the_pick(services: Any, new_chat: Any) -> None:
    first = new_chat(user_id=1)
    await pick_first(first, LISTS["en"])
    await first.press(t("en", "button_not_what_i_asked"))
    await pick_first(new_chat(user_id=2), LISTS["en"])
    third = new_chat(user_id=3)
    await third.say(LISTS["en"])
    assert third.is_clarify(), "a withdrawn pick does not count"
    votes = sorted(v.agrees for v in _rows(services, PhrasingVote))
    assert votes == [False, True]


async def test_a_dissent_after_a_learned_answer_stops_serving_it(
    services: Any, new_chat: Any
) -> None:
    await pick_first(new_chat(user_id=1), LISTS["en"])
    await pick_first(new_chat(user_id=2), LISTS["en"])
    third = new_chat(user_id=3)
    await third.say(LISTS["en"])
    assert not third.is_clarify()
    await third.press(t("en", "button_not_what_i_asked"))
    fourth = new_chat(user_id=4)
    await fourth.say(LISTS["en"])
    assert fourth.is_clarify(), "one voter said it was wrong: the list until a checker decides"


async def test_a_checker_confirms_once_or_rejects_for_good(services: Any, new_chat: Any) -> None:
    repository = Repository(services.database)
    taught = await pick_first(new_chat(user_id=1), LISTS["th"])
    (row,) = _rows(services, LearnedPhrasing)
    assert repository.decide_learned(row.id, checker_id=77, confirm=True)
    second = new_chat(user_id=2)
    await second.say(LISTS["th"])
    assert card_entry(second) == taught

    assert repository.decide_learned(row.id, checker_id=77, confirm=False)
    await pick_first(new_chat(user_id=3), LISTS["th"])  # more voters cannot undo a rejection
    await pick_first(new_chat(user_id=4), LISTS["th"])
    fifth = new_chat(user_id=5)
    await fifth.say(LISTS["th"])
    assert fifth.is_clarify()


async def test_forget_removes_the_voters_part(services: Any, new_chat: Any) -> None:
    await pick_first(new_chat(user_id=1), LISTS["en"])
    second = new_chat(user_id=2)
    await pick_first(second, LISTS["en"])
    await second.say("/forget")
    await second.press(t("en", "button_forget_yes"))
    third = new_chat(user_id=3)
    await third.say(LISTS["en"])
    assert third.is_clarify(), "one voter left: not learned any more"
    assert len(_rows(services, PhrasingVote)) == 1
    first = new_chat(user_id=1)
    await first.say("/forget")
    await first.press(t("en", "button_forget_yes"))
    assert _rows(services, PhrasingVote) == []
    assert _rows(services, LearnedPhrasing) == [], "nobody's words are kept for nothing"


async def test_a_rejection_outlives_the_voters_words(services: Any, new_chat: Any) -> None:
    first = new_chat(user_id=1)
    await pick_first(first, LISTS["en"])
    (row,) = _rows(services, LearnedPhrasing)
    Repository(services.database).decide_learned(row.id, checker_id=77, confirm=False)
    await first.say("/forget")
    await first.press(t("en", "button_forget_yes"))
    (row,) = _rows(services, LearnedPhrasing)
    assert row.phrase == "" and row.rejected_at is not None


async def test_picks_outside_the_list_teach_nothing(services: Any, new_chat: Any) -> None:
    """Two accounts pressing a crafted button for an entry the matcher never offered for the
    message: the pick is recorded, but never served, since the matcher does not offer it."""
    kb, _ = services.conversation.deps.knowledge.snapshot()
    for user_id in (1, 2):
        voter = new_chat(user_id=user_id)
        await voter.say(LISTS["en"])
        offered = {parse(b.data or "").value for b in picks(voter.buttons())}  # type: ignore[union-attr]
        stranger = next(
            e for e in kb.published() if callbacks.entry_hash(e.id) not in offered
        )
        token = parse(picks(voter.buttons())[0].data or "")
        assert token is not None and token.token
        await voter.press(Button("x", callbacks.pick(token.token, stranger.id)))
    third = new_chat(user_id=3)
    await third.say(LISTS["en"])
    assert third.is_clarify(), "a learned phrasing can only save the tap on the matcher's own list"


async def test_a_near_identical_message_is_answered_too(services: Any, new_chat: Any) -> None:
    taught = await pick_first(new_chat(user_id=1), LONG)
    await pick_first(new_chat(user_id=2), LONG)
    third = new_chat(user_id=3)
    await third.say(LONG_NEAR)
    assert card_entry(third) == taught


async def test_the_near_miss_rule_still_applies(services: Any, new_chat: Any) -> None:
    """Near-identical to a learned phrasing, but naming another country than the entry's: the
    matcher sees a near miss for that entry, so the list is shown."""
    await pick_first(new_chat(user_id=1), LONG)
    await pick_first(new_chat(user_id=2), LONG)
    assert similarity(phrase_of(LONG, "en"), phrase_of(LONG_OTHER_COUNTRY, "en")) >= NEAR_IDENTICAL
    third = new_chat(user_id=3)
    await third.say(LONG_OTHER_COUNTRY)
    assert third.is_clarify(), third.text()


async def test_the_country_rule_still_applies(services: Any, new_chat: Any) -> None:
    """Two voters from one country cannot decide the country of the next one."""
    await pick_first(new_chat(user_id=1), BOTH_COUNTRIES)
    await pick_first(new_chat(user_id=2), BOTH_COUNTRIES)
    third = new_chat(user_id=3)
    await third.say(BOTH_COUNTRIES)
    assert third.is_clarify(), third.text()


async def test_picks_in_a_group_teach_nothing(services: Any, new_chat: Any) -> None:
    """A group's list may be another member's question: a tap there keeps nobody's words."""
    asker = new_chat(user_id=21, chat_id=-700, chat_type="group")
    await asker.say(LISTS["en"], addressed=True)
    assert asker.is_clarify(), asker.text()
    member = new_chat(user_id=22, chat_id=-700, chat_type="group")
    member.last = asker.last
    await member.press(picks(asker.buttons())[0])
    assert member.text().startswith("<b>"), member.text()
    assert _rows(services, LearnedPhrasing) == []


def test_near_identical_bar() -> None:
    """One added word in ten passes; a changed word in a short message does not."""
    a = "where do i have to go to vote in the election"
    assert similarity(a, a + " please") >= NEAR_IDENTICAL
    assert similarity("where do i vote", "where do i register") < NEAR_IDENTICAL
    # Word order, a negation, a number: the words differ where the claim is.
    assert similarity("pukul berapa buka undi", "undi buka pukul berapa") < NEAR_IDENTICAL
    assert similarity(a + " a b c d e f g", a + " a b c d e f g not") < NEAR_IDENTICAL
    assert similarity(a + " a b c d e f g", a + " a b c d e f g 2") < NEAR_IDENTICAL
    assert similarity(a + " a b c d e f g", a + " a b c d e f g please") >= NEAR_IDENTICAL
