"""The trends report as plain text (for a terminal or a chat) and as JSON (for other tools)."""

from __future__ import annotations

import json

from bot.reports.privacy import WITHHELD
from bot.reports.trends import TrendsReport

LANGUAGE_NAMES = {"th": "Thai", "ms": "Malay", "en": "English"}


def change(current: int, previous: int) -> str:
    if previous == 0:
        return "new" if current else "-"
    percent = (current - previous) * 100 / previous
    return f"{percent:+.0f}%"


def short(text: str | None, width: int = 70) -> str:
    if not text:
        return "(not in the knowledge base)"
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_json(report: TrendsReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def render_text(report: TrendsReport) -> str:
    lines: list[str] = []
    add = lines.append
    scope = LANGUAGE_NAMES.get(report.language or "", "all languages")
    add(
        f"Trends {report.start:%Y-%m-%d %H:%M} – {report.end:%Y-%m-%d %H:%M} UTC ({scope}), "
        f"compared with the period before"
    )
    add("")
    add(
        f"Questions: {report.total} ({change(report.total, report.previous_total)} "
        f"vs {report.previous_total})"
    )
    rate = report.answer_rate
    add(
        "Answer rate: "
        + ", ".join(f"{name} {share:.0%}" for name, share in rate.items())
        + f"  ({', '.join(f'{k} {v}' for k, v in report.decisions.items())})"
    )
    add(f"Tickets: {report.open_tickets_count} open, {report.new_tickets} opened in the period")

    add("")
    add("Questions per day by language:")
    header = "  day         " + "".join(f"{lang:>8}" for lang in report.per_day_language)
    add(header + f"{'answer':>9}{'clarify':>9}{'escalate':>9}")
    for i, day in enumerate(report.days):
        cells = "".join(f"{counts[i]:>8}" for counts in report.per_day_language.values())
        decided = "".join(
            f"{report.per_day_decision.get(d, [0] * len(report.days))[i]:>9}"
            for d in ("answer", "clarify", "escalate")
        )
        add(f"  {day}  {cells}{decided}")

    add("")
    add("Most asked entries:")
    for e in report.top_entries or []:
        add(
            f"  {e.current:>6}  ({change(e.current, e.previous):>5})  {e.entry_id}: {short(e.text)}"
        )
    if not report.top_entries:
        add("  (none)")

    add("")
    add("Rising entries (this period vs the one before):")
    for e in report.rising_entries:
        add(f"  {e.previous:>6} -> {e.current:<6} {e.entry_id}: {short(e.text)}")
    if not report.rising_entries:
        add("  (none)")

    add("")
    add("Open tickets by askers:")
    for t in report.open_tickets:
        claim = short(t.claim) if t.claim else WITHHELD
        add(f"  #{t.id:<6} {t.askers:>5} askers (+{t.new_askers})  [{t.language}] {claim}")
    if not report.open_tickets:
        add("  (none)")

    add("")
    add(f"Asked most and not answered outright (at least {report.min_count} askers):")
    for u in report.unanswered:
        add(f"  {u.questions:>6} questions, {u.askers} askers: {short(u.text)}")
    if not report.unanswered:
        add("  (none)")

    add("")
    add("Rising keywords and phrases:")
    for k in report.keywords:
        name = LANGUAGE_NAMES.get(k.language, k.language)
        add(
            f"  {name}: {k.questions} questions (previous {k.previous_questions}), "
            f"{k.sampled} sampled"
        )
        words = ", ".join(f"{t.term} {t.previous}->{t.current}" for t in k.words) or "(none)"
        phrases = ", ".join(f"{t.term} {t.previous}->{t.current}" for t in k.phrases) or "(none)"
        add(f"    words:   {words}")
        add(f"    phrases: {phrases}")

    add("")
    add('Feedback per entry ("helpful" / "not what I asked"), worst first:')
    for f in report.feedback:
        add(
            f"  {f.helpful:>5} / {f.not_helpful:<5} ({f.not_helpful_share:.0%} not)  "
            f"{f.entry_id}: {short(f.text, 50)}"
        )
    if not report.feedback:
        add("  (none)")
    return "\n".join(lines) + "\n"
