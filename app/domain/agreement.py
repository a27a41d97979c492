"""Inter-annotator agreement (research/domain.md §2): nominal Krippendorff's α, Cohen's κ, span F1.

Pure standard library (no Flask, SQLAlchemy or numpy) because the agreement page computes the
report inside a web request: importing must be cheap, and the report over 100,000 claims must stay
well inside the SPEC §7 budget of 2 s.

What makes it fast: α, percent agreement, the coincidence matrix and κ depend only on how many
units show each distinct row of values, and on how many show each *profile* (the multiset of values
in a unit, e.g. two ``direct`` and one ``mixed``). Coding data has few distinct rows and profiles
(tens to a few thousand) however many units there are, so everything, the bootstrap included,
loops over those rather than over units.

Conventions:

* Missing: a coder who gave no value (absent key or ``None``) is missing for that unit. Units with
  fewer than two values are not pairable and are left out (Krippendorff's rule).
* Undefined coefficients are ``None``, never ``nan`` and never a made-up ``1.0``: α is undefined
  when there are no pairable values or when expected disagreement D_e is 0 (every pairable value
  is in one category, so the data cannot show whether coders discriminate at all); κ likewise
  when its chance agreement is 1.
"""

from __future__ import annotations

import gc
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal, NamedTuple

__all__ = [
    "DEFAULT_BOOTSTRAP_DRAWS",
    "DEFAULT_SEED",
    "MISSING_VALUES_STATEMENT",
    "AlphaResult",
    "ClaimUnit",
    "CodedClaim",
    "MatchRule",
    "agreement_report",
    "bootstrap_alpha_ci",
    "cohen_kappa",
    "match_claims",
    "nominal_alpha",
    "pairwise_kappa",
    "reliability_matrix",
    "reliability_threshold",
    "span_f1",
]

MatchRule = Literal["exact", "overlap"]
#: ``{unit: {coder: value}}``; a coder who is absent or maps to ``None`` is missing for the unit.
ReliabilityData = Mapping[Hashable, Mapping[Hashable, Hashable | None]]

DEFAULT_BOOTSTRAP_DRAWS = 1000
DEFAULT_SEED = 0
CONFIDENCE = 0.95
#: Up to this many distinct value profiles the bootstrap is an exact resampling of units; past it
#: the heaviest half stay exact and the rest are pooled (``_ReliabilityTable._bootstrap_plan``).
#: Fields with a few categories and coders stay below it; a speaker field with dozens of speakers
#: may not. On 100,000 claims (30,000 units, 8 and 60 categories) pooling moved the CI endpoints by
#: at most 0.0003, about 3% of the CI's width and less than one run's Monte Carlo error.
MAX_EXACT_PROFILES = 64
# Krippendorff (2004): rely on α ≥ .800, draw tentative conclusions only from .667 ≤ α < .800.
RELIABLE_ALPHA = 0.800
TENTATIVE_ALPHA = 0.667
# Absorbs float rounding so that an α that is exactly .800 on paper is not reported as tentative.
_THRESHOLD_EPSILON = 1e-9
MISSING_VALUES_STATEMENT = (
    "A coder who did not mark a unit or left the field empty counts as missing for that unit; "
    "units with fewer than two values for a field are not pairable and are left out of alpha and "
    "percent agreement, and each pair's kappa uses only the units both coders labelled."
)


# --------------------------------------------------------------------------------------------
# Reliability data: nominal α, bootstrap CI, Cohen's κ
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlphaResult:
    """Nominal α with what domain.md §2.7 says a reliability report must show beside it."""

    alpha: float | None
    #: Mean over pairable units of the share of agreeing value pairs (DKPro's and Fleiss's P̄;
    #: equals the plain share of matching labels when every unit has two values).
    percent_agreement: float | None
    pairable_units: int
    #: n in Krippendorff's notation: the number of values in pairable units.
    pairable_values: int
    #: Coders who gave at least one pairable value.
    coders: int
    #: n_c: pairable values per category, in sorted category order.
    distribution: dict[Hashable, int]
    #: o_ck for every ordered category pair (zeros included), so it renders as a full matrix.
    coincidence: dict[Hashable, dict[Hashable, float]]


class _Profile(NamedTuple):
    """Units holding the same multiset of values contribute identically to α; count them once.

    A NamedTuple rather than a frozen dataclass: a speaker field can have thousands of profiles,
    and frozen-dataclass construction is several times slower.
    """

    units: int
    values: int  # m_u
    agreeing_pairs: float  # Σ_c n_uc(n_uc − 1) / (m_u − 1): the unit's share of Σ_c o_cc
    category_counts: tuple[tuple[int, float], ...]  # (category index, n_uc)


def _sorted_keys(keys: Iterable[Hashable]) -> list[Hashable]:
    """Distinct keys in a stable display order; repr order when callers mix label types."""
    distinct = list(dict.fromkeys(keys))
    try:
        return sorted(distinct)  # type: ignore[type-var]
    except TypeError:
        return sorted(distinct, key=repr)


class _ReliabilityTable:
    """Units × coders values, held as distinct value rows with how many units show each.

    ``Counter(zip(*columns))`` collapses tens of thousands of units into the few distinct rows
    real data has, at C speed; every statistic then loops over those rows or their profiles.
    Categories are indexed in sorted order, so results do not depend on the order of units.
    """

    def __init__(self, coders: Sequence[Hashable], rows: Mapping[tuple[Hashable | None, ...], int]) -> None:
        self.coders = tuple(coders)
        self.rows = rows
        self.categories = _sorted_keys(value for row in rows for value in row if value is not None)
        category_index = {category: index for index, category in enumerate(self.categories)}
        # A profile is keyed by its sorted category indices, e.g. (3, 3, 17): cheaper than a
        # Counter per row, and a speaker field can have thousands of distinct rows.
        multisets: Counter[tuple[int, ...]] = Counter()
        pairable_rows = []
        for row, units in rows.items():
            present = [category_index[value] for value in row if value is not None]
            if len(present) >= 2:
                present.sort()
                multisets[tuple(present)] += units
                pairable_rows.append(row)
        self.coders_with_values = sum(
            any(row[position] is not None for row in pairable_rows) for position in range(len(self.coders))
        )
        profiles = []
        for multiset, units in multisets.items():
            counts = tuple((category, multiset.count(category)) for category in dict.fromkeys(multiset))
            values = len(multiset)
            agreeing = sum(count * (count - 1) for _, count in counts) / (values - 1)
            profiles.append(_Profile(units, values, agreeing, counts))
        # Heaviest first: the conditional-binomial multinomial is cheapest in that order, and a
        # seeded bootstrap is only reproducible if the order is fixed.
        profiles.sort(key=lambda profile: (-profile.units, profile.category_counts))
        self.profiles = profiles

    @classmethod
    def from_mapping(cls, data: ReliabilityData) -> _ReliabilityTable:
        coders = _sorted_keys(coder for unit in data.values() for coder in unit)
        return cls(coders, Counter(tuple(unit.get(coder) for coder in coders) for unit in data.values()))

    def alpha_result(self) -> AlphaResult:
        categories = len(self.categories)
        totals = [0] * categories
        coincidence = [[0.0] * categories for _ in range(categories)]
        pairable_units = pairable_values = 0
        agreeing = percent_sum = 0.0
        for profile in self.profiles:
            pairable_units += profile.units
            pairable_values += profile.units * profile.values
            agreeing += profile.units * profile.agreeing_pairs
            percent_sum += profile.units * profile.agreeing_pairs / profile.values
            per_pair = profile.units / (profile.values - 1)
            for category, count in profile.category_counts:
                totals[category] += profile.units * int(count)
                for other, other_count in profile.category_counts:
                    pairs = count * (count - 1) if other == category else count * other_count
                    coincidence[category][other] += per_pair * pairs
        names = self.categories
        return AlphaResult(
            alpha=_nominal_alpha(pairable_values, agreeing, totals),
            percent_agreement=percent_sum / pairable_units if pairable_units else None,
            pairable_units=pairable_units,
            pairable_values=pairable_values,
            coders=self.coders_with_values,
            distribution={names[c]: totals[c] for c in range(categories)},
            coincidence={
                names[c]: {names[k]: coincidence[c][k] for k in range(categories)} for c in range(categories)
            },
        )

    def _bootstrap_plan(self) -> list[_Profile]:
        """Profiles to resample; past ``MAX_EXACT_PROFILES`` the rarest are pooled.

        A pool holds profiles with the same number of values and the same agreeing pairs, so each
        draw still gets n and the observed disagreement exactly right; only the pool's category
        mix is averaged. That mix reaches α only through D_e, which barely moves when there are
        many categories, and many categories is the only way to get that many profiles.
        """
        if len(self.profiles) <= MAX_EXACT_PROFILES:
            return self.profiles
        kept = self.profiles[: MAX_EXACT_PROFILES // 2]
        pools: dict[tuple[int, float], tuple[list[int], Counter[int]]] = {}
        for profile in self.profiles[len(kept) :]:
            units, category_totals = pools.setdefault(
                (profile.values, profile.agreeing_pairs), ([0], Counter())
            )
            units[0] += profile.units
            for category, count in profile.category_counts:
                category_totals[category] += profile.units * int(count)
        pooled = [
            _Profile(
                units[0],
                values,
                agreeing,
                tuple((category, total / units[0]) for category, total in sorted(category_totals.items())),
            )
            for (values, agreeing), (units, category_totals) in pools.items()
        ]
        return sorted(kept + pooled, key=lambda profile: (-profile.units, profile.category_counts))

    def bootstrap_ci(self, draws: int, seed: int) -> tuple[float | None, float | None]:
        """95% percentile CI of α from ``draws`` resamples of the pairable units, with replacement.

        Draws in which α is undefined (one category only) are dropped before taking the 2.5th and
        97.5th percentiles; ``None`` when no draw is defined or ``draws`` is 0.
        """
        alphas = sorted(self.bootstrap_alphas(draws, seed))
        if not alphas:
            return None, None
        tail = (1.0 - CONFIDENCE) / 2
        return _quantile(alphas, tail), _quantile(alphas, 1.0 - tail)

    def bootstrap_alphas(self, draws: int, seed: int) -> list[float]:
        """α of each of ``draws`` resamples of the pairable units (undefined ones left out).

        Drawing N units with replacement is the same as drawing how often each profile is picked
        from Multinomial(N, units_p / N); numpy draws all ``draws`` multinomials at once and α
        follows from matrix products, so a draw costs O(profiles) in C. The profiles' order is
        fixed and ``numpy.random.default_rng(seed)`` (numpy pinned) makes it reproducible.
        """
        if draws <= 0 or not self.profiles:
            return []
        import numpy as np  # here, not at import: the CLI starts without it

        plan = self._bootstrap_plan()
        units = np.array([profile.units for profile in plan], dtype=np.int64)
        total_units = int(units.sum())
        picks = np.random.default_rng(seed).multinomial(total_units, units / total_units, size=draws)
        values = picks @ np.array([profile.values for profile in plan], dtype=np.int64)
        agreeing = picks @ np.array([profile.agreeing_pairs for profile in plan], dtype=np.float64)
        category_counts = np.zeros((len(plan), len(self.categories)), dtype=np.float64)
        for row, profile in enumerate(plan):
            for category, count in profile.category_counts:
                category_counts[row, category] = count
        totals = picks @ category_counts
        # _nominal_alpha for every draw at once; totals are whole numbers held exactly in float64
        # (pooled profiles aside), so "expected == 0" is as exact as in the scalar formula.
        same_category_pairs = (totals * (totals - 1.0)).sum(axis=1)
        expected = values.astype(np.float64) * (values - 1) - same_category_pairs
        defined = (values >= 2) & (expected != 0)
        alphas = ((values - 1) * agreeing - same_category_pairs)[defined] / expected[defined]
        return [float(alpha) for alpha in alphas]

    def pairwise_kappa(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for first, second in combinations(range(len(self.coders)), 2):
            table: Counter[tuple[Hashable, Hashable]] = Counter()
            for row, units in self.rows.items():
                if row[first] is not None and row[second] is not None:
                    table[row[first], row[second]] += units
            results.append(
                {
                    "a": self.coders[first],
                    "b": self.coders[second],
                    "kappa": _kappa_from_table(table),
                    "units": sum(table.values()),
                }
            )
        return results


def _nominal_alpha(values: int, agreeing: float, category_totals: Sequence[float]) -> float | None:
    """α = [(n−1)·Σ_c o_cc − Σ_c n_c(n_c−1)] / [n(n−1) − Σ_c n_c(n_c−1)]  (domain.md §2.3).

    The denominator is n(n−1)·D_e, in integers when the totals are, so "D_e == 0" is exact.
    """
    if values < 2:
        return None
    same_category_pairs = sum(total * (total - 1) for total in category_totals)
    expected = values * (values - 1) - same_category_pairs
    if expected == 0:
        return None
    return ((values - 1) * agreeing - same_category_pairs) / expected


def _kappa_from_table(table: Mapping[tuple[Hashable, Hashable], int]) -> float | None:
    """Cohen's κ from a two-coder contingency table, in integers until the final division."""
    total = sum(table.values())
    if total == 0:
        return None
    agreeing = sum(count for (first, second), count in table.items() if first == second)
    first_margin: Counter[Hashable] = Counter()
    second_margin: Counter[Hashable] = Counter()
    for (first, second), count in table.items():
        first_margin[first] += count
        second_margin[second] += count
    chance = sum(count * second_margin[category] for category, count in first_margin.items())
    if total * total == chance:
        return None
    return (total * agreeing - chance) / (total * total - chance)


def _quantile(ordered: Sequence[float], probability: float) -> float:
    """Linear interpolation between order statistics (Hyndman & Fan type 7, numpy's default)."""
    position = (len(ordered) - 1) * probability
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def nominal_alpha(data: ReliabilityData) -> AlphaResult:
    """Nominal Krippendorff's α over ``{unit: {coder: value}}`` (``None`` or absent = missing).

    The coincidence-matrix formula of domain.md §2.3, pooling all units (never averaging per
    document). ``alpha`` is ``None`` when undefined: no pairable values, or D_e == 0.
    """
    return _ReliabilityTable.from_mapping(data).alpha_result()


def bootstrap_alpha_ci(
    data: ReliabilityData, draws: int = DEFAULT_BOOTSTRAP_DRAWS, seed: int = DEFAULT_SEED
) -> tuple[float | None, float | None]:
    """95% percentile bootstrap CI of nominal α, resampling units; the same seed gives the same CI."""
    return _ReliabilityTable.from_mapping(data).bootstrap_ci(draws, seed)


def pairwise_kappa(data: ReliabilityData) -> list[dict[str, Any]]:
    """Cohen's κ for every coder pair over the units both coded: ``[{a, b, kappa, units}]``."""
    return _ReliabilityTable.from_mapping(data).pairwise_kappa()


def cohen_kappa(first: Sequence[Hashable | None], second: Sequence[Hashable | None]) -> float | None:
    """Cohen's κ of two aligned label sequences; positions where either is ``None`` are dropped."""
    if len(first) != len(second):
        raise ValueError("both coders' label sequences must cover the same units")
    table = Counter((a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None)
    return _kappa_from_table(table)


def reliability_threshold(alpha: float | None) -> str | None:
    """Krippendorff's reading of α: ``reliable`` (≥ .800), ``tentative`` (≥ .667), ``unreliable``."""
    if alpha is None:
        return None
    if alpha >= RELIABLE_ALPHA - _THRESHOLD_EPSILON:
        return "reliable"
    if alpha >= TENTATIVE_ALPHA - _THRESHOLD_EPSILON:
        return "tentative"
    return "unreliable"


# --------------------------------------------------------------------------------------------
# Claims: unit matching and span F1
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodedClaim:
    """One coder's claim as agreement sees it: where it is, and its nominal field values."""

    claim_id: int
    document_id: int
    coder: str
    #: Content segments, ``[start, end)`` code-point offsets; their order does not matter.
    segments: tuple[tuple[int, int], ...]
    #: Field name → value (``None`` = not filled in). Every key is treated as a nominal variable.
    fields: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class ClaimUnit:
    """A content span that two or more coders marked, with each coder's claim for it."""

    document_id: int
    #: The characters the unit's claims cover together (for ``exact``: each claim's segments).
    segments: tuple[tuple[int, int], ...]
    claims: Mapping[str, CodedClaim]

    @property
    def key(self) -> str:
        """``document:start-end[+start-end…]``: readable in a spreadsheet, stable across runs."""
        return f"{self.document_id}:" + "+".join(f"{start}-{end}" for start, end in self.segments)


@dataclass(slots=True)
class _Span:
    """A claim with its segments merged, so matching compares covered characters."""

    claim: CodedClaim
    coder: str
    segments: tuple[tuple[int, int], ...]
    length: int
    start: int
    end: int


def _merge_segments(segments: Iterable[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, disjoint segments: overlapping or touching ones merge, empty ones drop.

    Two claims covering the same characters are the same span however a coder split the selection.
    """
    return _merge_sorted(sorted((int(start), int(end)) for start, end in segments if end > start))


def _merge_sorted(ordered: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Merge sorted, non-empty segments that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _to_span(claim: CodedClaim) -> _Span:
    segments = claim.segments
    # Fast path for the usual single, already-normalised segment; anything else is merged.
    if (
        type(segments) is tuple
        and len(segments) == 1
        and type(segments[0]) is tuple
        and segments[0][1] > segments[0][0]
    ):
        start, end = segments[0]
        return _Span(claim, claim.coder, segments, end - start, start, end)
    merged = _merge_segments(segments)
    if not merged:
        return _Span(claim, claim.coder, merged, 0, 0, 0)
    length = sum(end - start for start, end in merged)
    return _Span(claim, claim.coder, merged, length, merged[0][0], merged[-1][1])


def _by_document(spans: Iterable[_Span]) -> dict[int, list[_Span]]:
    """Spans per document, each list sorted by (start, end, claim id).

    The candidate sweep needs start order, and sorting on claim id as well makes every tie-break
    downstream independent of the order the claims arrived in.
    """
    documents: dict[int, list[_Span]] = defaultdict(list)
    for span in spans:
        documents[span.claim.document_id].append(span)
    for document_spans in documents.values():
        document_spans.sort(key=lambda span: (span.start, span.end, span.claim.claim_id))
    return documents


def _shared_characters(first: _Span, second: _Span) -> int:
    if len(first.segments) == 1 and len(second.segments) == 1:
        return min(first.end, second.end) - max(first.start, second.start)
    shared = i = j = 0
    a, b = first.segments, second.segments
    while i < len(a) and j < len(b):
        low = max(a[i][0], b[j][0])
        high = min(a[i][1], b[j][1])
        if high > low:
            shared += high - low
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return shared


def _overlap_candidates(spans: Sequence[_Span]) -> list[tuple[float, int, int]]:
    """Cross-coder pairs of one document with Jaccard ≥ 0.5, best first, as ``(−J, i, j)``, i < j.

    ``spans`` must be sorted as ``_by_document`` leaves them. The sweep then compares only spans
    whose extents overlap, and ties in J fall back to that order, so the greedy matching that
    consumes the candidates is deterministic.
    """
    active: list[tuple[int, _Span]] = []
    candidates: list[tuple[float, int, int]] = []
    for index, span in enumerate(spans):
        if span.length == 0:
            continue
        start, end, coder, length = span.start, span.end, span.coder, span.length
        single = len(span.segments) == 1
        active = [entry for entry in active if entry[1].end > start]
        for other, other_span in active:
            if other_span.coder == coder:
                continue
            if single and len(other_span.segments) == 1:
                # Both contiguous (the usual case): the overlap is one interval.
                shared = (end if end < other_span.end else other_span.end) - start
            else:
                shared = _shared_characters(span, other_span)
            union = length + other_span.length - shared
            # Jaccard ≥ 0.5 tested in integers, so exactly one half is in.
            if shared > 0 and 2 * shared >= union:
                candidates.append((-shared / union, other, index))
        active.append((index, span))
    candidates.sort()
    return candidates


def _exact_groups(spans: Sequence[_Span]) -> list[list[_Span]]:
    """Spans of one document covering the same characters, at most one claim per coder each.

    When a coder has several identical claims, the k-th (by claim id) of every coder forms the
    k-th group, so duplicates pair with duplicates instead of crowding one unit.
    """
    by_place: dict[tuple[tuple[int, int], ...], list[_Span]] = defaultdict(list)
    for span in spans:
        by_place[span.segments].append(span)
    groups: list[list[_Span]] = []
    for place_spans in by_place.values():
        if len(place_spans) < 2:
            continue
        coders = {span.coder for span in place_spans}
        if len(coders) == len(place_spans):
            groups.append(place_spans)
        elif len(coders) > 1:
            ranked: dict[str, list[_Span]] = defaultdict(list)
            for span in sorted(place_spans, key=lambda s: s.claim.claim_id):
                ranked[span.coder].append(span)
            for rank in range(max(len(coder_spans) for coder_spans in ranked.values())):
                group = [coder_spans[rank] for coder_spans in ranked.values() if rank < len(coder_spans)]
                if len(group) > 1:
                    groups.append(group)
    return groups


def _overlap_groups(
    spans: Sequence[_Span], candidates: Sequence[tuple[float, int, int]]
) -> list[list[_Span]]:
    """Greedy complete-link grouping by Jaccard (the rule is stated in ``match_claims``)."""
    accepted = {(low, high) for _, low, high in candidates}
    group_of: dict[int, list[int]] = {}
    for _, low, high in candidates:
        first = group_of.get(low) or [low]
        second = group_of.get(high) or [high]
        if first is second:
            continue
        if len(first) > 1 or len(second) > 1:
            first_coders = {spans[member].coder for member in first}
            if any(spans[member].coder in first_coders for member in second):
                continue
            if not all((min(x, y), max(x, y)) in accepted for x in first for y in second):
                continue
        merged = first + second
        for member in merged:
            group_of[member] = merged
    distinct = {id(group): group for group in group_of.values()}
    return [[spans[member] for member in sorted(group)] for group in distinct.values()]


def _match_document(
    spans: Sequence[_Span], match: MatchRule, candidates: Sequence[tuple[float, int, int]] | None
) -> list[ClaimUnit]:
    if match == "exact":
        groups = _exact_groups(spans)
    else:
        groups = _overlap_groups(spans, _overlap_candidates(spans) if candidates is None else candidates)
    units = []
    for group in groups:
        segments = (
            group[0].segments
            if match == "exact"
            else _merge_sorted(sorted([segment for span in group for segment in span.segments]))
        )
        units.append(
            ClaimUnit(group[0].claim.document_id, segments, {span.coder: span.claim for span in group})
        )
    units.sort(key=lambda unit: unit.segments)
    return units


def _match_spans(
    documents: Mapping[int, Sequence[_Span]],
    match: MatchRule,
    candidates: Mapping[int, Sequence[tuple[float, int, int]]] | None = None,
) -> list[ClaimUnit]:
    if match not in ("exact", "overlap"):
        raise ValueError(f"match must be 'exact' or 'overlap', not {match!r}")
    units: list[ClaimUnit] = []
    for document_id in sorted(documents):
        document_candidates = candidates.get(document_id, ()) if candidates is not None else None
        units.extend(_match_document(documents[document_id], match, document_candidates))
    return units


def match_claims(claims: Iterable[CodedClaim], match: MatchRule = "exact") -> list[ClaimUnit]:
    """Align claims across coders into units; a unit counts when two or more coders marked it.

    ``exact``: same document and the same covered characters (segments are compared sorted and
    merged, so their order and how a selection was split do not matter).

    ``overlap``: same document and Jaccard |A∩B| / |A∪B| ≥ 0.5 over covered characters. All
    cross-coder pairs are taken greedily from the highest Jaccard down (ties by position, then
    claim id);
    a pair joins its two groups only if they share no coder and *every* claim of one has
    Jaccard ≥ 0.5 with every claim of the other, so a unit never chains unlike spans together.

    Under both rules a coder contributes at most one claim per unit, and claims left unmatched
    form no unit. Units come back ordered by document, then position.
    """
    return _match_spans(_by_document(_to_span(claim) for claim in claims), match)


def _pair_f1(matched: int, first: int, second: int) -> float | None:
    return 2 * matched / (first + second) if first + second else None


def _span_agreement(
    documents: Mapping[int, Sequence[_Span]], candidates: Mapping[int, Sequence[tuple[float, int, int]]]
) -> dict[str, Any]:
    all_spans = [span for spans in documents.values() for span in spans]
    coders = _sorted_keys(span.coder for span in all_spans)
    counted = ("documents", "a_claims", "b_claims", "matched_exact", "matched_overlap")
    pair_counts = {pair: dict.fromkeys(counted, 0) for pair in combinations(coders, 2)}
    # Claims per (document, coder): the pair denominators, over documents both coders worked on.
    coders_by_document: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for (document_id, coder), claims in Counter((s.claim.document_id, s.coder) for s in all_spans).items():
        coders_by_document[document_id].append((coder, claims))
    for document_coders in coders_by_document.values():
        document_coders.sort()
        for (first, first_claims), (second, second_claims) in combinations(document_coders, 2):
            counts = pair_counts[first, second]
            counts["documents"] += 1
            counts["a_claims"] += first_claims
            counts["b_claims"] += second_claims
    # One greedy pass over the candidates (best Jaccard first) matches claims one-to-one within
    # each pair, while a claim may still match one claim of every other coder. Identical spans
    # (Jaccard exactly 1) sort first, so the decisions taken while Jaccard is 1 are precisely
    # the exact one-to-one matching: counting them there gives the exact matches too.
    matched_exact: Counter[tuple[str, str]] = Counter()
    matched_overlap: Counter[tuple[str, str]] = Counter()
    for document_id, document_candidates in candidates.items():
        spans = documents[document_id]
        matched_with: set[tuple[int, str]] = set()
        for negative_jaccard, low, high in document_candidates:
            low_coder, high_coder = spans[low].coder, spans[high].coder
            if (low, high_coder) in matched_with or (high, low_coder) in matched_with:
                continue
            matched_with.add((low, high_coder))
            matched_with.add((high, low_coder))
            pair = (low_coder, high_coder) if low_coder < high_coder else (high_coder, low_coder)
            matched_overlap[pair] += 1
            if negative_jaccard == -1.0:
                matched_exact[pair] += 1
    for pair, counts in pair_counts.items():
        counts["matched_exact"] = matched_exact[pair]
        counts["matched_overlap"] = matched_overlap[pair]
    pairs: list[dict[str, Any]] = []
    totals: Counter[str] = Counter()
    for (first, second), counts in pair_counts.items():
        pairs.append(
            {
                "a": first,
                "b": second,
                **counts,
                "f1_exact": _pair_f1(counts["matched_exact"], counts["a_claims"], counts["b_claims"]),
                "f1_overlap": _pair_f1(counts["matched_overlap"], counts["a_claims"], counts["b_claims"]),
            }
        )
        totals.update(counts)
    claims_total = totals["a_claims"] + totals["b_claims"]
    return {
        "f1_exact": 2 * totals["matched_exact"] / claims_total if claims_total else None,
        "f1_overlap": 2 * totals["matched_overlap"] / claims_total if claims_total else None,
        "pairs": pairs,
    }


def span_f1(claims: Iterable[CodedClaim]) -> dict[str, Any]:
    """Span F1 = 2·matched / (|A| + |B|) for every coder pair, exact and overlap, plus pooled F1.

    A pair is compared only on documents where both coders marked at least one claim: a claim
    list cannot tell "read it and found nothing" from "never assigned it", and counting documents
    a coder was never given would punish them for it. Matching is one-to-one within a pair:
    exact = the same covered characters; overlap = greedy by highest Jaccard, Jaccard ≥ 0.5.
    The pooled ``f1_exact`` / ``f1_overlap`` micro-average the pairs (summed matches over summed
    claims), so a pair with more claims weighs more. Each pair also reports its counts.
    """
    documents = _by_document(_to_span(claim) for claim in claims)
    candidates = {document_id: _overlap_candidates(spans) for document_id, spans in documents.items()}
    return _span_agreement(documents, candidates)


# --------------------------------------------------------------------------------------------
# Report and export
# --------------------------------------------------------------------------------------------


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a report builds its many small containers.

    At 100,000 claims the report allocates a few hundred thousand tuples and spans that all stay
    alive until it returns, and every generation-2 collection in between rescans them, and every
    other live object in the worker, for nothing: about a quarter of the report's time. Nothing
    here creates reference cycles. Only the caller that paused the collector turns it back on,
    so concurrent reports in one process cannot leave it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def reliability_matrix(
    claims: Iterable[CodedClaim], field: str, match: MatchRule = "exact"
) -> list[list[str | None]]:
    """The raw reliability data of one field, units × coders, for CSV export.

    First row ``["unit", coder…]``, then one row per unit that two or more coders marked: the unit
    key (``document:start-end[+start-end…]``, suffixed ``#2``… if two units cover the same
    characters) and each coder's value, ``None`` where missing. Scholars recompute α from it in R
    or SPSS (KALPHA) to check ours (domain.md §2.7).
    """
    with _collector_paused():
        spans = [_to_span(claim) for claim in claims]
        units = _match_spans(_by_document(spans), match)
    coders = _sorted_keys(span.coder for span in spans)
    rows: list[list[str | None]] = [["unit", *map(str, coders)]]
    seen: Counter[str] = Counter()
    for unit in units:
        key = unit.key
        seen[key] += 1
        cells: list[str | None] = [key if seen[key] == 1 else f"{key}#{seen[key]}"]
        for coder in coders:
            claim = unit.claims.get(coder)
            cells.append(claim.fields.get(field) if claim is not None else None)
        rows.append(cells)
    return rows


def agreement_report(
    claims: Iterable[CodedClaim],
    fields: Sequence[str],
    match: MatchRule = "exact",
    bootstrap: int = DEFAULT_BOOTSTRAP_DRAWS,
    seed: int = DEFAULT_SEED,
    include_coincidence: bool = False,
) -> dict[str, Any]:
    """The agreement report of SPEC §5 (``GET …/agreement``), ready for ``json.dumps``.

    Per field: nominal α over the units of ``match_claims`` (``units`` counts the pairable ones,
    the reliability sample behind α), its bootstrap CI (``bootstrap`` draws, 0 for none; every
    field is seeded with ``seed`` itself, so its CI does not depend on which other fields were
    asked for), pairwise κ, percent agreement, pairable values, the category distribution and
    Krippendorff's threshold reading. ``include_coincidence`` adds each field's coincidence matrix
    for the HTML report; it is off by default to keep the API answer at its documented shape.
    ``spans`` holds span F1 under both matching rules, whichever ``match`` is.
    """
    if match not in ("exact", "overlap"):
        raise ValueError(f"match must be 'exact' or 'overlap', not {match!r}")
    with _collector_paused():
        return _report(claims, fields, match, bootstrap, seed, include_coincidence)


def _report(
    claims: Iterable[CodedClaim],
    fields: Sequence[str],
    match: MatchRule,
    bootstrap: int,
    seed: int,
    include_coincidence: bool,
) -> dict[str, Any]:
    documents = _by_document(_to_span(claim) for claim in claims)
    candidates = {document_id: _overlap_candidates(spans) for document_id, spans in documents.items()}
    units = _match_spans(documents, match, candidates)
    coders = _sorted_keys(span.coder for spans in documents.values() for span in spans)
    # Per coder, every field's values in one pass over the units (a C-level map per claim), then
    # transposed: reading 10 fields × 3 coders × 30,000 units one .get() at a time costs more.
    missing_row = (None,) * len(fields)
    columns_by_coder = []
    for coder in coders:
        rows = [
            tuple(map(claim.fields.get, fields)) if claim is not None else missing_row
            for claim in (unit.claims.get(coder) for unit in units)
        ]
        columns_by_coder.append(list(zip(*rows, strict=True)) if rows else [()] * len(fields))
    field_reports: dict[str, dict[str, Any]] = {}
    for position, field in enumerate(fields):
        columns = [coder_columns[position] for coder_columns in columns_by_coder]
        table = _ReliabilityTable(coders, Counter(zip(*columns, strict=True)))
        result = table.alpha_result()
        ci_low, ci_high = table.bootstrap_ci(bootstrap, seed)
        report: dict[str, Any] = {
            "alpha": result.alpha,
            "kappa_pairwise": table.pairwise_kappa(),
            "units": result.pairable_units,
            "coders": result.coders,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "percent_agreement": result.percent_agreement,
            "pairable_values": result.pairable_values,
            "distribution": result.distribution,
            "threshold": reliability_threshold(result.alpha),
        }
        if include_coincidence:
            report["coincidence"] = result.coincidence
        field_reports[field] = report
    return {
        "fields": field_reports,
        "spans": _span_agreement(documents, candidates),
        "match": match,
        "missing": MISSING_VALUES_STATEMENT,
    }
