"""Agreement: the worked examples of research/domain.md §2.4, two reference libraries as oracles,
unit matching, span F1, the report's shape, the bootstrap, and the published BABE/MBIC alphas."""

from __future__ import annotations

import csv
import json
import math
import os
import random
import statistics
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask

from app.domain import agreement
from app.domain.agreement import (
    CodedClaim,
    agreement_report,
    bootstrap_alpha_ci,
    cohen_kappa,
    match_claims,
    nominal_alpha,
    pairwise_kappa,
    reliability_matrix,
    reliability_threshold,
    span_f1,
)

ORACLE_SETTINGS = settings(max_examples=150, deadline=None, database=None)


def by_coder(rows: dict[str, list[object]]) -> dict[int, dict[str, object]]:
    """``{coder: [value per unit]}`` (``None`` = missing) → ``{unit: {coder: value}}``."""
    data: dict[int, dict[str, object]] = defaultdict(dict)
    for coder, values in rows.items():
        for unit, value in enumerate(values):
            data[unit][coder] = value
    return dict(data)


def reference_alpha(data: dict[int, dict[str, object]]) -> Fraction | None:
    """§2.3 taken literally, in exact fractions: o_ck from every ordered cross-coder pair."""
    coincidence: Counter[tuple[object, object]] = Counter()
    for unit in data.values():
        values = [value for value in unit.values() if value is not None]
        if len(values) < 2:
            continue
        for i, first in enumerate(values):
            for j, second in enumerate(values):
                if i != j:
                    coincidence[first, second] += Fraction(1, len(values) - 1)
    totals: Counter[object] = Counter()
    for (first, _), count in coincidence.items():
        totals[first] += count
    n = sum(totals.values())
    disagreeing = sum(count for (first, second), count in coincidence.items() if first != second)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if n == 0 or expected == 0:
        return None
    return 1 - (n - 1) * disagreeing / expected


# --------------------------------------------------------------------------------------------
# domain.md §2.4 worked examples
# --------------------------------------------------------------------------------------------

TEST1 = by_coder({"A": [0, 1, 0, 0, 0, 0, 0, 0, 1, 0], "B": [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]})
_ = None
TEST2 = by_coder(
    {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
        "C": [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
    }
)
TEST3 = by_coder({"A": list("aabbdcccedda"), "B": list("babbbccceddd")})
TEST4 = {
    unit: dict(zip("ABC", values, strict=True))
    for unit, values in enumerate(
        [(1, 1, 1), (1, 2, 2), (2, 2, 2), (4, 4, 4), (1, 4, 4), (2, 2, 2), (1, 2, 3), (3, 3, 3), (2, 2, 2)]
    )
}
TEST5 = by_coder(
    {
        "A": [_, _, _, _, _, 3, 4, 1, 2, 1, 1, 3, 3, _, 3],
        "B": [1, _, 2, 1, 3, 3, 4, 3, _, _, _, _, _, _, _],
        "C": [_, _, 2, 1, 3, 4, 4, _, 2, 1, 1, 3, 3, _, 4],
    }
)
AGAINST, FAVOR, NONE = "against", "favor", "none"
TEST6 = by_coder(
    {
        "A": [AGAINST, AGAINST, FAVOR, NONE, AGAINST, _],
        "B": [AGAINST, AGAINST, FAVOR, AGAINST, AGAINST, NONE],
        "C": [AGAINST, NONE, FAVOR, NONE, AGAINST, NONE],
    }
)


def test_krippendorff_1980_binary_example_alpha_coincidences_and_kappa() -> None:
    result = nominal_alpha(TEST1)
    assert result.alpha == pytest.approx(16 / 168, abs=1e-15)
    assert round(result.alpha, 4) == 0.0952
    assert result.percent_agreement == pytest.approx(0.6, abs=1e-15)
    assert result.coincidence == {0: {0: 10.0, 1: 4.0}, 1: {0: 4.0, 1: 2.0}}
    assert result.distribution == {0: 14, 1: 6}
    assert (result.pairable_values, result.pairable_units, result.coders) == (20, 10, 2)
    [pair] = pairwise_kappa(TEST1)
    assert (pair["a"], pair["b"], pair["units"]) == ("A", "B", 10)
    assert pair["kappa"] == pytest.approx(0.04 / 0.44, abs=1e-15)
    assert round(pair["kappa"], 4) == 0.0909
    first = [TEST1[unit]["A"] for unit in range(10)]
    second = [TEST1[unit]["B"] for unit in range(10)]
    assert cohen_kappa(first, second) == pair["kappa"]


def test_krippendorff_2011_nominal_example_with_missing_data() -> None:
    result = nominal_alpha(TEST2)
    assert round(result.alpha, 4) == 0.7434
    assert result.pairable_values == 40
    assert result.distribution == {1: 9, 2: 13, 3: 10, 4: 5, 5: 3}
    # Unit 12 has one value: not pairable, so 11 units.
    assert result.pairable_units == 11
    assert result.alpha == pytest.approx(float(reference_alpha(TEST2)), abs=1e-15)
    # D_o = 0.200 and D_e = 0.7795 as stated in §2.4.
    disagreeing = sum(v for c, row in result.coincidence.items() for k, v in row.items() if c != k)
    assert disagreeing / 40 == pytest.approx(0.2, abs=1e-15)
    expected = sum(
        result.distribution[c] * result.distribution[k] for c in range(1, 6) for k in range(1, 6) if c != k
    )
    assert round(expected / (40 * 39), 4) == 0.7795


def test_krippendorff_2011_two_coder_letters_example() -> None:
    assert round(nominal_alpha(TEST3).alpha, 4) == 0.6920


def test_krippendorff_1980_three_coder_example() -> None:
    result = nominal_alpha(TEST4)
    assert round(result.alpha, 4) == 0.6417
    assert round(result.percent_agreement, 3) == 0.741


def test_wikipedia_example_with_heavy_missingness() -> None:
    assert round(nominal_alpha(TEST5).alpha, 6) == 0.691358


def test_stance_example_hand_computed() -> None:
    result = nominal_alpha(TEST6)
    assert result.alpha == pytest.approx(110 / 174, abs=1e-15)
    assert round(result.alpha, 5) == 0.63218
    assert result.pairable_values == 17
    assert result.distribution == {AGAINST: 9, FAVOR: 3, NONE: 5}
    assert result.coincidence[AGAINST][NONE] == result.coincidence[NONE][AGAINST] == 2.0
    assert result.coincidence[AGAINST][FAVOR] == result.coincidence[FAVOR][NONE] == 0.0


def test_undefined_alpha_is_none_not_nan_or_one() -> None:
    # Every pairable value in one category: D_e = 0, and alpha says nothing.
    same = by_coder({"A": ["x", "x", "x"], "B": ["x", "x", None]})
    assert nominal_alpha(same).alpha is None
    assert nominal_alpha(same).percent_agreement == 1.0
    # No unit has two values.
    lonely = by_coder({"A": ["x", None], "B": [None, "y"]})
    result = nominal_alpha(lonely)
    assert (result.alpha, result.percent_agreement, result.pairable_values) == (None, None, 0)
    assert nominal_alpha({}).alpha is None
    assert bootstrap_alpha_ci(same) == (None, None)
    assert pairwise_kappa(same)[0]["kappa"] is None
    assert cohen_kappa([], []) is None


def test_absent_coder_and_none_value_are_the_same_missing() -> None:
    with_none = {
        0: {"A": "x", "B": "x", "C": None},
        1: {"A": "x", "B": "y", "C": "y"},
        2: {"A": "y", "B": "y"},
    }
    without = {0: {"A": "x", "B": "x"}, 1: {"A": "x", "B": "y", "C": "y"}, 2: {"A": "y", "B": "y", "C": None}}
    assert nominal_alpha(with_none) == nominal_alpha(without)


def test_thresholds_follow_krippendorff() -> None:
    assert reliability_threshold(1.0) == "reliable"
    assert reliability_threshold(0.8) == "reliable"
    assert reliability_threshold(0.7999) == "tentative"
    assert reliability_threshold(0.667) == "tentative"
    assert reliability_threshold(0.6669) == "unreliable"
    assert reliability_threshold(-0.3) == "unreliable"
    assert reliability_threshold(None) is None


# --------------------------------------------------------------------------------------------
# Oracles: the krippendorff package (nominal) and nltk on random data
# --------------------------------------------------------------------------------------------


@st.composite
def reliability_data(draw: st.DrawFn) -> dict[int, dict[str, str | None]]:
    coders = draw(st.integers(min_value=2, max_value=5))
    units = draw(st.integers(min_value=1, max_value=25))
    value = st.one_of(st.none(), st.sampled_from("abcd"))
    rows = draw(st.lists(st.lists(value, min_size=coders, max_size=coders), min_size=units, max_size=units))
    # Missing comes both ways: an absent coder and an explicit None.
    return {
        unit: {f"c{i}": v for i, v in enumerate(row) if v is not None or i % 2}
        for unit, row in enumerate(rows)
    }


@ORACLE_SETTINGS
@given(reliability_data())
def test_alpha_matches_the_definition_krippendorff_package_and_nltk(
    data: dict[int, dict[str, str | None]],
) -> None:
    ours = nominal_alpha(data).alpha
    expected = reference_alpha(data)
    if expected is None:
        assert ours is None
        return
    assert ours == pytest.approx(float(expected), rel=1e-12, abs=1e-12)
    coders = sorted({coder for unit in data.values() for coder in unit})
    codes = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}
    matrix = np.array(
        [[codes[data[u][c]] if data[u].get(c) is not None else np.nan for u in sorted(data)] for c in coders]
    )
    assert ours == pytest.approx(
        float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")),
        rel=1e-9,
        abs=1e-12,
    )
    triples = [
        (coder, unit, value)
        for unit, row in data.items()
        for coder, value in row.items()
        if value is not None
    ]
    assert ours == pytest.approx(AnnotationTask(data=triples).alpha(), rel=1e-9, abs=1e-12)


@ORACLE_SETTINGS
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=1, max_size=40))
def test_cohen_kappa_matches_nltk(pairs: list[tuple[str, str]]) -> None:
    ours = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
    triples = [("A", i, a) for i, (a, _) in enumerate(pairs)] + [
        ("B", i, b) for i, (_, b) in enumerate(pairs)
    ]
    task = AnnotationTask(data=triples)
    if ours is None:
        # Chance agreement is 1: both coders used one and the same category throughout.
        assert len({a for a, _ in pairs} | {b for _, b in pairs}) == 1
        return
    assert ours == pytest.approx(task.kappa_pairwise("A", "B"), rel=1e-9, abs=1e-12)


@ORACLE_SETTINGS
@given(reliability_data())
def test_pairwise_kappa_uses_the_units_both_coders_labelled(data: dict[int, dict[str, str | None]]) -> None:
    for pair in pairwise_kappa(data):
        both = [
            row for row in data.values() if row.get(pair["a"]) is not None and row.get(pair["b"]) is not None
        ]
        assert pair["units"] == len(both)
        assert pair["kappa"] == cohen_kappa(
            [row[pair["a"]] for row in both], [row[pair["b"]] for row in both]
        )


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


def simulated_data(
    units: int, categories: int, agreement_rate: float, seed: int
) -> dict[int, dict[str, str]]:
    rng = random.Random(seed)
    labels = [f"k{i}" for i in range(categories)]
    data: dict[int, dict[str, str]] = {}
    for unit in range(units):
        truth = rng.choice(labels)
        row = {}
        for coder in ("A", "B", "C"):
            roll = rng.random()
            if roll < 0.1:
                continue
            row[coder] = truth if roll < agreement_rate else rng.choice(labels)
        data[unit] = row
    return data


def naive_bootstrap(data: dict[int, dict[str, str]], draws: int, seed: int) -> list[float]:
    """The textbook bootstrap: pick N pairable units with replacement, recompute α, repeat."""
    units = [[v for v in row.values() if v is not None] for row in data.values()]
    units = [values for values in units if len(values) >= 2]
    index = {label: i for i, label in enumerate(sorted({v for values in units for v in values}))}
    per_unit = [
        (
            len(values),
            sum(c * (c - 1) for c in Counter(values).values()) / (len(values) - 1),
            [index[v] for v in values],
        )
        for values in units
    ]
    rng = random.Random(seed)
    alphas = []
    for _ in range(draws):
        n, agreeing, totals = 0, 0.0, [0] * len(index)
        for m, agree, categories in rng.choices(per_unit, k=len(per_unit)):
            n += m
            agreeing += agree
            for category in categories:
                totals[category] += 1
        same = sum(t * (t - 1) for t in totals)
        if n * (n - 1) != same:
            alphas.append(((n - 1) * agreeing - same) / (n * (n - 1) - same))
    return alphas


def assert_same_distribution(ours: list[float], reference: list[float]) -> None:
    """Two samples of bootstrap α agree within four standard errors of their difference."""
    spread = statistics.stdev(reference)
    count = min(len(ours), len(reference))
    assert abs(statistics.mean(ours) - statistics.mean(reference)) < 4 * spread * math.sqrt(2 / count)
    assert abs(statistics.stdev(ours) / spread - 1) < 4 * math.sqrt(1 / count)
    for q in (0.025, 0.975):
        # SE of a normal sample's q-quantile: sqrt(q(1−q)/B) / φ(z_q) · σ.
        standard_error = math.sqrt(q * (1 - q) / count) / 0.05844 * spread
        ours_q = agreement._quantile(sorted(ours), q)
        reference_q = agreement._quantile(sorted(reference), q)
        assert abs(ours_q - reference_q) < 4 * math.sqrt(2) * standard_error


def test_bootstrap_resamples_units_exactly_like_the_textbook_bootstrap() -> None:
    data = simulated_data(units=400, categories=3, agreement_rate=0.75, seed=3)
    table = agreement._ReliabilityTable.from_mapping(data)
    assert len(table.profiles) <= agreement.MAX_EXACT_PROFILES  # the exact path
    assert_same_distribution(table.bootstrap_alphas(4000, seed=1), naive_bootstrap(data, 4000, seed=2))


def test_bootstrap_with_small_profiles_matches_the_textbook_bootstrap() -> None:
    # 60 units: every profile holds few units (many multinomial counts are 0 or 1).
    data = simulated_data(units=60, categories=4, agreement_rate=0.7, seed=11)
    table = agreement._ReliabilityTable.from_mapping(data)
    assert max(profile.units for profile in table.profiles) < 10
    assert_same_distribution(table.bootstrap_alphas(4000, seed=5), naive_bootstrap(data, 4000, seed=6))


def test_bootstrap_pools_rare_profiles_only_when_there_are_many() -> None:
    data = simulated_data(units=1500, categories=40, agreement_rate=0.75, seed=7)
    table = agreement._ReliabilityTable.from_mapping(data)
    assert len(table.profiles) > agreement.MAX_EXACT_PROFILES
    plan = table._bootstrap_plan()
    assert len(plan) < agreement.MAX_EXACT_PROFILES
    # Pooling keeps the number of values and agreeing pairs of every unit, so a resample's n and
    # observed disagreement are still exact; only the category mix of rare profiles is averaged.
    assert sum(p.units for p in plan) == sum(p.units for p in table.profiles)
    assert sum(p.units * p.values for p in plan) == sum(p.units * p.values for p in table.profiles)
    assert sum(p.units * p.agreeing_pairs for p in plan) == pytest.approx(
        sum(p.units * p.agreeing_pairs for p in table.profiles), rel=1e-12
    )
    assert_same_distribution(table.bootstrap_alphas(3000, seed=1), naive_bootstrap(data, 3000, seed=2))


def test_bootstrap_is_reproducible_and_brackets_alpha() -> None:
    data = simulated_data(units=300, categories=4, agreement_rate=0.8, seed=5)
    alpha = nominal_alpha(data).alpha
    low, high = bootstrap_alpha_ci(data, draws=1000, seed=42)
    assert low < alpha < high
    assert bootstrap_alpha_ci(data, draws=1000, seed=42) == (low, high)
    assert bootstrap_alpha_ci(data, draws=1000, seed=43) != (low, high)
    assert bootstrap_alpha_ci(data, draws=0) == (None, None)


# --------------------------------------------------------------------------------------------
# Span matching and F1
# --------------------------------------------------------------------------------------------


def claim(
    claim_id: int, coder: str, *segments: tuple[int, int], document: int = 1, **fields: str | None
) -> CodedClaim:
    return CodedClaim(claim_id, document, coder, tuple(segments), fields)


def unit_members(units: list[agreement.ClaimUnit]) -> list[set[int]]:
    return [{c.claim_id for c in unit.claims.values()} for unit in units]


def test_span_f1_toy_check_of_domain_2_6() -> None:
    gold = [claim(1, "gold", (0, 6)), claim(2, "gold", (7, 11)), claim(3, "gold", (12, 40))]
    pred = [claim(4, "pred", (0, 6)), claim(5, "pred", (7, 11)), claim(6, "pred", (12, 35))]
    result = span_f1(gold + pred)
    assert result["f1_exact"] == pytest.approx(2 / 3, abs=1e-15)
    assert round(result["f1_exact"], 3) == 0.667
    assert result["f1_overlap"] == 1.0
    [pair] = result["pairs"]
    assert pair == {
        "a": "gold",
        "b": "pred",
        "documents": 1,
        "a_claims": 3,
        "b_claims": 3,
        "matched_exact": 2,
        "matched_overlap": 3,
        "f1_exact": result["f1_exact"],
        "f1_overlap": 1.0,
    }


def test_span_f1_counts_only_documents_both_coders_worked_on_and_micro_averages() -> None:
    claims = [
        claim(1, "a", (0, 10)),
        claim(2, "b", (0, 10)),
        claim(3, "c", (0, 4)),  # Jaccard 0.4 with the others: no match
        claim(4, "a", (0, 10), document=2),  # only a coded document 2
        claim(5, "a", (5, 20), document=3),
        claim(6, "c", (5, 20), document=3),
    ]
    result = span_f1(claims)
    pairs = {(p["a"], p["b"]): p for p in result["pairs"]}
    assert pairs["a", "b"]["documents"] == 1 and pairs["a", "b"]["f1_exact"] == 1.0
    assert pairs["a", "c"]["documents"] == 2 and pairs["a", "c"]["f1_exact"] == 2 * 1 / 4
    assert pairs["b", "c"]["documents"] == 1 and pairs["b", "c"]["f1_overlap"] == 0.0
    # Micro-average: (1 + 1 + 0) matches over (2 + 4 + 2) claims.
    assert result["f1_exact"] == result["f1_overlap"] == 2 * 2 / 8


def test_overlap_f1_matches_one_to_one_by_best_jaccard() -> None:
    claims = [claim(1, "a", (0, 10)), claim(2, "b", (0, 9)), claim(3, "b", (2, 10))]
    result = span_f1(claims)
    assert result["pairs"][0]["matched_overlap"] == 1
    assert result["f1_overlap"] == 2 * 1 / 3


def test_exact_matching_groups_identical_character_sets() -> None:
    claims = [
        claim(1, "a", (10, 20), (0, 5)),
        claim(2, "b", (0, 5), (10, 20)),  # same segments, other order
        claim(3, "c", (0, 3), (3, 5), (10, 20)),  # split differently, same characters
        claim(4, "d", (0, 5), (10, 21)),  # one character more
        claim(5, "a", (0, 5), (10, 20), document=2),  # another document
    ]
    units = match_claims(claims, "exact")
    assert unit_members(units) == [{1, 2, 3}]
    assert units[0].key == "1:0-5+10-20"
    assert set(units[0].claims) == {"a", "b", "c"}


def test_exact_matching_pairs_a_coders_duplicates_in_claim_order() -> None:
    claims = [claim(7, "a", (0, 5)), claim(3, "a", (0, 5)), claim(4, "b", (0, 5)), claim(9, "c", (0, 5))]
    assert unit_members(match_claims(claims, "exact")) == [{3, 4, 9}]
    claims.append(claim(10, "b", (0, 5)))
    assert unit_members(match_claims(claims, "exact")) == [{3, 4, 9}, {7, 10}]


def test_overlap_matching_threshold_is_jaccard_one_half_inclusive() -> None:
    assert unit_members(match_claims([claim(1, "a", (0, 10)), claim(2, "b", (0, 5))], "overlap")) == [{1, 2}]
    assert match_claims([claim(1, "a", (0, 10)), claim(2, "b", (0, 4))], "overlap") == []
    assert match_claims([claim(1, "a", (0, 10)), claim(2, "b", (0, 5))], "exact") == []
    # Discontinuous: {0..4, 10..14} vs {0..14}: 10 shared of 15 characters.
    two_segments = [claim(1, "a", (0, 5), (10, 15)), claim(2, "b", (0, 15))]
    [unit] = match_claims(two_segments, "overlap")
    assert unit.segments == ((0, 15),)


def test_overlap_matching_is_greedy_and_complete_link() -> None:
    # b1 (J=0.9) beats b2 (J=0.8) for a; b2 is left alone.
    greedy = [claim(1, "a", (0, 10)), claim(2, "b", (0, 9)), claim(3, "b", (2, 10))]
    assert unit_members(match_claims(greedy, "overlap")) == [{1, 2}]
    # c overlaps a (J=0.6) but not b (J=0.3): it may not join the unit {a, b}.
    chained = [claim(1, "a", (0, 10)), claim(2, "b", (0, 7)), claim(3, "c", (4, 10))]
    assert unit_members(match_claims(chained, "overlap")) == [{1, 2}]
    # Two claims of the same coder never share a unit.
    same_coder = [claim(1, "a", (0, 10)), claim(2, "a", (0, 10)), claim(3, "b", (0, 10))]
    assert unit_members(match_claims(same_coder, "overlap")) == [{1, 3}]


def test_matching_does_not_depend_on_claim_order() -> None:
    rng = random.Random(4)
    claims = [
        claim(i, rng.choice("abc"), (start, start + rng.randint(5, 30)), document=rng.randint(1, 3))
        for i, start in enumerate(rng.randint(0, 200) for _ in range(120))
    ]
    for match in ("exact", "overlap"):
        expected = unit_members(match_claims(claims, match))
        rng.shuffle(claims)
        assert unit_members(match_claims(claims, match)) == expected
    with pytest.raises(ValueError, match="exact"):
        match_claims(claims, "fuzzy")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The report and the reliability matrix
# --------------------------------------------------------------------------------------------


def claims_from(data: dict[int, dict[str, object]], field: str) -> list[CodedClaim]:
    """One span per unit (10 characters apart); a coder with no value did not mark it."""
    claims = []
    for unit, row in data.items():
        for coder, value in row.items():
            if value is not None:
                claims.append(
                    claim(len(claims) + 1, coder, (unit * 10, unit * 10 + 5), **{field: str(value)})
                )
    return claims


def test_report_has_exactly_the_spec_shape_and_is_json() -> None:
    claims = claims_from(TEST1, "attribution")
    report = agreement_report(claims, ["attribution"], bootstrap=200, seed=1)
    assert set(report) == {"fields", "spans", "match", "missing"}
    assert report["match"] == "exact"
    assert report["missing"].endswith(".") and "missing" in report["missing"]
    field = report["fields"]["attribution"]
    assert set(field) == {
        "alpha",
        "kappa_pairwise",
        "units",
        "coders",
        "ci_low",
        "ci_high",
        "percent_agreement",
        "pairable_values",
        "distribution",
        "threshold",
    }
    assert set(report["spans"]) == {"f1_exact", "f1_overlap", "pairs"}
    json.dumps(report, allow_nan=False)


def test_report_values_on_the_binary_example() -> None:
    report = agreement_report(claims_from(TEST1, "attribution"), ["attribution"], bootstrap=500, seed=3)
    field = report["fields"]["attribution"]
    assert field["alpha"] == pytest.approx(16 / 168, abs=1e-15)
    assert field["kappa_pairwise"] == [
        {"a": "A", "b": "B", "kappa": pytest.approx(1 / 11, abs=1e-15), "units": 10}
    ]
    assert (field["units"], field["coders"], field["pairable_values"]) == (10, 2, 20)
    assert field["percent_agreement"] == pytest.approx(0.6, abs=1e-15)
    assert field["distribution"] == {"0": 14, "1": 6}
    assert field["threshold"] == "unreliable"
    assert field["ci_low"] < field["alpha"] < field["ci_high"]
    assert report["spans"]["f1_exact"] == report["spans"]["f1_overlap"] == 1.0


def test_report_on_the_stance_example_treats_an_unmarked_claim_as_missing() -> None:
    # Coder A did not mark claim c6 at all: that is missing data, exactly as in §2.4 Test 6.
    claims = claims_from(TEST6, "stance:T1")
    report = agreement_report(claims, ["stance:T1", "speaker"], match="overlap", bootstrap=0)
    stance = report["fields"]["stance:T1"]
    assert stance["alpha"] == pytest.approx(110 / 174, abs=1e-15)
    assert (stance["units"], stance["pairable_values"], stance["coders"]) == (6, 17, 3)
    assert stance["threshold"] == "unreliable"
    assert (stance["ci_low"], stance["ci_high"]) == (None, None)
    # A field nobody filled in: no values, nothing defined, and no crash.
    speaker = report["fields"]["speaker"]
    assert (speaker["alpha"], speaker["units"], speaker["threshold"], speaker["distribution"]) == (
        None,
        0,
        None,
        {},
    )
    assert [k["kappa"] for k in speaker["kappa_pairwise"]] == [None, None, None]


def test_report_thresholds_coincidence_option_and_bad_match() -> None:
    agreeing = [
        claim(i * 3 + c, coder, (i * 10, i * 10 + 5), f="xy"[i % 2])
        for i in range(20)
        for c, coder in enumerate("ab")
    ]
    report = agreement_report(agreeing, ["f"], bootstrap=100, include_coincidence=True)
    assert report["fields"]["f"]["alpha"] == 1.0
    assert report["fields"]["f"]["threshold"] == "reliable"
    assert report["fields"]["f"]["coincidence"] == {"x": {"x": 20.0, "y": 0.0}, "y": {"x": 0.0, "y": 20.0}}
    with pytest.raises(ValueError, match="overlap"):
        agreement_report(agreeing, ["f"], match="partial")  # type: ignore[arg-type]


def test_report_does_not_depend_on_claim_order() -> None:
    data = simulated_data(units=200, categories=5, agreement_rate=0.7, seed=8)
    claims = claims_from(data, "claim_type")
    expected = agreement_report(claims, ["claim_type"], match="overlap", bootstrap=300, seed=9)
    random.Random(1).shuffle(claims)
    assert agreement_report(claims, ["claim_type"], match="overlap", bootstrap=300, seed=9) == expected


def test_reliability_matrix_rows_recompute_the_same_alpha() -> None:
    claims = claims_from(TEST2, "claim_type")
    rows = reliability_matrix(claims, "claim_type")
    assert rows[0] == ["unit", "A", "B", "C", "D"]
    # Unit 12 (index 11) was marked by coder B alone: it is no unit.
    assert [row[0] for row in rows[1:]] == [f"1:{u * 10}-{u * 10 + 5}" for u in range(11)]
    assert rows[10] == ["1:90-95", None, "5", "5", "5"]
    matrix = {row[0]: dict(zip(rows[0][1:], row[1:], strict=True)) for row in rows[1:]}
    assert nominal_alpha(matrix).alpha == pytest.approx(nominal_alpha(TEST2).alpha, abs=1e-15)


def test_reliability_matrix_keys_stay_unique_for_duplicate_places() -> None:
    claims = [
        claim(1, "a", (0, 5), f="x"),
        claim(2, "a", (0, 5), f="y"),
        claim(3, "b", (0, 5), f="x"),
        claim(4, "b", (0, 5), f="y"),
    ]
    assert reliability_matrix(claims, "f") == [["unit", "a", "b"], ["1:0-5", "x", "x"], ["1:0-5#2", "y", "y"]]


# --------------------------------------------------------------------------------------------
# BABE / MBIC: the published alphas, from the raw per-annotator labels
# --------------------------------------------------------------------------------------------


def shared_directory() -> Path:
    beside_repository = Path(__file__).resolve().parents[2].parent / "shared"
    if (beside_repository / "corpus" / "babe-mbic").is_dir():
        return beside_repository
    configured = os.environ.get("SOURCEMARK_SHARED")
    if configured and (Path(configured) / "corpus" / "babe-mbic").is_dir():
        return Path(configured)
    pytest.fail(f"corpus/babe-mbic not found in {beside_repository} nor in $SOURCEMARK_SHARED")


def load_labels(file_name: str, coder_column: str, label_column: str) -> dict[str, dict[str, str | None]]:
    data: dict[str, dict[str, str | None]] = defaultdict(dict)
    with (shared_directory() / "corpus" / "babe-mbic" / file_name).open(
        encoding="utf-8", newline=""
    ) as handle:
        for row in csv.DictReader(handle):
            data[row["sentence_id"]][row[coder_column]] = row[label_column] or None  # empty = missing
    return dict(data)


@pytest.mark.parametrize(
    ("file_name", "coder_column", "label_column", "readme_nominal", "published"),
    [
        # README table: bias is binary, so nominal = interval = the published figure.
        ("sg1_raw_labels.csv", "annotator_id", "label_bias", 0.3881, 0.39),
        ("mbic_raw_labels.csv", "survey_record", "label_bias", 0.2059, 0.21),
        # Opinion was published as interval alpha (0.46 / 0.26); the README gives the nominal value.
        ("sg1_raw_labels.csv", "annotator_id", "label_opinion", 0.2982, None),
        ("mbic_raw_labels.csv", "survey_record", "label_opinion", 0.1663, None),
    ],
)
def test_babe_and_mbic_alpha_reproduce_the_published_figures(
    file_name: str, coder_column: str, label_column: str, readme_nominal: float, published: float | None
) -> None:
    data = load_labels(file_name, coder_column, label_column)
    alpha = nominal_alpha(data).alpha
    assert round(alpha, 4) == readme_nominal
    if published is not None:
        assert round(alpha, 2) == published
    coders = sorted({coder for row in data.values() for coder in row})
    units = sorted(data)
    codes = {
        label: float(i) for i, label in enumerate(sorted({v for r in data.values() for v in r.values() if v}))
    }
    matrix = np.array([[codes[data[u][c]] if data[u].get(c) else np.nan for u in units] for c in coders])
    assert alpha == pytest.approx(
        float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")), rel=1e-9
    )


def test_babe_expert_bias_ci_and_kappa() -> None:
    data = load_labels("sg1_raw_labels.csv", "annotator_id", "label_bias")
    alpha = nominal_alpha(data).alpha
    low, high = bootstrap_alpha_ci(data, draws=1000, seed=0)
    assert low < alpha < high
    assert 0.01 < high - low < 0.1
    kappas = pairwise_kappa(data)
    assert len(kappas) == 28  # 8 experts
    assert all(pair["units"] > 0 and -1 <= pair["kappa"] <= 1 for pair in kappas)


def test_bootstrap_of_mostly_agreeing_data_gives_a_ci() -> None:
    """Profiles with nearly all units (p close to 1) once sent the sampler out of its valid range:
    the agreement report answered 500 on mostly agreeing data."""
    for agreeing, size in ((17, 1), (60, 3), (200, 4), (400, 40)):
        data: dict[int, dict[str, str]] = {unit: {"a": "x", "b": "x"} for unit in range(agreeing)}
        for unit in range(size):
            data[agreeing + unit] = {"a": "y", "b": "z"} if unit % 2 else {"a": "w", "b": "w"}
        alpha = nominal_alpha(data).alpha
        for seed in range(20):
            low, high = bootstrap_alpha_ci(data, draws=100, seed=seed)
            assert low is not None and high is not None and low <= high
            assert -1.0 <= low <= 1.0 and -1.0 <= high <= 1.0
        assert alpha is not None
