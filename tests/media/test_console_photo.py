"""`/photo PATH` in the local chat (`factcheck chat`, in a subprocess, fed by a pipe)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from screenshots import Style, available_fonts, screenshot

from bot.media.ocr import OcrEngine

ROOT = Path(__file__).resolve().parents[2]
FACTCHECK = Path(sys.executable).parent / "factcheck"
UNKNOWN = (
    "The Election Commission will close every polling station at noon on election day "
    "because of the heat wave, so vote in the morning"
)


@pytest.mark.skipif(
    not OcrEngine().available or not all(available_fonts()),
    reason="Tesseract (tha, msa, eng) or fonts missing: scripts/install-system-deps.sh --fonts",
)
def test_a_screenshot_sent_with_photo_is_read_and_escalated_with_its_image(tmp_path) -> None:
    if not FACTCHECK.exists():
        pytest.skip("the factcheck console command is not installed (pip install -e .)")
    thai, latin = available_fonts()
    shot = tmp_path / "rumour shot.jpg"
    shot.write_bytes(screenshot(UNKNOWN, Style("chat", thai[0], latin[0])))
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_TOKEN"}
    env.update(TELEGRAM_TOKEN="", DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}",
               MEDIA_DIR=str(tmp_path / "media"), CACHE_DIR=str(tmp_path / "cache"))
    lines = [f'/photo "{shot}"', "/photo /no/such/file.png", "/photo", "/quit"]
    result = subprocess.run(
        [str(FACTCHECK), "chat", "--knowledge", str(ROOT / "tests/data/kb-small"),
         "--spool", str(tmp_path / "spool.jsonl")],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True,
        timeout=300, cwd=ROOT, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "passed it to our fact-checkers" in result.stdout
    assert "(cannot open /no/such/file.png: No such file or directory)" in result.stdout
    assert "(usage: /photo PATH [caption])" in result.stdout
    kept = list((tmp_path / "media").rglob("*.jpg"))
    assert len(kept) == 1  # the image is kept for the checkers

    shown = subprocess.run(
        [str(FACTCHECK), "tickets", "show", "1"], capture_output=True, text=True, timeout=120,
        cwd=ROOT, env=env,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"Image: {kept[0]}" in shown.stdout
    assert "polling station at noon" in shown.stdout
