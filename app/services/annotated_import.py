"""Moving an annotated corpus in: Sourcemark JSONL, Label Studio, doccano and brat files, with
every layer's claims, markers and labels given to the project's annotator of the same name (or as
mapped), so export → import → export gives the same result. All or nothing per file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.names import fold_name
from app.errors import DomainError
from app.export.readers import ImportedDocument
from app.models import Membership, User
from app.services import audit
from app.services.claims import create_claim
from app.services.documents import import_documents, parse_document_payload
from app.services.markers import create_marker, put_labels
from app.services.projects import ProjectAccess, require_curator
from app.services.speakers import create_speaker, list_speakers

GOLD = "gold"


@dataclass
class AnnotatedImportResult:
    documents_created: int = 0
    documents_existing: int = 0
    claims: int = 0
    markers: int = 0
    labels: int = 0
    speakers_created: list[str] = field(default_factory=list)


def _members(session: Session, project_id: int) -> dict[str, User]:
    rows = session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id)
                           .where(Membership.project_id == project_id))
    return {user.username: user for user in rows}


def import_annotated(session: Session, access: ProjectAccess, documents: Iterable[ImportedDocument],
                     annotator_map: dict[str, str] | None = None) -> AnnotatedImportResult:
    """Store the documents and their annotations; any bad claim fails the whole call (caller rolls back).

    Layers are named by user name (``gold`` for the adjudicated layer, written as the importing
    curator). An annotator who is not a member of the project is an error naming them: map them
    with ``annotator_map`` (file name → user name) or add them to the project first.
    """
    require_curator(access)
    annotator_map = annotator_map or {}
    members = _members(session, access.project.id)
    documents = list(documents)
    unknown = sorted({annotator_map.get(layer, layer) for doc in documents
                      for layer in [*doc.claims, *doc.markers, *doc.labels]
                      if layer != GOLD and annotator_map.get(layer, layer) not in members})
    if unknown:
        raise DomainError(f"not members of this project: {', '.join(unknown)}; add them first or map them "
                          "to members (old=new)", "annotators")
    result = AnnotatedImportResult()
    registry = {fold_name(n): s for s in list_speakers(session, access.project.id) for n in [s.name, *s.aliases]}
    for index, imported in enumerate(documents):
        where = f"document {imported.doc_id or index + 1}"
        metadata = imported.meta or {}
        payload: dict[str, Any] = {"title": imported.title, "text": imported.text,
                                   **{k: metadata.get(k) for k in ("source", "url", "author", "published",
                                                                   "external_id") if metadata.get(k)}}
        if isinstance(metadata.get("meta"), dict):
            payload["meta"] = metadata["meta"]
        stored = import_documents(session, access, [parse_document_payload(payload, f"{where}.")])[0]
        document = stored.document
        if document.text != imported.text:
            raise DomainError(f"{where}: the text is not in canonical form (NFC, \\n, paragraphs stripped), "
                              "so its offsets cannot be kept", "file")
        if stored.status == "duplicate":
            result.documents_existing += 1
        else:
            result.documents_created += 1

        def user_for(layer: str) -> User:
            return access.user if layer == GOLD else members[annotator_map.get(layer, layer)]

        for layer, claims in imported.claims.items():
            for claim in claims:
                body = {k: v for k, v in claim.items() if k not in ("annotator", "speaker_details")}
                name = body.get("speaker")
                if isinstance(name, str) and name.strip():
                    speaker = registry.get(fold_name(name))
                    if speaker is None:
                        details = {k: v for k, v in (claim.get("speaker_details") or {}).items() if v is not None}
                        speaker = create_speaker(session, access, {**details, "name": name})
                        registry[fold_name(name)] = speaker
                        result.speakers_created.append(name)
                    body["speaker"] = speaker.id
                body["layer"] = "gold" if layer == GOLD else "annotator"
                try:
                    create_claim(session, user_for(layer), document.id, body)
                except DomainError as exc:
                    raise DomainError(f"{where}, {layer}'s claim: {exc.message}", exc.field) from exc
                result.claims += 1
        for layer, markers in imported.markers.items():
            for marker in markers:
                body = {k: v for k, v in marker.items() if k != "annotator"}
                body["layer"] = "gold" if layer == GOLD else "annotator"
                try:
                    create_marker(session, user_for(layer), document.id, body)
                except DomainError as exc:
                    raise DomainError(f"{where}, {layer}'s bias marker: {exc.message}", exc.field) from exc
                result.markers += 1
        for layer, labels in imported.labels.items():
            body = {**labels, "layer": "gold" if layer == GOLD else "annotator"}
            try:
                put_labels(session, user_for(layer), document.id, body)
            except DomainError as exc:
                raise DomainError(f"{where}, {layer}'s article labels: {exc.message}", exc.field) from exc
            result.labels += 1
    audit.record(session, access.user, "import", "annotations", None, access.project.id,
                 after={"documents": result.documents_created, "claims": result.claims, "markers": result.markers})
    return result
