"""The matcher's answers are cached per knowledge version: copies of a rumour are matched once,
and a reload (new knowledge, new matcher) is never answered from the old knowledge's cache."""

from __future__ import annotations

import shutil

from bot.core.match_cache import MatchCache

INK = "The ink on your finger after voting contains a tracking chip"


async def test_copies_of_a_message_are_matched_once_with_the_same_answer(services, new_chat):
    cache = services.conversation.deps.match_cache
    first = new_chat(user_id=2001)
    replies_first = await first.say("Can I vote by SMS?")
    misses = cache.misses
    assert len(cache) == 1
    second = new_chat(user_id=2002)
    replies_second = await second.say("Can I vote by SMS?")
    assert cache.hits >= 1 and cache.misses == misses  # the second voter's copy: no matching
    assert [r.text for r in replies_second] == [r.text for r in replies_first]
    assert [b.label for b in second.buttons()] == [b.label for b in first.buttons()]


async def test_a_reload_is_not_answered_from_the_old_knowledge(
    make_services, chat_on, kb_small, tmp_path
):
    kb = tmp_path / "kb"
    shutil.copytree(kb_small, kb)
    services = make_services(knowledge_dir=kb)
    chat = chat_on(services, user_id=3001)
    await chat.say(INK)
    assert "ordinary indelible ink" not in chat.text()  # unknown to this knowledge
    (kb / "new.yml").write_text(
        "id: new-ink-finger\nkind: claim\nverdict: false\n"
        f"text: {{en: '{INK}'}}\n"
        "answer: {en: 'False. It is ordinary indelible ink.'}\n"
        "sources: [{url: 'https://www.spr.gov.my/'}]\n",
        encoding="utf-8",
    )
    assert await services.reload_knowledge()
    card = await chat_on(services, user_id=3002).card(INK, "ink")
    assert "ordinary indelible ink" in card.text
    await services.conversation.aclose()


def test_the_cache_is_bounded_and_forgets_another_matchers_answers(small_matcher):
    cache = MatchCache(size=2)
    a = cache.match(small_matcher, "vote by sms", "en")
    cache.match(small_matcher, "bring your own pen", "en")
    assert cache.match(small_matcher, "vote by sms", "en") is a  # hit, now most recent
    cache.match(small_matcher, "ink tracking chip", "en")  # evicts the pen
    assert len(cache) == 2
    assert cache.get(small_matcher, "bring your own pen", "en") is None
    assert cache.get(small_matcher, "vote by sms", "en") is a
    other = small_matcher.updated(small_matcher.entries.values())
    assert cache.get(other, "vote by sms", "en") is None  # another matcher: never the old answer
    assert cache.match(other, "vote by sms", "en") == a  # same knowledge, same answer
    assert len(cache) == 1  # the old matcher's answers are gone
