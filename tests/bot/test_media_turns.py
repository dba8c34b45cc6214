"""Screenshots, photos and links in the conversation (issue #19), on the real services: the real
matcher, SQLite, Tesseract, and a local HTTP server for links."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pages import PageServer, page
from PIL import Image
from screenshots import Style, available_fonts, jpeg, render, screenshot
from sqlalchemy import select

from bot.core.messages import Incoming, Reply
from bot.media.model import ImageInput
from bot.media.ocr import OcrEngine
from bot.storage.models import MediaItem, OutboxMessage, Ticket
from bot.texts import t

needs_ocr = pytest.mark.skipif(
    not OcrEngine().available or not all(available_fonts()),
    reason="Tesseract (tha, msa, eng) or fonts missing: scripts/install-system-deps.sh --fonts",
)

KNOWN = "You can vote by SMS or online in this election, just send your ID number"
UNKNOWN = (
    "The Election Commission will close every polling station at noon on election day "
    "because of the heat wave, so vote in the morning"
)
CHECKER = 900


def _style(kind: str = "chat", **kwargs: object) -> Style:
    thai, latin = available_fonts()
    return Style(kind, thai[0], latin[0], **kwargs)  # type: ignore[arg-type]


def _image(user_id: int, data: bytes, caption: str = "") -> Incoming:
    return Incoming(user_id, user_id, text=caption, image=ImageInput(data))


async def _send(services, user_id: int, data: bytes, caption: str = "") -> list[Reply]:
    return await services.conversation.handle(_image(user_id, data, caption))


def _media(services) -> list[MediaItem]:
    with services.database.session() as session:
        return list(session.scalars(select(MediaItem).order_by(MediaItem.id)))


def _tickets(services) -> list[Ticket]:
    with services.database.session() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


@needs_ocr
async def test_a_screenshot_of_a_checked_claim_gets_its_card(services) -> None:
    replies = await _send(services, 1, screenshot(KNOWN, _style("post")))
    text = "\n".join(r.text for r in replies)
    buttons = [b.label for r in replies for b in r.all_buttons()]
    # the card itself, or "did you mean" with the SMS claim first
    assert "FALSE" in text or any("SMS" in label for label in buttons), text


@needs_ocr
async def test_one_image_one_ticket_every_sender_waits_and_the_answer_reaches_the_next(
    make_services,
) -> None:
    services = make_services(checker_ids=str(CHECKER))
    try:
        original = render(UNKNOWN, _style("chat"))
        first = await _send(services, 1, jpeg(original, 80))
        assert [r.text for r in first] == [t("en", "escalated_new")]
        (ticket,) = _tickets(services)
        assert "polling station at noon" in ticket.claim_text
        (item,) = _media(services)
        assert item.kind == "image" and item.ticket_id == ticket.id and item.image_hash
        assert Path(item.path).exists() and Path(item.path).is_relative_to(
            services.settings.media_dir
        )

        # forwarded: smaller and re-compressed; OCR may read it a little differently
        forwarded = jpeg(original.resize((original.width * 2 // 3, original.height * 2 // 3)), 45)
        second = await _send(services, 2, forwarded)
        assert [r.text for r in second] == [t("en", "escalated_joined", askers=2)]
        assert [(x.id, x.askers) for x in _tickets(services)] == [(ticket.id, 2)]

        services.escalation.tickets.answer(
            ticket.id, CHECKER, verdict="false",
            explanation={"en": "Polling hours are not changed."},
            sources=["https://example.org/ec-statement"],
        )
        third = await _send(services, 3, jpeg(original, 30))
        assert [r.text for r in third] == [t("en", "escalated_answered")]
        with services.database.session() as session:
            answers = session.scalars(
                select(OutboxMessage.chat_id).where(OutboxMessage.ticket_id == ticket.id)
            ).all()
        assert sorted(answers) == [1, 2, 3]  # every sender is told, the third at once
        assert len(_tickets(services)) == 1
    finally:
        await services.conversation.aclose()


@needs_ocr
async def test_another_screenshot_in_the_same_app_opens_its_own_ticket(services) -> None:
    await _send(services, 1, screenshot(UNKNOWN, _style("chat"), seed=1))
    other = "Voters over 70 will be allowed to vote by telephone in the general election"
    await _send(services, 2, screenshot(other, _style("chat"), seed=1))
    assert len(_tickets(services)) == 2


@needs_ocr
async def test_forget_and_retention_delete_the_stored_images(services, new_chat) -> None:
    await _send(services, 1, screenshot(UNKNOWN, _style("chat")))
    await _send(services, 2, screenshot(UNKNOWN, _style("post"), seed=5))
    one, two = _media(services)
    assert Path(one.path).exists() and Path(two.path).exists()

    voter = new_chat(user_id=1)
    await voter.say("/forget")
    await voter.press(voter.buttons()[0])
    assert t("en", "forget_done", count=0).split("0")[0] in voter.text()
    assert [m.id for m in _media(services)] == [two.id]
    assert not Path(one.path).exists() and Path(two.path).exists()

    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(days=services.settings.question_retention_days + 1)
    services.repository.purge_questions(services.settings.question_retention_days, later)
    assert _media(services) == [] and not Path(two.path).exists()


@pytest.mark.parametrize(
    ("data", "key"),
    [(b"GIF89a broken", "image_unreadable"), (b"", "image_unreadable")],
)
async def test_a_broken_image_gets_a_clear_reply_and_no_ticket(services, data, key) -> None:
    replies = await _send(services, 1, data)
    assert [r.text for r in replies] == [t("en", key)]
    assert _tickets(services) == []


async def test_a_huge_image_gets_a_clear_reply(services) -> None:
    replies = await services.conversation.handle(
        Incoming(1, 1, image=ImageInput(problem="too_big"))
    )
    assert [r.text for r in replies] == [t("en", "image_too_big")]


@needs_ocr
async def test_a_picture_without_text_asks_for_words(services) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 160, 200)).save(blank, format="JPEG")
    replies = await _send(services, 1, blank.getvalue())
    assert [r.text for r in replies] == [t("en", "image_no_text")]


async def test_without_ocr_the_caption_is_still_checked(make_services) -> None:
    services = make_services(read_images=False)
    try:
        blank = io.BytesIO()
        Image.new("RGB", (300, 200), "white").save(blank, format="PNG")
        bare = await _send(services, 1, blank.getvalue())
        assert [r.text for r in bare] == [t("en", "image_no_ocr")]
        captioned = await _send(services, 1, blank.getvalue(), caption="can I vote by sms?")
        text = "\n".join(r.text for r in captioned)
        labels = [b.label for r in captioned for b in r.all_buttons()]
        assert "FALSE" in text or any("SMS" in label for label in labels), text
    finally:
        await services.conversation.aclose()


async def test_a_link_is_read_matched_and_its_page_joins_one_ticket(make_services) -> None:
    services = make_services(
        read_links=True, link_allow_private=True, checker_ids=str(CHECKER)
    )
    try:
        with PageServer({}) as server:
            server.routes["/story?id=1"] = page(
                og={"title": UNKNOWN, "description": "Shared widely on Facebook today."},
            )
            server.routes["/story?id=1&utm_source=line"] = server.routes["/story?id=1"]
            first = await services.conversation.handle(Incoming.from_text(
                1, 1, "is this true? " + server.url("/story?id=1")
            ))
            assert [r.text for r in first] == [t("en", "escalated_new")]
            (item,) = _media(services)
            assert item.kind == "link" and item.title == UNKNOWN
            assert item.canonical_url == server.url("/story?id=1")
            (ticket,) = _tickets(services)
            assert ticket.claim_text.startswith("is this true? " + UNKNOWN)

            second = await services.conversation.handle(Incoming.from_text(
                2, 2, server.url("/story?id=1&utm_source=line")
            ))
            assert [r.text for r in second] == [t("en", "escalated_joined", askers=2)]
            assert len(_tickets(services)) == 1

            # once checkers answered it, the same page is answered at once
            services.escalation.tickets.answer(
                ticket.id, CHECKER, verdict="false",
                explanation={"en": "Polling hours are not changed."},
                sources=["https://example.org/ec-statement"],
            )
            again = await services.conversation.handle(Incoming.from_text(
                5, 5, "?? " + server.url("/story?id=1&utm_source=line")
            ))
            assert [r.text for r in again] == [t("en", "escalated_answered")]
            assert len(_tickets(services)) == 1

            server.routes["/sms"] = page(title=KNOWN)
            third = await services.conversation.handle(
                Incoming.from_text(3, 3, server.url("/sms"))
            )
            text = "\n".join(r.text for r in third)
            labels = [b.label for r in third for b in r.all_buttons()]
            assert "FALSE" in text or any("SMS" in label for label in labels), text

            gone = await services.conversation.handle(
                Incoming.from_text(4, 4, server.url("/nothing-here"))
            )
            assert [r.text for r in gone] == [t("en", "link_unreadable")]
    finally:
        await services.conversation.aclose()


async def test_links_to_the_bots_own_network_are_not_read_by_default(make_services) -> None:
    services = make_services(read_links=True)
    try:
        with PageServer({"/metrics": page(title=UNKNOWN)}) as server:
            replies = await services.conversation.handle(
                Incoming.from_text(1, 1, server.url("/metrics"))
            )
            assert server.requests == []
        assert [r.text for r in replies] == [t("en", "link_unreadable")]
    finally:
        await services.conversation.aclose()


async def test_a_voter_over_the_rate_limit_gets_no_image_read(make_services) -> None:
    services = make_services(rate_limit_per_minute=2)
    try:
        reads: list[object] = []
        reader = services.conversation.deps.media
        original = reader.read_image

        async def counting(image):  # type: ignore[no-untyped-def]
            reads.append(image)
            return await original(image)

        reader.read_image = counting
        for _ in range(4):
            await _send(services, 1, b"not an image")
        assert len(reads) == 2  # the third and fourth were refused before reading
        limited = await _send(services, 1, b"not an image")
        assert limited == []  # told once, then silence, as for text
    finally:
        await services.conversation.aclose()


@needs_ocr
async def test_a_screenshot_offered_a_list_keeps_its_image_when_none_of_these_sends_it(
    tmp_path, make_services, chat_on
) -> None:
    """The image goes to checkers with the ticket even when it is escalated a turn later, by
    "none of these" and "yes, send it", not by the message that carried it. (Three checks with
    the same question: a screenshot of it always gets the list, never one answer.)"""
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "postal.yml").write_text(
        "entries:\n" + "".join(
            f"  - id: postal-{i}\n    kind: fact\n    text: {{en: 'Who can use a postal vote?'}}\n"
            f"    answer: {{en: 'The postal vote is open to {group}.'}}\n"
            for i, group in enumerate(["voters abroad", "police officers", "soldiers"])
        ),
        encoding="utf-8",
    )
    services = make_services(knowledge_dir=kb)
    try:
        voter = chat_on(services, user_id=7)
        voter.last = await _send(
            services, 7, screenshot("Who can use a postal vote?", _style("post"))
        )
        assert voter.is_clarify(), voter.text()
        assert _media(services) == []  # nothing kept until it goes to checkers
        await voter.press("None of these")
        await voter.press("Yes, send it")
        assert voter.text() == t("en", "escalated_new")
        (ticket,) = _tickets(services)
        (item,) = _media(services)
        assert item.kind == "image" and item.ticket_id == ticket.id and item.path
        assert Path(item.path).exists()
    finally:
        await services.conversation.aclose()
