"""The balance summed in groups (as the database sums a corpus) equals the balance counted claim by claim."""

from __future__ import annotations

import random
from collections import Counter

from app.domain.balance import BalanceClaim, StanceCount, compute_balance, word_count

SPEAKERS = {1: ("Ministry of Defence", "side_a"), 2: ("Foreign minister", "side_b"), 3: ("Analyst", None)}


def _claims(seed: int, n: int) -> list[BalanceClaim]:
    rng = random.Random(seed)
    claims = []
    for _ in range(n):
        speaker_id = rng.choice([None, 1, 2, 3])
        name, side = SPEAKERS.get(speaker_id, (None, None)) if speaker_id else (None, None)
        stances = tuple((target, rng.choice(["favor", "against", "neutral", "none"]))
                        for target in rng.sample(["T1", "T2", "T3"], rng.randint(0, 3)))
        claims.append(BalanceClaim(
            attribution=rng.choice(["direct", "indirect", "mixed", "authorial"]), speaker_id=speaker_id,
            speaker_name=name, side=side, source_specificity=rng.choice([None, "named_person", "vague_collective"]),
            cue_valence=rng.choice([None, "neutral", "endorsing", "distancing"]), words=rng.randint(1, 40),
            stances=stances, period=rng.choice([None, "2020-07", "2020-08"])))
    return claims


def test_grouped_claims_and_stance_counts_give_the_per_claim_balance() -> None:
    claims = _claims(seed=5, n=600)
    expected = compute_balance(claims).as_json()

    groups: Counter[tuple] = Counter()
    words: Counter[tuple] = Counter()
    stances: Counter[tuple[int, str, str]] = Counter()
    for claim in claims:
        key = (claim.attribution, claim.speaker_id, claim.speaker_name, claim.side, claim.source_specificity,
               claim.cue_valence, claim.period)
        groups[key] += 1
        words[key] += claim.words
        attributed = (claim.attribution != "authorial" and claim.speaker_id is not None
                      and claim.source_specificity != "vague_collective")
        if attributed:
            for target, value in claim.stances:
                stances[(claim.speaker_id, target, value)] += 1
    grouped = [BalanceClaim(*key[:6], words=words[key], period=key[6], count=count) for key, count in groups.items()]
    assert len(grouped) < len(claims)  # the point: fewer rows than claims
    result = compute_balance(grouped, [StanceCount(s, t, v, n) for (s, t, v), n in stances.items()]).as_json()

    assert result == expected
    assert result["claims"] == len(claims)


def test_word_count_splits_on_any_white_space() -> None:
    assert word_count(["a  b\tc\nd", "\u00a0e\u2003f "]) == 6
