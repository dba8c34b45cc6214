"""One spooled escalation that can never be stored must not keep the others from fact-checkers.

On a real database (SQLite and PostgreSQL): an item the database refuses for a reason of its own
is set aside (kept in `<spool>.rejected`, logged, counted) and the items behind it are delivered;
text that no encoder takes (a lone surrogate, from a spool file or a message) is made storable
where it enters instead of failing where it is stored.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.core import Spool
from bot.escalation.ticket_rows import PlainTicketStore
from bot.monitoring import metrics
from bot.storage.models import Ticket


def _write_spool(path, items: list[dict]) -> None:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")


def _claims(database) -> list[str]:
    with database.session() as session:
        return sorted(session.scalars(select(Ticket.claim_text)))


def test_an_item_the_database_refuses_is_set_aside_and_the_rest_drain(
    database, tmp_path, caplog
):
    path = tmp_path / "spool.jsonl"
    _write_spool(path, [
        # A Telegram id no database integer holds: this item can never be stored.
        {"user_id": 2**70, "chat_id": 1, "text": "poisoned claim about ballots", "language": "en"},
        {"user_id": 7, "chat_id": 7, "text": "the army swapped the ballot boxes", "language": "en"},
    ])
    spool = Spool(path)
    before = metrics.SPOOL_SET_ASIDE.total()

    assert spool.drain(PlainTicketStore(database)) == 1
    assert _claims(database) == ["the army swapped the ballot boxes"]
    assert len(spool) == 0 and path.read_text(encoding="utf-8") == ""
    rejected = path.with_name("spool.jsonl.rejected").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in rejected] == ["poisoned claim about ballots"]
    assert metrics.SPOOL_SET_ASIDE.total() == before + 1
    assert "set aside" in caplog.text

    # /forget reaches what was set aside too.
    assert spool.forget_user(2**70) == 1
    assert path.with_name("spool.jsonl.rejected").read_text(encoding="utf-8") == ""


def test_a_lone_surrogate_in_the_spool_file_no_longer_blocks_it(database, tmp_path):
    path = tmp_path / "spool.jsonl"
    # Written by a version that did not clean text: JSON may escape a lone surrogate.
    path.write_text(
        '{"user_id": 1, "chat_id": 1, "text": "\\ud800 vote twice in Kedah", "language": "en"}\n'
        '{"user_id": 2, "chat_id": 2, "text": "ballots burned in Perak", "language": "en"}\n',
        encoding="utf-8",
    )
    spool = Spool(path)
    assert spool.drain(PlainTicketStore(database)) == 2
    assert _claims(database) == ["ballots burned in Perak", "\ufffd vote twice in Kedah"]


def test_text_is_made_storable_where_it_enters_the_spool(database, tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    assert spool.add(user_id=3, chat_id=3, text="fake\x00 \udcff results", language="en")
    assert Spool(tmp_path / "spool.jsonl").pending()[0].text == "fake \ufffd results"
    assert spool.drain(PlainTicketStore(database)) == 1
    assert _claims(database) == ["fake \ufffd results"]
