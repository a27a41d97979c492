"""Agreement over a project's annotator layer: claims and bias markers read in a few queries,
handed to the pure ``app.domain.agreement`` as coded units."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import driver_rows
from app.domain.agreement import CodedClaim, MatchRule, agreement_report, reliability_matrix
from app.errors import DomainError
from app.models import BiasMarker, Claim, ClaimSegment, ClaimStance, User
from app.services.projects import ProjectAccess, current_codebook, require_curator

CLAIM_FIELDS = ("attribution", "speaker", "claim_type", "check_worthiness", "cue_valence", "source_specificity",
                "authorial_stance")
STANCE_NOTE = ("A stance a coder left empty for a target counts as 'none' (the codebook's default: the claim "
               "is not about the target).")


def agreement_fields(session: Session, project_id: int) -> list[str]:
    codebook = current_codebook(session, project_id)
    return [*CLAIM_FIELDS, *(f"stance:{t}" for t in codebook.all_codes("targets"))]


def coded_claims(session: Session, project_id: int, document_ids: list[int] | None = None) -> list[CodedClaim]:
    """Every live annotator-layer claim as a coded unit: segments plus nominal field values.

    Read as the driver's plain rows (a report reads every claim of the project: SQLAlchemy's
    row processing cost more than the queries).
    """
    targets = current_codebook(session, project_id).all_codes("targets")
    users = dict(session.execute(sa.select(User.id, User.username)).tuples().all())
    where = [Claim.project_id == project_id, Claim.layer == "annotator", Claim.deleted_at.is_(None)]
    if document_ids is not None:
        where.append(Claim.document_id.in_(document_ids))
    live = sa.select(Claim.id).where(*where)
    segments: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for claim_id, start, end in driver_rows(session, sa.select(ClaimSegment.claim_id, ClaimSegment.start,
                                                                 ClaimSegment.end).where(ClaimSegment.claim_id.in_(live))):
        segments[claim_id].append((start, end))
    stances: dict[int, dict[str, str]] = defaultdict(dict)
    for claim_id, target, value in driver_rows(session, sa.select(ClaimStance.claim_id, ClaimStance.target,
                                                                    ClaimStance.value).where(ClaimStance.claim_id.in_(live))):
        stances[claim_id][target] = value
    stance_keys = [(f"stance:{target}", target) for target in targets]
    no_stances: dict[str, str] = {}
    result = []
    for (claim_id, document_id, annotator_id, attribution, speaker_id, claim_type, check_worthiness, cue_valence,
         source_specificity, authorial_stance) in driver_rows(session, sa.select(
            Claim.id, Claim.document_id, Claim.annotator_id, Claim.attribution, Claim.speaker_id, Claim.claim_type,
            Claim.check_worthiness, Claim.cue_valence, Claim.source_specificity, Claim.authorial_stance).where(*where)):
        fields: dict[str, str | None] = {
            "attribution": attribution, "speaker": None if speaker_id is None else str(speaker_id),
            "claim_type": claim_type, "check_worthiness": check_worthiness, "cue_valence": cue_valence,
            "source_specificity": source_specificity, "authorial_stance": authorial_stance,
        }
        claim_stances = stances.get(claim_id, no_stances)
        for key, target in stance_keys:
            fields[key] = claim_stances.get(target, "none")
        result.append(CodedClaim(claim_id, document_id, users.get(annotator_id, str(annotator_id)),
                                 tuple(segments.get(claim_id, ())), fields))
    return result


def coded_markers(session: Session, project_id: int) -> list[CodedClaim]:
    users = dict(session.execute(sa.select(User.id, User.username)).tuples().all())
    rows = session.execute(sa.select(BiasMarker.id, BiasMarker.document_id, BiasMarker.annotator_id,
                                     BiasMarker.start, BiasMarker.end, BiasMarker.bias_type).where(
        BiasMarker.project_id == project_id, BiasMarker.layer == "annotator", BiasMarker.deleted_at.is_(None)))
    return [CodedClaim(r.id, r.document_id, users.get(r.annotator_id, ""), ((r.start, r.end),),
                       {"bias_type": r.bias_type}) for r in rows]


def parse_match(value: str | None) -> MatchRule:
    if value in (None, "", "exact"):
        return "exact"
    if value == "overlap":
        return "overlap"
    raise DomainError("match is exact or overlap", "match")


def project_agreement(session: Session, access: ProjectAccess, match: MatchRule = "exact", bootstrap: int = 1000,
                      include_coincidence: bool = False) -> dict[str, Any]:
    """The SPEC §5 agreement report for the project, bias type included (over matched markers)."""
    require_curator(access)
    fields = agreement_fields(session, access.project.id)
    report = agreement_report(coded_claims(session, access.project.id), fields, match=match, bootstrap=bootstrap,
                              include_coincidence=include_coincidence)
    markers = agreement_report(coded_markers(session, access.project.id), ["bias_type"], match=match,
                               bootstrap=bootstrap, include_coincidence=include_coincidence)
    report["fields"]["bias_type"] = markers["fields"]["bias_type"]
    report["bias_spans"] = markers["spans"]
    report["missing"] = f"{report.get('missing', '')} {STANCE_NOTE}".strip()
    return report


def field_matrix(session: Session, access: ProjectAccess, field: str,
                 match: MatchRule = "exact") -> list[list[str | None]]:
    """The reliability data matrix (unit × coder) of one field, for CSV."""
    require_curator(access)
    if field == "bias_type":
        return reliability_matrix(coded_markers(session, access.project.id), field, match)
    if field not in agreement_fields(session, access.project.id):
        raise DomainError("no such field", "field")
    return reliability_matrix(coded_claims(session, access.project.id), field, match)
