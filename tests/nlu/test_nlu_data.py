"""The training data itself: enough examples per intent and language, no contradictions, and a
held-out set that really is held out.

Language is taken from each block's `metadata: {language: ...}` (the convention described at the
top of nlu/data/nlu.yml), and then checked against the text so a mislabelled block is caught:
Thai blocks must be in Thai script, Malay and English blocks in Latin script, and Malay blocks
must mostly contain Malay words (and English ones English words)."""

from __future__ import annotations

import re
import string
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from nlu.intent_classifier import DEFAULT_DATA, Example, load_examples, load_synonyms
from nlu.intents import INTENTS
from nlu.languages import LANGUAGES
from nlu.normalize import clean

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "intents_heldout.yml"
DOMAIN = DEFAULT_DATA.parents[1] / "domain.yml"
_THAI = re.compile("[\u0e00-\u0e7f]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Frequent function and chat words; a block is "Malay" if most of its examples contain one.
MALAY_MARKERS = _words(
    """ada apa bila boleh bot ke kat mana nak sy saya x tak tu ni je la dgn dengan yg yang utk
    untuk org orang kena dah ye bagi bg mcm macam camne tolong terima kasih tq undi pilihan raya
    betul cakap jumpa lagi dulu selamat salam bahasa sangat bagus jawapan salah tukar awak kau
    manusia semak info hai helo assalamualaikum slm apa khabar pukul berapa hari sape siapa
    terbaik mantap hebat padu gempak power best mantul top kemas merepek mengarut hampeh teruk
    hancur bai babai chow chaw tata gerak blah off tenkiu tima trima ribuan jasamu thank thanks
    hye weh oi admin tuan semua ish adoi hihihi wkwkwk kahkahkah esok semalam resepi tulis
    patut harga tiket terjemah nyanyi kedai bateri panggil drama kadar jom mesej robot ai
    chatgpt mesin chatbot bodoh rosak link tarikh sihat cerita bosan hidup"""
)
ENGLISH_MARKERS = _words(
    """the a an i you is are am to of in it that this what how when where can do my me your
    please pls thanks thank bye hi hello hey good yes no not so for with on at be was will
    bot human person vote voting election polling ballot true real help language english
    thai malay speak talk answer wrong useful great nice see later night morning evening
    cheers thx ty tysm sup yo hiya howdy greetings anyone there mate heaps appreciate cya gtg
    ttyl farewell awesome brilliant excellent spot perfect 👍 👎 terrible useless rubbish
    menu options operator lol hahaha hmm"""
)


def _norm(text: str) -> str:
    """Comparison key for duplicates: case, spacing and punctuation do not make a new example."""
    text = clean(text).casefold()
    return " ".join(text.translate(str.maketrans("", "", string.punctuation + "“”‘’")).split())


@pytest.fixture(scope="module")
def training() -> list[Example]:
    return load_examples(DEFAULT_DATA)


@pytest.fixture(scope="module")
def heldout() -> list[Example]:
    return load_examples(HELDOUT)


def _counts(examples: list[Example]) -> dict[tuple[str, str | None], int]:
    return Counter((e.intent, e.language) for e in examples)


def test_every_block_names_a_known_intent_and_language(training, heldout) -> None:
    for example in training + heldout:
        assert example.intent in INTENTS, example
        assert example.language in LANGUAGES, example


@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_at_least_25_training_examples(training, intent: str, language: str) -> None:
    count = _counts(training)[(intent, language)]
    assert count >= 25, f"{intent}/{language}: only {count} examples"


@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_at_least_8_heldout_examples(heldout, intent: str, language: str) -> None:
    count = _counts(heldout)[(intent, language)]
    assert count >= 8, f"{intent}/{language}: only {count} held-out examples"


def test_language_labels_match_the_text(training, heldout) -> None:
    marker_hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for example in training + heldout:
        thai = bool(_THAI.search(example.text))
        if example.language == "th":
            assert thai, f"Thai block without Thai script: {example}"
            continue
        assert not thai, f"Thai script in a {example.language} block: {example}"
        words = set(re.findall(r"[\w'👍👎]+", example.text.casefold()))
        markers = MALAY_MARKERS if example.language == "ms" else ENGLISH_MARKERS
        marker_hits[(example.intent, example.language)].append(bool(words & markers))
    for (intent, language), hits in marker_hits.items():
        share = sum(hits) / len(hits)
        assert share >= 0.6, f"{intent}/{language}: only {share:.0%} look like {language}"


def test_no_duplicate_examples(training) -> None:
    seen: dict[str, str] = {}
    problems = []
    for example in training:
        key = _norm(example.text)
        if key in seen:
            problems.append(f"{example.text!r}: {seen[key]} and {example.intent}")
        seen[key] = example.intent
    assert not problems, "duplicate training examples:\n" + "\n".join(problems)


def test_no_duplicates_inside_heldout(heldout) -> None:
    keys = Counter(_norm(e.text) for e in heldout)
    assert not [k for k, n in keys.items() if n > 1]


def test_heldout_is_not_in_training(training, heldout) -> None:
    trained = {_norm(e.text) for e in training}
    leaked = [e.text for e in heldout if _norm(e.text) in trained]
    assert not leaked, f"held-out examples also used for training: {leaked}"


def test_synonyms_are_unambiguous() -> None:
    doc = yaml.safe_load(DEFAULT_DATA.read_text(encoding="utf-8"))
    surfaces: Counter[str] = Counter()
    for block in doc["nlu"]:
        if "synonym" in block:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    surfaces[line.strip()[2:].casefold()] += 1
    assert [s for s, n in surfaces.items() if n > 1] == []
    assert set(load_synonyms().values()) <= {"thailand", "malaysia", "th", "ms", "en"}


def test_entity_annotations_parse(training) -> None:
    entity_types = {ent["entity"] for e in training for ent in e.entities}
    assert {"country", "date", "language"} <= entity_types
    for example in training:
        assert "[" not in example.text and "](" not in example.text, example.text
        for ent in example.entities:
            assert example.text[ent["start"] : ent["end"]], (example.text, ent)


def test_domain_lists_the_same_intents_and_entities(training) -> None:
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    assert tuple(domain["intents"]) == INTENTS
    entity_types = {ent["entity"] for e in training for ent in e.entities}
    assert set(domain["entities"]) == entity_types
