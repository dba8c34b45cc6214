"""The perceptual hash: copies of one image hash alike, different screenshots do not."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from screenshots import Style, available_fonts, jpeg, render

from bot.media.image_hash import BITS, SAME_IMAGE_BITS, dhash, distance, same_image
from bot.media.records import same_image as same_sent_image
from bot.media.records import texts_agree

pytestmark = pytest.mark.skipif(
    not all(available_fonts()), reason="fonts missing: scripts/install-system-deps.sh --fonts"
)


def _style(kind: str = "chat", **kwargs: object) -> Style:
    thai, latin = available_fonts()
    return Style(kind, thai[0], latin[0], **kwargs)  # type: ignore[arg-type]


def _reopen(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


CLAIM = "You can vote by SMS or online this year, send your ID number to 1234 to register"
OTHER = "Polling stations will close at noon instead of 6 pm because of the heat wave"


def test_hash_is_hex_of_the_expected_size() -> None:
    value = dhash(render(CLAIM, _style()))
    assert len(value) == BITS // 4 and int(value, 16) >= 0


@pytest.mark.parametrize("kind", ["chat", "post"])
def test_recompressed_and_resized_copies_stay_the_same_image(kind: str) -> None:
    original = render(CLAIM, _style(kind))
    reference = dhash(original)
    copies = [
        _reopen(jpeg(original, 30)),  # forwarded through apps that re-compress hard
        _reopen(jpeg(original.resize((original.width // 3, original.height // 3)), 60)),
        _reopen(jpeg(_reopen(jpeg(original, 70)), 50)),  # forwarded twice
    ]
    for copy in copies:
        assert distance(reference, dhash(copy)) <= SAME_IMAGE_BITS


@pytest.mark.parametrize("kind", ["chat", "post"])
def test_another_message_in_the_same_app_is_farther_than_any_copy(kind: str) -> None:
    original = render(CLAIM, _style(kind), seed=1)
    one = dhash(original)
    two = dhash(render(OTHER, _style(kind), seed=1))
    copy = dhash(_reopen(jpeg(original.resize((original.width // 2, original.height // 2)), 40)))
    assert distance(one, two) > distance(one, copy)
    # the layout is shared, so the hash alone is not proof: the text read must agree too
    assert not same_sent_image(one, CLAIM, two, OTHER)


def test_hashes_of_different_sizes_never_match() -> None:
    assert not same_image("ff" * 32, "ff" * 16)


def test_a_close_hash_with_disagreeing_text_is_not_the_same_sent_image() -> None:
    h = dhash(render(CLAIM, _style()))
    assert same_sent_image(h, CLAIM, h, CLAIM)
    assert not same_sent_image(h, CLAIM, h, OTHER)  # same layout, different words
    # too little text to compare: only a very close hash counts
    assert same_sent_image(h, "", h, "")
    flipped = f"{int(h, 16) ^ ((1 << 15) - 1):0{len(h)}x}"  # 15 bits differ
    assert not same_sent_image(h, "", flipped, "")
    assert same_sent_image(h, CLAIM, flipped, CLAIM + " 10:45")


def test_texts_agree_needs_enough_text() -> None:
    assert texts_agree("short", "short") is None
    assert texts_agree(CLAIM, CLAIM.upper()) is True
    assert texts_agree(CLAIM, OTHER) is False
