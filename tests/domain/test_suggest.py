"""Attribution suggestions (app/domain/suggest.py): one test per pattern, the hand-built gold set,
and a quality gate.

The quality gate measures precision and recall per attribution type and speaker accuracy on the
hand-annotated articles in ``tests/data/suggest_gold`` and fails when a change makes them worse
than the figures pinned below (a hair under what the detector reached when they were pinned; see
docs/suggestions.md for the table and how the gold set was made).
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.suggest import (
    MarkerSuggestion,
    RegistrySpeaker,
    Suggestion,
    suggest,
    suggest_bias_markers,
)
from app.domain.text import canonicalize_plain_text

GOLD_DIR = Path(__file__).resolve().parent.parent / "data" / "suggest_gold"
REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("SOURCEMARK_SHARED", REPO.parent / "shared")) / "corpus"
TYPES = ("direct", "indirect", "mixed")

# Pinned quality (measured on the full gold set when pinned; see docs/suggestions.md).
MIN_RECALL = {"direct": 0.99, "indirect": 0.965, "mixed": 0.95}
MIN_RECALL_WITH_SPEAKER = {"direct": 0.99, "indirect": 0.965, "mixed": 0.95}
MIN_PRECISION = {"direct": 0.97, "indirect": 0.99, "mixed": 0.97}
MIN_SPEAKER_ACCURACY = 0.99
# The targets of the issue, checked separately so that a relaxed pin cannot hide them.
ISSUE_TARGETS = {"direct_recall_with_speaker": 0.9, "indirect_recall": 0.6}

VALENCES = {"neutral", "distancing", "endorsing", "emotive", "directive", "concessive"}
SPECIFICITIES = {"named_person", "named_org", "anonymous", "vague_collective", "document"}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def person(
    id: int, name: str, *aliases: str, role: str | None = None, country: str | None = None
) -> RegistrySpeaker:
    return RegistrySpeaker(id, name, tuple(aliases), "person", role, None, None, country)


def body(
    id: int, name: str, *aliases: str, type: str = "government_body", country: str | None = None
) -> RegistrySpeaker:
    return RegistrySpeaker(id, name, tuple(aliases), type, None, None, None, country)


def texts(text: str, suggestion: Suggestion) -> list[str]:
    return [text[start:end] for start, end in suggestion.content]


def span_text(text: str, span: tuple[int, int] | None) -> str | None:
    return None if span is None else text[span[0] : span[1]]


def only(suggestions: list[Suggestion]) -> Suggestion:
    assert len(suggestions) == 1, suggestions
    return suggestions[0]


def load_gold() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(GOLD_DIR.glob("*.json"))]


def registry_of(doc: dict[str, Any]) -> list[RegistrySpeaker]:
    return [
        RegistrySpeaker(
            s["id"],
            s["name"],
            tuple(s["aliases"]),
            s["type"],
            s["role"],
            s["affiliation"],
            s["side"],
            s["country"],
        )
        for s in doc["speakers"]
    ]


def _chars(segments: Any) -> set[int]:
    return {i for start, end in segments for i in range(start, end)}


@dataclass
class Quality:
    gold: dict[str, int]
    gold_matched: dict[str, int]
    gold_matched_speaker: dict[str, int]
    suggested: dict[str, int]
    suggested_matched: dict[str, int]
    matched_pairs: int
    speaker_correct: int
    type_correct: int

    def recall(self, kind: str) -> float:
        return self.gold_matched[kind] / self.gold[kind]

    def recall_with_speaker(self, kind: str) -> float:
        return self.gold_matched_speaker[kind] / self.gold[kind]

    def precision(self, kind: str) -> float:
        return self.suggested_matched[kind] / self.suggested[kind] if self.suggested[kind] else 1.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_correct / self.matched_pairs

    @property
    def type_accuracy(self) -> float:
        return self.type_correct / self.matched_pairs


def measure(docs: list[dict[str, Any]]) -> Quality:
    """Match suggestions to gold claims one to one (greedy, best Jaccard first, over the characters
    of all content segments, Jaccard >= 0.5) and count per attribution type.

    Recall of type T: gold claims of type T that some suggestion matches. Precision of type T:
    suggestions of type T that match some gold claim. Speaker accuracy: matched pairs whose
    speaker is the same registry entry (both none counts as the same).
    """
    kinds = (*TYPES, "authorial")

    def zeros() -> dict[str, int]:
        return dict.fromkeys(kinds, 0)

    q = Quality(zeros(), zeros(), zeros(), zeros(), zeros(), 0, 0, 0)
    for doc in docs:
        registry = registry_of(doc)
        names = {s.id: s.name for s in registry}
        suggestions = suggest(doc["text"], registry)
        gold = doc["claims"]
        pairs = []
        for g_index, claim in enumerate(gold):
            g_chars = _chars(claim["content"])
            for s_index, suggestion in enumerate(suggestions):
                s_chars = _chars(suggestion.content)
                jaccard = len(g_chars & s_chars) / len(g_chars | s_chars)
                if jaccard >= 0.5:
                    pairs.append((jaccard, g_index, s_index))
        pairs.sort(reverse=True)
        gold_to_suggestion: dict[int, int] = {}
        matched_suggestions: set[int] = set()
        for _jaccard, g_index, s_index in pairs:
            if g_index in gold_to_suggestion or s_index in matched_suggestions:
                continue
            gold_to_suggestion[g_index] = s_index
            matched_suggestions.add(s_index)
        for g_index, claim in enumerate(gold):
            kind = claim["attribution"]
            q.gold[kind] += 1
            if g_index in gold_to_suggestion:
                suggestion = suggestions[gold_to_suggestion[g_index]]
                same_speaker = names.get(suggestion.speaker_id) == claim["speaker"]
                q.gold_matched[kind] += 1
                q.gold_matched_speaker[kind] += same_speaker
                q.matched_pairs += 1
                q.speaker_correct += same_speaker
                q.type_correct += suggestion.attribution == kind
        for s_index, suggestion in enumerate(suggestions):
            q.suggested[suggestion.attribution] += 1
            q.suggested_matched[suggestion.attribution] += s_index in matched_suggestions
    return q


# --------------------------------------------------------------------------------------------
# Gold set integrity
# --------------------------------------------------------------------------------------------


def test_gold_set_size_and_shape() -> None:
    docs = load_gold()
    wikinews = [d for d in docs if d["file"].startswith("wikinews-quotes/")]
    assert len(wikinews) >= 10
    assert any(d["file"].startswith("seed/") for d in docs)
    for doc in docs:
        assert {"file", "claims", "speakers", "text", "text_sha256", "credit"} <= set(doc)
        if doc["file"].startswith("wikinews-quotes/"):
            assert "licensed CC BY 2.5" in doc["credit"] and doc["url"] in doc["credit"]
        assert len({s["id"] for s in doc["speakers"]}) == len(doc["speakers"])
        for speaker in doc["speakers"]:
            assert {"id", "name", "aliases", "type", "role"} <= set(speaker)


def test_gold_offsets_match_their_text() -> None:
    for doc in load_gold():
        text = doc["text"]
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == doc["text_sha256"], doc["file"]
        names = {s["name"] for s in doc["speakers"]}
        for claim in doc["claims"]:
            assert claim["attribution"] in TYPES
            assert claim["speaker"] is None or claim["speaker"] in names, claim
            assert len(claim["content"]) == len(claim["content_text"]) >= 1
            for (start, end), expected in zip(claim["content"], claim["content_text"], strict=True):
                assert 0 <= start < end <= len(text)
                assert text[start:end] == expected, (doc["file"], start, end)
            if claim["source_text"] is not None:
                assert claim["source_text"] in text


def test_gold_text_is_the_canonical_corpus_text() -> None:
    """The embedded text is ``canonicalize_plain_text`` of the corpus file (when the corpus is here)."""
    docs = load_gold()
    if not (CORPUS / docs[0]["file"]).exists():
        pytest.skip(f"corpus not found at {CORPUS} (set SOURCEMARK_SHARED)")
    for doc in docs:
        raw = (CORPUS / doc["file"]).read_text(encoding="utf-8")
        assert canonicalize_plain_text(raw).text == doc["text"], doc["file"]


# --------------------------------------------------------------------------------------------
# Quality gate
# --------------------------------------------------------------------------------------------


def test_quality_on_gold_set_does_not_regress() -> None:
    q = measure(load_gold())
    report = {
        kind: (round(q.precision(kind), 3), round(q.recall(kind), 3), round(q.recall_with_speaker(kind), 3))
        for kind in TYPES
    }
    for kind in TYPES:
        assert q.recall(kind) >= MIN_RECALL[kind], report
        assert q.recall_with_speaker(kind) >= MIN_RECALL_WITH_SPEAKER[kind], report
        assert q.precision(kind) >= MIN_PRECISION[kind], report
    assert q.speaker_accuracy >= MIN_SPEAKER_ACCURACY, q.speaker_accuracy
    assert q.recall_with_speaker("direct") >= ISSUE_TARGETS["direct_recall_with_speaker"]
    assert q.recall("indirect") >= ISSUE_TARGETS["indirect_recall"]
    assert q.suggested["authorial"] == 0  # the detector never claims the writer's own voice


def test_three_hundred_paragraphs_well_under_a_second() -> None:
    paragraphs = [p for doc in load_gold() for p in doc["text"].split("\n\n")]
    while len(paragraphs) < 300:
        paragraphs += paragraphs
    article = "\n\n".join(paragraphs[:300])
    registry = [s for doc in load_gold() for s in registry_of(doc)]
    registry = [RegistrySpeaker(i, s.name, s.aliases, s.type, s.role) for i, s in enumerate(registry)]
    suggest(article, registry)  # compiles the registry once, as a server would
    timings = []
    for _ in range(3):  # CPU time: a busy CI machine must not make this flaky
        started = time.process_time()
        result = suggest(article, registry)
        timings.append(time.process_time() - started)
    assert len(result) > 100
    assert statistics.median(timings) < 0.5, timings


# --------------------------------------------------------------------------------------------
# Direct quotes
# --------------------------------------------------------------------------------------------


def test_straight_quotes_with_trailing_said_and_name() -> None:
    text = 'The vote was close.\n\n"We will appeal the decision," said Maria Lopez, the party leader.'
    registry = [person(1, "María López")]
    s = only(suggest(text, registry))
    assert texts(text, s) == ["We will appeal the decision"]
    assert s.attribution == "direct"
    assert s.speaker_id == 1 and s.speaker_resolution == "explicit"
    assert span_text(text, s.cue) == "said" and s.cue_valence == "neutral"
    assert span_text(text, s.source) == "Maria Lopez"
    assert s.source_specificity == "named_person"
    assert s.claim_type == "prediction"


def test_typographic_quotes_and_pronoun_resolve_to_last_named_speaker() -> None:
    text = (
        "Turkish Foreign Minister Mevlut Cavusoglu condemned the attack.\n\n"
        "“What they did is unacceptable. It must stop,” he said."
    )
    registry = [person(7, "Mevlüt Çavuşoğlu", "Cavusoglu", role="Foreign Minister of Turkey")]
    direct = [s for s in suggest(text, registry) if s.attribution == "direct"]
    s = only(direct)
    assert texts(text, s) == ["What they did is unacceptable. It must stop"]
    assert s.speaker_id == 7 and s.speaker_resolution == "coreference"
    assert s.speaker_mention == "he"


def test_interrupted_quote_is_one_suggestion_with_two_segments() -> None:
    text = '"Terrorists seek to divide us," said Khan, "but here we will never let them succeed."'
    s = only(suggest(text, [person(3, "Sadiq Khan")]))
    assert texts(text, s) == ["Terrorists seek to divide us", "but here we will never let them succeed."]
    assert s.speaker_id == 3 and s.attribution == "direct"


def test_quote_resumed_after_trailer_sentence() -> None:
    text = (
        '"Our citizens have been injured," Lam continued in the statement. '
        '"There have been chaotic scenes at the airport."'
    )
    s = only(suggest(text, [person(1, "Carrie Lam", role="Chief Executive of Hong Kong")]))
    assert len(s.content) == 2 and s.speaker_id == 1


def test_multi_paragraph_quote_continues_into_the_next_paragraph() -> None:
    text = (
        "The MP spoke to reporters.\n\n"
        "“Some actors demonstrate the justified position.\n\n"
        "“However, others just ignore the attacks,” Guliyev told TRT World."
    )
    s = only(suggest(text, [person(5, "Azay Guliyev")]))
    first, second = texts(text, s)
    assert first == "Some actors demonstrate the justified position."
    assert second == "However, others just ignore the attacks"
    assert text.index("\n\n", s.content[0][1]) == s.content[0][1]  # the first segment ends its paragraph
    assert s.speaker_id == 5


def test_bare_multi_paragraph_quote_is_inferred_from_the_previous_speaker() -> None:
    text = (
        "According to Guliyev, the displaced must return home.\n\n"
        "“One million displaced people must return in a dignified way.\n\n"
        "“Co-existence must be supported by international organisations.”"
    )
    suggestions = suggest(text, [person(5, "Azay Guliyev")])
    direct = only([s for s in suggestions if s.attribution == "direct"])
    assert len(direct.content) == 2
    assert direct.speaker_id == 5 and direct.speaker_resolution == "inferred"
    assert direct.source is None and direct.cue is None
    assert direct.claim_type == "quantity"


def test_quote_introduced_by_cue_and_colon() -> None:
    text = 'Senator Lindsey Graham spoke on Fox News: "This is going to lead to a big win for Iran."'
    s = only(suggest(text, [person(8, "Lindsey Graham", role="United States Senator")]))
    assert s.attribution == "direct" and s.speaker_id == 8
    assert texts(text, s) == ["This is going to lead to a big win for Iran."]


# --------------------------------------------------------------------------------------------
# Reported speech
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "valence"),
    [
        ("said", "neutral"),
        ("claimed", "distancing"),
        ("revealed", "endorsing"),
        ("admitted", "concessive"),
        ("insisted", "distancing"),
        ("acknowledged", "concessive"),
    ],
)
def test_indirect_speech_cue_span_and_valence(verb: str, valence: str) -> None:
    text = f"Prime Minister Nikol Pashinyan {verb} that the border had been shelled overnight."
    s = only(suggest(text, [person(2, "Nikol Pashinyan", role="Prime Minister of Armenia")]))
    assert s.attribution == "indirect"
    assert texts(text, s) == ["the border had been shelled overnight"]
    assert span_text(text, s.cue) == verb and s.cue_valence == valence
    assert span_text(text, s.source) == "Prime Minister Nikol Pashinyan"
    assert s.speaker_id == 2


def test_emotive_and_directive_cues() -> None:
    text = "Biden slammed the decision. The senator urged Congress to act before the recess."
    suggestions = suggest(text, [person(1, "Joe Biden", role="United States Senator")])
    valences = {span_text(text, s.cue): s.cue_valence for s in suggestions}
    assert valences == {"slammed": "emotive", "urged": "directive"}
    assert all(s.speaker_id == 1 for s in suggestions)


def test_told_skips_the_person_told_and_warned_that() -> None:
    text = (
        "Prosecutor Anna Kowalska told reporters today the suspect will face trial. "
        "President Recep Tayyip Erdogan warned Armenia that Ankara will stand by Azerbaijan."
    )
    registry = [
        person(1, "Anna Kowalska"),
        person(2, "Recep Tayyip Erdoğan", "Erdogan", role="President of Turkey"),
    ]
    told, warned = suggest(text, registry)
    assert texts(text, told) == ["the suspect will face trial"] and told.speaker_id == 1
    assert texts(text, warned) == ["Ankara will stand by Azerbaijan"] and warned.speaker_id == 2
    assert warned.claim_type == "prediction"


def test_according_to_before_and_after_the_content() -> None:
    text = (
        "According to Guliyev, any settlement must include the return of the displaced. "
        "More than 1000 people have been arrested since June, according to The Guardian."
    )
    registry = [person(1, "Azay Guliyev"), RegistrySpeaker(2, "The Guardian", (), "media")]
    first, second = suggest(text, registry)
    assert texts(text, first) == ["any settlement must include the return of the displaced"]
    assert first.speaker_id == 1 and span_text(text, first.cue) == "According to"
    assert texts(text, second) == ["More than 1000 people have been arrested since June"]
    assert second.speaker_id == 2 and second.claim_type == "quantity"
    assert second.source_specificity == "named_org"


def test_content_first_and_parenthetical_attribution() -> None:
    text = (
        "She and her husband left the country, police revealed on Saturday. "
        "Turkey would guard the fighters, the statement said, because Europe refused."
    )
    first, second = suggest(text, [])
    assert texts(text, first) == ["She and her husband left the country"]
    assert span_text(text, first.source) == "police" and first.cue_valence == "endorsing"
    assert texts(text, second) == ["Turkey would guard the fighters", "because Europe refused"]
    assert second.source_specificity == "document"


def test_partial_quote_inside_paraphrase_is_mixed() -> None:
    text = "Azerbaijan’s President Ilham Aliyev has called the fighting “another provocation of Armenia”."
    s = only(suggest(text, [person(1, "Ilham Aliyev", role="President of Azerbaijan")]))
    assert s.attribution == "mixed"
    assert texts(text, s) == ["the fighting “another provocation of Armenia”"]
    assert s.speaker_id == 1


def test_paraphrase_with_quoted_words_after_said_is_mixed() -> None:
    text = 'Brudzinski said the mayor was in a "serious" condition; TVN24 reported he received surgery.'
    registry = [person(1, "Joachim Brudziński"), RegistrySpeaker(2, "TVN24", (), "media")]
    mixed, indirect = suggest(text, registry)
    assert mixed.attribution == "mixed" and texts(text, mixed) == ['the mayor was in a "serious" condition']
    assert mixed.speaker_id == 1  # accents ignored: "Brudzinski" is "Brudziński"
    assert indirect.attribution == "indirect" and texts(text, indirect) == ["he received surgery"]
    assert indirect.speaker_id == 2


# --------------------------------------------------------------------------------------------
# Speaker resolution
# --------------------------------------------------------------------------------------------


def test_title_alone_resolves_through_the_role() -> None:
    text = "The Turkish Foreign Minister said Ankara backs Baku."
    registry = [
        person(3, "Mevlüt Çavuşoğlu", role="Foreign Minister of Turkey", country="TR"),
        person(4, "Recep Tayyip Erdoğan", role="President of Turkey", country="TR"),
    ]
    s = only(suggest(text, registry))
    assert s.speaker_id == 3


def test_capital_city_metonymy_resolves_to_the_government() -> None:
    text = "Armenia has reported four deaths, although Baku says the toll is much higher."
    registry = [
        body(6, "Government of Azerbaijan", "Baku", country="AZ"),
        body(7, "Government of Armenia", "Yerevan", "Armenia", country="AM"),
    ]
    armenia, baku = suggest(text, registry)
    assert armenia.speaker_id == 7 and texts(text, armenia) == ["four deaths"]
    assert baku.speaker_id == 6 and texts(text, baku) == ["the toll is much higher"]
    assert baku.source_specificity == "named_org"


def test_surname_and_description_coreference() -> None:
    text = (
        "TRT World spoke to Azerbaijani Member of Parliament Azay Guliyev. "
        "The Azerbaijani official explained that Baku was seeking justice. "
        "Guliyev further accused some actors of fuelling tensions."
    )
    registry = [person(5, "Azay Guliyev", role="Member of Parliament", country="AZ")]
    explained, accused = suggest(text, registry)
    assert explained.speaker_id == 5 and explained.speaker_resolution == "coreference"
    assert accused.speaker_id == 5 and accused.speaker_resolution == "explicit"


def test_pronoun_after_a_report_by_an_organisation_finds_the_person_inside_it() -> None:
    text = (
        "The broadcaster PBS revealed that Crown Prince Mohammad bin Salman accepted responsibility. "
        'Speaking to PBS, he said, "It happened under my watch."'
    )
    registry = [person(1, "Mohammad bin Salman"), RegistrySpeaker(2, "PBS", (), "media")]
    direct = only([s for s in suggest(text, registry) if s.attribution == "direct"])
    assert direct.speaker_id == 1


def test_unknown_named_source_keeps_its_mention() -> None:
    text = '"The statement was a surprise for all of us," Kino Gabriel said.'
    s = only(suggest(text, []))
    assert s.speaker_id is None
    assert s.speaker_mention == "Kino Gabriel" and span_text(text, s.source) == "Kino Gabriel"
    assert s.source_specificity == "named_person"


def test_vague_passive_and_collective_sources() -> None:
    text = (
        "Armenia has since been accused of eliminating traces of settlement. "
        "Critics say the plan will fail. "
        "A senior official said the talks had stalled."
    )
    registry = [body(7, "Government of Armenia", "Armenia")]
    accused, critics, official = suggest(text, registry)
    assert texts(text, accused) == ["eliminating traces of settlement"]
    assert accused.speaker_id is None and accused.source is None
    assert accused.source_specificity == "vague_collective"
    assert critics.speaker_id is None and critics.source_specificity == "vague_collective"
    assert official.speaker_id is None and official.source_specificity == "anonymous"


def test_joint_source_has_no_single_speaker() -> None:
    text = "According to Reuters and NBC, the prince is the de facto ruler."
    registry = [RegistrySpeaker(1, "Reuters", (), "media"), RegistrySpeaker(2, "NBC", (), "media")]
    s = only(suggest(text, registry))
    assert s.speaker_id is None and span_text(text, s.source) == "Reuters and NBC"


# --------------------------------------------------------------------------------------------
# Things that are not claims, and general guarantees
# --------------------------------------------------------------------------------------------


def test_scare_quotes_titles_signs_and_negations_are_not_suggested() -> None:
    text = (
        "The so-called ‘International bipolarity’ shaped the debate.\n\n"
        '"Revoke article 50" poster at the march.\n\n'
        "The prince did not say he had ordered it.\n\n"
        'Protesters marched during an anti-Brexit ("British exit") rally.'
    )
    assert suggest(text, []) == []


def test_empty_and_quote_free_text() -> None:
    assert suggest("", []) == []
    assert suggest("   ", []) == []
    assert suggest("The river rose by two metres overnight.", []) == []


def test_suggestions_are_sorted_and_well_formed_on_the_seed_article() -> None:
    doc = next(d for d in load_gold() if d["file"].startswith("seed/"))
    text = doc["text"]
    suggestions = suggest(text, registry_of(doc))
    assert [s.content[0] for s in suggestions] == sorted(s.content[0] for s in suggestions)
    for s in suggestions:
        assert s.attribution in TYPES
        assert all(0 <= a < b <= len(text) for a, b in s.content)
        assert s.source is None or 0 <= s.source[0] < s.source[1] <= len(text)
        assert s.cue is None or 0 <= s.cue[0] < s.cue[1] <= len(text)
        assert 0.0 <= s.confidence <= 1.0
        assert s.cue_valence is None or s.cue_valence in VALENCES
        assert s.source_specificity is None or s.source_specificity in SPECIFICITIES
        assert s.speaker_resolution in {None, "explicit", "coreference", "inferred"}
        assert s.claim_type in {None, "quantity", "prediction"}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                '"',
                "“",
                "”",
                "‘",
                "’",
                "'",
                ",",
                ".",
                " ",
                "\n\n",
                "said",
                "he",
                "Aliyev",
                "according to",
                "told",
                "has been accused of",
                "Baku",
                ":",
                "—",
                "(",
                ")",
                "that",
                "The",
                "a",
                "x",
                "é",
                "said,",
            ]
        ),
        max_size=60,
    ).map(" ".join)
)
def test_never_crashes_and_offsets_stay_in_range(raw: str) -> None:
    if not raw.strip():
        return
    text = canonicalize_plain_text(raw).text
    registry = [person(1, "Ilham Aliyev"), body(2, "Government of Azerbaijan", "Baku")]
    suggestions = suggest(text, registry)
    for s in suggestions:
        assert s.content and all(0 <= a < b <= len(text) for a, b in s.content)
        assert [seg for seg in s.content] == sorted(s.content)
        assert 0.0 <= s.confidence <= 1.0
    assert [s.content[0] for s in suggestions] == sorted(s.content[0] for s in suggestions)


# --------------------------------------------------------------------------------------------
# Bias markers
# --------------------------------------------------------------------------------------------


def test_loaded_language_markers_from_the_lexicon() -> None:
    text = "Critics slammed the draconian and reckless plan; the Slammed Fields festival is unrelated."
    markers = suggest_bias_markers(text)
    found = [text[m.start : m.end] for m in markers]
    assert found[:3] == ["slammed", "draconian", "reckless"]
    assert all(isinstance(m, MarkerSuggestion) and m.bias_type == "loaded_language" for m in markers)
    assert all(0.0 < m.confidence <= 1.0 for m in markers)


def test_lexicon_file_credits_babe_and_its_licence() -> None:
    lexicon = REPO / "app" / "data" / "loaded_language.txt"
    header = [line for line in lexicon.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    joined = " ".join(header)
    assert "BABE" in joined and "Spinde" in joined and "AGPL-3.0" in joined
    entries = [
        line for line in lexicon.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    ]
    assert len(entries) >= 50
    for line in entries:
        term, weight, *_counts = line.split("\t")
        assert term == term.strip().lower() and 0.0 < float(weight) <= 1.0


def test_no_markers_in_neutral_text() -> None:
    assert suggest_bias_markers("The committee met on Tuesday and approved the budget.") == []


def test_a_full_name_beats_another_speakers_title_alias() -> None:
    """An alias like "Azerbaijan's President" must not claim every "President …" for its speaker."""
    registry = [
        RegistrySpeaker(id=1, name="Ilham Aliyev", aliases=("Azerbaijan's President", "Aliyev"), type="person"),
        RegistrySpeaker(id=4, name="Recep Tayyip Erdoğan", aliases=("Recep Tayyip Erdogan", "Erdogan"), type="person"),
    ]
    text = ("President Recep Tayyip Erdogan has also warned Armenia that Ankara will stand by Azerbaijan "
            "in the event of any escalation.")
    found = suggest(text, registry)
    assert [(s.speaker_id, text[s.content[0][0]:s.content[0][1]]) for s in found] == [
        (4, "Ankara will stand by Azerbaijan in the event of any escalation")]
