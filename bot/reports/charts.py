"""The report's charts, drawn with matplotlib's Agg backend into PNG bytes.

Figures are built with `matplotlib.figure.Figure` rather than pyplot: no global figure registry,
no GUI backend, safe to call from the digest job's worker thread.

Thai labels need a font with Thai glyphs. DejaVu Sans (matplotlib's default, and often the only
font on a server) has none, and Thai would come out as empty boxes. So `thai_font()` looks for an
installed font that has Thai (e.g. Debian's fonts-thai-tlwg or fonts-noto-core) and adds it as a
fallback family; when there is none, `label()` writes Thai text in the Royal Thai General System
romanisation (pythainlp, rule-based, no download), e.g. "บัตรเลือกตั้ง" -> "batnlueaktang~", with a
trailing "~" so a reader knows it is a transliteration. Entry labels use the entry id, which is
ASCII. The HTML tables next to the charts always show the real Thai text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # before anything else of matplotlib: never a GUI backend on a server

from matplotlib import font_manager  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator, StrMethodFormatter  # noqa: E402

_THAI = re.compile("[\u0e00-\u0e7f]")
_THAI_PROBE = ("ก", "่", "ำ")  # a consonant, a tone mark and a composite vowel
# matplotlib bundles "Last Resort", which maps every code point to a placeholder box: tofu.
_PLACEHOLDER_FONTS = ("Last Resort",)
LANGUAGE_COLOURS = {"th": "#1f77b4", "ms": "#ff7f0e", "en": "#2ca02c"}
LANGUAGE_NAMES = {"th": "Thai", "ms": "Malay", "en": "English"}
DECISION_COLOURS = {"answer": "#2ca02c", "clarify": "#f2b701", "escalate": "#d62728"}
DECISION_NAMES = {"answer": "answered", "clarify": "clarified", "escalate": "escalated"}
OTHER_COLOUR = "#7f7f7f"


@lru_cache(maxsize=1)
def thai_font() -> str | None:
    """The family name of an installed font that draws Thai, or None when there is none."""
    from matplotlib.ft2font import FT2Font

    for entry in sorted(font_manager.fontManager.ttflist, key=lambda f: f.name):
        if entry.name.startswith(_PLACEHOLDER_FONTS):
            continue
        try:
            font = FT2Font(entry.fname)
            if all(font.get_char_index(ord(ch)) for ch in _THAI_PROBE):
                return entry.name
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def _families() -> list[str]:
    thai = thai_font()
    return ["DejaVu Sans", thai] if thai else ["DejaVu Sans"]


@lru_cache(maxsize=4096)
def _romanize(text: str) -> str:
    from pythainlp.transliterate import romanize

    def one(match: re.Match[str]) -> str:
        return romanize(match.group(), engine="royin") + "~"

    return re.sub("[\u0e00-\u0e7f]+", one, text)


def label(text: str, width: int = 40) -> str:
    """A chart label: Thai romanised when no Thai font is installed; cut to `width` characters."""
    if _THAI.search(text) and thai_font() is None:
        text = _romanize(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure


def _style(ax) -> None:  # type: ignore[no-untyped-def]
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def _day_ticks(ax, days: Sequence[str]) -> None:  # type: ignore[no-untyped-def]
    """Show at most ~14 day labels (MM-DD) so a month's chart stays legible."""
    step = max(1, -(-len(days) // 14))
    positions = list(range(0, len(days), step))
    ax.set_xticks(positions, [days[i][5:] for i in positions], rotation=45, ha="right")


def _draw_stacked(  # type: ignore[no-untyped-def]
    ax,
    days: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    title: str,
    colours: dict[str, str],
    names: dict[str, str],
) -> None:
    bottom = [0] * len(days)
    for key, counts in series.items():
        ax.bar(
            range(len(days)),
            counts,
            bottom=bottom,
            label=names.get(key, key),
            color=colours.get(key, OTHER_COLOUR),
            width=0.8,
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel("questions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    _day_ticks(ax, days)
    _style(ax)
    if series:
        ax.legend(frameon=False, ncols=len(series), loc="upper left", bbox_to_anchor=(0, -0.22))
    if not any(bottom):
        ax.text(0.5, 0.5, "no questions in this period", transform=ax.transAxes, ha="center")


def stacked_days(
    days: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    title: str,
    colours: dict[str, str],
    names: dict[str, str],
) -> bytes:
    """A stacked bar per day, one colour per series (language or decision)."""
    with matplotlib.rc_context({"font.family": _families()}):
        figure = _figure(8, 3.6)
        _draw_stacked(figure.subplots(), days, series, title=title, colours=colours, names=names)
        return _png(figure)


def questions_by_language(days: Sequence[str], series: Mapping[str, Sequence[int]]) -> bytes:
    return stacked_days(
        days,
        series,
        title="Questions per day, by language",
        colours=LANGUAGE_COLOURS,
        names=LANGUAGE_NAMES,
    )


def decisions_by_day(days: Sequence[str], series: Mapping[str, Sequence[int]]) -> bytes:
    return stacked_days(
        days,
        series,
        title="What the bot did, per day",
        colours=DECISION_COLOURS,
        names=DECISION_NAMES,
    )


def _draw_rising(  # type: ignore[no-untyped-def]
    ax,
    rows: Sequence[tuple[str, int, int]],
    *,
    title: str,
    current_label: str,
    previous_label: str,
    empty: str,
) -> None:
    ax.set_title(title, loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    if not rows:
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", va="center")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    positions = list(range(len(rows)))[::-1]  # first row at the top
    ax.barh(
        [p + 0.2 for p in positions],
        [r[1] for r in rows],
        height=0.4,
        label=current_label,
        color="#d62728",
    )
    ax.barh(
        [p - 0.2 for p in positions],
        [r[2] for r in rows],
        height=0.4,
        label=previous_label,
        color="#c7c7c7",
    )
    for p, (_, current, previous) in zip(positions, rows, strict=True):
        ax.text(current, p + 0.2, f" {current:,}", va="center", fontsize=8)
        ax.text(previous, p - 0.2, f" {previous:,}", va="center", fontsize=8, color="#555")
    ax.set_yticks(positions, [label(r[0]) for r in rows])
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    # Below the axis label: inside the plot it would cover the longest bar's neighbours.
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2)


def rising_bars(
    rows: Sequence[tuple[str, int, int]],
    *,
    title: str,
    current_label: str = "this period",
    previous_label: str = "the period before",
    empty: str = "nothing rose in this period",
) -> bytes:
    """Horizontal bar pairs (this period vs the one before), biggest rise on top.
    `rows` are (label, current, previous); labels go through `label()`."""
    rows = list(rows)[:10]
    with matplotlib.rc_context({"font.family": _families()}):
        figure = _figure(8, 1.2 + 0.45 * max(len(rows), 2))
        _draw_rising(
            figure.subplots(),
            rows,
            title=title,
            current_label=current_label,
            previous_label=previous_label,
            empty=empty,
        )
        return _png(figure)


def digest_chart(
    days: Sequence[str],
    per_language: dict[str, Sequence[int]],
    rising: Sequence[tuple[str, int, int]],
) -> bytes:
    """The daily digest's picture: the week's questions by language (left) and what rose in
    the last 24 hours against the 24 before (right), in one PNG for one chat message."""
    rows = list(rising)[:8]
    with matplotlib.rc_context({"font.family": _families()}):
        figure = _figure(12, 4.2)
        week, rose = figure.subplots(1, 2, width_ratios=[1, 1.2])
        _draw_stacked(
            week,
            days,
            per_language,
            title="Questions per day (7 days)",
            colours=LANGUAGE_COLOURS,
            names=LANGUAGE_NAMES,
        )
        _draw_rising(
            rose,
            rows,
            title="Rose in the last 24 h",
            current_label="last 24 h",
            previous_label="24 h before",
            empty="nothing rose since yesterday",
        )
        return _png(figure)
