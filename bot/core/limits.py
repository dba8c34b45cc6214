"""Per-voter rate limits: a sliding minute window and a sliding day window, in memory.

A flood (a script, a stuck client, someone pasting a chat log line by line) must not starve other
voters or fill the fact-checkers' queue. The voter is told once per limited stretch, not once per
message: repeating the notice to someone who is flooding only adds to the flood.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

MINUTE = 60.0
DAY = 86_400.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    notify: bool = False  # True once, on the first refused message of a limited stretch
    window: Literal["minute", "day"] | None = None
    retry_after: float = 0.0


@dataclass
class _Voter:
    minute: deque[float] = field(default_factory=deque)
    day: deque[float] = field(default_factory=deque)
    notified_until: float = 0.0


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        per_day: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_voters: int = 100_000,
    ) -> None:
        self.per_minute = per_minute
        self.per_day = per_day
        self.clock = clock
        self.max_voters = max_voters
        self._voters: dict[int, _Voter] = {}

    def check(self, user_id: int) -> Verdict:
        """Count one message from `user_id` and say whether it may be handled.

        Refused messages are not counted, so a voter who keeps trying is let in again as soon
        as the window slides, not punished for the retries.
        """
        now = self.clock()
        voter = self._voters.get(user_id)
        if voter is None:
            if len(self._voters) >= self.max_voters:
                self._evict(now)
            voter = self._voters[user_id] = _Voter()
        while voter.minute and voter.minute[0] <= now - MINUTE:
            voter.minute.popleft()
        while voter.day and voter.day[0] <= now - DAY:
            voter.day.popleft()
        if len(voter.day) >= self.per_day:
            return self._refuse(voter, now, "day", voter.day[0] + DAY - now)
        if len(voter.minute) >= self.per_minute:
            return self._refuse(voter, now, "minute", voter.minute[0] + MINUTE - now)
        voter.minute.append(now)
        voter.day.append(now)
        return Verdict(True)

    def would_allow(self, user_id: int) -> bool:
        """Whether `check` would let the next message of `user_id` through, without counting it
        (the conversation asks before it spends seconds reading a voter's image or link)."""
        voter = self._voters.get(user_id)
        if voter is None:
            return True
        now = self.clock()
        in_minute = sum(1 for at in voter.minute if at > now - MINUTE)
        in_day = sum(1 for at in voter.day if at > now - DAY)
        return in_day < self.per_day and in_minute < self.per_minute

    def _refuse(self, voter: _Voter, now: float, window: Literal["minute", "day"],
                retry_after: float) -> Verdict:
        notify = now >= voter.notified_until
        if notify:
            voter.notified_until = now + retry_after
        return Verdict(False, notify, window, retry_after)

    def _evict(self, now: float) -> None:
        """Drop voters with nothing in their day window (and, if that is not enough, the half
        least recently seen), so memory stays bounded under a flood of new accounts."""
        idle = [uid for uid, v in self._voters.items() if not v.day or v.day[-1] <= now - DAY]
        for uid in idle:
            del self._voters[uid]
        if len(self._voters) >= self.max_voters:
            by_age = sorted(self._voters, key=lambda uid: self._voters[uid].day[-1])
            for uid in by_age[: len(by_age) // 2]:
                del self._voters[uid]
