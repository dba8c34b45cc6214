"""The rule that keeps a report from exposing one voter.

A question or claim asked by one or two people can carry a name, a phone number or a detail that
points at them; the same words asked by several people are a rumour, which is what fact-checkers
need to see. So anything a voter wrote (a claim text, a question, a keyword) appears verbatim only
once at least MIN_COUNT distinct askers (or, where askers cannot be told apart, questions) share it.
Aggregates (counts per day, per language, per knowledge entry) carry no voter text and are shown
whatever their size.
"""

from __future__ import annotations

#: Distinct askers (or questions) needed before a voter's wording appears in a report.
MIN_COUNT = 3

WITHHELD = f"(text withheld: fewer than {MIN_COUNT} askers)"


def may_show(count: int) -> bool:
    """Whether wording shared by `count` askers may be shown verbatim."""
    return count >= MIN_COUNT


def shown_text(text: str, count: int) -> str | None:
    """`text` when `count` askers share it, else None (the caller prints WITHHELD or an id)."""
    return text if may_show(count) else None
