"""Every rule of SPEC section 1, and the hostile files a maintainer (or an attacker) might commit.

Each error must name the file, the line and the entry id, and every error of a directory must be
reported in one run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from knowledge.loader import (
    MAX_FILE_BYTES,
    KnowledgeInvalid,
    Problem,
    check_directory,
    load_directory,
)

GOOD_CLAIM = """\
  - id: th-claim-one
    kind: claim
    verdict: false
    region: TH
    topics: [advance-voting]
    text:
      en: "Advance voting was cancelled"
      th: "เลือกตั้งล่วงหน้าถูกยกเลิก"
    variants:
      ms: ["undi awal dibatalkan", "undi awal x jadi"]
    answer:
      en: "No. Advance voting took place as announced."
    sources:
      - url: https://www.ect.go.th/
        title: "ECT"
        publisher: "Election Commission of Thailand"
    published: 2023-05-01
"""


def write(tmp_path: Path, name: str, body: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def errors_of(tmp_path: Path) -> list[Problem]:
    _entries, errors, _warnings = check_directory(tmp_path)
    return sorted(errors)


def only_error(tmp_path: Path) -> Problem:
    errors = errors_of(tmp_path)
    assert len(errors) == 1, errors
    return errors[0]


def test_valid_file_loads_with_all_fields(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "entries:\n" + GOOD_CLAIM)
    kb = load_directory(tmp_path)
    entry = kb.get("th-claim-one")
    assert entry is not None
    assert entry.verdict == "false"  # the YAML boolean false means the verdict "false"
    assert entry.text["th"] == "เลือกตั้งล่วงหน้าถูกยกเลิก"
    assert entry.variants["ms"] == ("undi awal dibatalkan", "undi awal x jadi")
    assert entry.sources[0].publisher == "Election Commission of Thailand"
    assert entry.published is not None and entry.published.isoformat() == "2023-05-01"
    assert entry.status == "published" and entry.is_published
    assert entry.line == 2 and entry.file.endswith("a.yml")


def test_single_entry_file_and_recursive_directories(tmp_path: Path) -> None:
    write(
        tmp_path,
        "deep/er/one.yaml",
        """\
        id: my-fact
        kind: fact
        text: {ms: "Bila hari mengundi?"}
        answer: {ms: "Hari mengundi ialah ..."}
        """,
    )
    write(tmp_path, "top.yml", "entries:\n" + GOOD_CLAIM)
    write(tmp_path, ".hidden/skip.yml", "not: [valid")
    kb = load_directory(tmp_path)
    assert sorted(e.id for e in kb.entries) == ["my-fact", "th-claim-one"]


def test_true_verdict_and_status_values(tmp_path: Path) -> None:
    body = GOOD_CLAIM.replace("verdict: false", "verdict: TRUE").replace(
        "published: 2023-05-01", "published: 2023-05-01\n    status: retracted"
    )
    write(tmp_path, "a.yml", "entries:\n" + body)
    entry = load_directory(tmp_path).entries[0]
    assert entry.verdict == "true" and entry.status == "retracted"
    assert load_directory(tmp_path).published() == ()


@pytest.mark.parametrize(
    ("replace", "by", "line", "needle"),
    [
        ("    region: TH\n", "    region: TH\n    rating: 5\n", 6, "unknown field `rating`"),
        ("  - id: th-claim-one\n", "  - id: Th_Claim\n", 2, "bad id 'Th_Claim'"),
        ("  - id: th-claim-one\n", "  - id: -leading\n", 2, "bad id '-leading'"),
        ("    kind: claim\n", "    kind: rumour\n", 3, "unknown kind 'rumour'"),
        ("    verdict: false\n", "    verdict: fake\n", 4, "unknown verdict 'fake'"),
        ("    verdict: false\n", "    verdict: no\n", 4, "unknown verdict 'no'"),
        ('      th: "เลือก', '      id: "เลือก', 9, "unknown language 'id' in `text`"),
        ('      ms: ["undi', '      zh: ["undi', 11, "unknown language 'zh' in `variants`"),
        (
            '      en: "Advance voting was cancelled"',
            '      en: "  "',
            8,
            "empty text for language en",
        ),
        (
            "https://www.ect.go.th/",
            "ftp://www.ect.go.th/",
            15,
            "must start with http:// or https://",
        ),
        (
            "https://www.ect.go.th/",
            "javascript:alert(1)",
            15,
            "must start with http:// or https://",
        ),
        ('        title: "ECT"\n', '        tilte: "ECT"\n', 16, "unknown source field `tilte`"),
    ],
)
def test_each_rule_names_file_line_and_entry(
    tmp_path: Path, replace: str, by: str, line: int, needle: str
) -> None:
    assert replace in GOOD_CLAIM
    body = GOOD_CLAIM.replace(replace, by)
    write(tmp_path, "rules.yml", "entries:\n" + body)
    problem = only_error(tmp_path)
    assert problem.file.endswith("rules.yml")
    assert problem.line == line, problem
    written_id = body.split("- id: ", 1)[1].split("\n", 1)[0]
    assert problem.entry_id == written_id  # even a bad id labels its own errors
    assert needle in problem.message
    assert f"rules.yml:{line}: [" in str(problem)


@pytest.mark.parametrize("field", ["id", "kind", "text", "answer", "verdict"])
def test_missing_required_field(tmp_path: Path, field: str) -> None:
    lines = [ln for ln in GOOD_CLAIM.splitlines(keepends=True)]
    start = next(
        i
        for i, ln in enumerate(lines)
        if ln.strip().startswith(f"{field}:") or ln.strip().startswith(f"- {field}:")
    )
    if lines[start].lstrip().startswith("- "):  # `id` opens the list item: keep the dash
        lines[start] = "  - region: TH\n"
        lines = [ln for i, ln in enumerate(lines) if not (i > start and ln.strip() == "region: TH")]
    else:
        end = start + 1
        while end < len(lines) and lines[end].startswith("      "):
            end += 1
        del lines[start:end]
    write(tmp_path, "a.yml", "entries:\n" + "".join(lines))
    problem = only_error(tmp_path)
    assert f"missing required field `{field}`" in problem.message
    assert problem.line == 2
    assert problem.entry_id == ("entry #1" if field == "id" else "th-claim-one")


def test_claim_without_sources_and_fact_with_verdict(tmp_path: Path) -> None:
    no_sources = GOOD_CLAIM.split("    sources:")[0] + "    published: 2023-05-01\n"
    write(tmp_path, "a.yml", "entries:\n" + no_sources)
    assert "a claim needs at least one source" in only_error(tmp_path).message
    write(
        tmp_path,
        "a.yml",
        "entries:\n" + GOOD_CLAIM.replace("    sources:\n", "    sources: []\n    x-sources:\n"),
    )
    messages = [p.message for p in errors_of(tmp_path)]
    assert any("a claim needs at least one source" in m for m in messages)
    write(tmp_path, "a.yml", "entries:\n" + GOOD_CLAIM.replace("kind: claim", "kind: fact"))
    assert "a `fact` has no verdict" in only_error(tmp_path).message


def test_fact_needs_no_sources(tmp_path: Path) -> None:
    write(tmp_path, "f.yml", "id: f\nkind: fact\ntext: {en: q}\nanswer: {en: a}\n")
    assert load_directory(tmp_path).entries[0].sources == ()


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "entries:\n" + GOOD_CLAIM)
    write(tmp_path, "b/b.yml", "# another file\nentries:\n" + GOOD_CLAIM)
    problem = only_error(tmp_path)
    assert problem.file.endswith("b.yml") and problem.line == 3
    assert "duplicate id" in problem.message and "a.yml:2" in problem.message


def test_all_errors_of_a_directory_are_reported_in_one_run(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "entries:\n" + GOOD_CLAIM.replace("kind: claim", "kind: x"))
    write(tmp_path, "b.yml", "- a list\n")
    write(
        tmp_path,
        "c.yml",
        "entries:\n"
        + GOOD_CLAIM.replace("th-claim-one", "c")
        .replace("verdict: false", "verdict: maybe")
        .replace("https://", "ftp://"),
    )
    files = {Path(p.file).name for p in errors_of(tmp_path)}
    assert files == {"a.yml", "b.yml", "c.yml"}
    assert len(errors_of(tmp_path)) == 4
    with pytest.raises(KnowledgeInvalid) as info:
        load_directory(tmp_path)
    assert len(info.value.errors) == 4


@pytest.mark.parametrize(
    ("body", "needle", "line"),
    [
        ("entries:\n  - id: a\n    kind: [fact\n", "malformed YAML", 4),
        ("- id: a\n  kind: fact\n", "file is a list", 1),
        ("just a string\n", "file is a single value", 1),
        ("entries: {id: a}\n", "`entries` must be a list", 1),
        ("entries:\n  - a string entry\n", "an entry must be a mapping", 2),
        ("entries: []\nversion: 1\n", "unknown top-level field `version`", 2),
        ("---\nid: a\n---\nid: b\n", "malformed YAML", 3),
    ],
)
def test_malformed_files_get_one_clear_error(
    tmp_path: Path, body: str, needle: str, line: int
) -> None:
    write(tmp_path, "bad.yml", body)
    problem = only_error(tmp_path)
    assert needle in problem.message and problem.line == line, problem


def test_yaml_alias_bomb_is_refused_without_expanding(tmp_path: Path) -> None:
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb.append("id: bomb\nkind: fact\ntext: {en: *i}\nanswer: {en: x}")
    write(tmp_path, "bomb.yml", "\n".join(bomb) + "\n")
    problem = only_error(tmp_path)
    assert "alias" in problem.message


def test_nested_alias_in_a_field_is_an_ordinary_type_error(tmp_path: Path) -> None:
    write(
        tmp_path, "x.yml", 'l: &l ["a", "b"]\nid: x\nkind: fact\ntext: {en: *l}\nanswer: {en: y}\n'
    )
    messages = [p.message for p in errors_of(tmp_path)]
    assert any("unknown field `l`" in m for m in messages)
    assert any("must be a single value" in m for m in messages)


def test_huge_file_is_refused_by_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.yml"
    with path.open("wb") as fh:
        fh.write(b"entries:\n")
        chunk = b"  # " + b"x" * 1020 + b"\n"
        for _ in range((MAX_FILE_BYTES // len(chunk)) + 2):
            fh.write(chunk)
    problem = only_error(tmp_path)
    assert "too large" in problem.message and problem.line == 1


def test_fifty_megabyte_file_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "fifty.yml"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB of NULs, never read
    assert "too large" in only_error(tmp_path).message


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "latin1.yml", "id: x\nkind: fact\ntext: {en: caf\xe9}\n".encode("latin-1"))
    problem = only_error(tmp_path)
    assert "not UTF-8" in problem.message and problem.line == 3


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, "bom.yml", "\ufeffid: x\nkind: fact\ntext: {th: ก}\nanswer: {th: ข}\n".encode())
    assert load_directory(tmp_path).entries[0].id == "x"


def test_empty_file_is_a_warning_not_an_error(tmp_path: Path) -> None:
    write(tmp_path, "empty.yml", "")
    entries, errors, warnings = check_directory(tmp_path)
    assert (entries, errors) == ([], [])
    assert warnings and "empty" in warnings[0].message


def test_unknown_status_is_never_shown(tmp_path: Path) -> None:
    write(tmp_path, "s.yml", "id: x\nkind: fact\ntext: {en: q}\nanswer: {en: a}\nstatus: pending\n")
    kb = load_directory(tmp_path)
    assert kb.published() == ()
    assert "treated as a draft" in kb.warnings[0].message


def test_bundled_knowledge_is_valid() -> None:
    from bot.config import BUNDLED_KNOWLEDGE

    kb = load_directory(BUNDLED_KNOWLEDGE)
    assert not kb.warnings
    assert len(kb.published()) >= 60
    for entry in kb.published():
        assert set(entry.text) == set(entry.answer) == {"th", "ms", "en"}, entry.id


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    """Many small aliases (under the expansion limit) are refused by count, from one parse."""
    refs = ",".join(["*a"] * 1001)
    write(tmp_path, "many.yml", f"a: &a x\nb: [{refs}]\nid: m\nkind: fact\n")
    problem = only_error(tmp_path)
    assert "too many YAML aliases (1001)" in problem.message and problem.line == 1, problem


def test_a_few_aliases_are_still_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ok.yml",
        "entries:\n"
        "- {id: one, kind: fact, text: {en: Polls open at 8}, answer: &a {en: See the notice.}}\n"
        "- {id: two, kind: fact, text: {en: Polls close at 5}, answer: *a}\n",
    )
    entries = load_directory(tmp_path).entries
    assert [e.id for e in entries] == ["one", "two"]
    assert entries[1].answer["en"] == "See the notice."
