"""A source's title and publisher may be written per language (issue #15: Thai replies name
sources in Thai where the knowledge gives it); a plain text stays valid, as before."""

from __future__ import annotations

import textwrap
from pathlib import Path

from knowledge.loader import check_directory, load_directory

ENTRY = """\
entries:
  - id: th-claim-one
    kind: claim
    verdict: false
    text:
      en: "Advance voting was cancelled"
    answer:
      en: "No. Advance voting took place as announced."
    sources:
      - url: https://www.ect.go.th/
        title: {source}
        publisher: "Election Commission of Thailand"
"""


def load(tmp_path: Path, source: str):  # type: ignore[no-untyped-def]
    (tmp_path / "kb.yml").write_text(textwrap.dedent(ENTRY.format(source=source)), "utf-8")
    return check_directory(tmp_path)


def test_a_title_per_language(tmp_path: Path) -> None:
    entries, errors, _ = load(tmp_path, '{en: "ECT website", th: "เว็บไซต์ กกต."}')
    assert errors == []
    (source,) = entries[0].sources
    assert source.title == "ECT website"  # the English one where one name is needed
    assert source.title_in("th") == "เว็บไซต์ กกต."
    assert source.title_in("ms") == "ECT website"
    assert source.publisher_in("th") == "Election Commission of Thailand"


def test_a_title_in_one_language_only_is_the_default(tmp_path: Path) -> None:
    entries, errors, _ = load(tmp_path, '{th: "เว็บไซต์ กกต."}')
    assert errors == []
    assert entries[0].sources[0].title_in("en") == "เว็บไซต์ กกต."


def test_a_plain_title_is_as_before(tmp_path: Path) -> None:
    entries, errors, _ = load(tmp_path, '"ECT"')
    assert errors == []
    source = entries[0].sources[0]
    assert (source.title, source.title_in("th"), dict(source.titles)) == ("ECT", "ECT", {})


def test_bad_languages_and_values_are_reported(tmp_path: Path) -> None:
    _, errors, _ = load(tmp_path, '{fr: "Site de la CE", th: 12}')
    messages = " | ".join(e.message for e in errors)
    assert "unknown language 'fr' in `sources.title`" in messages
    assert "`sources.title.th` must be text" in messages
    assert all(e.entry_id == "th-claim-one" and e.line > 0 for e in errors)


def test_the_bundled_loader_accepts_it_as_a_directory(tmp_path: Path) -> None:
    load(tmp_path, '{en: "ECT", th: "กกต."}')
    kb = load_directory(tmp_path)
    assert kb.get("th-claim-one") is not None
