"""`factcheck kb validate|stats` as a maintainer runs them: the installed console command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The console command installed beside the interpreter running the tests (the project's venv).
FACTCHECK = shutil.which("factcheck", path=str(Path(sys.executable).parent)) or shutil.which(
    "factcheck"
)
pytestmark = pytest.mark.skipif(FACTCHECK is None, reason="the factcheck command is not installed")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FACTCHECK or "factcheck", *args], capture_output=True, text=True, timeout=120
    )


def test_validate_bundled_knowledge_passes() -> None:
    result = run("kb", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: ")


def test_validate_lists_every_error_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        "entries:\n  - id: ok-one\n    kind: claim\n    verdict: maybe\n"
        "    text: {en: x}\n    answer: {en: y}\n    sources: [{url: 'https://e.org'}]\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yml").write_text("entries:\n  - id: ok-one\n    kind: fact\n", encoding="utf-8")
    result = run("kb", "validate", "--knowledge", str(tmp_path))
    assert result.returncode == 1
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("error: ")]
    assert any("a.yml:4: [ok-one] unknown verdict 'maybe'" in ln for ln in lines)
    assert any("b.yml:2: [ok-one] missing required field `text`" in ln for ln in lines)
    assert any("b.yml:2: [ok-one] missing required field `answer`" in ln for ln in lines)
    assert "Traceback" not in result.stderr


def test_stats_counts_and_missing_languages(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        "entries:\n"
        "  - {id: a, kind: fact, region: TH, text: {th: q, en: q}, answer: {th: a, en: a}}\n"
        "  - {id: b, kind: claim, verdict: false, region: MY, text: {ms: q, th: q, en: q},\n"
        "     answer: {ms: a, th: a, en: a}, sources: [{url: 'https://spr.gov.my'}]}\n",
        encoding="utf-8",
    )
    result = run("kb", "stats", "--json", "--knowledge", str(tmp_path))
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["kind"] == {"fact": 1, "claim": 1}
    assert stats["verdict"] == {"false": 1}
    assert stats["region"] == {"TH": 1, "MY": 1}
    assert stats["language"]["ms"] == {"text": 1, "answer": 1}
    assert stats["missing_language"] == {"a": ["ms"]}
    text = run("kb", "stats", "--knowledge", str(tmp_path))
    assert "a: no ms" in text.stdout


@pytest.mark.parametrize("args", [[], ["kb"], ["kb", "validate"], ["kb", "stats"]])
def test_help_on_each_command(args: list[str]) -> None:
    result = run(*args, "--help")
    assert result.returncode == 0 and "usage: factcheck" in result.stdout
