"""`factcheck match` with screenshots and links (SPEC section 2, version 1.1), as evaluation
scripts call it: the installed command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pages import PageServer, page
from screenshots import Style, available_fonts, screenshot

from bot.media.ocr import OcrEngine

KB_SMALL = Path(__file__).resolve().parent.parent / "data" / "kb-small"
SMS = "You can vote by SMS or online in this election, just send your ID number"
needs_ocr = pytest.mark.skipif(
    not OcrEngine().available or not all(available_fonts()),
    reason="Tesseract (tha, msa, eng) or fonts missing: scripts/install-system-deps.sh --fonts",
)


def match(lines: list[str], tmp_path: Path, **env: str) -> list[dict]:
    script = Path(sys.executable).parent / "factcheck"
    if not script.exists():
        pytest.skip("the factcheck console command is not installed (pip install -e .)")
    proc = subprocess.run(
        [str(script), "match", "--knowledge", str(KB_SMALL)],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=600,
        env={**os.environ, "CACHE_DIR": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1", **env},
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    return out


@needs_ocr
def test_image_lines_are_read_and_decided_and_bad_ones_answered_in_order(tmp_path: Path) -> None:
    thai, latin = available_fonts()
    shot = tmp_path / "sms.jpg"
    shot.write_bytes(screenshot(SMS, Style("post", thai[0], latin[0])))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    lines = [
        json.dumps({"image": str(shot)}),
        json.dumps({"image": str(broken)}),
        json.dumps({"image": str(tmp_path / "missing.png"), "text": "can I vote by sms?"}),
        json.dumps({"image": 42}),
        SMS,
    ]
    image, bad, captioned, not_a_path, text = match(lines, tmp_path)
    assert "vote by SMS" in image["read_text"] and image["image"] == str(shot)
    assert image["decision"] in ("answer", "clarify")
    assert image["candidates"][0]["id"] == text["candidates"][0]["id"] == "small-claim-vote-by-sms"
    assert bad["decision"] == "escalate" and "unreadable" in bad["error"]
    assert captioned["read_text"] == "" and "decided on the caption" in captioned["error"]
    assert captioned["candidates"][0]["id"] == "small-claim-vote-by-sms"
    assert not_a_path["decision"] == "escalate" and "file path" in not_a_path["error"]
    assert "read_text" not in text and "error" not in text  # text lines are as before


def test_a_text_with_a_link_is_decided_with_what_the_page_says(tmp_path: Path) -> None:
    with PageServer({"/post": page(og={"title": SMS})}) as server:
        out = match([f"jujur ke ni? {server.url('/post')}", server.url("/missing")], tmp_path,
                    LINK_ALLOW_PRIVATE="true")
    found, missing = out
    assert found["text"] == f"jujur ke ni? {server.url('/post')}"
    assert found["read_text"] == SMS
    assert found["candidates"][0]["id"] == "small-claim-vote-by-sms"
    assert missing["read_text"] == "" and missing["decision"] == "escalate"


def test_by_default_the_command_does_not_read_links_on_this_machine(tmp_path: Path) -> None:
    with PageServer({"/post": page(og={"title": SMS})}) as server:
        (out,) = match([server.url("/post")], tmp_path)
        assert server.requests == []
    assert out["read_text"] == "" and out["decision"] == "escalate"
