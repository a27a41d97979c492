"""Paragraph-level differences between two revisions of a document (pure)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

SIMILAR = 0.5  # difflib ratio from which two paragraphs count as one edited paragraph


@dataclass(frozen=True, slots=True)
class DiffRow:
    kind: str  # same, removed, added, changed
    old: str | None
    new: str | None
    words: tuple[tuple[str, str], ...] = ()  # for changed rows: (kind, text) runs, kind in same/removed/added


def _word_runs(old: str, new: str) -> tuple[tuple[str, str], ...]:
    a, b = old.split(" "), new.split(" ")
    runs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("added", " ".join(b[j1:j2])))
    return tuple(runs)


def paragraph_diff(old: list[str], new: list[str]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow("same", p, p) for p in old[i1:i2])
        else:
            rows.extend(_align(old[i1:i2], new[j1:j2]))
    return rows


def _align(old: list[str], new: list[str]) -> list[DiffRow]:
    """Within a changed stretch, pair paragraphs that are still mostly alike (an edit), in order;
    the rest were removed or added."""
    rows: list[DiffRow] = []
    j = 0
    for paragraph in old:
        match = next((k for k in range(j, len(new))
                      if difflib.SequenceMatcher(None, paragraph, new[k], autojunk=False).ratio() >= SIMILAR), None)
        if match is None:
            rows.append(DiffRow("removed", paragraph, None))
            continue
        rows.extend(DiffRow("added", None, p) for p in new[j:match])
        rows.append(DiffRow("changed", paragraph, new[match], _word_runs(paragraph, new[match])))
        j = match + 1
    rows.extend(DiffRow("added", None, p) for p in new[j:])
    return rows
