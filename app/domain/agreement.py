"""Inter-annotator agreement (research/domain.md §2): nominal Krippendorff's α, Cohen's κ, span F1.

Pure standard library (no Flask, SQLAlchemy or numpy) because the agreement page computes the
report inside a web request: importing must be cheap and the report over 100,000 claims must take
well under the SPEC §7 budget of 2 s.

The central idea that makes this fast: α, percent agreement and the coincidence matrix depend only
on how many units show each *multiset of values* (a "profile", e.g. two ``direct`` and one
``mixed``). Real coding data has few distinct profiles (tens to hundreds) however many units there
are, so everything, the bootstrap included, runs over profiles rather than over units.

Conventions (stated once here, repeated where they matter):

* Missing: a coder who gave no value (absent key or ``None``) is missing for that unit. Units with
  fewer than two values are not pairable and are left out (Krippendorff's rule).
* Undefined coefficients are ``None``, never ``nan`` or a made-up ``1.0``: α is undefined when there
  are no pairable values or when expected disagreement D_e is 0 (every pairable value falls in one
  category, so the data cannot show whether coders *discriminate*); κ likewise when its chance
  agreement is 1.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

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
ReliabilityData = Mapping[Hashable, Mapping[Hashable, Hashable | None]]

DEFAULT_BOOTSTRAP_DRAWS = 1000
DEFAULT_SEED = 0
CONFIDENCE = 0.95
# Krippendorff (2004): rely on α ≥ .800, draw tentative conclusions only from .667 ≤ α < .800.
RELIABLE_ALPHA = 0.800
TENTATIVE_ALPHA = 0.667
# Absorbs float rounding so that an α that is exactly .800 on paper is not reported as tentative.
_THRESHOLD_EPSILON = 1e-9
MISSING_VALUES_STATEMENT = (
    "A coder who did not mark a unit, or left the field empty, counts as missing for that unit; "
    "units with fewer than two values for a field are not pairable and are left out of alpha, "
    "kappa and percent agreement, and kappa for a pair uses only the units both coders labelled."
)


# --------------------------------------------------------------------------------------------
# Reliability data: nominal α, bootstrap CI, Cohen's κ
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlphaResult:
    """Nominal α with everything domain.md §2.7 says a reliability report must show beside it."""

    alpha: float | None
    #: Mean over pairable units of the share of agreeing value pairs (DKPro's and Fleiss's P̄).
    percent_agreement: float | None
    pairable_units: int
    #: n in Krippendorff's notation: the number of values in pairable units.
    pairable_values: int
    #: Coders who gave at least one pairable value.
    coders: int
    #: n_c: pairable values per category.
    distribution: dict[Hashable, int]
    #: o_ck, every ordered category pair (zeros included) so it renders as a full matrix.
    coincidence: dict[Hashable, dict[Hashable, float]]


@dataclass(frozen=True, slots=True)
class _Profile:
    """Units that hold the same multiset of values contribute identically to α; count them once."""

    units: int
    values: int  # m_u
    agreeing_pairs: float  # Σ_c n_uc(n_uc − 1) / (m_u − 1): this unit's share of Σ_c o_cc
    category_counts: tuple[tuple[int, int], ...]  # (category index, n_uc)


def _sorted_keys(keys: Iterable[Hashable]) -> list[Hashable]:
    """Stable display order; falls back to repr order because callers may mix label types."""
    distinct = list(dict.fromkeys(keys))
    try:
        return sorted(distinct)  # type: ignore[type-var]
    except TypeError:
        return sorted(distinct, key=repr)


class _ReliabilityTable:
    """Units × coders values, stored as distinct value rows with their multiplicity.

    ``Counter(zip(*columns))`` collapses tens of thousands of units into the few distinct rows
    real data has, at C speed; every statistic below then loops over those rows only.
    """

    def __init__(self, coders: Sequence[Hashable], rows: Counter[tuple[Hashable | None, ...]]) -> None:
        self.coders = tuple(coders)
        self.rows = rows
        category_index: dict[Hashable, int] = {}
        profiles: dict[tuple[tuple[int, int], ...], int] = Counter()
        coder_has_value = [False] * len(self.coders)
        for row, units in rows.items():
            present = [value for value in row if value is not None]
            if len(present) < 2:
                continue
            for position, value in enumerate(row):
                if value is not None:
                    coder_has_value[position] = True
            counts: Counter[int] = Counter(
                category_index.setdefault(value, len(category_index)) for value in present
            )
            profiles[tuple(sorted(counts.items()))] += units
        self.categories: list[Hashable] = list(category_index)
        self.coders_with_values = sum(coder_has_value)
        self.profiles = sorted(
            (
                _Profile(
                    units=units,
                    values=sum(count for _, count in key),
                    agreeing_pairs=sum(count * (count - 1) for _, count in key)
                    / (sum(count for _, count in key) - 1),
                    category_counts=key,
                )
                for key, units in profiles.items()
            ),
            # Largest first: the conditional-binomial multinomial is cheapest that way, and the
            # order must be deterministic for a seeded bootstrap to be reproducible.
            key=lambda profile: (-profile.units, profile.category_counts),
        )

    @classmethod
    def from_mapping(cls, data: ReliabilityData) -> _ReliabilityTable:
        coders = _sorted_keys(coder for unit in data.values() for coder in unit)
        rows = Counter(tuple(unit.get(coder) for coder in coders) for unit in data.values())
        return cls(coders, rows)

    # -- α ------------------------------------------------------------------------------------

    def alpha_result(self) -> AlphaResult:
        category_totals = [0] * len(self.categories)
        coincidence = [[0.0] * len(self.categories) for _ in self.categories]
        pairable_units = pairable_values = 0
        agreeing = 0.0
        percent_sum = 0.0
        for profile in self.profiles:
            pairable_units += profile.units
            pairable_values += profile.units * profile.values
            agreeing += profile.units * profile.agreeing_pairs
            percent_sum += profile.units * profile.agreeing_pairs / profile.values
            per_pair = profile.units / (profile.values - 1)
            for category, count in profile.category_counts:
                category_totals[category] += profile.units * count
                for other, other_count in profile.category_counts:
                    pairs = count * (other_count - 1) if other == category else count * other_count
                    coincidence[category][other] += per_pair * pairs
        rank = {category: position for position, category in enumerate(_sorted_keys(self.categories))}
        order = sorted(range(len(self.categories)), key=lambda index: rank[self.categories[index]])
        return AlphaResult(
            alpha=_nominal_alpha(pairable_values, agreeing, category_totals),
            percent_agreement=percent_sum / pairable_units if pairable_units else None,
            pairable_units=pairable_units,
            pairable_values=pairable_values,
            coders=self.coders_with_values,
            distribution={self.categories[c]: category_totals[c] for c in order},
            coincidence={
                self.categories[c]: {self.categories[k]: coincidence[c][k] for k in order} for c in order
            },
        )

    def bootstrap_ci(self, draws: int, seed: int) -> tuple[float | None, float | None]:
        """Percentile CI from resampling pairable units with replacement.

        Resampling N units with replacement is the same as drawing how often each *profile* is
        picked from Multinomial(N, units_p / N); that takes one binomial per profile (conditional
        binomials), so a draw costs O(profiles) ≤ O(units) instead of O(units) random picks.
        Draws in which α is undefined (a single category) are dropped before taking percentiles.
        """
        if draws <= 0 or not self.profiles:
            return None, None
        rng = random.Random(seed)
        uniform = rng.random
        total_units = sum(profile.units for profile in self.profiles)
        plan = [
            (profile.units, profile.values, profile.agreeing_pairs, profile.category_counts)
            for profile in self.profiles
        ]
        category_count = len(self.categories)
        alphas: list[float] = []
        for _ in range(draws):
            units_left = total_units
            weight_left = total_units
            values = 0
            agreeing = 0.0
            totals = [0] * category_count
            for weight, unit_values, unit_agreeing, category_counts in plan:
                if units_left == 0:
                    break
                if weight == weight_left:
                    picked = units_left
                else:
                    picked = _binomial(uniform, units_left, weight / weight_left)
                weight_left -= weight
                if picked:
                    units_left -= picked
                    values += picked * unit_values
                    agreeing += picked * unit_agreeing
                    for category, count in category_counts:
                        totals[category] += picked * count
            alpha = _nominal_alpha(values, agreeing, totals)
            if alpha is not None:
                alphas.append(alpha)
        if not alphas:
            return None, None
        alphas.sort()
        tail = (1.0 - CONFIDENCE) / 2
        return _quantile(alphas, tail), _quantile(alphas, 1.0 - tail)

    # -- κ ------------------------------------------------------------------------------------

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


def _nominal_alpha(values: int, agreeing: float, category_totals: Sequence[int]) -> float | None:
    """α = [(n−1)·Σ_c o_cc − Σ_c n_c(n_c−1)] / [n(n−1) − Σ_c n_c(n_c−1)]  (domain.md §2.3).

    The denominator is n(n−1)·D_e in integers, so "D_e == 0" is an exact test, not a float one.
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


def _binomial(uniform: Callable[[], float], trials: int, probability: float) -> int:
    """One Binomial(trials, probability) variate from a seeded uniform source.

    ``random.binomialvariate`` only exists from Python 3.12 and its stream may change between
    versions; a local sampler keeps seeded CIs identical on every supported Python. Small means
    use Devroye's geometric waiting-time method (expected O(np) steps); large ones Hörmann's
    BTRS transformed rejection (1993), which takes O(1) expected steps.
    """
    if probability <= 0.0 or trials == 0:
        return 0
    if probability >= 1.0:
        return trials
    if probability > 0.5:
        return trials - _binomial(uniform, trials, 1.0 - probability)
    if trials * probability < 10.0:
        log_failure = math.log1p(-probability)
        successes = position = 0
        while True:
            position += math.floor(math.log(1.0 - uniform()) / log_failure) + 1
            if position > trials:
                return successes
            successes += 1
    spread = math.sqrt(trials * probability * (1.0 - probability))
    b = 1.15 + 2.53 * spread
    a = -0.0873 + 0.0248 * b + 0.01 * probability
    c = trials * probability + 0.5
    squeeze = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spread
    log_odds = math.log(probability / (1.0 - probability))
    mode = math.floor((trials + 1) * probability)
    log_mode_terms = math.lgamma(mode + 1) + math.lgamma(trials - mode + 1)
    while True:
        u = uniform() - 0.5
        v = uniform()
        distance = 0.5 - abs(u)
        if distance == 0.0:
            continue
        k = math.floor((2.0 * a / distance + b) * u + c)
        if k < 0 or k > trials:
            continue
        if distance >= 0.07 and v <= squeeze:
            return k
        v *= alpha / (a / (distance * distance) + b)
        log_ratio = log_mode_terms - math.lgamma(k + 1) - math.lgamma(trials - k + 1) + (k - mode) * log_odds
        if math.log(v) <= log_ratio:
            return k


def nominal_alpha(data: ReliabilityData) -> AlphaResult:
    """Nominal Krippendorff's α over ``{unit: {coder: value}}`` (``None`` or absent = missing).

    Uses the coincidence-matrix formula of domain.md §2.3, pooling all units (never averaging
    per document). ``alpha`` is ``None`` when undefined: no pairable values, or D_e == 0.
    """
    return _ReliabilityTable.from_mapping(data).alpha_result()


def bootstrap_alpha_ci(
    data: ReliabilityData, draws: int = DEFAULT_BOOTSTRAP_DRAWS, seed: int = DEFAULT_SEED
) -> tuple[float | None, float | None]:
    """95% percentile bootstrap CI of nominal α, resampling units; reproducible for a given seed."""
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
    """Krippendorff's reading of α: ``reliable`` (≥ .800), ``tentative`` (≥ .667), else ``unreliable``."""
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
    #: Content segments, ``[start, end)`` code-point offsets; order does not matter.
    segments: tuple[tuple[int, int], ...]
    #: Field name → value (``None`` = not filled in). Every key is treated as a nominal variable.
    fields: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class ClaimUnit:
    """A content span that two or more coders marked, with each coder's claim for it."""

    key: str
    document_id: int
    segments: tuple[tuple[int, int], ...]
    claims: Mapping[str, CodedClaim]


@dataclass(slots=True)
class _Span:
    """A claim with its segments merged, so matching compares covered characters."""

    claim: CodedClaim
    segments: tuple[tuple[int, int], ...]
    length: int
    start: int
    end: int


def _merge_segments(segments: Iterable[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, disjoint segments; overlapping or touching ones merge, empty ones drop.

    Two claims that cover the same characters are the same span whichever way a coder happened
    to split the selection.
    """
    ordered = sorted((int(start), int(end)) for start, end in segments if end > start)
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
    if len(segments) == 1 and segments[0][1] > segments[0][0]:
        merged: tuple[tuple[int, int], ...] = ((int(segments[0][0]), int(segments[0][1])),)
    else:
        merged = _merge_segments(segments)
    if not merged:
        return _Span(claim, merged, 0, 0, 0)
    return _Span(claim, merged, sum(end - start for start, end in merged), merged[0][0], merged[-1][1])


def _shared_characters(first: _Span, second: _Span) -> int:
    if len(first.segments) == 1 and len(second.segments) == 1:
        return max(0, min(first.end, second.end) - max(first.start, second.start))
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
    """Cross-coder pairs in one document with Jaccard ≥ 0.5, best first: ``(−J, i, j)``, i < j.

    A sweep over spans sorted by start only compares spans whose extents overlap.
    """
    order = sorted(range(len(spans)), key=lambda index: (spans[index].start, spans[index].end))
    active: list[int] = []
    candidates: list[tuple[float, int, int]] = []
    for index in order:
        span = spans[index]
        if span.length == 0:
            continue
        active = [other for other in active if spans[other].end > span.start]
        for other in active:
            other_span = spans[other]
            if other_span.claim.coder == span.claim.coder:
                continue
            shared = _shared_characters(span, other_span)
            union = span.length + other_span.length - shared
            # Jaccard ≥ 0.5 tested in integers: exactly one half is in.
            if shared and 2 * shared >= union:
                low, high = (index, other) if index < other else (other, index)
                candidates.append((-shared / union, low, high))
        active.append(index)
    candidates.sort()
    return candidates


def _unit_key(document_id: int, segments: tuple[tuple[int, int], ...]) -> str:
    return f"{document_id}:" + "+".join(f"{start}-{end}" for start, end in segments)


def _exact_groups(spans: Sequence[_Span]) -> list[list[_Span]]:
    """Spans with the same document and the same covered characters, one claim per coder each.

    When a coder has several identical claims, the k-th (by claim id) of each coder forms the
    k-th unit, so duplicates pair with duplicates rather than crowding one unit.
    """
    by_place: dict[tuple[int, tuple[tuple[int, int], ...]], dict[str, list[_Span]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for span in spans:
        by_place[span.claim.document_id, span.segments][span.claim.coder].append(span)
    groups: list[list[_Span]] = []
    for per_coder in by_place.values():
        if len(per_coder) < 2:
            continue
        if all(len(coder_spans) == 1 for coder_spans in per_coder.values()):
            groups.append([coder_spans[0] for coder_spans in per_coder.values()])
            continue
        ranked = [sorted(coder_spans, key=lambda s: s.claim.claim_id) for coder_spans in per_coder.values()]
        for rank in range(max(len(coder_spans) for coder_spans in ranked)):
            groups.append([coder_spans[rank] for coder_spans in ranked if rank < len(coder_spans)])
    return groups


def _overlap_groups(
    spans: Sequence[_Span], candidates: Sequence[tuple[float, int, int]]
) -> list[list[_Span]]:
    """Greedy complete-link clustering by Jaccard (see ``match_claims`` for the rule)."""
    accepted = {(low, high) for _, low, high in candidates}
    cluster_of: dict[int, list[int]] = {}
    for _, low, high in candidates:
        first = cluster_of.get(low, [low])
        second = cluster_of.get(high, [high])
        if first is second:
            continue
        first_coders = {spans[member].claim.coder for member in first}
        if any(spans[member].claim.coder in first_coders for member in second):
            continue
        if not all((min(x, y), max(x, y)) in accepted for x in first for y in second):
            continue
        merged = first + second
        for member in merged:
            cluster_of[member] = merged
    groups: list[list[_Span]] = []
    seen: set[int] = set()
    for cluster in cluster_of.values():
        if id(cluster) not in seen:
            seen.add(id(cluster))
            groups.append([spans[member] for member in sorted(cluster)])
    return groups


def _by_document(spans: Iterable[_Span]) -> dict[int, list[_Span]]:
    documents: dict[int, list[_Span]] = defaultdict(list)
    for span in spans:
        documents[span.claim.document_id].append(span)
    return documents


def _units_from_groups(groups: Iterable[list[_Span]]) -> list[ClaimUnit]:
    units: list[ClaimUnit] = []
    used_keys: Counter[str] = Counter()
    ordered = sorted(
        groups,
        key=lambda group: (
            group[0].claim.document_id,
            min(s.start for s in group),
            max(s.end for s in group),
        ),
    )
    for group in ordered:
        document_id = group[0].claim.document_id
        segments = (
            group[0].segments
            if len(group) == 1
            else _merge_segments(segment for span in group for segment in span.segments)
        )
        key = _unit_key(document_id, segments)
        used_keys[key] += 1
        if used_keys[key] > 1:
            key = f"{key}#{used_keys[key]}"
        units.append(
            ClaimUnit(
                key=key,
                document_id=document_id,
                segments=segments,
                claims={span.claim.coder: span.claim for span in sorted(group, key=lambda s: s.claim.coder)},
            )
        )
    return units


def _match_spans(spans: Sequence[_Span], match: MatchRule) -> list[ClaimUnit]:
    if match == "exact":
        return _units_from_groups(_exact_groups(spans))
    if match == "overlap":
        groups: list[list[_Span]] = []
        for document_spans in _by_document(spans).values():
            candidates = _overlap_candidates(document_spans)
            groups.extend(group for group in _overlap_groups(document_spans, candidates) if len(group) > 1)
        return _units_from_groups(groups)
    raise ValueError(f"match must be 'exact' or 'overlap', not {match!r}")


def match_claims(claims: Iterable[CodedClaim], match: MatchRule = "exact") -> list[ClaimUnit]:
    """Align claims across coders into units; a unit counts when two or more coders marked it.

    Rule ``exact``: same document and the same set of covered characters (segments are compared
    sorted and merged, so their order and how a selection was split do not matter).

    Rule ``overlap``: same document and Jaccard overlap |A∩B| / |A∪B| ≥ 0.5 over covered
    characters. All cross-coder pairs are taken greedily from the highest Jaccard down (ties by
    claim order); a pair joins its two groups only if the groups share no coder and *every* claim
    of one has Jaccard ≥ 0.5 with every claim of the other, so no unit chains unlike spans.

    Under both rules a coder contributes at most one claim per unit; claims left unmatched form
    no unit. Units come back ordered by document and position.
    """
    return _match_spans([_to_span(claim) for claim in claims], match)


def _pair_f1(matched: int, first: int, second: int) -> float | None:
    return 2 * matched / (first + second) if first + second else None


def _span_agreement(spans: Sequence[_Span]) -> dict[str, Any]:
    documents = _by_document(spans)
    coders = _sorted_keys(span.claim.coder for span in spans)
    pair_counts = {
        pair: {"documents": 0, "a_claims": 0, "b_claims": 0, "matched_exact": 0, "matched_overlap": 0}
        for pair in combinations(coders, 2)
    }
    for document_spans in documents.values():
        per_coder: dict[str, list[_Span]] = defaultdict(list)
        for span in document_spans:
            per_coder[span.claim.coder].append(span)
        candidates = _overlap_candidates(document_spans) if len(per_coder) > 1 else []
        matched_overlap: Counter[tuple[str, str]] = Counter()
        taken: dict[tuple[str, str], set[int]] = defaultdict(set)
        for _, low, high in candidates:
            first, second = sorted((document_spans[low].claim.coder, document_spans[high].claim.coder))
            used = taken[first, second]
            if low in used or high in used:
                continue
            used.update((low, high))
            matched_overlap[first, second] += 1
        for first, second in combinations(sorted(per_coder), 2):
            counts = pair_counts[first, second]
            counts["documents"] += 1
            counts["a_claims"] += len(per_coder[first])
            counts["b_claims"] += len(per_coder[second])
            first_places = Counter(span.segments for span in per_coder[first])
            second_places = Counter(span.segments for span in per_coder[second])
            counts["matched_exact"] += sum((first_places & second_places).values())
            counts["matched_overlap"] += matched_overlap[first, second]
    pairs: list[dict[str, Any]] = []
    totals = Counter[str]()
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

    Each pair is compared only on documents where both coders marked at least one claim: the
    claim list cannot tell "read it and found nothing" from "never assigned it", and counting
    unassigned documents would punish coders for work they were not given. Matching is one-to-one
    per pair: exact = same covered characters; overlap = greedy by highest Jaccard, Jaccard ≥ 0.5.
    The pooled ``f1_exact`` / ``f1_overlap`` are micro-averages: summed matches over summed claims
    of all pairs, so pairs with more claims weigh more.
    """
    return _span_agreement([_to_span(claim) for claim in claims])


# --------------------------------------------------------------------------------------------
# Report and export
# --------------------------------------------------------------------------------------------


def _field_table(units: Sequence[ClaimUnit], coders: Sequence[str], field: str) -> _ReliabilityTable:
    columns = []
    for coder in coders:
        members = [unit.claims.get(coder) for unit in units]
        columns.append([claim.fields.get(field) if claim is not None else None for claim in members])
    return _ReliabilityTable(coders, Counter(zip(*columns, strict=True)))


def reliability_matrix(
    claims: Iterable[CodedClaim], field: str, match: MatchRule = "exact"
) -> list[list[str | None]]:
    """The raw reliability data of one field (units × coders) for CSV export.

    First row: ``["unit", coder…]``; then one row per unit marked by two or more coders: the unit
    key (``document:start-end[+start-end…]``) and each coder's value, ``None`` where missing. It
    lets scholars recompute α in R or SPSS (KALPHA) and check ours (domain.md §2.7).
    """
    claim_list = list(claims)
    coders = [str(coder) for coder in _sorted_keys(claim.coder for claim in claim_list)]
    rows: list[list[str | None]] = [["unit", *coders]]
    for unit in match_claims(claim_list, match):
        cells: list[str | None] = [unit.key]
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
    """The agreement report of SPEC §5 (``GET …/agreement``), JSON-ready.

    Per field: nominal α over the units of ``match_claims`` (``units`` = pairable units, the
    reliability sample behind α), its bootstrap CI (each field seeded with ``seed`` itself, so a
    field's CI does not depend on which other fields were asked for), pairwise κ, percent
    agreement, pairable values, the category distribution and Krippendorff's threshold reading.
    ``include_coincidence`` adds each field's coincidence matrix for the HTML report; it is off by
    default to keep the API answer at its documented shape. ``spans`` holds span F1 (both
    matching rules, whatever ``match`` is).
    """
    if match not in ("exact", "overlap"):
        raise ValueError(f"match must be 'exact' or 'overlap', not {match!r}")
    spans = [_to_span(claim) for claim in claims]
    coders = [str(coder) for coder in _sorted_keys(span.claim.coder for span in spans)]
    units = _match_spans(spans, match)
    field_reports: dict[str, dict[str, Any]] = {}
    for field in fields:
        table = _field_table(units, coders, field)
        result = table.alpha_result()
        ci_low, ci_high = table.bootstrap_ci(bootstrap, seed)
        field_report: dict[str, Any] = {
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
            field_report["coincidence"] = result.coincidence
        field_reports[field] = field_report
    return {
        "fields": field_reports,
        "spans": _span_agreement(spans),
        "match": match,
        "missing": MISSING_VALUES_STATEMENT,
    }
