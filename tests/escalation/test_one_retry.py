"""A lost race is retried once, at the transaction boundary (issue #18): the steps inside an
escalation are single attempts, so a claim that keeps failing is tried `attempts` times in all,
not `attempts` times for every attempt of every layer around it (which once made 16 of 4)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.tickets import TicketService
from bot.storage import Database, Repository

#: retry_on_conflict's default number of attempts.
ATTEMPTS = 4


def always_conflicting(calls: list[str], name: str):  # type: ignore[no-untyped-def]
    def conflict(*args: object, **kwargs: object) -> None:
        calls.append(name)
        raise IntegrityError("INSERT", {}, Exception("unique violation"))

    return conflict


def test_a_plain_escalation_is_tried_four_times_in_all(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = PlainTicketStore(database)
    calls: list[str] = []
    monkeypatch.setattr(repo.rows, "_escalate", always_conflicting(calls, "transaction"))
    with pytest.raises(IntegrityError):
        repo.escalate(user_id=1, chat_id=1, text="Ballots are burned", language="en")
    assert calls == ["transaction"] * ATTEMPTS


@pytest.mark.parametrize("step", ["_join_answered", "open_or_join"])
def test_an_escalation_through_the_ticket_service_is_tried_four_times_in_all(
    database: Database, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    service = TicketService(database, repository=Repository(database))
    calls: list[str] = []
    owner = service if step == "_join_answered" else service.rows
    monkeypatch.setattr(owner, step, always_conflicting(calls, step))
    with pytest.raises(IntegrityError):
        service.escalate_or_join(1, 1, "Ballots are burned", "en")
    assert calls == [step] * ATTEMPTS
