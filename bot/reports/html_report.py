"""The trends report as one self-contained HTML file: charts embedded as base64 PNG, no script,
no external stylesheet or font, so it can be mailed, attached in a chat or opened offline.

Every piece of text is escaped; voter wording arrives already filtered by the privacy rule
(trends.py), and the report never held voter or chat ids to begin with.
"""

from __future__ import annotations

import base64
from html import escape

from bot.reports import charts
from bot.reports.privacy import WITHHELD
from bot.reports.trends import TrendsReport
from bot.reports.trends_format import LANGUAGE_NAMES, change

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans Thai",sans-serif;
max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #eee;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.kpi{display:flex;gap:1em;flex-wrap:wrap}
.kpi div{background:#f5f5f5;padding:.6em 1em;border-radius:6px}
.kpi b{display:block;font-size:1.4em}img{max-width:100%}.muted{color:#777}
"""


def _img(name: str, png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img data-chart="{escape(name)}" alt="{escape(alt)}" '
        f'src="data:image/png;base64,{data}"></figure>'
    )


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    if not rows:
        return '<p class="muted">None in this period.</p>'
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: TrendsReport) -> str:
    scope = LANGUAGE_NAMES.get(report.language or "", "all languages")
    period = f"{report.start:%Y-%m-%d %H:%M} – {report.end:%Y-%m-%d %H:%M} UTC"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>What voters are asking – {escape(period)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>What voters are asking</h1><p>{escape(period)} · {escape(scope)} · compared with "
        f"the period of the same length before. Voter wording appears only when at least "
        f"{report.min_count} people asked it.</p>",
    ]
    rate = report.answer_rate
    kpis = [
        ("questions", f"{report.total}", change(report.total, report.previous_total)),
        ("answered", f"{rate['answered']:.0%}", f"{report.decisions.get('answer', 0)}"),
        ("clarified", f"{rate['clarified']:.0%}", f"{report.decisions.get('clarify', 0)}"),
        ("escalated", f"{rate['escalated']:.0%}", f"{report.decisions.get('escalate', 0)}"),
        ("open tickets", f"{report.open_tickets_count}", f"{report.new_tickets} new"),
    ]
    parts.append(
        '<div class="kpi">'
        + "".join(
            f"<div>{escape(name)}<b>{escape(value)}</b>"
            f'<span class="muted">{escape(note)}</span></div>'
            for name, value, note in kpis
        )
        + "</div>"
    )

    parts.append("<h2>Questions per day</h2>")
    parts.append(
        _img(
            "questions-by-language",
            charts.questions_by_language(report.days, report.per_day_language),
            "Questions per day, by language",
        )
    )
    parts.append(
        _img(
            "decisions-by-day",
            charts.decisions_by_day(report.days, report.per_day_decision),
            "Answered, clarified and escalated questions per day",
        )
    )

    parts.append("<h2>Top rising rumours</h2>")
    parts.append(
        _img(
            "rising-entries",
            charts.rising_bars(
                [(e.entry_id, e.current, e.previous) for e in report.rising_entries],
                title="Knowledge entries asked about more than in the previous period",
            ),
            "Rising knowledge entries",
        )
    )
    parts.append(
        _table(
            ["entry", "text", "verdict", "previous", "this period", "change"],
            [
                [
                    e.entry_id,
                    e.text or "",
                    e.verdict or "",
                    str(e.previous),
                    str(e.current),
                    change(e.current, e.previous),
                ]
                for e in report.rising_entries
            ],
            {3, 4, 5},
        )
    )

    parts.append("<h2>Rising keywords and phrases</h2>")
    parts.append(
        _img(
            "rising-keywords",
            charts.rising_bars(
                report.rising_keyword_rows(),
                title="Words and phrases voters use more than in the previous period",
            ),
            "Rising keywords and phrases",
        )
    )
    for k in report.keywords:
        name = LANGUAGE_NAMES.get(k.language, k.language)
        parts.append(
            f'<h3>{escape(name)}</h3><p class="muted">{k.questions} questions (previous '
            f"{k.previous_questions}); keywords counted over the {k.sampled} most recent.</p>"
        )
        parts.append(
            _table(
                ["word or phrase", "previous", "this period", "change"],
                [
                    [t.term, str(t.previous), str(t.current), change(t.current, t.previous)]
                    for t in (*k.phrases, *k.words)
                ],
                {1, 2, 3},
            )
        )

    parts.append("<h2>Most asked entries</h2>")
    parts.append(
        _table(
            ["entry", "text", "verdict", "this period", "change"],
            [
                [
                    e.entry_id,
                    e.text or "(not in the knowledge base)",
                    e.verdict or "",
                    str(e.current),
                    change(e.current, e.previous),
                ]
                for e in report.top_entries
            ],
            {3, 4},
        )
    )

    parts.append("<h2>Open tickets by askers</h2>")
    parts.append(
        _table(
            ["ticket", "language", "status", "askers", "new in period", "opened", "claim"],
            [
                [
                    f"#{t.id}",
                    t.language,
                    t.status,
                    str(t.askers),
                    str(t.new_askers),
                    t.opened,
                    t.claim or WITHHELD,
                ]
                for t in report.open_tickets
            ],
            {3, 4},
        )
    )

    parts.append("<h2>Asked most, not answered outright</h2>")
    parts.append(
        _table(
            ["question", "questions", "askers"],
            [[u.text, str(u.questions), str(u.askers)] for u in report.unanswered],
            {1, 2},
        )
    )

    parts.append("<h2>Feedback per entry</h2>")
    parts.append(
        _table(
            ["entry", "text", "helpful", "not what I asked", "share not"],
            [
                [
                    f.entry_id,
                    f.text or "",
                    str(f.helpful),
                    str(f.not_helpful),
                    f"{f.not_helpful_share:.0%}",
                ]
                for f in report.feedback
            ],
            {2, 3, 4},
        )
    )
    if charts.thai_font() is None:
        parts.append(
            '<p class="muted">No font with Thai glyphs is installed where this report was made: '
            "Thai words in the charts are romanised (marked ~); the tables show them as written."
            "</p>"
        )
    parts.append(f'<p class="muted">Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.</p>')
    parts.append("</body></html>")
    return "\n".join(parts)
