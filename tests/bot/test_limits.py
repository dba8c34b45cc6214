"""Per-voter rate limits: sliding windows, and one polite notice per limited stretch."""

from __future__ import annotations

from bot.core import Incoming
from bot.core.limits import RateLimiter
from bot.texts import t


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_minute_window_slides():
    clock = Clock()
    limiter = RateLimiter(3, 100, clock=clock)
    assert all(limiter.check(1).allowed for _ in range(3))
    refused = limiter.check(1)
    assert not refused.allowed and refused.notify and refused.window == "minute"
    assert not limiter.check(1).notify  # told once, not on every message
    assert limiter.check(2).allowed  # other voters are not affected
    clock.now += 59
    assert not limiter.check(1).allowed
    clock.now += 1.5
    assert limiter.check(1).allowed  # the first message left the window


def test_notice_comes_again_in_a_later_stretch():
    clock = Clock()
    limiter = RateLimiter(1, 100, clock=clock)
    assert limiter.check(1).allowed
    assert limiter.check(1).notify
    clock.now += 61
    assert limiter.check(1).allowed
    assert limiter.check(1).notify


def test_day_window():
    clock = Clock()
    limiter = RateLimiter(1000, 5, clock=clock)
    for _ in range(5):
        assert limiter.check(1).allowed
        clock.now += 1
    refused = limiter.check(1)
    assert refused.window == "day" and refused.notify
    clock.now += 86_400
    assert limiter.check(1).allowed


def test_memory_stays_bounded():
    clock = Clock()
    limiter = RateLimiter(10, 100, clock=clock, max_voters=100)
    for user in range(1000):
        limiter.check(user)
        clock.now += 0.01
    assert len(limiter._voters) <= 100


async def test_conversation_sends_the_notice_once(make_services):
    services = make_services(rate_limit_per_minute=3)
    conversation = services.conversation
    replies = [
        await conversation.handle(Incoming.from_text(7, 7, "/help", language_code="ms"))
        for _ in range(6)
    ]
    assert all(r and r[0].text == t("ms", "help") for r in replies[:3])
    assert replies[3][0].text == t("ms", "rate_limited_minute")
    assert replies[4] == [] and replies[5] == []
    other = await conversation.handle(Incoming.from_text(8, 8, "/help"))
    assert other[0].text == t("en", "help")


def test_would_allow_says_what_check_would_without_counting() -> None:
    from bot.core.limits import RateLimiter

    now = [0.0]
    limiter = RateLimiter(2, 100, clock=lambda: now[0])
    assert limiter.would_allow(7)
    assert limiter.check(7).allowed and limiter.would_allow(7)
    assert limiter.check(7).allowed and not limiter.would_allow(7)
    assert not limiter.would_allow(7)  # asking again counts nothing
    now[0] = 61.0
    assert limiter.would_allow(7) and limiter.check(7).allowed
