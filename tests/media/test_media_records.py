"""Media rows on SQLite and PostgreSQL: finding the ticket an image or page went to, showing it
to checkers, and deleting it with the voter or after the retention period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.escalation.checker_registry import CheckerRegistry
from bot.escalation.checkers_desk import CheckersDesk
from bot.escalation.ticket_rows import PlainTicketStore
from bot.escalation.tickets import TicketService
from bot.media.store import ImageStore
from bot.storage import Database
from bot.storage.models import MediaItem

CHECKER = 77
HASH = "f0" * 32
NEAR = "f1" * 4 + "f0" * 28  # 4 bits differ
FAR = "0f" * 32
CLAIM = "The Election Commission will close every polling station at noon on election day"
OTHER = "Voters over 70 will be allowed to vote by telephone in the general election"


def _ticket(repo: PlainTicketStore, user: int, text: str, **media: object) -> int:
    receipt = repo.escalate(user_id=user, chat_id=user, text=text, language="en")
    repo.record_media(user_id=user, chat_id=user, ticket_id=receipt.ticket_id, **media)
    return receipt.ticket_id


def test_a_near_image_with_agreeing_text_finds_its_ticket(database: Database) -> None:
    repo = PlainTicketStore(database)
    _ticket(repo, 1, CLAIM, kind="image", image_hash=HASH, read_text=CLAIM)
    key = repo.media_ticket_key(image_hash=NEAR, read_text=CLAIM.lower() + " 10:45")
    assert key is not None
    receipt = repo.escalate(user_id=2, chat_id=2, text="whatever OCR read", language="en",
                            key=key)
    assert receipt.joined_existing and receipt.askers == 2
    assert repo.media_ticket_key(image_hash=NEAR, read_text=OTHER) is None  # other words
    assert repo.media_ticket_key(image_hash=FAR, read_text=CLAIM) is None  # other picture


def test_a_page_is_found_by_its_canonical_url(database: Database) -> None:
    repo = PlainTicketStore(database)
    _ticket(repo, 1, CLAIM, kind="link", url="https://n.example/a?utm_source=x",
            canonical_url="https://n.example/a", title=CLAIM)
    assert repo.media_ticket_key(canonical_url="https://n.example/a") is not None
    assert repo.media_ticket_key(canonical_url="https://n.example/b") is None


def test_answered_tickets_are_found_rejected_ones_are_not(database: Database) -> None:
    repo = PlainTicketStore(database)
    service = TicketService(database, registry=CheckerRegistry(database, [CHECKER]))
    answered = _ticket(repo, 1, CLAIM, kind="image", image_hash=HASH, read_text=CLAIM)
    rejected = _ticket(repo, 2, OTHER, kind="image", image_hash=FAR, read_text=OTHER)
    service.answer(answered, CHECKER, verdict="false", explanation={"en": "No."},
                   sources=["https://example.org/x"])
    service.reject(rejected, CHECKER, reason="not a claim", category="not-a-claim")
    assert repo.media_ticket_key(image_hash=HASH, read_text=CLAIM) is not None
    assert repo.media_ticket_key(image_hash=FAR, read_text=OTHER) is None


def test_a_merged_ticket_sends_the_image_on_to_the_ticket_it_was_merged_into(
    database: Database,
) -> None:
    repo = PlainTicketStore(database)
    service = TicketService(database, registry=CheckerRegistry(database, [CHECKER]))
    target = _ticket(repo, 1, OTHER, kind="link", canonical_url="https://x.example/1")
    merged = _ticket(repo, 2, CLAIM, kind="image", image_hash=HASH, read_text=CLAIM)
    service.mark_duplicate(merged, target, CHECKER)
    key = repo.media_ticket_key(image_hash=HASH, read_text=CLAIM)
    receipt = repo.escalate(user_id=3, chat_id=3, text=CLAIM, language="en", key=key)
    assert receipt.ticket_id == target
    views = repo.media_of_ticket(target)  # the checkers of the target see both
    assert sorted(v.kind for v in views) == ["image", "link"]


def test_forget_and_retention_delete_rows_and_files_no_one_else_sent(
    database: Database, tmp_path: Path
) -> None:
    repo = PlainTicketStore(database)
    store = ImageStore(tmp_path / "media")
    shared = store.save(b"same picture bytes")
    own = store.save(b"only voter one sent this")
    assert store.save(b"same picture bytes") == shared  # one file per content
    _ticket(repo, 1, CLAIM, kind="image", image_hash=HASH, read_text=CLAIM, path=shared)
    _ticket(repo, 1, OTHER, kind="image", image_hash=FAR, read_text=OTHER, path=own)
    _ticket(repo, 2, CLAIM, kind="image", image_hash=HASH, read_text=CLAIM, path=shared)

    assert repo.forget_voter(1) >= 3  # two media rows among what went
    assert not Path(own).exists() and Path(shared).exists()  # voter 2 still has it
    with database.session() as session:
        assert session.query(MediaItem).count() == 1

    later = datetime.now(UTC) + timedelta(days=31)
    repo.purge_questions(30, later)
    assert not Path(shared).exists()
    with database.session() as session:
        assert session.query(MediaItem).count() == 0


def test_only_files_named_as_the_store_names_them_are_ever_deleted(
    database: Database, tmp_path: Path
) -> None:
    repo = PlainTicketStore(database)
    precious = tmp_path / "precious.txt"
    precious.write_text("not an image of ours")
    _ticket(repo, 1, CLAIM, kind="image", image_hash=HASH, path=str(precious))
    repo.forget_voter(1)
    assert precious.exists()


def test_the_checkers_card_shows_the_image_and_the_links(
    database: Database, tmp_path: Path
) -> None:
    repo = PlainTicketStore(database)
    service = TicketService(database, registry=CheckerRegistry(database, [CHECKER]))
    path = ImageStore(tmp_path).save(b"jpeg bytes")
    ticket = _ticket(repo, 1, CLAIM, kind="image", image_hash=HASH, read_text=CLAIM, path=path)
    repo.record_media(user_id=2, chat_id=2, ticket_id=ticket, kind="link",
                      url="https://n.example/a?x=<b>", title="A <title>",
                      read_text="A <title>\nWhat the page says, read for the checkers.")
    card = CheckersDesk(service, chat_id=-100).ticket_card(ticket)
    assert card.photo == path
    assert 'href="https://n.example/a?x=&lt;b&gt;"' in card.text
    assert "A &lt;title&gt;" in card.text
    assert "What the page says, read for the checkers." in card.text
    assert card.buttons  # still the checker's buttons
