"""A voter's pick from a "did you mean" list is stored on their question (issue #15: trends
count a pick as that entry), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage import Database, Repository
from bot.storage.models import Question


def _ask(repo: Repository, user_id: int) -> int:
    return repo.record_question(
        user_id=user_id, chat_id=user_id, text="where do I vote?", language="en", intent=None,
        decision="clarify", entry_id=None, score=0.5,
    )


def test_a_pick_sets_the_questions_entry_only_for_its_own_voter(database: Database) -> None:
    repo = Repository(database)
    mine, theirs = _ask(repo, 1), _ask(repo, 2)
    repo.record_pick(question_id=mine, user_id=1, entry_id="th-where-to-vote")
    repo.record_pick(question_id=theirs, user_id=1, entry_id="th-where-to-vote")  # not theirs
    repo.record_pick(question_id=9999, user_id=1, entry_id="x")  # gone: nothing happens
    with database.session() as session:
        rows = dict(session.execute(select(Question.id, Question.entry_id)).all())
    assert rows == {mine: "th-where-to-vote", theirs: None}
    # A later pick (after "not what I asked") replaces it.
    repo.record_pick(question_id=mine, user_id=1, entry_id="my-where-to-vote")
    with database.session() as session:
        assert session.get(Question, mine).entry_id == "my-where-to-vote"
