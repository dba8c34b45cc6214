"""Learned phrasings: the rows behind "learning from voters" (issue #15; bot/core/learned.py).

`LearnedPhrasings` is a mixin of bot.storage.Repository, so the conversation reaches these
methods as it reaches every other repository method (`ctx.store.confirm_pick(...)`), and the
`factcheck kb learned` command lists, confirms, rejects and exports through the same class.

When is a phrasing served? It is not rejected, and either a checker confirmed it or at least
`VOTERS_TO_LEARN` different voters picked its entry for it and no voter said "not what I asked"
of that entry for it: one dissent is enough to fall back to the list until a checker decides,
because a wrong direct answer costs more than a tap. A checker's rejection is final.

Privacy: a phrasing is a voter's message, normalised. Votes hang off the voter (deleted with
them, /forget); a phrasing left without votes is deleted too, unless a checker confirmed it (then
its words are the checker's, as a ticket's wording is) or rejected it (then its words are blanked
and only the key stays, so the rejection still holds).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from bot.core.ports import LearnedLookup, LearnedPhrase

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.storage.database import Database

#: Different voters who must confirm the same entry for the same phrasing before it is served.
VOTERS_TO_LEARN = 2


def phrase_key(phrase: str) -> str:
    """The lookup key of a normalised phrasing (fixed length: phrasings can be long)."""
    return hashlib.sha256(phrase.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PhrasingView:
    """A phrasing as `factcheck kb learned` shows it to checkers."""

    id: int
    phrase: str
    language: str
    entry_id: str
    agree: int
    disagree: int
    confirmed_by: int | None
    rejected: bool
    created_at: datetime

    @property
    def learned(self) -> bool:
        return served(self.agree, self.disagree, self.confirmed_by, self.rejected)

    @property
    def status(self) -> str:
        if self.rejected:
            return "rejected"
        return "learned" if self.learned else "pending"


def served(agree: int, disagree: int, confirmed_by: int | None, rejected: bool) -> bool:
    """The rule of the module doc, in one place."""
    if rejected:
        return False
    return confirmed_by is not None or (agree >= VOTERS_TO_LEARN and disagree == 0)


def _tables() -> tuple[Any, Any, Any]:
    """The storage models, imported on first use (bot.storage.models imports bot.core.ports)."""
    from bot.storage.models import LearnedPhrasing, PhrasingVote, Voter

    return LearnedPhrasing, PhrasingVote, Voter


class LearnedPhrasings:
    db: Database

    def voter_row(self, session: Session, user_id: int, chat_id: int | None = None) -> Any:
        """The voter's row, created on first contact: the Repository's (this is a mixin)."""
        raise NotImplementedError

    def _voter_id(self, session: Session, user_id: int) -> int:
        return int(self.voter_row(session, user_id).id)

    # -- the conversation (bot.core.ports.LearningStore) ---------------------------------------
    def confirm_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, language: str,
        entry_id: str,
    ) -> None:
        LearnedPhrasing, PhrasingVote, _ = _tables()
        key = phrase_key(phrase)
        with self.db.session() as session:
            voter_id = self._voter_id(session, user_id)
            phrasing = session.scalar(
                select(LearnedPhrasing).where(
                    LearnedPhrasing.phrase_key == key, LearnedPhrasing.entry_id == entry_id
                )
            )
            if phrasing is None:
                phrasing = LearnedPhrasing(
                    phrase_key=key, phrase=phrase, language=language, entry_id=entry_id
                )
                session.add(phrasing)
                session.flush()
            elif not phrasing.phrase:  # blanked by /forget: a voter's words again
                phrasing.phrase = phrase
            # One voter, one entry per phrasing: a later pick for the same words replaces theirs.
            others = select(LearnedPhrasing.id).where(
                LearnedPhrasing.phrase_key == key, LearnedPhrasing.id != phrasing.id
            )
            session.execute(
                delete(PhrasingVote).where(
                    PhrasingVote.voter_id == voter_id, PhrasingVote.agrees.is_(True),
                    PhrasingVote.phrasing_id.in_(others),
                )
            )
            self._vote(session, phrasing.id, voter_id, question_id, agrees=True)

    def withdraw_pick(
        self, *, user_id: int, question_id: int | None, phrase: str, entry_id: str
    ) -> None:
        LearnedPhrasing, _, _ = _tables()
        with self.db.session() as session:
            phrasing_id = session.scalar(
                select(LearnedPhrasing.id).where(
                    LearnedPhrasing.phrase_key == phrase_key(phrase),
                    LearnedPhrasing.entry_id == entry_id,
                )
            )
            if phrasing_id is None:
                return
            voter_id = self._voter_id(session, user_id)
            self._vote(session, phrasing_id, voter_id, question_id, agrees=False)

    def learned_for(self, *, phrase: str, entry_ids: tuple[str, ...]) -> LearnedLookup:
        LearnedPhrasing, PhrasingVote, _ = _tables()
        if not entry_ids:
            return LearnedLookup()
        key = phrase_key(phrase)
        with self.db.session() as session:
            rows = session.execute(
                select(
                    LearnedPhrasing.id, LearnedPhrasing.phrase, LearnedPhrasing.phrase_key,
                    LearnedPhrasing.entry_id, LearnedPhrasing.confirmed_by,
                    LearnedPhrasing.rejected_at,
                ).where(LearnedPhrasing.entry_id.in_(sorted(set(entry_ids))))
            ).all()
            counts = self._counts(session, [row.id for row in rows])
        learned: list[LearnedPhrase] = []
        rejected: set[str] = set()
        for row in rows:
            if row.rejected_at is not None:
                if row.phrase_key == key:
                    rejected.add(row.entry_id)
                continue
            agree, disagree = counts.get(row.id, (0, 0))
            if row.phrase and served(agree, disagree, row.confirmed_by, False):
                learned.append(LearnedPhrase(row.id, row.phrase, row.entry_id))
        return LearnedLookup(tuple(learned), frozenset(rejected))

    @staticmethod
    def _vote(
        session: Session, phrasing_id: int, voter_id: int, question_id: int | None, *,
        agrees: bool,
    ) -> None:
        _, PhrasingVote, _ = _tables()
        vote = session.scalar(
            select(PhrasingVote).where(
                PhrasingVote.phrasing_id == phrasing_id, PhrasingVote.voter_id == voter_id
            )
        )
        if vote is None:
            session.add(
                PhrasingVote(
                    phrasing_id=phrasing_id, voter_id=voter_id, question_id=question_id,
                    agrees=agrees,
                )
            )
        else:
            vote.agrees = agrees
            if question_id is not None:
                vote.question_id = question_id

    @staticmethod
    def _counts(session: Session, phrasing_ids: list[int]) -> dict[int, tuple[int, int]]:
        """(agreeing, dissenting) voters per phrasing."""
        _, PhrasingVote, _ = _tables()
        if not phrasing_ids:
            return {}
        agree: Counter[int] = Counter()
        disagree: Counter[int] = Counter()
        for phrasing_id, agrees in session.execute(
            select(PhrasingVote.phrasing_id, PhrasingVote.agrees).where(
                PhrasingVote.phrasing_id.in_(phrasing_ids)
            )
        ):
            (agree if agrees else disagree)[phrasing_id] += 1
        return {i: (agree[i], disagree[i]) for i in phrasing_ids}

    # -- /forget ---------------------------------------------------------------------------------
    def forget_learned_votes(self, session: Session, voter_id: int) -> int:
        """Delete the voter's votes (in the caller's /forget transaction) and the phrasings only
        they kept; returns how many rows of theirs went. See the module doc for what stays."""
        LearnedPhrasing, PhrasingVote, _ = _tables()
        touched = list(
            session.scalars(
                select(PhrasingVote.phrasing_id).where(PhrasingVote.voter_id == voter_id)
            )
        )
        if not touched:
            return 0
        session.execute(delete(PhrasingVote).where(PhrasingVote.voter_id == voter_id))
        left = set(
            session.scalars(
                select(PhrasingVote.phrasing_id).where(PhrasingVote.phrasing_id.in_(touched))
            )
        )
        for phrasing in session.scalars(
            select(LearnedPhrasing).where(LearnedPhrasing.id.in_(touched))
        ):
            if phrasing.id in left or phrasing.confirmed_by is not None:
                continue
            if phrasing.rejected_at is not None:
                phrasing.phrase = ""
            else:
                session.delete(phrasing)
        return len(touched)

    # -- checkers (factcheck kb learned) ---------------------------------------------------------
    def list_learned(self, *, include_rejected: bool = True) -> list[PhrasingView]:
        LearnedPhrasing, _, _ = _tables()
        with self.db.session() as session:
            rows = list(session.scalars(select(LearnedPhrasing).order_by(LearnedPhrasing.id)))
            counts = self._counts(session, [row.id for row in rows])
            views = [
                PhrasingView(
                    row.id, row.phrase, row.language, row.entry_id, *counts.get(row.id, (0, 0)),
                    row.confirmed_by, row.rejected_at is not None, row.created_at,
                )
                for row in rows
            ]
        return [v for v in views if include_rejected or not v.rejected]

    def decide_learned(self, phrasing_id: int, *, checker_id: int, confirm: bool) -> bool:
        """A checker confirms (served from now on) or rejects (never served again) a phrasing;
        False when there is no such phrasing."""
        LearnedPhrasing, _, _ = _tables()
        with self.db.session() as session:
            phrasing = session.get(LearnedPhrasing, phrasing_id)
            if phrasing is None:
                return False
            if confirm:
                phrasing.confirmed_by = checker_id
                phrasing.rejected_at, phrasing.rejected_by = None, None
            else:
                phrasing.rejected_at, phrasing.rejected_by = datetime.now(UTC), checker_id
                phrasing.confirmed_by = None
            return True


__all__ = ["VOTERS_TO_LEARN", "LearnedPhrasings", "PhrasingView", "phrase_key", "served"]
