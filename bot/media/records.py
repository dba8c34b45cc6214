"""The media rows (bot.storage.models.MediaItem): recorded with escalations, looked up to send
the same image or page to the same ticket, shown to checkers, deleted with the voter.

`MediaRecords` is a mixin of bot.storage.Repository, so the conversation reaches these methods
the way it reaches every other repository method (`ctx.store.record_media(...)`).

When is a new image "the same" as one already sent to a ticket? Its perceptual hash is within
SAME_IMAGE_BITS of that image's, and, when both have text, the texts read from them agree (a
character-trigram overlap of at least TEXT_AGREEMENT): two screenshots of one chat app with
different messages can be close in hash, never in text. An image with little text must be
closer (STRICT_BITS). A link is the same page when its canonical URL is.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from bot.media.image_hash import SAME_IMAGE_BITS, distance
from bot.media.store import delete_image_file

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.storage.database import Database

#: Ticket statuses a matching image or link is sent to: open (join it), answered (get the
#: answer at once). Rejected tickets do not capture new copies: they are asked afresh.
JOINABLE = ("open", "taken", "answered")
TEXT_AGREEMENT = 0.5
#: Below this many letters read, an image's text says too little to compare.
MIN_TEXT = 15
STRICT_BITS = 10
#: How many recent image rows are compared with a new image (newest first).
SCAN_LIMIT = 5000


@dataclass(frozen=True)
class MediaView:
    kind: str
    path: str | None
    url: str | None
    canonical_url: str | None
    title: str | None
    read_text: str | None
    created_at: datetime


def _tables() -> tuple[Any, Any, Any]:
    """The storage models, imported on first use (bot.storage imports this module)."""
    from bot.storage.models import MediaItem, Ticket, Voter

    return MediaItem, Ticket, Voter


def trigrams(text: str) -> set[str]:
    folded = "".join(
        ch for ch in unicodedata.normalize("NFKC", text).casefold()
        if unicodedata.category(ch)[0] in "LNM"
    )
    return {folded[i : i + 3] for i in range(max(0, len(folded) - 2))}


def texts_agree(a: str, b: str) -> bool | None:
    """True/False when both texts say enough to compare, else None."""
    ta, tb = trigrams(a), trigrams(b)
    if len(ta) < MIN_TEXT or len(tb) < MIN_TEXT:
        return None
    return len(ta & tb) / len(ta | tb) >= TEXT_AGREEMENT


def same_image(hash_a: str, text_a: str, hash_b: str, text_b: str) -> bool:
    bits = distance(hash_a, hash_b)
    if bits > SAME_IMAGE_BITS:
        return False
    agree = texts_agree(text_a, text_b)
    return agree if agree is not None else bits <= STRICT_BITS


def media_lines(views: list[MediaView], *, read_chars: int = 300) -> list[str]:
    """How checkers see what voters sent (the CLI; the Telegram group shows the image itself):
    "Image: PATH" / "Link: URL (title)", each with what was read from it."""
    lines = []
    for view in views:
        if view.kind == "image":
            lines.append(f"Image: {view.path or '(not kept)'}")
        else:
            title = f" ({view.title})" if view.title else ""
            lines.append(f"Link: {view.url or view.canonical_url}{title}")
        read = " ".join((view.read_text or "").split())
        if len(read) > read_chars:
            read = read[:read_chars] + "…"
        if read:
            lines.append(f"  read: {read}")
    return lines


def media_json(views: list[MediaView]) -> list[dict[str, object]]:
    return [
        {"kind": v.kind, "path": v.path, "url": v.url, "canonical_url": v.canonical_url,
         "title": v.title, "read_text": v.read_text, "created_at": v.created_at}
        for v in views
    ]


class MediaRecords:
    """Mixin for bot.storage.Repository (which provides `self.db` and `resolve_duplicates`)."""

    db: Database

    def record_media(
        self,
        *,
        user_id: int,
        chat_id: int,
        kind: str,
        question_id: int | None = None,
        ticket_id: int | None = None,
        image_hash: str | None = None,
        sha256: str | None = None,
        path: str | None = None,
        url: str | None = None,
        canonical_url: str | None = None,
        title: str | None = None,
        read_text: str | None = None,
    ) -> int:
        MediaItem, Ticket, Voter = _tables()
        with self.db.session() as session:
            voter = self.voter_row(session, user_id, chat_id)  # type: ignore[attr-defined]
            item = MediaItem(
                voter_id=voter.id, question_id=question_id, ticket_id=ticket_id, kind=kind,
                image_hash=image_hash, sha256=sha256, path=path, url=url,
                canonical_url=canonical_url, title=title, read_text=read_text,
            )
            session.add(item)
            session.flush()
            return item.id

    def media_ticket_key(
        self, *, image_hash: str | None = None, read_text: str = "",
        canonical_url: str | None = None,
    ) -> str | None:
        """The claim key of the ticket the same image or page went to, if that ticket (or the
        one it was merged into) is open or answered; None when there is none."""
        MediaItem, Ticket, Voter = _tables()
        with self.db.session() as session:
            ticket_ids: list[int] = []
            if canonical_url:
                ticket_ids += session.scalars(
                    select(MediaItem.ticket_id)
                    .where(MediaItem.canonical_url == canonical_url,
                           MediaItem.ticket_id.is_not(None))
                    .order_by(MediaItem.id)
                    .limit(20)
                ).all()
            if image_hash:
                rows = session.execute(
                    select(MediaItem.ticket_id, MediaItem.image_hash, MediaItem.read_text)
                    .where(MediaItem.image_hash.is_not(None), MediaItem.ticket_id.is_not(None))
                    .order_by(MediaItem.id.desc())
                    .limit(SCAN_LIMIT)
                ).all()
                near = sorted(
                    (distance(image_hash, row.image_hash), row.ticket_id) for row in rows
                    if same_image(image_hash, read_text, row.image_hash, row.read_text or "")
                )
                ticket_ids += [ticket_id for _, ticket_id in near]
            for ticket_id in dict.fromkeys(ticket_ids):
                ticket = session.get(Ticket, ticket_id)
                if ticket is None:
                    continue
                root = self.resolve_duplicates(session, ticket)  # type: ignore[attr-defined]
                if root.status in JOINABLE:
                    return root.claim_key
            return None

    def media_of_ticket(self, ticket_id: int) -> list[MediaView]:
        """What voters sent to this ticket and to tickets merged into it, oldest first, one
        view per distinct image or page."""
        MediaItem, Ticket, Voter = _tables()
        with self.db.session() as session:
            ids = [ticket_id, *session.scalars(
                select(Ticket.id).where(Ticket.duplicate_of == ticket_id)
            ).all()]
            rows = session.scalars(
                select(MediaItem).where(MediaItem.ticket_id.in_(ids)).order_by(MediaItem.id)
            ).all()
            seen: set[str] = set()
            views = []
            for row in rows:
                key = row.path or row.canonical_url or row.url or f"#{row.id}"
                if key in seen:
                    continue
                seen.add(key)
                views.append(MediaView(
                    row.kind, row.path, row.url, row.canonical_url, row.title, row.read_text,
                    row.created_at,
                ))
            return views

    # -- retention and /forget -------------------------------------------------------------
    @staticmethod
    def media_paths_of_voter(session: Session, voter_id: int) -> list[str]:
        MediaItem, Ticket, Voter = _tables()
        return [p for p in session.scalars(
            select(MediaItem.path).where(MediaItem.voter_id == voter_id,
                                         MediaItem.path.is_not(None))
        ).all() if p]

    def delete_unreferenced_files(self, paths: list[str]) -> int:
        """Delete the image files among `paths` that no media row points at any more."""
        MediaItem, Ticket, Voter = _tables()
        deleted = 0
        for path in dict.fromkeys(paths):
            with self.db.session() as session:
                still = session.scalar(
                    select(func.count()).select_from(MediaItem).where(MediaItem.path == path)
                )
            if not still and delete_image_file(path):
                deleted += 1
        return deleted

    def purge_media(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete media rows (and their image files) past the retention period."""
        MediaItem, Ticket, Voter = _tables()
        cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
        with self.db.session() as session:
            paths = [p for p in session.scalars(
                select(MediaItem.path).where(MediaItem.created_at < cutoff,
                                             MediaItem.path.is_not(None))
            ).all() if p]
            result = session.execute(delete(MediaItem).where(MediaItem.created_at < cutoff))
            purged = int(getattr(result, "rowcount", 0) or 0)
        self.delete_unreferenced_files(paths)
        return purged

    def forget_media(self, user_id: int) -> int:
        """Delete the voter's media rows and the image files only they sent."""
        MediaItem, Ticket, Voter = _tables()
        with self.db.session() as session:
            voter = session.scalar(select(Voter).where(Voter.telegram_id == user_id))
            if voter is None:
                return 0
            paths = self.media_paths_of_voter(session, voter.id)
            result = session.execute(delete(MediaItem).where(MediaItem.voter_id == voter.id))
            removed = int(getattr(result, "rowcount", 0) or 0)
        self.delete_unreferenced_files(paths)
        return removed
