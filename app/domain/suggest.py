"""Rule-based attribution suggestions (issue "Attribution suggestions"): pure, standard library only.

Annotators accept or fix suggestions rather than start from a blank page, so the detector aims
at recall with honest confidences, and every suggestion carries offsets an annotator can check.
It needs no model download and no network, so it runs the same in tests, on a laptop and in
production, and it is fast enough to run whenever a page asks for it (a 300-paragraph article
takes well under a tenth of a second; see ``docs/suggestions.md``).

Method, in the order :func:`suggest` applies it (``docs/suggestions.md`` gives the details):

1. find quotations (straight and typographic marks, quotes left open at the end of a paragraph
   that the next paragraph re-opens) and quote-aware sentences;
2. read each reporting cue (``said``, ``told``, ``according to``, ``accused`` …) with its frame:
   who is the source (the subject before it, the noun phrase after it in ``"…," said X``, the
   agent of a passive), and which words are the content;
3. turn quotes into direct claims (with their introducing or trailing cue, joining the pieces of
   interrupted quotes), paraphrases into indirect claims, paraphrases containing quoted words
   into mixed claims;
4. resolve every source to the speaker registry: names, aliases, surnames and role titles,
   accents ignored; pronouns and descriptions (``he``, ``the foreign minister``, ``the
   statement``) to the last compatible speaker; quotes without any cue to the previous speaker.

All offsets are Python ``str`` indices (Unicode code points) into the canonical text, end
exclusive, as everywhere else in Sourcemark.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

__all__ = [
    "MarkerSuggestion",
    "RegistrySpeaker",
    "Suggestion",
    "suggest",
    "suggest_bias_markers",
]

Attribution = Literal["direct", "indirect", "mixed", "authorial"]
Span = tuple[int, int]


# --------------------------------------------------------------------------------------------
# Public data shapes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegistrySpeaker:
    """One entry of a project's speaker registry, as the detector needs it.

    ``aliases`` hold transliterations and other names; a government body may list its capital
    (``"Baku"``) so that metonymic sources resolve to it. ``role`` is free text such as
    ``"Foreign Minister of Turkey"``; titles derived from it ("Turkish Foreign Minister") match.
    """

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    type: str | None = None
    role: str | None = None
    affiliation: str | None = None
    side: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A claim the annotator may accept: content segments plus attribution fields.

    ``content`` holds one or more ``(start, end)`` segments (an interrupted or multi-paragraph
    quote is one suggestion); for direct quotes it excludes the outer quotation marks.
    """

    content: tuple[Span, ...]
    source: Span | None
    cue: Span | None
    attribution: Attribution
    speaker_id: int | None
    speaker_mention: str | None
    speaker_resolution: Literal["explicit", "coreference", "inferred"] | None
    source_specificity: str | None
    cue_valence: str | None
    claim_type: str | None
    confidence: float


@dataclass(frozen=True, slots=True)
class MarkerSuggestion:
    """A loaded-language span suggested for the bias-marker layer."""

    start: int
    end: int
    bias_type: str = "loaded_language"
    confidence: float = 0.5


# --------------------------------------------------------------------------------------------
# Lexicons. Forms are listed explicitly (no stemming) so that nouns such as "claims", "reports"
# or "statement" are only read as cues where the table says so.
# --------------------------------------------------------------------------------------------

# Frames: how the content follows the cue.
#   clause    — "said (that) CONTENT" up to the end of the clause
#   addressee — "told (reporters) (that) CONTENT": skip the person told first
#   object    — "condemned CONTENT": a noun phrase, ends at the first comma
#   call      — "called X Y" (object frame, but read as naming)
#   as        — "described X as Y"
#   speech    — only next to a quotation ("continued, "…"", "spoke on Fox News, "…"")
#   prep      — "according to SOURCE"
#   adverb    — "Reportedly, …" at the start of a sentence: unnamed source
_CUE_TABLE: dict[str, tuple[tuple[str, ...], str, str]] = {
    "say": (("say", "says", "said", "saying"), "neutral", "clause"),
    "tell": (("tell", "tells", "told", "telling"), "neutral", "addressee"),
    "add": (("adds", "added", "adding"), "neutral", "clause"),
    "state": (("state", "stated", "stating"), "neutral", "clause"),  # not "states": "member states met"
    "announce": (("announce", "announces", "announced", "announcing"), "neutral", "clause"),
    "explain": (("explained", "explains", "explaining"), "neutral", "clause"),
    "write": (("wrote", "writes"), "neutral", "clause"),
    "tweet": (("tweeted",), "neutral", "clause"),
    "report": (("reported", "reports", "reporting"), "neutral", "clause"),
    "remark": (("remarked",), "neutral", "clause"),
    "comment": (("commented",), "neutral", "clause"),
    "reply": (("replied",), "neutral", "clause"),
    "respond": (("responded",), "neutral", "clause"),
    "declare": (("declared", "declares"), "neutral", "clause"),
    "argue": (("argued", "argues", "arguing"), "neutral", "clause"),
    "suggest": (("suggested",), "neutral", "clause"),
    "predict": (("predicted", "predicts"), "neutral", "clause"),
    "emphasize": (("emphasized", "emphasised", "emphasizes", "emphasises"), "neutral", "clause"),
    "stress": (("stressed",), "neutral", "clause"),
    "reiterate": (("reiterated",), "neutral", "clause"),
    "recall": (("recalled",), "neutral", "clause"),
    "indicate": (("indicated", "indicate", "indicates"), "neutral", "clause"),
    "pledge": (("pledged", "pledges"), "neutral", "clause"),
    "promise": (("promised",), "neutral", "clause"),
    "vow": (("vowed", "vows"), "neutral", "clause"),
    "caution": (("cautioned", "cautions"), "neutral", "clause"),
    "specify": (("specified", "specifies"), "neutral", "clause"),
    "conclude": (("concluded", "concludes"), "neutral", "clause"),
    "credit": (("credited",), "neutral", "object"),
    "encourage": (("encouraged",), "directive", "object"),
    "deny": (("denied", "denies"), "neutral", "clause"),
    "accuse": (("accused", "accuses", "accusing"), "neutral", "clause"),
    "warn": (("warned", "warns"), "neutral", "addressee"),
    "inform": (("informed",), "neutral", "addressee"),
    "assure": (("assured",), "neutral", "addressee"),
    "continue": (("continued",), "neutral", "speech"),
    "go on": (("went on",), "neutral", "speech"),
    "speak": (("spoke",), "neutral", "speech"),
    "elaborate": (("elaborated",), "neutral", "speech"),
    "defend": (("defended",), "neutral", "speech"),
    "describe": (("described", "describes", "describing"), "neutral", "as"),
    "characterize": (("characterized", "characterised", "characterizes", "characterises"), "neutral", "as"),
    "call": (("called", "calls", "calling"), "neutral", "call"),
    "call for": (("called for", "calls for", "calling for"), "directive", "object"),
    "call on": (("called on", "calls on", "calling on", "called upon"), "directive", "object"),
    "condemn": (("condemned", "condemns", "condemning"), "neutral", "object"),
    "criticize": (("criticized", "criticised", "criticizes", "criticises"), "neutral", "object"),
    "denounce": (("denounced", "denounces"), "neutral", "object"),
    "thank": (("thanked",), "neutral", "object"),
    "praise": (("praised",), "neutral", "object"),
    "attack": (("attacked",), "emotive", "object"),
    "slam": (("slammed", "slams"), "emotive", "object"),
    "blast": (("blasted", "blasts"), "emotive", "object"),
    "lash out": (("lashed out at", "lashed out"), "emotive", "object"),
    "hit out": (("hit out at",), "emotive", "object"),
    "rail": (("railed against",), "emotive", "object"),
    "decry": (("decried", "decries"), "emotive", "object"),
    "mock": (("mocked",), "emotive", "object"),
    "ridicule": (("ridiculed",), "emotive", "object"),
    "urge": (("urged", "urges", "urging"), "directive", "object"),
    "demand": (("demanded",), "directive", "object"),
    "ask": (("asked", "asks", "asking"), "directive", "object"),
    "appeal": (("appealed",), "directive", "object"),
    "advise": (("advised", "advises"), "directive", "object"),
    "instruct": (("instructed",), "directive", "object"),
    "claim": (("claimed", "claims", "claiming"), "distancing", "clause"),
    "allege": (("alleged", "alleges", "alleging"), "distancing", "clause"),
    "insist": (("insisted", "insists", "insisting"), "distancing", "clause"),
    "maintain": (("maintained", "maintains"), "distancing", "clause"),
    "contend": (("contended", "contends"), "distancing", "clause"),
    "assert": (("asserted", "asserts"), "distancing", "clause"),
    "purport": (("purported",), "distancing", "clause"),
    "note": (("noted", "notes", "noting"), "endorsing", "clause"),
    "point out": (("pointed out", "points out", "pointing out"), "endorsing", "clause"),
    "reveal": (("revealed", "reveals"), "endorsing", "clause"),
    "confirm": (("confirmed", "confirms"), "endorsing", "clause"),
    "show": (("showed",), "endorsing", "clause"),
    "observe": (("observed",), "endorsing", "clause"),
    "admit": (("admitted", "admits"), "concessive", "clause"),
    "acknowledge": (("acknowledged", "acknowledges"), "concessive", "clause"),
    "concede": (("conceded", "concedes"), "concessive", "clause"),
    "confess": (("confessed",), "concessive", "clause"),
    "according to": (("according to",), "neutral", "prep"),
    "reportedly": (
        (
            "reportedly",
            "allegedly",
            "purportedly",
            "by reports",
            "by some accounts",
            "by all accounts",
            "per reports",
        ),
        "distancing",
        "adverb",
    ),
}
_CUE_BY_FORM: dict[str, tuple[str, str, str]] = {
    form: (lemma, valence, frame) for lemma, (forms, valence, frame) in _CUE_TABLE.items() for form in forms
}
# Verbs whose literal sense is common in news ("attacked a convoy"): only a known source counts.
_NEEDS_KNOWN_SOURCE = frozenset({"attack", "slam", "blast", "threaten", "show", "observe", "praise", "ask"})
# Cues that make sense in the passive ("has been accused", "is reported to").
_PASSIVE_OK = frozenset(
    {
        "say",
        "report",
        "accuse",
        "allege",
        "claim",
        "condemn",
        "criticize",
        "describe",
        "announce",
        "denounce",
        "characterize",
    }
)
_CUE_RE = re.compile(
    r"(?<![\w’'-])("
    + "|".join(sorted((re.escape(f) for f in _CUE_BY_FORM), key=len, reverse=True))
    + r")(?![\w-])",
    re.IGNORECASE,
)

_PRONOUNS_PERSON = frozenset({"he", "she"})
_PRONOUNS_GROUP = frozenset({"they", "it", "we"})
_AUX = frozenset(
    {
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "should",
        "did",
        "does",
        "do",
    }
)
_BE = frozenset({"is", "are", "was", "were", "be", "been", "being"})
_ADVERBS = frozenset(
    {
        "also",
        "further",
        "later",
        "earlier",
        "previously",
        "again",
        "then",
        "reportedly",
        "repeatedly",
        "recently",
        "subsequently",
        "only",
        "already",
        "now",
        "still",
        "publicly",
        "officially",
        "once",
        "immediately",
        "first",
        "separately",
        "similarly",
        "likewise",
        "both",
        "since",
        "not",
        "never",
        "allegedly",
        "initially",
        "formally",
        "today",
        "yesterday",
        "just",
        "even",
        "had",
        "has",
        "have",
        "would",
        "will",
        "could",
        "did",
        "does",
        "do",
        "may",
        "might",
        "eventually",
        "finally",
        "n't",
        "didn't",
        "didn’t",
        "hasn't",
        "hasn’t",
        "haven't",
        "haven’t",
        "doesn't",
        "doesn’t",
    }
)
_CLAUSE_MARKERS_RE = re.compile(
    r"(?:;|:|\s—\s|\s–\s|,\s+(?:while|whereas|but|and|as|although|though|because|since|when|after|before|"
    r"who|which|where|so|however)\b,?|\b(?:while|whereas|although|though|because|but|and|which|who|whom|whose|that|"
    r"whether|if|when|after|before|as|since|until|unless|where)\b)",
    re.IGNORECASE,
)
# Nouns that can head a source phrase, by the specificity they imply.
_PERSON_NOUNS = frozenset(
    """official spokesman spokeswoman spokesperson minister president leader mayor chief secretary
    senator lawmaker legislator diplomat envoy ambassador commander general prosecutor judge doctor
    archbishop bishop pope director chairman chairwoman chair governor premier chancellor king queen
    prince officer policeman constable commissioner superintendent inspector mp representative
    congressman congresswoman attorney lawyer expert analyst witness eyewitness resident protester
    protestor student activist researcher scientist professor economist source aide adviser advisor
    campaigner candidate manager executive founder owner head coach player member survivor victim
    mother father wife husband son daughter brother sister relative neighbour neighbor colleague
    interviewee worker teacher nurse writer author journalist reporter correspondent editor
    organiser organizer presenter host preacher imam rabbi priest cleric monarch dictator
    counterpart""".split()
)
_COLLECTIVE_NOUNS = frozenset(
    """officials critics experts analysts observers witnesses residents protesters protestors sources
    diplomats scientists researchers doctors authorities police prosecutors investigators officers
    activists campaigners people reports media lawmakers legislators opponents supporters leaders
    members politicians economists commentators locals villagers survivors families relatives
    organisers organizers several many some others""".split()
)
_DOCUMENT_NOUNS = frozenset(
    """statement report reports study survey document documents letter data figures estimates estimate
    footage website release communique communiqué resolution memo tweet post announcement analysis
    poll census filing complaint indictment ruling verdict record records transcript video
    manifesto bulletin""".split()
)
_ORG_WORDS = frozenset(
    """ministry department agency police party council committee commission organization organisation
    union office government news times post press institute university forces army navy court
    parliament congress senate assembly embassy bank company corporation group association federation
    league network channel radio television tv service services authority administration campaign
    foundation fund alliance coalition movement front church""".split()
)
_FUNCTION_WORDS = frozenset(
    """the a an this that these those his her its their our my your one another some several many
    both all each of and or in on at to for from by with as about into over after before during
    under without within between against""".split()
)
_TIME_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december today yesterday tonight""".split()
)
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen col lt sgt capt sen rep gov pres st jr sr inc ltd co corp no vs etc
    jan feb mar apr jun jul aug sep sept oct nov dec mt ft rev hon fig approx""".split()
)
_NUMBER_RE = re.compile(
    r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|trillions?|dozens?|percent|per\s+cent|half|double|"
    r"tripled?|doubled?)\b|%",
    re.IGNORECASE,
)
_FUTURE_RE = re.compile(r"\b(?:will|won[’']t|shall|going\s+to|is\s+to|are\s+to)\b|[’']ll\b", re.IGNORECASE)

# Country names, demonyms and ISO codes, so that "Turkish Foreign Minister" matches the role
# "Foreign Minister of Turkey" and "the Azerbaijani official" prefers speakers from AZ.
_COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("Afghanistan", "Afghan", "AF"),
    ("Albania", "Albanian", "AL"),
    ("Algeria", "Algerian", "DZ"),
    ("Argentina", "Argentine", "AR"),
    ("Armenia", "Armenian", "AM"),
    ("Australia", "Australian", "AU"),
    ("Austria", "Austrian", "AT"),
    ("Azerbaijan", "Azerbaijani", "AZ"),
    ("Belarus", "Belarusian", "BY"),
    ("Belgium", "Belgian", "BE"),
    ("Benin", "Beninese", "BJ"),
    ("Bolivia", "Bolivian", "BO"),
    ("Brazil", "Brazilian", "BR"),
    ("Bulgaria", "Bulgarian", "BG"),
    ("Canada", "Canadian", "CA"),
    ("Chile", "Chilean", "CL"),
    ("China", "Chinese", "CN"),
    ("Colombia", "Colombian", "CO"),
    ("Croatia", "Croatian", "HR"),
    ("Cuba", "Cuban", "CU"),
    ("Cyprus", "Cypriot", "CY"),
    ("Czech Republic", "Czech", "CZ"),
    ("Denmark", "Danish", "DK"),
    ("Egypt", "Egyptian", "EG"),
    ("Estonia", "Estonian", "EE"),
    ("Ethiopia", "Ethiopian", "ET"),
    ("Finland", "Finnish", "FI"),
    ("France", "French", "FR"),
    ("Georgia", "Georgian", "GE"),
    ("Germany", "German", "DE"),
    ("Ghana", "Ghanaian", "GH"),
    ("Greece", "Greek", "GR"),
    ("Hong Kong", "Hong Kong", "HK"),
    ("Hungary", "Hungarian", "HU"),
    ("India", "Indian", "IN"),
    ("Indonesia", "Indonesian", "ID"),
    ("Iran", "Iranian", "IR"),
    ("Iraq", "Iraqi", "IQ"),
    ("Ireland", "Irish", "IE"),
    ("Israel", "Israeli", "IL"),
    ("Italy", "Italian", "IT"),
    ("Japan", "Japanese", "JP"),
    ("Jordan", "Jordanian", "JO"),
    ("Kazakhstan", "Kazakh", "KZ"),
    ("Kenya", "Kenyan", "KE"),
    ("Lebanon", "Lebanese", "LB"),
    ("Libya", "Libyan", "LY"),
    ("Lithuania", "Lithuanian", "LT"),
    ("Mexico", "Mexican", "MX"),
    ("Moldova", "Moldovan", "MD"),
    ("Morocco", "Moroccan", "MA"),
    ("Netherlands", "Dutch", "NL"),
    ("New Zealand", "New Zealand", "NZ"),
    ("Nigeria", "Nigerian", "NG"),
    ("North Korea", "North Korean", "KP"),
    ("Norway", "Norwegian", "NO"),
    ("Pakistan", "Pakistani", "PK"),
    ("Palestine", "Palestinian", "PS"),
    ("Peru", "Peruvian", "PE"),
    ("Philippines", "Filipino", "PH"),
    ("Poland", "Polish", "PL"),
    ("Portugal", "Portuguese", "PT"),
    ("Qatar", "Qatari", "QA"),
    ("Romania", "Romanian", "RO"),
    ("Russia", "Russian", "RU"),
    ("Saudi Arabia", "Saudi", "SA"),
    ("Scotland", "Scottish", "GB"),
    ("Serbia", "Serbian", "RS"),
    ("Slovakia", "Slovak", "SK"),
    ("South Africa", "South African", "ZA"),
    ("South Korea", "South Korean", "KR"),
    ("Spain", "Spanish", "ES"),
    ("Sweden", "Swedish", "SE"),
    ("Switzerland", "Swiss", "CH"),
    ("Syria", "Syrian", "SY"),
    ("Taiwan", "Taiwanese", "TW"),
    ("Thailand", "Thai", "TH"),
    ("Tunisia", "Tunisian", "TN"),
    ("Turkey", "Turkish", "TR"),
    ("Ukraine", "Ukrainian", "UA"),
    ("United Arab Emirates", "Emirati", "AE"),
    ("United Kingdom", "British", "GB"),
    ("United States", "American", "US"),
    ("Venezuela", "Venezuelan", "VE"),
    ("Vietnam", "Vietnamese", "VN"),
    ("Yemen", "Yemeni", "YE"),
    ("Zimbabwe", "Zimbabwean", "ZW"),
)
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md"})
_COUNTRY_SHORT = {"United States": ("US", "U.S.", "USA"), "United Kingdom": ("UK", "U.K.", "Britain")}
_DEMONYM_TO_CODE = {fold.lower(): code for name, dem, code in _COUNTRIES for fold in (name, dem)}
_DEMONYM_TO_CODE.update({"argentinian": "AR", "us": "US", "u.s.": "US", "uk": "GB", "u.k.": "GB"})
_DEMONYMS = frozenset(dem.lower() for _, dem, _ in _COUNTRIES) | {"argentinian"}


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

# One character in, one character out, so offsets into the folded text are offsets into the
# original; this is why app.domain.names.fold_name (which may lengthen "ß") is not used here.
_SPECIAL_FOLDS = {
    "ı": "i",
    "İ": "I",
    "ł": "l",
    "Ł": "L",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ß": "s",
    "ə": "a",
    "Ə": "A",
    "æ": "a",
    "Æ": "A",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "\u00a0": " ",
    "\u200d": " ",
    "\u200b": " ",
}


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch in _SPECIAL_FOLDS:
        return _SPECIAL_FOLDS[ch]
    if ord(ch) < 128:
        return ch
    base = unicodedata.normalize("NFD", ch)[0]
    return base if len(base) == 1 else ch


def _fold(text: str) -> str:
    """Accent-free copy of ``text`` with exactly the same length (offsets stay valid)."""
    table = {ord(ch): _fold_char(ch) for ch in set(text) if ord(ch) >= 128}
    return text.translate(table) if table else text


_DOUBLE_OPEN = "“„«"
_DOUBLE_CLOSE = "”»"
_SINGLE_OPEN = "‘‚‹"
_SINGLE_CLOSE = "’›"
_QUOTE_CHARS = frozenset(_DOUBLE_OPEN + _DOUBLE_CLOSE + _SINGLE_OPEN + _SINGLE_CLOSE + "\"'")
_OPEN_CONTEXT = frozenset(" \t\n([{—–-/\u00a0" + _DOUBLE_OPEN + _SINGLE_OPEN + "\"'")
_CLOSE_FOLLOW = frozenset(" \t\n.,;:!?)]}—–-/\u00a0…" + _DOUBLE_CLOSE + _SINGLE_CLOSE + "\"'")
_WORD_RE = re.compile(r"[\w][\w’'.\-]*")
_SPACE_RE = re.compile(r"\s+")


@dataclass(slots=True)
class _Quote:
    """A quotation: content segments (inside the marks), per paragraph it spans."""

    open_at: int
    end: int  # just after the closing mark, or the end of the last paragraph when left open
    segments: list[Span]
    closed: bool
    para: int  # paragraph where it starts
    last_para: int


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    para: int


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    speaker: RegistrySpeaker
    kind: str  # name, alias, surname, title
    possessive: bool


@dataclass(slots=True)
class _Frame:
    """One reporting cue read in its sentence."""

    cue: Span
    lemma: str
    valence: str
    sentence: int
    kind: str  # active, passive, content_first, parenthetical, according_after, according_before, trailer
    source: Span | None = None
    source_mode: str = "np"  # np, relative, coordinated, participle, passive_none
    content: list[Span] = field(default_factory=list)
    clause_start: int = -1  # where this frame's clause begins (truncates earlier frames' content)
    participle: bool = False  # "…, adding, "…"", "Saying "…", X said": the source comes from elsewhere
    marker: str = ""  # the word that opened the cue's clause ("while", "that", ";" …)
    frame_kind: str = "clause"
    intro_quote: int | None = None  # index of the quote this cue introduces
    trailer_quote: int | None = None  # index of the quote this cue follows


_SpeakerGuess = tuple[int | None, str | None, str | None, str | None]  # id, mention, resolution, specificity


@dataclass(slots=True)
class _Candidate:
    """A possible antecedent for a pronoun or description."""

    pos: int
    speaker_id: int | None
    kind: str  # registry type, or "person" / "org" for names outside the registry
    country: str | None
    text: str
    owner: int  # index of the claim whose content holds it, or -1


@dataclass(slots=True)
class _Claim:
    content: list[Span]
    attribution: str
    frame: _Frame | None
    confidence: float
    inferred_from: int | None = None  # sentence index whose frame lends the speaker (colon quotes)
    speaker: _SpeakerGuess | None = None

    @property
    def start(self) -> int:
        return self.content[0][0]


# --------------------------------------------------------------------------------------------
# Registry matching
# --------------------------------------------------------------------------------------------


def _role_titles(role: str) -> list[str]:
    """Titles a role may appear as: 'Foreign Minister of Turkey' → 'Turkish Foreign Minister', …"""
    role = role.strip()
    titles = [role]
    match = re.match(r"(?i)^(?:the\s+)?(.+?)\s+of\s+(?:the\s+)?(.+)$", role)
    if match:
        office, place = match.group(1).strip(), match.group(2).strip()
        variants = [place]
        for name, demonym, _code in _COUNTRIES:
            if name.lower() == place.lower():
                variants.append(demonym)
                variants.extend(_COUNTRY_SHORT.get(name, ()))
        for variant in variants:
            titles.extend((f"{variant} {office}", f"{variant}'s {office}"))
    return titles


class _Registry:
    """Every way a registry speaker may be named in text, compiled into two regexes."""

    def __init__(self, speakers: tuple[RegistrySpeaker, ...]) -> None:
        self.speakers = speakers
        self.by_id = {s.id: s for s in speakers}
        names: dict[str, list[tuple[RegistrySpeaker, str]]] = {}
        titles: dict[str, list[RegistrySpeaker]] = {}

        def add(key: str, speaker: RegistrySpeaker, kind: str) -> None:
            key = _SPACE_RE.sub(" ", _fold(key).strip())
            if len(key) < 2:
                return
            entries = names.setdefault(key, [])
            if all(s.id != speaker.id for s, _ in entries):
                entries.append((speaker, kind))

        for speaker in speakers:
            add(speaker.name, speaker, "name")
            for alias in speaker.aliases:
                add(alias, speaker, "alias")
            acronym = re.search(r"\(([A-Z]{2,})\)", speaker.name)
            if acronym:
                add(acronym.group(1), speaker, "alias")
            if speaker.type in (None, "person"):
                for full in (speaker.name, *speaker.aliases):
                    tokens = _fold(full).split()
                    while tokens and tokens[-1].rstrip(".").lower() in _NAME_SUFFIXES:
                        tokens = tokens[:-1]  # "Robert Downey Jr." is "Downey", never "Jr."
                    for i in range(1, len(tokens)):
                        suffix = " ".join(tokens[i:])
                        if i == len(tokens) - 1 and (len(suffix) < 3 or not suffix[0].isupper()):
                            continue
                        add(suffix, speaker, "surname")
            if speaker.role:
                for title in _role_titles(speaker.role):
                    key = _SPACE_RE.sub(" ", _fold(title).strip()).lower()
                    titles.setdefault(key, [])
                    if speaker not in titles[key]:
                        titles[key].append(speaker)
        # A name shared by several speakers is kept: the caller picks the most recent mention.
        self.names = names
        self.titles = titles
        self.name_re = self._compile(names, flags=0)
        self.title_re = self._compile(titles, flags=re.IGNORECASE)

    @staticmethod
    def _compile(keys: Iterable[str], flags: int) -> re.Pattern[str] | None:
        body = _trie_pattern(keys)
        if not body:
            return None
        return re.compile(r"(?<![\w])" + body + r"(?![\w])", flags)

    def mentions(self, folded: str) -> list[_Mention]:
        """All registry mentions in the text, longest first at each place, sorted by position."""
        found: list[_Mention] = []
        if self.name_re is not None:
            for m in self.name_re.finditer(folded):
                key = _SPACE_RE.sub(" ", m.group())
                entries = self.names.get(key, [])
                for speaker, kind in entries:
                    found.append(_Mention(m.start(), m.end(), speaker, kind, _is_possessive(folded, m.end())))
        if self.title_re is not None:
            for m in self.title_re.finditer(folded):
                key = _SPACE_RE.sub(" ", m.group()).lower()
                for speaker in self.titles.get(key, []):
                    found.append(
                        _Mention(m.start(), m.end(), speaker, "title", _is_possessive(folded, m.end()))
                    )
        found.sort(key=lambda mention: (mention.start, -mention.end))
        return found


def _trie_pattern(keys: Iterable[str]) -> str:
    """One regex for many names, shaped as a character trie ("A(?:liyev|zay\\s+Guliyev)").

    Python's regex engine tries a flat alternation one branch at a time at every position; with
    a registry of a few hundred names that dominated the run time. The trie shares prefixes, so
    a position is rejected after a character or two. Longer names win (optional tails are
    greedy), and a space in a key matches any run of white space.
    """
    trie: dict[str, dict] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [
            (r"\s+" if ch == " " else re.escape(ch)) + build(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie) if trie else ""


def _is_possessive(folded: str, end: int) -> bool:
    return folded.startswith("'s", end) or (folded.startswith("'", end) and folded[end - 1 : end] == "s")


@lru_cache(maxsize=64)
def _registry_for(speakers: tuple[RegistrySpeaker, ...]) -> _Registry:
    return _Registry(speakers)


# --------------------------------------------------------------------------------------------
# Quotes and sentences
# --------------------------------------------------------------------------------------------


def _paragraph_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    position = 0
    for para in text.split("\n\n"):
        spans.append((position, position + len(para)))
        position += len(para) + 2
    return spans


def _is_opening(text: str, i: int, start: int) -> bool:
    before = text[i - 1] if i > start else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return before in _OPEN_CONTEXT and not after.isspace()


def _is_closing(text: str, i: int, end: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < end else " "
    return not before.isspace() and (after in _CLOSE_FOLLOW or after.isspace())


def _scan_quotes(text: str, paragraphs: list[Span]) -> list[_Quote]:
    """Pair quotation marks paragraph by paragraph; a quote left open continues when the next
    paragraph re-opens one (newspaper convention), otherwise it ends with its paragraph."""
    quotes: list[_Quote] = []
    carry: _Quote | None = None
    for p_index, (p_start, p_end) in enumerate(paragraphs):
        i = p_start
        double_open: int | None = None
        single_open: int | None = None
        nested = 0  # straight quotes inside a straight-quoted quote ('"The "United States" is …"')
        while i < p_end:
            ch = text[i]
            if ch not in _QUOTE_CHARS:
                i += 1
                continue
            is_double = ch in _DOUBLE_OPEN or ch in _DOUBLE_CLOSE or ch == '"'
            if is_double:
                if double_open is not None and ch == '"' and text[double_open] == '"':
                    if _is_opening(text, i, p_start) and not _is_closing(text, i, p_end):
                        nested += 1
                        i += 1
                        continue
                    if nested and _is_closing(text, i, p_end):
                        nested -= 1
                        i += 1
                        continue
                if double_open is None:
                    if (
                        _is_opening(text, i, p_start)
                        and ch not in _DOUBLE_CLOSE
                        or (ch in _DOUBLE_CLOSE and _is_opening(text, i, p_start) and i == p_start)
                    ):
                        double_open = i
                        single_open = None
                elif _is_closing(text, i, p_end) and ch not in _DOUBLE_OPEN:
                    quotes.append(_Quote(double_open, i + 1, [(double_open + 1, i)], True, p_index, p_index))
                    double_open = None
            elif double_open is None:
                if single_open is None:
                    if (
                        ch in _SINGLE_OPEN + "'"
                        and _is_opening(text, i, p_start)
                        and text[i + 1 : i + 2].isalpha()
                    ):
                        single_open = i
                elif ch in _SINGLE_CLOSE + "'" and _is_closing(text, i, p_end):
                    after = text[i + 1] if i + 1 < p_end else " "
                    if not after.isalpha():
                        quotes.append(
                            _Quote(single_open, i + 1, [(single_open + 1, i)], True, p_index, p_index)
                        )
                        single_open = None
            i += 1
        # Continue a quote carried over from the previous paragraph?
        if carry is not None:
            first = _quote_opening_at(quotes, p_start)
            if first is not None and first.open_at == p_start:
                # the re-opened quote joins the carried one
                quotes.remove(first)
                carry.segments.extend(first.segments)
                carry.end = first.end
                carry.closed = True
                carry.last_para = p_index
                carry = None
            elif double_open == p_start:
                carry.segments.append((p_start + 1, p_end))
                carry.end = p_end
                carry.last_para = p_index
                double_open = None
            else:
                carry = None
        if double_open is not None:
            quote = _Quote(double_open, p_end, [(double_open + 1, p_end)], False, p_index, p_index)
            quotes.append(quote)
            carry = quote
    for quote in quotes:
        quote.segments = [
            seg for seg in (_trim_content(text, s, e) for s, e in quote.segments) if seg[1] > seg[0]
        ]
    quotes = [q for q in quotes if q.segments]
    quotes.sort(key=lambda q: q.open_at)
    return quotes


def _quote_opening_at(quotes: list[_Quote], p_start: int) -> _Quote | None:
    """The quote that opens exactly at ``p_start``, if any (most recent quotes are at the end)."""
    for quote in reversed(quotes):
        if quote.open_at < p_start:
            return None
        if quote.open_at == p_start:
            return quote
    return None


def _trim_content(text: str, start: int, end: int) -> Span:
    """Inside of a quote without surrounding space and without the trailing comma that English
    punctuation puts inside the marks ("…," he said)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def _split_sentences(text: str, paragraphs: list[Span], quotes: list[_Quote]) -> list[_Sentence]:
    """Sentences that never break inside a quotation."""
    inside = _QuoteIndex(quotes)
    sentences: list[_Sentence] = []
    for p_index, (p_start, p_end) in enumerate(paragraphs):
        start = p_start
        for m in _SENTENCE_END_RE.finditer(text, p_start, p_end):
            stop = m.start()
            punct = text[stop]
            following = text[m.end() : m.end() + 2].lstrip("\"“‘'([")
            if following[:1].isalpha() and not following[:1].isupper():
                continue  # "… 10 a.m. local time": a lower-case word does not start a sentence
            if inside.inside(stop) and not inside.closes_right_after(stop, m.end(1)):
                continue
            if punct == ".":
                word = text[max(p_start, stop - 12) : stop].split()[-1:] if stop > p_start else []
                token = word[0].lower().strip("(\"'“‘") if word else ""
                if token in _ABBREVIATIONS or len(token) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token):
                    continue
            sentences.extend(_bounded(text, start, m.end(1), p_index, inside))
            start = m.end()
        if start < p_end:
            sentences.extend(_bounded(text, start, p_end, p_index, inside))
    return sentences


# Every cue looks at its whole sentence; a "sentence" with no full stops for pages (bad OCR, a
# list pasted as one paragraph) would make that quadratic, so long ones are cut at white space.
_MAX_SENTENCE = 1500
# A cue's subject is within a few clauses of it; looking further only costs time.
_MAX_CLAUSES_BACK = 8


def _bounded(text: str, start: int, end: int, p_index: int, inside: _QuoteIndex) -> list[_Sentence]:
    pieces: list[_Sentence] = []
    while end - start > _MAX_SENTENCE:
        cut = text.rfind(" ", start + _MAX_SENTENCE // 2, start + _MAX_SENTENCE)
        q = inside.at(cut) if cut >= 0 else None
        if q is not None:  # never inside a quote: after it, or not at all
            cut = text.find(" ", inside.quotes[q].end, end)
        if cut < 0 or cut >= end:
            break
        pieces.append(_Sentence(start, cut, p_index))
        start = cut + 1
    pieces.append(_Sentence(start, end, p_index))
    return pieces


_SENTENCE_END_RE = re.compile(r"[.!?](?:\[\.?\])?([\"”’')\]]*)\s+(?=[\"“‘'(\[]?(?:[^\W\d_]|[0-9—–]))")


class _QuoteIndex:
    """Which quote (if any) covers a position; bisect over quote starts."""

    def __init__(self, quotes: list[_Quote]) -> None:
        self.quotes = quotes
        self.starts = [q.open_at for q in quotes]

    def at(self, pos: int) -> int | None:
        # Quotes never overlap, so only the last one starting at or before ``pos`` can cover it.
        i = bisect_right(self.starts, pos) - 1
        if i >= 0 and self.quotes[i].open_at <= pos < self.quotes[i].end:
            return i
        return None

    def inside(self, pos: int) -> bool:
        return self.at(pos) is not None

    def closes_right_after(self, pos: int, end: int) -> bool:
        i = self.at(pos)
        return i is not None and self.quotes[i].closed and self.quotes[i].end <= end


# --------------------------------------------------------------------------------------------
# The detector
# --------------------------------------------------------------------------------------------

_LEADING_ADVERBIAL_RE = re.compile(
    r"(?:(?:On|In|At|Late|Early|Earlier|Later|Also|During|After|Before|Following|Despite|Since|Then|"
    r"Meanwhile|However|Yesterday|Today|Last|This|Back|Namely|Previously|Separately|Elsewhere|Moreover|"
    r"Furthermore|Additionally|Overall|Still|Instead|Speaking|Asked|Addressing|When|While|As|Upon|"
    r"Writing|Earlier)\b[^,;:\"“”]{0,90}?,\s+(?:(?:as|in|on|at|during|after|before|with|from|for)\b[^,;:\"“”]{0,80}?,\s+)*)",
)
_LEADING_TIME_RE = re.compile(
    r"(?:(?:This|Last|Next|On|Late|Early)\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday|week|month|year|morning|evening|night)\s+)"
)
# Things that may sit between a cue and its content or quote.
_POST_CUE_SKIP_RE = re.compile(
    r"""\s*(?:,\s*)?(?:
        (?:late|early|earlier|later|again|also|publicly|previously|recently|yesterday|today|tonight|then)
            (?:\s+(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month|year|morning|
            afternoon|evening|night|weekend))?
      | (?:(?:on|last|this|next|late|early)\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)
            (?:\s+(?:morning|afternoon|evening|night))?
      | (?:last|this|next)\s+(?:week|month|year|morning|evening|night|weekend)
      | (?:in|on|via|during|at|through)\s+(?:an?|the|his|her|their|its)?\s*(?:[\w'-]+\s+){0,3}?
            (?:statement|interview|speech|tweet|letter|post|message|address|broadcast|announcement|conference|
            briefing|video|op-ed|report|twitter|facebook|instagram|tv|television|radio|rally|session|meeting|
            hearing|debate|appearance)s?
      | (?:on|to)\s+(?:the\s+)?(?:bbc|cnn|fox\s+news|sky\s+news|msnbc|reuters|afp|ap|twitter|facebook)
      | on\s+(?:one|several|another|that|this)\s+occasions?
      | (?:about|of)\s+[\w'’.-]+(?:\s+[\w'’.-]+)?(?=\s*[:,]\s*["“‘])
      | —[^—]{1,80}—
      | \(\s*[^()]{1,60}\)
    )(?![\w])""",
    re.IGNORECASE | re.VERBOSE,
)
_AUDIENCE_WORDS = frozenset(
    """reporters journalists press media local national foreign state lawmakers supporters crowd audience
    parliament congress broadcaster newspaper television radio agency him her them us me parliamentarians
    delegates members residents listeners viewers followers the a an his their news outlet outlets
    assembly correspondents""".split()
)


class _Detector:
    def __init__(self, text: str, speakers: tuple[RegistrySpeaker, ...]) -> None:
        self.text = text
        self.folded = _fold(text)
        self.registry = _registry_for(speakers)
        self.paragraphs = _paragraph_spans(text)
        self.para_starts = [p[0] for p in self.paragraphs]
        self.quotes = _scan_quotes(text, self.paragraphs)
        self.qindex = _QuoteIndex(self.quotes)
        self.sentences = _split_sentences(text, self.paragraphs, self.quotes)
        self.sentence_starts = [s.start for s in self.sentences]
        self.mentions = self.registry.mentions(self.folded)
        self.mention_starts = [m.start for m in self.mentions]
        self.frames: list[_Frame] = []
        self.frames_by_sentence: dict[int, list[_Frame]] = {}
        self.candidates: list[_Candidate] = []
        self.candidate_starts: list[int] = []
        self.claims: list[_Claim] = []

    # -- small utilities -----------------------------------------------------------------------

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect_right(self.sentence_starts, pos) - 1)

    def para_of(self, pos: int) -> int:
        return max(0, bisect_right(self.para_starts, pos) - 1)

    def strip(self, start: int, end: int, chars: str = " \t\n,;:—–-") -> Span:
        while start < end and self.text[start] in chars:
            start += 1
        while end > start and self.text[end - 1] in chars:
            end -= 1
        return start, end

    def mentions_in(self, start: int, end: int) -> list[_Mention]:
        lo = bisect_left(self.mention_starts, start)
        out = []
        for mention in self.mentions[lo:]:
            if mention.start >= end:
                break
            if mention.end <= end:
                out.append(mention)
        # keep the longest mention at each place; drop ones nested in a longer one
        kept: list[_Mention] = []
        for mention in out:
            if kept and mention.start < kept[-1].end and mention.end <= kept[-1].end:
                if (mention.start, mention.end) == (kept[-1].start, kept[-1].end):
                    kept.append(mention)
                continue
            kept.append(mention)
        return kept

    def words(self, start: int, end: int) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(self.text, start, end)]

    def last_quote_end_before(self, start: int, pos: int) -> int:
        """End of the last quote that closes in [start, pos), or -1."""
        i = bisect_right(self.qindex.starts, pos) - 1
        while i >= 0:
            quote = self.quotes[i]
            if quote.end <= pos and quote.end > start:
                return quote.end
            if quote.open_at < start:
                return -1
            i -= 1
        return -1

    # -- step 1: read cues ----------------------------------------------------------------------

    def read_cues(self) -> None:
        for m in _CUE_RE.finditer(self.text):
            if self.qindex.inside(m.start()):
                continue
            s_index = self.sentence_of(m.start())
            if m.group()[0].isupper() and m.start() != self.sentences[s_index].start:
                continue  # "United States" is no cue; "Saying …" at a sentence start is
            form = _SPACE_RE.sub(" ", m.group().lower())
            lemma, valence, frame_kind = _CUE_BY_FORM[form]
            frame = self.read_frame(m.start(), m.end(), lemma, valence, frame_kind, s_index)
            if frame is not None:
                self.frames.append(frame)
                self.frames_by_sentence.setdefault(s_index, []).append(frame)
        for s_index, frames in self.frames_by_sentence.items():
            self.link_frames(s_index, frames)

    def read_frame(
        self, c_start: int, c_end: int, lemma: str, valence: str, frame_kind: str, s_index: int
    ) -> _Frame | None:
        """Read one cue in its sentence: its source, its content or the quote it belongs to.

        Returns None when the word is not used as a reporting cue here ("a national state of
        emergency", "did not say", "placards asking the government to …").
        """
        sentence = self.sentences[s_index]
        text = self.text
        frame = _Frame((c_start, c_end), lemma, valence, s_index, "active")
        frame.frame_kind = frame_kind
        frame.participle = text[c_start:c_end].lower().endswith("ing")
        if frame_kind == "prep":
            return self.read_according(frame, sentence)
        if frame_kind == "adverb":
            # "Reportedly, he injured …": the rest of the sentence, source unnamed.
            if c_start != sentence.start:
                return None
            frame.kind = "passive"
            frame.source_mode = "passive_none"
            content = self.content_until_clause_end(
                self.skip_post(c_end, sentence.end, "clause"), sentence.end, "clause"
            )
            frame.content = [content] if content[1] > content[0] else []
            frame.clause_start = c_start
            return frame if frame.content else None
        # Region before the cue: from the sentence start, after leading adverbials and the last quote.
        region_start = self.after_leading_adverbials(sentence.start, c_start)
        quote_end = self.last_quote_end_before(sentence.start, c_start)
        after_quote = quote_end >= 0 and quote_end >= region_start
        if after_quote:
            region_start = quote_end
        region_end = self.skip_aux_back(region_start, c_start)
        auxiliaries = text[region_end:c_start].lower().split()
        if any(w in {"not", "never"} or w.endswith("n't") or w.endswith("n’t") for w in auxiliaries):
            return None  # "did not say he'd ordered it" reports nothing
        is_participle = text[c_start:c_end].lower().endswith("ing")
        post = self.skip_post(c_end, sentence.end, frame_kind)
        next_quote = self.intro_quote_at(post, sentence.end, frame_kind == "speech")
        if is_participle and next_quote is None and c_start != sentence.start:
            # "placards asking the government to …" is no report; ", saying that …" and
            # "upon announcing …" are.
            if not text[max(0, c_start - 2) : c_start].startswith(",") and not re.search(
                r"\b(?:upon|after|before|while|when|by|in)\s+$",
                text[max(0, c_start - 8) : c_start],
                re.IGNORECASE,
            ):
                return None
        if text[c_start:c_end].lower() == "state":
            subject_words = text[region_start:c_start].lower().split()
            if not subject_words or subject_words[0] not in _DOCUMENT_NOUNS:
                return None  # "a national state of emergency"; only "Estimates … state" reports
        previous_word = text[max(sentence.start, c_start - 12) : c_start].split()[-1:]
        if previous_word and previous_word[0].lower() in _NOT_BEFORE_CUE:
            return None  # "the accused", "to extradite accused criminals", "an estimated …"

        # Passive: "has been accused of …", "is reported to …", "was condemned by …".
        if any(w in _BE for w in auxiliaries) and not is_participle:
            if lemma not in _PASSIVE_OK:
                return None
            return self.read_passive(frame, sentence, region_start, region_end, c_end)
        if re.match(r"\s+by\s", text[c_end : c_end + 4]) and not auxiliaries:
            return None  # reduced passive ("…, reported by The Guardian as …"): a nested report, skipped
        if lemma == "write" and re.match(r"\s+to\s", text[c_end : c_end + 4]):
            return None  # "wrote to the embassy": a letter, its content comes later if at all

        region_text = text[region_start:region_end]
        # Quote trailer: "…," said Guliyev / "…," he said / "…," wrote X on Twitter.
        q_index = self.qindex.at(quote_end - 1) if after_quote else None
        if (
            q_index is not None
            and self.is_full_quote(q_index)
            and (self.ends_like_quoted_speech(q_index) or len(region_text.split()) <= 3)
        ):
            stripped = region_text.strip(" ,.!?—–-")
            first_word = stripped.split()[0].lower() if stripped else ""
            if len(stripped.split()) <= 12 and first_word not in _CLAUSE_WORDS:
                if not stripped:
                    if is_participle and next_quote is not None:
                        frame.source_mode = "participle"
                        frame.intro_quote = next_quote
                        return frame
                    source = self.trailing_source(c_end, sentence.end)
                    if source is None:
                        return None
                    frame.kind = "trailer"
                    frame.source = source
                    frame.trailer_quote = q_index
                    return frame
                span = self.strip(region_start, region_end)
                if self.source_quality(*span) is not None:
                    frame.kind = "trailer"
                    frame.source = span
                    frame.trailer_quote = q_index
                    return frame
        if frame_kind == "speech" and next_quote is None:
            return None

        # Content first / parenthetical: "C, police said." / "C, the statement said, D."
        last_comma = region_text.rfind(",")
        if last_comma >= 0 and not after_quote and not is_participle:
            chunk = self.strip(region_start + last_comma + 1, region_end)
            tail = text[c_end : sentence.end]
            chunk_words = text[chunk[0] : chunk[1]].split()
            if (
                chunk[1] > chunk[0]
                and len(chunk_words) <= 8
                and chunk_words[0].lower() not in _CLAUSE_WORDS
                and self.source_quality(*chunk) is not None
            ):
                content_start = self.content_first_start(sentence.start, region_start + last_comma)
                if _TAIL_END_RE.fullmatch(tail):
                    frame.kind = "content_first"
                    frame.source = chunk
                    frame.content = [self.strip(content_start, region_start + last_comma)]
                    frame.clause_start = chunk[0]
                    return frame
                m_par = _TAIL_PARENTHETICAL_RE.match(tail)
                if m_par and self.has_verb(content_start, region_start + last_comma):
                    frame.kind = "parenthetical"
                    frame.source = chunk
                    first = self.strip(content_start, region_start + last_comma)
                    second = self.content_until_clause_end(c_end + m_par.end(), sentence.end, "clause")
                    frame.content = [first, second]
                    frame.clause_start = chunk[0]
                    return frame
        # Inverted after a comma: "C, reported officials, with …".
        if region_text.rstrip().endswith(",") and not after_quote and not is_participle:
            source = self.trailing_source(c_end, sentence.end)
            if source is not None and lemma in {"say", "report", "tell", "add", "write", "announce", "claim"}:
                content_start = self.content_first_start(sentence.start, region_end)
                frame.kind = "content_first"
                frame.source = source
                frame.content = [self.strip(content_start, region_end)]
                frame.clause_start = c_start
                return frame

        # Active: the subject is the closest clause before the cue that reads as a source.
        subject, marker, clause_start, quality = self.find_subject(
            region_start, region_end, not is_participle
        )
        frame.clause_start = clause_start
        frame.marker = marker.strip(" ,").lower()
        if subject is None:
            bare = marker.strip(" ,").lower()
            clause_empty = self.strip(clause_start, region_end)[1] <= self.strip(clause_start, region_end)[0]
            if marker and bare in {"who", "which", "that"} and clause_empty:
                frame.source_mode = "relative"
                frame.source = self.antecedent(region_start, clause_start - len(marker))
                if frame.source is None or self.source_quality(*frame.source) is None:
                    return None
                if self.is_indefinite_document(*frame.source):
                    subject_span = self.sentence_subject(sentence.start, frame.source[0])
                    if subject_span is not None:
                        frame.source = subject_span
                        frame.source_mode = "np"
            elif marker and bare in {"and", "but"} and clause_empty:
                frame.source_mode = "coordinated"
            elif is_participle:
                frame.source_mode = "participle"
                own = self.sentence_subject(clause_start, c_start) if clause_start > sentence.start else None
                if own is not None:
                    frame.source, frame.source_mode = own, "np"
            else:
                return None
        else:
            if lemma in _NEEDS_KNOWN_SOURCE and quality not in {"registry", "pronoun"}:
                return None
            frame.source = subject
        if next_quote is not None:
            frame.intro_quote = next_quote
            return frame
        if frame_kind == "speech":
            return None
        content = self.content_until_clause_end(post, sentence.end, frame_kind)
        if content[1] <= content[0]:
            return None
        if frame_kind == "as" and not re.search(r"\bas\b", text[content[0] : content[1]]):
            return None
        if lemma in _CLAUSE_ONLY and not self.has_verb(content[0], min(content[1], content[0] + 90)):
            return None  # "announced this change": a noun phrase, not a reported proposition
        if is_participle and frame.source_mode == "participle" and text[c_start].isupper():
            # "Calling it a "culture of death" the archbishop said …": the phrase ends at its quote.
            q = self.first_quote_in(content[0], content[1])
            if q is not None:
                content = (content[0], self.quotes[q].end)
                frame.clause_start = self.quotes[q].end
        frame.content = [content]
        return frame

    def find_subject(
        self,
        region_start: int,
        region_end: int,
        allow_suffix: bool = True,
    ) -> tuple[Span | None, str, int, str | None]:
        """Walk back over clause markers to the nearest phrase that reads as a source.

        Returns (subject span or None, the marker that opened the clause, clause start, quality).
        An empty clause ("…, who said", "… and said") returns its marker so the caller can tell
        a relative or coordinated cue from a missing subject.
        """
        text = self.text
        starts: list[tuple[int, str]] = []
        for m in _CLAUSE_MARKERS_RE.finditer(text, max(region_start, region_end - 600), region_end):
            if not self.qindex.inside(m.start()):
                starts.append((m.end(), m.group()))
        starts = starts[::-1][:_MAX_CLAUSES_BACK]
        starts.append((region_start, ""))
        first_marker = starts[0]
        for index, (start, marker) in enumerate(starts):
            span = self.strip(start, region_end)
            if span[1] <= span[0]:
                if index == 0:
                    return None, marker, start, None
                continue
            quality = self.source_quality(*span)
            if quality is not None:
                comma = self.text.rfind(",", span[0], span[1])
                if comma >= 0 and not self.qindex.inside(comma):
                    # "…amenaza penal, President Fernández elaborated": the last comma part is the
                    # subject; an appositive ("Nancy Pelosi, the Speaker of the House, said") ends
                    # with a comma before the verb and is kept whole.
                    tail = self.strip(comma + 1, span[1])
                    if (
                        tail[1] > tail[0]
                        and self.source_quality(*tail) is not None
                        and not re.search(r",\s*(?:who|which)\b", self.text[span[0] : span[1]])
                        and not self.text[span[1] : region_end + 1].lstrip().startswith(",")
                    ):
                        head = self.text[span[0] : comma]
                        if self.source_quality(span[0], comma) is None or len(head.split()) > 6:
                            return tail, marker, tail[0], self.source_quality(*tail)
                return span, marker, start if marker else region_start, quality
            if index == 0 and allow_suffix:
                suffix = self.valid_suffix(*span)
                if suffix is not None:
                    return suffix, marker, start if marker else region_start, self.source_quality(*suffix)
        return None, first_marker[1], first_marker[0], None

    def valid_suffix(self, start: int, end: int) -> Span | None:
        """'On the live television he' → 'he': the pronoun or name that ends a phrase."""
        words = self.words(max(start, end - 120), end)
        if words and words[-1][2].lower() in _PRONOUNS_PERSON | _PRONOUNS_GROUP:
            return (words[-1][0], words[-1][1])
        mentions = [m for m in self.mentions_in(start, end) if not m.possessive]
        if mentions and mentions[-1].end >= end - 1:
            return (mentions[-1].start, end)
        return None

    def content_first_start(self, sentence_start: int, comma: int) -> int:
        """Start of the content in "C, police said": the sentence start, or a ', with' clause."""
        best = sentence_start
        for m in re.finditer(r",\s+(?:with|while|as)\s+", self.text[sentence_start:comma]):
            best = sentence_start + m.end()
        return best

    def intro_quote_at(self, pos: int, end: int, comma_too: bool = False) -> int | None:
        """The quote a cue introduces: right at ``pos``, or after a short phrase and a colon
        ("told her on one occasion: "…"", "said about Amman: "…"", "defended his decision, "…"")."""
        q = self.quote_opening_at(pos)
        if q is not None:
            return q
        m = (_INTRO_GAP_COMMA_RE if comma_too else _INTRO_GAP_RE).match(self.text, pos, min(end, pos + 60))
        if m and len(m.group(1).split()) <= 5 and not self.has_verb(pos, m.end(1)):
            return self.quote_opening_at(m.end())
        return None

    def ends_like_quoted_speech(self, q_index: int) -> bool:
        """'"…," he said' and '"…", Graham continued': punctuation at the close marks a trailer."""
        quote = self.quotes[q_index]
        before = self.text[max(0, quote.end - 3) : quote.end - 1]
        after = self.text[quote.end : quote.end + 1]
        return any(ch in before for ch in ",.!?…—") or after == ","

    def is_indefinite_document(self, start: int, end: int) -> bool:
        words = [w.lower() for w in self.text[start:end].split()]
        return len(words) >= 2 and words[0] in {"a", "an"} and words[-1] in _DOCUMENT_NOUNS

    def has_verb(self, start: int, end: int) -> bool:
        for _s, _e, word in self.words(start, end):
            lowered = word.lower()
            if lowered in _AUX or lowered in _IRREGULAR_PAST or (lowered.endswith("ed") and len(lowered) > 3):
                return True
        return False

    def read_passive(
        self, frame: _Frame, sentence: _Sentence, region_start: int, region_end: int, c_end: int
    ) -> _Frame:
        """'has been accused of C', 'is reported to C', 'was described as C by X', 'C was
        condemned by X': the agent after "by" is the source; without one the source is unnamed."""
        text = self.text
        frame.kind = "passive"
        frame.source_mode = "passive_none"
        position = c_end
        agent: Span | None = None
        content: Span | None = None
        m = re.match(r"\s+as\s+", text[position : position + 6])
        if m:
            start = position + m.end()
            stop = text.find(" by ", start, sentence.end)
            content = self.strip(start, stop if stop >= 0 else self.clause_end(start, sentence.end), " ,.;")
            position = content[1]
        m_by = re.match(r"\s*,?\s+by\s+", text[position : position + 8])
        if m_by:
            a_start = position + m_by.end()
            a_end = a_start
            stop = re.compile(r"[,;.:]|\s+to\s|\s+as\s|\s+for\s|$")
            m_stop = stop.search(text, a_start, sentence.end)
            a_end = m_stop.start() if m_stop else sentence.end
            agent = self.strip(a_start, a_end)
            position = a_end
        if content is None:
            m = re.match(r"\s+(?:to|of|that)\s+", text[position : position + 7])
            if m:
                start = position + m.end()
                content = (start, self.clause_end(start, sentence.end))
            else:
                # "The operation was condemned by …": the passive subject is what was said about
                subject_start, _marker = self.clause_start(region_start, region_end)
                content = self.strip(subject_start, region_end)
                frame.clause_start = subject_start
        if frame.clause_start < 0:
            frame.clause_start = self.clause_start(region_start, region_end)[0]
        content = self.strip(*content, " \t\n,;:.")
        if content[1] <= content[0]:
            return frame
        frame.content = [content]
        if agent is not None and agent[1] > agent[0] and self.source_quality(*agent) is not None:
            frame.source = agent
            frame.source_mode = "np"
        return frame

    def read_according(self, frame: _Frame, sentence: _Sentence) -> _Frame | None:
        """'According to X, C' (content after) or 'C, according to X' (content before)."""
        text = self.text
        c_start, c_end = frame.cue
        frame.kind = "according_after"
        before_start = self.after_leading_adverbials(sentence.start, c_start)
        before = text[before_start:c_start].strip(" ,")
        before_is_setting = len(before.split()) <= 6 and not self.has_verb(before_start, c_start)
        if not before or before_is_setting or re.fullmatch(r".*\b(?:and|but)", before, re.DOTALL):
            # "According to X, C." — the source runs to a comma; appositive names and adverbials follow.
            comma = self.find_outside_quotes(",", c_end, sentence.end)
            if comma < 0:
                return None
            frame.source = self.strip(c_end, comma)
            position = comma + 1
            while True:
                nxt = self.find_outside_quotes(",", position, sentence.end)
                if nxt < 0:
                    break
                chunk = text[position:nxt].strip()
                words = chunk.split()
                is_name = (
                    0 < len(words) <= 4
                    and all(w[:1].isupper() for w in words)
                    or (
                        0 < len(words) <= 8
                        and not self.has_verb(position, nxt)
                        and (
                            words[0].lower() in _PERSON_NOUNS
                            or words[0].lower() in {"the", "a", "an"}
                            and len(words) > 1
                            and (words[1].lower() in _PERSON_NOUNS or words[1].lower() in _ROLE_MODIFIERS)
                        )
                    )
                )
                is_adverbial = (
                    bool(re.match(r"(?i)(?:during|on|in|at|last|this|earlier|late|yesterday|today)\b", chunk))
                    and len(words) <= 5
                )
                if is_name and frame.source is not None and position == frame.source[1] + 1:
                    frame.source = (frame.source[0], nxt)
                elif not (is_adverbial or is_name):
                    break
                position = nxt + 1
            content = self.content_until_clause_end(position, sentence.end, "clause")
            frame.content = [content]
            frame.clause_start = c_start
            return frame if content[1] > content[0] else None
        # "C, according to X." — content before.
        frame.kind = "according_before"
        stop = re.compile(r",\s+(?:who|which)\b|;").search(text, c_end, sentence.end)
        frame.source = self.strip(c_end, stop.start() if stop else sentence.end, " \t\n,;:")
        if (
            frame.source[1] > frame.source[0]
            and text[frame.source[1] - 1] == "."
            and not re.search(r"\b[A-Z]\.[A-Z]?\.?$", text[frame.source[0] : frame.source[1]])
        ):
            frame.source = (frame.source[0], frame.source[1] - 1)
        clause_start, _marker = self.clause_start(sentence.start, c_start, markers_re=_SEMICOLON_RE)
        frame.content = [self.strip(clause_start, c_start, " \t\n,;:")]
        frame.clause_start = c_start
        return frame

    # -- pieces of frame reading -------------------------------------------------------------------

    def after_leading_adverbials(self, start: int, limit: int) -> int:
        text = self.text
        while start < limit and text[start].isspace():
            start += 1
        for _ in range(3):
            m = _LEADING_ADVERBIAL_RE.match(text, start, limit)
            if not m or m.end() <= start:
                m = _LEADING_TIME_RE.match(text, start, limit)
                if not m or m.end() <= start:
                    break
            start = m.end()
        return start

    def skip_aux_back(self, start: int, pos: int) -> int:
        """Walk back over auxiliaries and adverbs before a cue ("has also", "further")."""
        words = self.words(max(start, pos - 160), pos)  # a few words back is all it can take
        end = pos
        for w_start, _w_end, word in reversed(words):
            lowered = word.lower()
            adverb = word.islower() and lowered.endswith("ly") and lowered not in _LY_NOT_ADVERBS
            if lowered in _ADVERBS or lowered in _AUX or adverb:
                end = w_start
                continue
            break
        return end

    def skip_post(self, pos: int, end: int, frame_kind: str) -> int:
        """Skip adverbials (and for "told" the person told) between a cue and its content."""
        text = self.text
        for _ in range(4):
            m = _POST_CUE_SKIP_RE.match(text, pos, end)
            if not m or m.end() <= pos:
                break
            pos = m.end()
        if frame_kind == "addressee":
            # "told reporters today", "told the BBC", "warned Armenia that", "told local media X's …"
            words = self.words(pos, min(end, pos + 80))
            skipped = 0
            for w_start, w_end, word in words[:4]:
                lowered = word.lower().strip(".")
                if lowered == "that" or self.qindex.inside(w_start) or _is_possessive(self.folded, w_end):
                    break
                if lowered in _AUDIENCE_WORDS or (
                    word[:1].isupper()
                    and (skipped == 0 or words[0][2][:1].isupper() or words[0][2].lower() == "the")
                ):
                    pos = w_end
                    skipped += 1
                    if word.islower() and lowered not in _ADDRESSEE_MODIFIERS:
                        break  # the person told is complete ("reporters", "local media")
                    continue
                break
            if skipped:
                for _ in range(3):
                    m = _POST_CUE_SKIP_RE.match(text, pos, end)
                    if not m or m.end() <= pos:
                        break
                    pos = m.end()
        m = re.match(r"\s*(?:,\s*)?that\s*,?\s+", text[pos : pos + 12])
        if m:
            pos += m.end()
        while pos < end and text[pos] in " \t,:":
            pos += 1
        return pos

    def quote_opening_at(self, pos: int) -> int | None:
        i = self.qindex.at(pos)
        if i is not None and self.quotes[i].open_at == pos:
            return i
        return None

    def first_quote_in(self, start: int, end: int) -> int | None:
        i = bisect_left(self.qindex.starts, start)
        if i < len(self.quotes) and self.quotes[i].open_at < end:
            return i
        return None

    def find_outside_quotes(self, char: str, start: int, end: int) -> int:
        pos = start
        while pos < end:
            found = self.text.find(char, pos, end)
            if found < 0:
                return -1
            q = self.qindex.at(found)
            if q is None:
                return found
            pos = self.quotes[q].end
        return -1

    def clause_end(self, start: int, end: int) -> int:
        """End of a clause: a semicolon or the sentence end, never inside a quote."""
        semi = self.find_outside_quotes(";", start, end)
        return semi if semi >= 0 else end

    def content_until_clause_end(self, start: int, end: int, frame_kind: str) -> Span:
        text = self.text
        stop = end
        patterns = _CLAUSE_STOPS + _OBJECT_STOPS if frame_kind in {"object", "call"} else _CLAUSE_STOPS
        for pattern in patterns:
            found = self.find_outside_quotes(pattern, start, stop)
            if found >= 0:
                stop = found
        # A gloss by the writer ("…, which is territory controlled by …") or a new main clause.
        for m in _CONTENT_STOP_RE.finditer(text, start, stop):
            if not self.qindex.inside(m.start()):
                stop = m.start()
                break
        # A colon followed by a full quote ends the paraphrase; the quote is a claim of its own.
        colon = self.find_outside_quotes(":", start, stop)
        if colon >= 0:
            q = self.quote_opening_at(self.skip_space(colon + 1))
            if q is not None and self.is_full_quote(q):
                stop = colon
        span = self.strip(start, stop, " \t\n,;:—–")
        if span[1] > span[0] and text[span[1] - 1] == "." and not self.qindex.inside(span[1] - 1):
            span = (span[0], span[1] - 1)
        return span

    def skip_space(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos].isspace():
            pos += 1
        return pos

    def clause_start(
        self, start: int, end: int, markers_re: re.Pattern[str] | None = None
    ) -> tuple[int, str]:
        """Start of the clause that ends at ``end`` and the marker that opened it ('' if none)."""
        best, marker = start, ""
        for m in (markers_re or _CLAUSE_MARKERS_RE).finditer(self.text, start, end):
            if self.qindex.inside(m.start()):
                continue
            best, marker = m.end(), m.group()
        return best, marker

    def antecedent(self, start: int, end: int) -> Span | None:
        """Noun phrase right before a relative pronoun ("police, who said …")."""
        span = self.strip(start, end)
        words = self.words(*span)
        if not words:
            return None
        first = len(words) - 1
        while first > 0 and len(words) - first < 5:
            lowered = words[first - 1][2].lower()
            if lowered in {"to", "by", "from", "of", "released", "issued", "published", "according"}:
                break
            first -= 1
            if lowered in {"a", "an", "the"}:
                break
        return (words[first][0], words[-1][1])

    def trailing_source(self, pos: int, end: int) -> Span | None:
        """Source after the cue in '"…," said X, who …' or '"…," wrote X on Twitter.'"""
        m = re.compile(r"[,;.!?:]|\s+(?:on|in|via|during|at|to|about|after|before|while|when)\s|$").search(
            self.text, pos, end
        )
        stop = m.start() if m else end
        span = self.strip(pos, stop)
        if span[1] <= span[0] or len(self.text[span[0] : span[1]].split()) > 10:
            return None
        return span if self.source_quality(*span) is not None else None

    def sentence_subject(self, start: int, limit: int) -> Span | None:
        """Subject of the sentence: the words before its first verb-like word."""
        start = self.after_leading_adverbials(start, limit)
        words = self.words(start, min(limit, start + 400))  # the subject is near the start
        skip_until = -1
        for index, (w_start, _w_end, word) in enumerate(words[:30]):
            if w_start < skip_until:
                continue
            lowered = word.lower()
            if lowered in {"who", "which"} and self.text[max(start, w_start - 2) : w_start].startswith(","):
                comma = self.find_outside_quotes(",", w_start, limit)
                if comma < 0:
                    return None
                skip_until = comma  # ", who was described as … by the police," belongs to the subject
                continue
            verbish = word.islower() and (
                lowered in _AUX
                or lowered in _CUE_BY_FORM
                or lowered in _IRREGULAR_PAST
                or (index > 0 and lowered.endswith("ed") and len(lowered) > 3)
            )
            if verbish:
                if index == 0:
                    return None
                span = self.strip(start, w_start)
                return span if self.source_quality(*span) is not None else None
        return None

    def source_quality(self, start: int, end: int) -> str | None:
        """What makes this phrase a plausible source (registry, pronoun, name, noun), or None."""
        text = self.text[start:end]
        if not text or len(text) > 220:
            return None
        core = _RELATIVE_CLAUSE_RE.sub(",", text)
        if any(ch in core for ch in '"“”«»'):
            return None
        words = _WORD_RE.findall(core)
        if not words or len(words) > 25:
            return None
        lowered = [w.lower().strip(".") for w in words]
        if lowered[0] in {
            "to",
            "of",
            "for",
            "with",
            "by",
            "from",
            "in",
            "on",
            "at",
            "and",
            "or",
            "but",
            "than",
            "that",
            "if",
            "as",
        }:
            return None
        if any(w in _AUX for w in lowered):
            return None
        if words[0].islower() and (lowered[0] in _IRREGULAR_PAST or lowered[0].endswith("ed")):
            return None  # "paid for Boseman to attend BADA": a relative clause, not a subject
        if any(w.islower() and (w in _CUE_BY_FORM or w in _IRREGULAR_PAST) for w in words):
            return None  # "Trump attacked Biden for …": a clause, not a noun phrase
        if len(words) == 1 and lowered[0] in _PRONOUNS_PERSON | _PRONOUNS_GROUP | {"who"}:
            return "pronoun"
        if any(not m.possessive for m in self.mentions_in(start, end)):
            return "registry"
        if any(w in _PERSON_NOUNS or w in _COLLECTIVE_NOUNS or w in _DOCUMENT_NOUNS for w in lowered):
            return "noun"
        if lowered[0] in {"the", "this", "its"} and lowered[-1] in _ORG_WORDS:
            return "noun"
        capitals = [
            w
            for i, w in enumerate(words)
            if w[:1].isupper()
            and w.lower() not in _FUNCTION_WORDS
            and w.lower() not in _DEMONYMS
            and w.lower() not in _TIME_WORDS
        ]
        if capitals and (len(capitals) >= 2 or words[0].lower() not in _FUNCTION_WORDS):
            if len(words) <= 8:
                return "name"
        return None

    def is_full_quote(self, q_index: int) -> bool:
        """A quote that reads as the speaker's own sentence, not a fragment ("…" vs "a non-starter")."""
        quote = self.quotes[q_index]
        start, end = quote.segments[0]
        content = self.text[start:end].lstrip("[(…. '‘\"“")
        if not content or not (content[0].isupper() or content[0].isdigit()):
            return False
        return len(content.split()) >= 3 or len(quote.segments) > 1

    # -- step 2: combine frames of a sentence --------------------------------------------------

    def link_frames(self, s_index: int, frames: list[_Frame]) -> None:
        """Settle what the cues of one sentence owe each other: sources for cues that have none
        of their own, and where each content ends."""
        frames.sort(key=lambda f: f.cue[0])
        for i, frame in enumerate(frames):
            if frame.source is None and frame.source_mode in {"coordinated", "participle"}:
                self.borrow_source(s_index, frames, i)
        for i, frame in enumerate(frames):
            for later in frames[i + 1 :]:
                self.truncate_before(frame, later)

    def borrow_source(self, s_index: int, frames: list[_Frame], i: int) -> None:
        """'Tom Watson called the deal "lousy" and said …' (the sentence subject), 'Saying "…",
        the archbishop said …' (the next cue's source), '…, adding, "…"' (the previous one)."""
        frame = frames[i]
        sentence_start = self.sentences[s_index].start
        if frame.source_mode == "coordinated":
            own = self.sentence_subject(sentence_start, frame.cue[0])
            if own is not None:
                frame.source, frame.source_mode = own, "np"
                return
        donor = None
        if frame.source_mode == "participle" and not self.text[frame.cue[0]].islower():
            donor = next((f for f in frames[i + 1 :] if f.source is not None), None)
        if donor is None:
            earlier = (f for f in reversed(frames[:i]) if f.source is not None)
            donor = next(
                (f for f in earlier if f.kind not in {"passive", "trailer"} and f.source_mode != "relative"),
                None,
            )
        if donor is None and frame.source_mode == "coordinated":
            donor = next(
                (f for f in frames[i + 1 :] if f.source is not None and f.kind == "content_first"), None
            )
        if donor is not None:
            frame.source, frame.source_mode = donor.source, "np"
            return
        subject = self.sentence_subject(sentence_start, frame.cue[0])
        if subject is not None:
            frame.source, frame.source_mode = subject, "np"

    def truncate_before(self, frame: _Frame, later: _Frame) -> None:
        """A later clause ends an earlier frame's content ("…, while X said …", "…; TVN24 reported"),
        unless the later cue is embedded in it ("reported that … Trump might have encouraged …")."""
        if later.clause_start < 0 or not frame.content or later.kind == "trailer":
            return
        if later.marker in _EMBEDDING_MARKERS:
            return
        start, end = frame.content[-1]
        cut = later.clause_start
        if later.kind in {"content_first", "parenthetical"} and later.source is not None:
            cut = later.source[0]
        if not start < cut < end:
            return
        content = self.strip(start, self.cut_before_marker(start, cut), " \t\n,;:—–")
        if content[1] > content[0] and self.text[content[1] - 1] == ".":
            content = (content[0], content[1] - 1)
        frame.content[-1] = content

    def cut_before_marker(self, start: int, cut: int) -> int:
        """Move a cut point back over the clause marker that precedes it (", while", "; ", " and")."""
        segment = self.text[start:cut]
        m = re.search(
            r"(?:[,;]?\s*(?:\b(?:while|whereas|although|though|because|but|and|which|who|as|when|"
            r"after|before|since|if|so)\b)?\s*[,;:—–]?\s*)$",
            segment,
            re.IGNORECASE,
        )
        return start + (m.start() if m else len(segment))

    # -- step 3: claims ----------------------------------------------------------------------------

    def build_claims(self) -> list[_Claim]:
        """Claims from the frames (paraphrases) and the quotes, without duplicates."""
        intro_of: dict[int, _Frame] = {}
        trailer_of: dict[int, _Frame] = {}
        for frame in self.frames:
            if frame.intro_quote is not None:
                intro_of.setdefault(frame.intro_quote, frame)
            if frame.trailer_quote is not None:
                trailer_of.setdefault(frame.trailer_quote, frame)
        quote_claimed: set[int] = set()
        claims = self.paraphrase_claims(quote_claimed)
        claims += self.quote_claims(quote_claimed, intro_of, trailer_of)
        claims.sort(key=lambda c: c.start)
        return self.drop_overlaps(claims)

    def paraphrase_claims(self, quote_claimed: set[int]) -> list[_Claim]:
        """Indirect and mixed claims; records in ``quote_claimed`` the quotes they contain."""
        claims: list[_Claim] = []
        for frame in self.frames:
            if frame.intro_quote is not None:
                q = frame.intro_quote
                speech_cue = frame.frame_kind in {"clause", "addressee", "speech"}
                initial_participle = frame.participle and frame.cue[0] == self.sentences[frame.sentence].start
                if (speech_cue or self.is_full_quote(q)) and (
                    self.quote_runs_to_clause_end(q, frame) or initial_participle
                ):
                    continue  # a direct quote: quote_claims makes it
                # a fragment such as thanked "the police, …": a mixed claim from the quote onwards
                sentence_end = self.sentences[frame.sentence].end
                frame.content = [
                    self.content_until_clause_end(self.quotes[q].open_at, sentence_end, "clause")
                ]
                frame.intro_quote = None
            content = [seg for seg in frame.content if seg[1] > seg[0]]
            if not content or frame.kind == "trailer":
                continue
            inner = [q for q in self.quotes_within(content) if not self.is_gloss(q)]
            attribution = "mixed" if inner else "indirect"
            if len(inner) == 1 and len(content) == 1:
                quote = self.quotes[inner[0]]
                if (
                    (quote.open_at, quote.end) == content[0]
                    and self.is_full_quote(inner[0])
                    and frame.kind != "passive"
                    and frame.lemma not in {"call", "describe", "thank"}
                ):
                    attribution = "direct"  # the whole content is one quoted sentence
                    content = list(quote.segments)
            quote_claimed.update(inner)
            claims.append(_Claim(content, attribution, frame, self.base_confidence(frame, attribution)))
        return claims

    def quote_claims(
        self, quote_claimed: set[int], intro_of: dict[int, _Frame], trailer_of: dict[int, _Frame]
    ) -> list[_Claim]:
        """Direct claims: quotes with an introducing or trailing cue, quotes after a colon, and
        bare quotes that make up whole sentences (the speaker is inferred later)."""
        claims: list[_Claim] = []
        continuation: set[int] = set()
        for q_index, quote in enumerate(self.quotes):
            if q_index in quote_claimed or q_index in continuation:
                continue
            frame = intro_of.get(q_index) or trailer_of.get(q_index)
            after_colon = self.after_colon(quote)
            if frame is None:
                first = quote.segments[0]
                full = self.is_full_quote(q_index) or (
                    after_colon and len(self.text[first[0] : first[1]].split()) >= 3
                )
                whole_sentence = self.quote_starts_sentence(quote) and self.quote_ends_sentence(quote)
                if not full or not (after_colon or whole_sentence):
                    continue  # a scare quote, a title, a sign
            claim = _Claim(list(quote.segments), "direct", frame, self.base_confidence(frame, "direct"))
            if frame is None:
                claim.inferred_from = self.sentence_of(quote.open_at) if after_colon else -1
            anchor_end = quote.end
            if frame is not None and frame.trailer_quote == q_index:
                anchor_end = max(quote.end, frame.cue[1], frame.source[1] if frame.source else 0)
            self.join_continuations(
                claim, q_index, anchor_end, quote_claimed, intro_of, trailer_of, continuation
            )
            claims.append(claim)
        return claims

    def join_continuations(
        self,
        claim: _Claim,
        q_index: int,
        anchor_end: int,
        quote_claimed: set[int],
        intro_of: dict[int, _Frame],
        trailer_of: dict[int, _Frame],
        continuation: set[int],
    ) -> None:
        """Join the pieces of an interrupted quote: '"A," he said, "B."', '"A," Lam continued in
        the statement. "B."', '"A", adding, "B"' — as long as the next piece has no cue of its own."""
        last = q_index
        while last + 1 < len(self.quotes) and last + 1 not in quote_claimed:
            following = self.quotes[last + 1]
            if following.para != self.quotes[last].last_para or not self.quotes[last].closed:
                return
            if not _CONTINUATION_RE.fullmatch(self.text[anchor_end : following.open_at]):
                return
            own_intro = intro_of.get(last + 1)
            if trailer_of.get(last + 1) is not None or (
                own_intro is not None and own_intro.cue[0] > anchor_end and not own_intro.participle
            ):
                return
            claim.content.extend(following.segments)
            continuation.add(last + 1)
            last += 1
            anchor_end = following.end

    def quote_runs_to_clause_end(self, q_index: int, frame: _Frame) -> bool:
        """After 'X said "…"' nothing but punctuation or a new clause follows: a direct quote,
        not a quoted fragment inside a paraphrase."""
        quote = self.quotes[q_index]
        sentence = self.sentences[frame.sentence]
        rest = self.text[quote.end : max(quote.end, sentence.end)]
        if quote.last_para != quote.para:
            return True
        return bool(
            re.fullmatch(
                r"[\s.,;:!?”\"’']*(?:(?:,\s*)?(?:as|which|according|who|while|he|she|they|and|adding|"
                r"before|after|when|in|on|at|during|\w+ing)\b.*)?",
                rest,
                re.DOTALL | re.IGNORECASE,
            )
        )

    def quotes_within(self, content: list[Span]) -> list[int]:
        found = []
        for start, end in content:
            i = bisect_left(self.qindex.starts, start)
            while i < len(self.quotes) and self.quotes[i].open_at < end:
                found.append(i)
                i += 1
        return found

    def quote_ends_sentence(self, quote: _Quote) -> bool:
        """A bare quote is speech when nothing but punctuation follows it ('"Revoke article 50"
        poster at …' is a sign, not a statement)."""
        if quote.last_para != quote.para or not quote.closed:
            return True
        sentence = self.sentences[self.sentence_of(quote.end - 1)]
        return not self.text[quote.end : max(quote.end, sentence.end)].strip(" .,;:!?”\"’'")

    def is_gloss(self, q_index: int) -> bool:
        """A quote in parentheses glosses a word ('anti-Brexit ("British exit")'): not reported speech."""
        quote = self.quotes[q_index]
        return (
            self.text[quote.open_at - 1 : quote.open_at] == "("
            and self.text[quote.end : quote.end + 1] == ")"
        )

    def quote_starts_sentence(self, quote: _Quote) -> bool:
        sentence = self.sentences[self.sentence_of(quote.open_at)]
        return not self.text[sentence.start : quote.open_at].strip(" —–-")

    def after_colon(self, quote: _Quote) -> bool:
        before = self.text[max(0, quote.open_at - 3) : quote.open_at].rstrip()
        return before.endswith(":")

    def base_confidence(self, frame: _Frame | None, attribution: str) -> float:
        """An ordinal score, not a calibrated probability: quotes with a cue are the safest bet,
        paraphrase boundaries less so, quotes with no cue (speaker inferred) least. Resolution
        lowers it further in ``to_suggestion``."""
        if frame is None:
            return 0.55
        base = {"direct": 0.9, "mixed": 0.75, "indirect": 0.7}[attribution]
        if frame.kind in {"passive"} and frame.source is None:
            base -= 0.15
        if frame.kind in {"content_first", "parenthetical", "according_before"}:
            base -= 0.05
        return base

    def drop_overlaps(self, claims: list[_Claim]) -> list[_Claim]:
        """Keep one claim where two cover mostly the same words (the more confident one).

        Kept segments are held sorted by start, so each candidate is compared only with the
        segments that can reach it (linear in practice, even for a paragraph of many quotes)."""
        kept: list[_Claim] = []
        segments: list[tuple[int, int, int]] = []  # (start, end, index into kept), sorted
        longest = 0
        for claim in sorted(claims, key=lambda c: -c.confidence):
            chars = _span_length(claim.content)
            if chars == 0:
                continue
            overlap_with: dict[int, int] = {}
            for start, end in claim.content:
                i = bisect_left(segments, (start - longest, -1, -1))
                while i < len(segments) and segments[i][0] < end:
                    o_start, o_end, o_index = segments[i]
                    shared = min(end, o_end) - max(start, o_start)
                    if shared > 0:
                        overlap_with[o_index] = overlap_with.get(o_index, 0) + shared
                    i += 1
            if any(
                shared >= 0.5 * min(chars, _span_length(kept[index].content))
                for index, shared in overlap_with.items()
            ):
                continue
            for start, end in claim.content:
                insort(segments, (start, end, len(kept)))
                longest = max(longest, end - start)
            kept.append(claim)
        kept.sort(key=lambda c: c.start)
        return kept

    # -- step 4: speakers --------------------------------------------------------------------------

    def resolve(self, claims: list[_Claim]) -> list[Suggestion]:
        """Resolve sources in text order, so pronouns can look back at what is already resolved."""
        owners = sorted(
            (seg[0], seg[1], index) for index, claim in enumerate(claims) for seg in claim.content
        )
        owner_starts = [o[0] for o in owners]
        longest = max((end - start for start, end, _ in owners), default=0)

        def owner_of(pos: int) -> int:
            """The claim whose content covers ``pos`` (only segments that can reach it are looked at)."""
            i = bisect_right(owner_starts, pos) - 1
            while i >= 0 and owners[i][0] > pos - longest:
                if pos < owners[i][1]:
                    return owners[i][2]
                i -= 1
            return -1

        # Antecedents for pronouns and descriptions: registry mentions (not possessive: "Trump's
        # envoy" is about the envoy), and named sources that are not in the registry.
        candidates: list[_Candidate] = []
        for mention in self.mentions:
            if mention.possessive or self.qindex.inside(mention.start):
                continue
            speaker = mention.speaker
            candidates.append(
                _Candidate(
                    mention.start,
                    speaker.id,
                    speaker.type or "person",
                    speaker.country,
                    self.text[mention.start : mention.end],
                    owner_of(mention.start),
                )
            )
        for claim in claims:
            frame = claim.frame
            if frame is not None and frame.source is not None:
                if self.source_quality(*frame.source) == "name" and not self.mentions_in(*frame.source):
                    name = self.text[frame.source[0] : frame.source[1]]
                    kind = "org" if _looks_like_org(name) else "person"
                    candidates.append(_Candidate(frame.source[0], None, kind, None, name, -1))
        candidates.sort(key=lambda c: c.pos)
        self.candidates = candidates
        self.candidate_starts = [c.pos for c in candidates]
        self.claims = claims

        suggestions: list[Suggestion] = []
        previous: _Claim | None = None
        by_sentence: dict[int, _Claim] = {}
        for claim in claims:
            frame = claim.frame
            speaker: _SpeakerGuess
            if frame is not None and frame.source is not None:
                speaker = self.resolve_source(frame.source, previous)
            elif frame is not None and frame.kind == "passive":
                speaker = (None, None, None, "vague_collective")
            elif (
                claim.inferred_from is not None
                and claim.inferred_from >= 0
                and claim.inferred_from in by_sentence
            ):
                speaker = self.inferred(by_sentence[claim.inferred_from])
            elif (
                claim.inferred_from is not None
                and claim.inferred_from >= 0
                and self.person_before(claim.start)
            ):
                # '… Thomas Gray, 24, who cited his experience: "…"': the person the sentence is about
                speaker = self.speaker_tuple(self.person_before(claim.start), "inferred")
            elif (
                previous is not None
                and previous.speaker is not None
                and (self.para_of(claim.start) - self.para_of(previous.content[-1][0]) <= 2)
            ):
                speaker = self.inferred(previous)
            else:
                speaker = self.most_recent(claim.start, person=True, resolution="inferred")
            claim.speaker = speaker
            for seg in claim.content:
                by_sentence.setdefault(self.sentence_of(seg[0]), claim)
            previous = claim
            suggestions.append(self.to_suggestion(claim))
        return suggestions

    def person_before(self, pos: int) -> int | None:
        """The last registry person named in the sentence before ``pos`` (outside quotes)."""
        sentence = self.sentences[self.sentence_of(pos)]
        people = [
            m
            for m in self.mentions_in(sentence.start, pos)
            if not m.possessive
            and (m.speaker.type or "person") == "person"
            and not self.qindex.inside(m.start)
        ]
        return people[-1].speaker.id if people else None

    def inferred(self, donor: _Claim) -> _SpeakerGuess:
        if donor.speaker is None:
            return (None, None, "inferred", None)
        speaker_id, mention, _resolution, specificity = donor.speaker
        if speaker_id is None and mention is None:
            return (None, None, None, specificity)
        return (speaker_id, mention, "inferred", specificity)

    def candidate_usable(self, candidate: _Candidate) -> bool:
        """A name inside reported content is an antecedent only when the reporting source is not
        itself a person: after 'Trump said Biden lied', "he" is Trump; after 'PBS revealed the
        prince accepted responsibility', "he" is the prince."""
        if candidate.owner < 0:
            return True
        owner = self.claims[candidate.owner]
        if owner.speaker is None:
            return False
        owner_id, _mention, _resolution, specificity = owner.speaker
        if owner_id is not None:
            return (self.registry.by_id[owner_id].type or "person") != "person"
        return specificity in {"named_org", "document", "vague_collective"}

    def most_recent(
        self,
        pos: int,
        person: bool,
        resolution: str,
        country: str | None = None,
        role_words: Sequence[str] = (),
        window_paras: int = 3,
    ) -> _SpeakerGuess:
        """The closest earlier antecedent of the right kind (person or not), optionally from
        ``country`` and holding a role with ``role_words`` ("the foreign minister")."""
        i = bisect_left(self.candidate_starts, pos) - 1
        para = self.para_of(pos)
        fallback: _Candidate | None = None
        while i >= 0:
            candidate = self.candidates[i]
            i -= 1
            if para - self.para_of(candidate.pos) > window_paras:
                break
            if (candidate.kind == "person") != person or not self.candidate_usable(candidate):
                continue
            if country is not None and candidate.country not in (None, country):
                continue
            if role_words and candidate.speaker_id is not None:
                role = (self.registry.by_id[candidate.speaker_id].role or "").lower()
                if all(w in role for w in role_words):
                    return self.speaker_tuple(candidate.speaker_id, resolution)
                fallback = fallback or candidate
            elif candidate.speaker_id is not None or not role_words:
                return self.speaker_tuple(candidate.speaker_id, resolution, candidate.text)
        if role_words:
            matches = [
                s
                for s in self.registry.speakers
                if ((s.type or "person") == "person") == person
                and all(w in (s.role or "").lower() for w in role_words)
                and (country is None or s.country in (None, country))
            ]
            if len(matches) == 1:
                return self.speaker_tuple(matches[0].id, resolution)
        if fallback is not None:
            return self.speaker_tuple(fallback.speaker_id, resolution, fallback.text)
        return (None, None, None, None)

    def speaker_tuple(
        self, speaker_id: int | None, resolution: str, text: str | None = None
    ) -> _SpeakerGuess:
        if speaker_id is None:
            return (None, text, resolution if text else None, "named_person" if text else None)
        return (speaker_id, None, resolution, _specificity_for(self.registry.by_id[speaker_id]))

    def resolve_source(self, source: Span, previous: _Claim | None) -> _SpeakerGuess:
        """(speaker_id, mention text, resolution, specificity) for a source span."""
        start, end = source
        text = self.text[start:end]
        words = [w.lower().strip(".") for w in _WORD_RE.findall(text)]
        document = any(
            w in _DOCUMENT_NOUNS for w in _WORD_RE.findall(text)[:4]
        )  # lower case: "the Post" is a paper
        # Named: the first non-possessive registry mention; people before organisations, names
        # before titles; an appositive relative clause ("X, who was Trump's envoy") is about X.
        core_end = end
        relative = _RELATIVE_CLAUSE_RE.search(text)
        if relative:
            core_end = start + relative.start()
        mentions = [
            m
            for m in self.mentions_in(start, core_end)
            if not m.possessive and not self.is_modifier(m, core_end)
        ]
        if self.is_joint(start, core_end, mentions):
            # "Reuters and NBC", "Both he and the commissioner": no single registry speaker
            return (None, text, None, "named_org" if mentions else "vague_collective")
        if mentions:

            def rank(m: _Mention) -> tuple[int, int, int]:
                # A full name or alias beats a bare surname, which beats a title: in "President
                # Recep Tayyip Erdogan" the name decides, not a "President" another entry carries.
                is_person = (m.speaker.type or "person") == "person"
                return ({"title": 2, "surname": 1}.get(m.kind, 0), 0 if is_person else 1, m.start)

            best = min(mentions, key=rank)
            same_place = [m for m in mentions if (m.start, m.end) == (best.start, best.end)]
            if len(same_place) > 1:  # a surname shared by several speakers: the most recently named
                recent = self.most_recent(start, person=True, resolution="explicit")
                if recent[0] in {m.speaker.id for m in same_place}:
                    best = next(m for m in same_place if m.speaker.id == recent[0])
            specificity = "document" if document else _specificity_for(best.speaker)
            return (best.speaker.id, text, "explicit", specificity)
        if len(words) == 1 and words[0] in _PRONOUNS_PERSON:
            resolved = self.most_recent(start, person=True, resolution="coreference")
            return (
                resolved[0],
                text,
                "coreference" if resolved[0] is not None or resolved[1] else None,
                resolved[3] if resolved[0] is not None else None,
            )
        if len(words) == 1 and words[0] in _PRONOUNS_GROUP | {"who"}:
            if (
                previous is not None
                and previous.speaker is not None
                and previous.frame is not None
                and (self.sentence_of(start) - self.sentence_of(previous.start) <= 1)
            ):
                prev_id, _m, _r, prev_specificity = previous.speaker
                prev_is_person = (
                    prev_id is not None and (self.registry.by_id[prev_id].type or "person") == "person"
                )
                if prev_specificity in {"document", "named_org", "vague_collective"} and not prev_is_person:
                    # "… according to a statement. It also stated …": the same source again
                    return (prev_id, text, "coreference", prev_specificity)
            resolved = self.most_recent(start, person=False, resolution="coreference", window_paras=1)
            return (
                resolved[0],
                text,
                "coreference" if resolved[0] is not None else None,
                resolved[3] if resolved[0] is not None else "vague_collective",
            )
        # Descriptions: "the foreign minister", "The Azerbaijani official", "the statement", "the embassy".
        country = next((_DEMONYM_TO_CODE[w] for w in words if w in _DEMONYM_TO_CODE), None)
        definite = bool(words) and words[0] in {"the", "this", "that", "its", "his", "her", "their"}
        heads = [w for w in words if w not in _FUNCTION_WORDS and w not in _DEMONYMS and w not in _TIME_WORDS]
        if definite and document and previous is not None and previous.speaker is not None:
            donor = self.recent_claim_speaker(previous, country)
            if donor is not None:
                return (donor, text, "coreference", "document")
        if (
            definite
            and heads
            and all(h in _PERSON_NOUNS or h in _ROLE_MODIFIERS for h in heads)
            and any(h in _PERSON_NOUNS for h in heads)
        ):
            role_words = [h for h in heads if h in _PERSON_NOUNS and h not in {"official", "counterpart"}]
            resolved = self.most_recent(
                start, person=True, resolution="coreference", country=country, role_words=role_words
            )
            if resolved[0] is not None:
                return (resolved[0], text, "coreference", resolved[3])
        if heads and (definite or len(words) == 1):
            org = self.org_by_head(heads[-1], start)
            if org is not None:
                return (org, text, "coreference", _specificity_for(self.registry.by_id[org]))
        # Not resolvable: say how specific the source is.
        if document:
            return (None, text, None, "document")
        if self.source_quality(start, end) == "name":
            name_span = self.name_in(start, core_end)
            name = self.text[name_span[0] : name_span[1]]
            return (None, name, "explicit", "named_org" if _looks_like_org(name) else "named_person")
        if (
            words
            and (words[0] in {"a", "an", "one"} or any(w in _PERSON_NOUNS for w in heads[:1]))
            and not any(w in _COLLECTIVE_NOUNS for w in heads[-1:])
        ):
            return (None, text, None, "anonymous")
        return (None, text, None, "vague_collective")

    def is_modifier(self, mention: _Mention, end: int) -> bool:
        """'Former Trump adviser Steve Bannon': a name before a lower-case noun describes the head."""
        following = self.text[mention.end : end].split()[:1]
        if not following or mention.kind == "title":
            return False
        word = following[0].lower().strip(",.")
        return following[0][:1].islower() and (word in _PERSON_NOUNS or word in _COLLECTIVE_NOUNS)

    def is_joint(self, start: int, end: int, mentions: list[_Mention]) -> bool:
        """Two sources joined by 'and' (outside any registry name such as "Food and Agriculture")."""
        for m in re.finditer(r"\band\b", self.text[start:end]):
            pos = start + m.start()
            if not any(mention.start <= pos < mention.end for mention in self.mentions_in(start, end)):
                before = self.text[start:pos].split()
                after = self.text[pos + 3 : end].split()
                if before and after:
                    return True
        return False

    def recent_claim_speaker(self, previous: _Claim, country: str | None) -> int | None:
        """'The statement said …' repeats the previous claim's speaker ('The Turkish statement':
        the previous one from Turkey, or Turkey's organisation in the registry)."""
        if previous.speaker is None or previous.speaker[0] is None:
            return None
        speaker = self.registry.by_id[previous.speaker[0]]
        if country is not None and speaker.country not in (None, country):
            for other in self.registry.speakers:
                if other.country == country and (other.type or "person") != "person":
                    return other.id
            return None
        return speaker.id

    def org_by_head(self, head: str, pos: int) -> int | None:
        """'the embassy' → the registry organisation named "…Embassy…", the most recently mentioned."""
        matching = {
            s.id
            for s in self.registry.speakers
            if (s.type or "person") != "person"
            and any(head in _fold(n).lower().split() for n in (s.name, *s.aliases))
        }
        if not matching:
            return None
        i = bisect_left(self.candidate_starts, pos) - 1
        while i >= 0:
            if self.candidates[i].speaker_id in matching:
                return self.candidates[i].speaker_id
            i -= 1
        return next(iter(matching)) if len(matching) == 1 else None

    def name_in(self, start: int, end: int) -> Span:
        """The run of capitalised words in a source phrase ("student protester Joshua Wong")."""
        words = self.words(start, end)
        best: list[tuple[int, int, str]] = []
        run: list[tuple[int, int, str]] = []
        for word in words:
            if word[2][:1].isupper() and word[2].lower() not in _FUNCTION_WORDS:
                run.append(word)
            else:
                if len(run) > len(best):
                    best = run
                run = []
        if len(run) > len(best):
            best = run
        if not best:
            return start, end
        return best[0][0], best[-1][1]

    def to_suggestion(self, claim: _Claim) -> Suggestion:
        frame = claim.frame
        speaker_id, mention, resolution, specificity = claim.speaker or (None, None, None, None)
        source = frame.source if frame is not None else None
        if source is not None and mention is None:
            mention = self.text[source[0] : source[1]]
        confidence = claim.confidence
        if speaker_id is None:
            confidence -= 0.1 if specificity in {"named_person", "named_org", None} else 0.05
        if resolution == "coreference":
            confidence -= 0.05
        content_text = " ".join(self.text[s:e] for s, e in claim.content)
        claim_type = None
        if _NUMBER_RE.search(content_text):
            claim_type = "quantity"
        elif _FUTURE_RE.search(content_text):
            claim_type = "prediction"
        return Suggestion(
            content=tuple(claim.content),
            source=source,
            cue=frame.cue if frame is not None else None,
            attribution=claim.attribution,  # type: ignore[arg-type]
            speaker_id=speaker_id,
            speaker_mention=mention,
            speaker_resolution=resolution,  # type: ignore[arg-type]
            source_specificity=specificity,
            cue_valence=frame.valence if frame is not None else None,
            claim_type=claim_type,
            confidence=round(min(1.0, max(0.05, confidence)), 2),
        )


_NOT_BEFORE_CUE = frozenset(
    {
        "the",
        "a",
        "an",
        "to",
        "of",
        "for",
        "with",
        "extradite",
        "its",
        "their",
        "his",
        "her",
        "this",
        "these",
        "those",
        "newly",
        "widely",
        "much",
        "most",
        "so-called",
        "all",
        "any",
        "such",
        "new",
        "false",
        "our",
        "your",
        "my",
        "no",
    }
)
_ADDRESSEE_MODIFIERS = frozenset({"the", "a", "an", "local", "national", "foreign", "state", "his", "their"})
# Where reported content ends: another attribution, or for a noun-phrase object its first comma.
_CLAUSE_STOPS = (";", ", according to", ", adding", ", saying", ", as quoted by", ", as reported by")
_OBJECT_STOPS = (
    ",",
    " and spoke",
    " and said",
    " and added",
    " after ",
    " during ",
    " following ",
    " via ",
    " when ",
    " while ",
)
_LY_NOT_ADVERBS = frozenset(
    {"family", "ally", "rally", "reply", "supply", "assembly", "july", "italy", "fly"}
)
_EMBEDDING_MARKERS = frozenset({"that", "whether", "if"})
_CLAUSE_WORDS = frozenset(
    {
        "while",
        "whereas",
        "although",
        "though",
        "because",
        "but",
        "and",
        "which",
        "who",
        "that",
        "as",
        "when",
        "after",
        "before",
        "since",
        "if",
        "so",
        "despite",
    }
)
_ROLE_MODIFIERS = frozenset(
    {
        "foreign",
        "prime",
        "vice",
        "deputy",
        "interior",
        "defence",
        "defense",
        "health",
        "senior",
        "former",
        "chief",
        "general",
        "attorney",
        "police",
        "finance",
        "state",
        "first",
        "executive",
        "top",
        "local",
        "federal",
        "county",
        "city",
        "government",
    }
)
_INTRO_GAP_RE = re.compile(r"([^\"“”‘’:;.,]*):\s*")
_INTRO_GAP_COMMA_RE = re.compile(r"([^\"“”‘’:;.,]*)[:,]\s*")
# "X, who had investigated the case," / "X who was …,": the relative clause is not the source.
_RELATIVE_CLAUSE_RE = re.compile(r"(?:,\s*|\s+)(?:who|which)\b[^,]*(?:,|$)")
_CONTENT_STOP_RE = re.compile(
    r",\s+which\s+(?:is|was|are|were)\b|,\s+but\s+(?=[A-Z])|,\s+(?:even\s+)?(?:though|although)\b"
)
_SEMICOLON_RE = re.compile(r";|:(?=\s)")
# After a cue: "… police revealed on Saturday." (content first) / "…, the statement said, D." (parenthetical)
_TAIL_END_RE = re.compile(r"(?:\s+[\w'’.-]+){0,3}\s*(?:[.!?;]|\s[—–]).*|\s*[.!?]?\s*[\"”’]?\s*", re.DOTALL)
_TAIL_PARENTHETICAL_RE = re.compile(r"(?!\s+that\b)(?:\s+[\w'’.-]+){0,3}\s*,\s*(?=\S)")
# Verbs that also take a plain noun phrase ("announced this change"): only a clause is a report.
_CLAUSE_ONLY = frozenset(
    {
        "announce",
        "emphasize",
        "stress",
        "declare",
        "reveal",
        "confirm",
        "deny",
        "note",
        "indicate",
        "state",
        "explain",
        "reiterate",
        "recall",
    }
)
_IRREGULAR_PAST = frozenset(
    """gave took made went came sent met held spoke began left got saw thought knew led ran won lost put set
    brought kept paid felt stood heard found became chose drove flew fell rose grew hit cut told said wrote
    did had was were is are has will would can could may might must shall should""".split()
)
_CONTINUATION_RE = re.compile(
    r"\s*(?:[^.,;:!?\"“”‘’]{1,60}?\s*[,.]?|,\s*\w+ing\b[^.,;:\"“”]{0,50}[.,]|[,.]?)"
    r"\s*(?:and|adding|continuing|before\s+adding)?\s*[,:]?\s*",
    re.IGNORECASE,
)


def _looks_like_org(name: str) -> bool:
    return any(w.lower().strip(".,") in _ORG_WORDS for w in name.split())


def _specificity_for(speaker: RegistrySpeaker) -> str:
    kind = speaker.type or "person"
    if kind == "person":
        return "named_person"
    if kind == "anonymous":
        return "anonymous"
    return "named_org"


def _span_length(spans: Sequence[Span]) -> int:
    return sum(e - s for s, e in spans)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def suggest(text: str, speakers: Sequence[RegistrySpeaker]) -> list[Suggestion]:
    """Attribution suggestions for a canonical text, sorted by their first offset.

    :param text: the document's canonical text (paragraphs joined by a blank line).
    :param speakers: the project's speaker registry; sources resolve to these entries.
    """
    if not text.strip():
        return []
    # Aliases may arrive as lists (JSON); the registry is cached by value, so make them hashable.
    registry = tuple(
        s if isinstance(s.aliases, tuple) else replace(s, aliases=tuple(s.aliases)) for s in speakers
    )
    detector = _Detector(text, registry)
    detector.read_cues()
    claims = detector.build_claims()
    suggestions = detector.resolve(claims)
    suggestions.sort(key=lambda s: (s.content[0][0], s.content[0][1]))
    return suggestions


_LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "loaded_language.txt"


@lru_cache(maxsize=1)
def _lexicon() -> tuple[re.Pattern[str] | None, dict[str, float]]:
    """The loaded-language lexicon: one term per line, tab, confidence; '#' lines are comments."""
    weights: dict[str, float] = {}
    for line in _LEXICON_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, rest = line.partition("\t")
        weight = rest.split("\t")[0] if rest else "0.5"
        weights[term.strip().lower()] = float(weight)
    if not weights:
        return None, weights
    return re.compile(r"(?<![\w’'-])" + _trie_pattern(weights) + r"(?![\w-])", re.IGNORECASE), weights


def suggest_bias_markers(text: str) -> list[MarkerSuggestion]:
    """Loaded-language spans from the lexicon in ``app/data/loaded_language.txt`` (BABE-derived)."""
    pattern, weights = _lexicon()
    if pattern is None:
        return []
    return [
        MarkerSuggestion(m.start(), m.end(), "loaded_language", weights[m.group().lower()])
        for m in pattern.finditer(text)
    ]
