"""Word lists and short-form tables read by `nlu.normalize` and `nlu.langid`.

A package (not a bare folder) so that the *.txt files ship in wheels through the project's
package-data rule, and are found with importlib.resources wherever the code is installed.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def read_lines(name: str) -> tuple[str, ...]:
    """Non-empty, non-comment lines of a data file here, stripped and lower-cased."""
    text = files(__name__).joinpath(name).read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return tuple(line.lower() for line in lines if line and not line.startswith("#"))


@cache
def read_mapping(name: str) -> dict[str, str]:
    """A SHORT<TAB>EXPANSION table as a dict (first mapping of a key wins)."""
    mapping: dict[str, str] = {}
    for line in read_lines(name):
        key, _, value = line.partition("\t")
        if value:
            mapping.setdefault(key.strip(), value.strip())
    return mapping


@cache
def read_words(name: str) -> frozenset[str]:
    """A word list as a set; a line may hold several words separated by spaces."""
    return frozenset(word for line in read_lines(name) for word in line.split())
