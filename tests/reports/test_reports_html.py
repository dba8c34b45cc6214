"""The HTML report: self-contained, with its charts, and nothing that identifies a voter."""

from __future__ import annotations

import base64
import re

from reports_seed import (
    CHAT_IDS,
    OPEN_CLAIM,
    PRIVATE_TEXT,
    TELEGRAM_IDS,
    WITHHELD_CLAIM,
    FakeKnowledge,
    Seeded,
)

from bot.reports import charts
from bot.reports.html_report import render_html
from bot.reports.trends import build_trends

PNG = b"\x89PNG\r\n\x1a\n"
CHART = re.compile(r'data-chart="([^"]+)"[^>]*src="data:image/png;base64,([^"]+)"')


def test_html_embeds_the_charts_and_names_nobody(seeded: Seeded, knowledge: FakeKnowledge) -> None:
    report = build_trends(seeded.database, knowledge, now=seeded.now)
    page = render_html(report)
    charts_found = dict(CHART.findall(page))
    assert set(charts_found) == {
        "questions-by-language",
        "decisions-by-day",
        "rising-entries",
        "rising-keywords",
    }
    for data in charts_found.values():
        png = base64.b64decode(data)
        assert png.startswith(PNG) and len(png) > 5000  # a drawn chart, not an empty image
    # Self-contained: nothing loaded from elsewhere.
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert OPEN_CLAIM in page and "th-claim-fake-ballots" in page
    assert WITHHELD_CLAIM not in page and PRIVATE_TEXT not in page
    for identifier in TELEGRAM_IDS + CHAT_IDS:
        assert str(identifier) not in page
    for voter_id in seeded.voter_ids:
        assert f"voter {voter_id}" not in page and f"voter_id={voter_id}" not in page


def test_html_escapes_what_voters_wrote(database, knowledge: FakeKnowledge) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from reports_seed import NOW

    from bot.storage.models import Question, Voter

    with database.session() as session:
        for i in range(3):
            voter = Voter(telegram_id=10 + i, chat_id=10 + i)
            session.add(voter)
            session.flush()
            session.add(
                Question(
                    voter_id=voter.id,
                    text="<script>alert(1)</script> ballots",
                    language="en",
                    decision="escalate",
                    created_at=NOW - timedelta(hours=1),
                )
            )
    page = render_html(build_trends(database, knowledge, now=NOW))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ballots" in page


def test_thai_labels_are_romanised_without_a_thai_font(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(charts, "thai_font", lambda: None)
    assert charts.label("[th] บัตรเลือกตั้ง ปลอม") == "[th] batnlueaktang~ plom~"
    monkeypatch.setattr(charts, "thai_font", lambda: "Some Thai Font")
    assert charts.label("[th] บัตรเลือกตั้ง") == "[th] บัตรเลือกตั้ง"
    assert charts.label("x" * 60, width=10) == "x" * 9 + "…"


def test_the_placeholder_font_is_not_taken_for_a_thai_font() -> None:
    # matplotlib ships "Last Resort", which has an entry for every code point (a box).
    assert charts.thai_font() is None or not charts.thai_font().startswith("Last Resort")


def test_charts_draw_empty_periods() -> None:
    assert charts.rising_bars([], title="nothing").startswith(PNG)
    assert charts.questions_by_language(["2026-11-20"], {}).startswith(PNG)
