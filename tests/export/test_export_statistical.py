"""SPSS and Stata: pyreadstat reads the files back with variable and value labels."""

from __future__ import annotations

from pathlib import Path

import pyreadstat
import pytest
from bundles import bundles, context

from app.export.statistical import write_spss, write_stata

FORMATS = {"sav": (write_spss, pyreadstat.read_sav), "dta": (write_stata, pyreadstat.read_dta)}


@pytest.mark.parametrize("kind", FORMATS)
def test_claims_come_back_with_value_labels(kind: str, tmp_path: Path) -> None:
    writer, reader = FORMATS[kind]
    path = tmp_path / f"claims.{kind}"
    path.write_bytes(b"".join(writer(context(), bundles())))
    frame, meta = reader(str(path), apply_value_formats=True)
    claims = [c for b in bundles() for c in b.claims]
    assert len(frame) == len(claims)
    assert frame["claim_id"].astype(int).tolist() == [c.id for c in claims]
    assert frame["attribution_type"].tolist()[:3] == ["Mixed", "Indirect (paraphrase)", "Direct quote"]
    assert frame["verifiable"].tolist()[:3] == ["No", "Yes", "Yes"]
    assert frame["layer"].tolist()[-1] == "Gold (adjudicated)"
    assert frame["stance_T2"].tolist()[0] == "Against"
    assert frame["content_text"].tolist()[5] == "the family 👨‍👩‍👧‍👦 fled"
    assert frame["note"].tolist()[:3] == ['Checked, with "quotes",\nand a second line', "", "\t=1"]
    assert meta.column_names_to_labels["stance_T2"] == "Stance: Armenia's government / armed forces"
    codes, _meta = reader(str(path), apply_value_formats=False)
    assert meta.variable_value_labels["attribution_type"] == {
        1: "Direct quote", 2: "Indirect (paraphrase)", 3: "Mixed", 4: "Authorial (outlet's own voice)",
    }
    assert codes["attribution_type"].tolist()[:3] == [3, 2, 1]
    assert codes["source_start"].isna().tolist()[3]  # missing stays missing, not 0
    assert meta.file_label.startswith("Claims, codebook v3")


def test_long_texts_fit_both_formats(tmp_path: Path) -> None:
    bundle = bundles()[0]
    bundle.claims[0].note = "long note, " * 500 + "end"
    for kind, (writer, reader) in FORMATS.items():
        path = tmp_path / f"long.{kind}"
        path.write_bytes(b"".join(writer(context(), [bundle])))
        frame, _meta = reader(str(path))
        assert frame["note"][0] == "long note, " * 500 + "end", kind
