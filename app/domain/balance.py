"""Sourcing balance (pure): whose voice a text carries, in whose words, with which verbs.

Input is one flat record per claim; output is the SPEC §5 shape plus per-speaker, cue-valence
and stance tables. Counting rules (stated on the page too):
  * an ``authorial`` claim counts as the outlet's own voice, not for any side;
  * a claim with no registry speaker, or a ``vague_collective`` source, counts as vague;
  * every other claim counts for its speaker's side (``unknown`` when the speaker has none);
  * quoted words are the words inside direct and mixed claims' content (white-space separated).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ATTRIBUTIONS = ("direct", "indirect", "mixed")


@dataclass(frozen=True, slots=True)
class BalanceClaim:
    """One claim, or ``count`` claims alike in every field counted (``words`` is then their total):
    a corpus is summed by the database in groups instead of claim by claim."""

    attribution: str
    speaker_id: int | None
    speaker_name: str | None
    side: str | None
    source_specificity: str | None
    cue_valence: str | None
    words: int
    stances: tuple[tuple[str, str], ...] = ()
    period: str | None = None  # publication month of the claim's document, "YYYY-MM"
    count: int = 1


@dataclass(frozen=True, slots=True)
class StanceCount:
    """How many of a speaker's attributed claims take ``value`` toward ``target``."""

    speaker_id: int
    target: str
    value: str
    count: int


@dataclass
class Balance:
    sides: dict[str, dict[str, int]] = field(default_factory=dict)
    authorial: int = 0
    vague: int = 0
    speakers: dict[int, dict[str, Any]] = field(default_factory=dict)
    valence: dict[str, dict[str, int]] = field(default_factory=dict)
    stances: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)
    #: Attributed claims per publication month and side (claims of undated documents are left out).
    trend: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.authorial + self.vague + sum(s["claims"] for s in self.sides.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "sides": self.sides, "authorial": self.authorial, "vague": self.vague, "claims": self.total,
            "speakers": sorted(self.speakers.values(), key=lambda s: (-s["claims"], s["name"])),
            "cue_valence": self.valence,
            "stances": [{"speaker": self.speakers[sid]["name"], "speaker_id": sid, "targets": targets}
                        for sid, targets in sorted(self.stances.items(), key=lambda kv: self.speakers[kv[0]]["name"])],
            "trend": {period: self.trend[period] for period in sorted(self.trend)},
        }


def _empty_side() -> dict[str, int]:
    return {"claims": 0, "direct": 0, "indirect": 0, "mixed": 0, "quoted_words": 0, "words": 0}


def compute_balance(claims: Iterable[BalanceClaim], stance_counts: Iterable[StanceCount] = ()) -> Balance:
    """The balance of ``claims``; stances come with each claim or, summed per speaker, as
    ``stance_counts`` (which must count only the attributed claims: not authorial, not vague)."""
    result = Balance()
    valence: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for claim in claims:
        count = claim.count
        if claim.attribution == "authorial":
            result.authorial += count
            continue
        if claim.speaker_id is None or claim.source_specificity == "vague_collective":
            result.vague += count
            continue
        side = claim.side or "unknown"
        quoted = claim.words if claim.attribution in ("direct", "mixed") else 0
        for row in (result.sides.setdefault(side, _empty_side()),
                    result.speakers.setdefault(claim.speaker_id, {
                        "id": claim.speaker_id, "name": claim.speaker_name, "side": side, **_empty_side()})):
            row["claims"] += count
            if claim.attribution in ATTRIBUTIONS:
                row[claim.attribution] += count
            row["quoted_words"] += quoted
            row["words"] += claim.words
        if claim.cue_valence:
            valence[side][claim.cue_valence] += count
        if claim.period:
            month = result.trend.setdefault(claim.period, {})
            month[side] = month.get(side, 0) + count
        targets = result.stances.setdefault(claim.speaker_id, {})
        for target, value in claim.stances:
            _add_stance(targets, target, value, count)
    for stance in stance_counts:
        _add_stance(result.stances.setdefault(stance.speaker_id, {}), stance.target, stance.value, stance.count)
    result.valence = {side: dict(values) for side, values in valence.items()}
    return result


def _add_stance(targets: dict[str, dict[str, int]], target: str, value: str, count: int) -> None:
    counts = targets.setdefault(target, {"favor": 0, "against": 0, "neutral": 0, "none": 0})
    counts[value] = counts.get(value, 0) + count


def word_count(texts: Iterable[str]) -> int:
    return sum(len(text.split()) for text in texts)
