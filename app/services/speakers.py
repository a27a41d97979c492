"""The speaker registry: entries with aliases, resolution of names, merging."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, load_only

from app.domain.codebook import CodebookView
from app.domain.names import LIKE_ESCAPE, fold_name, name_pattern
from app.errors import Conflict, DomainError, NotFound
from app.models import Claim, Speaker
from app.models.base import is_id
from app.services import audit
from app.services.projects import ProjectAccess, current_codebook

WIKIDATA = re.compile(r"^Q[1-9][0-9]{0,11}$")
TEXT_LIMITS = {"name": 300, "role": 300, "affiliation": 300, "notes": 5000}


def speaker_snapshot(speaker: Speaker) -> dict[str, Any]:
    return {"name": speaker.name, "aliases": list(speaker.aliases or []), "type": speaker.type,
            "role": speaker.role, "affiliation": speaker.affiliation, "side": speaker.side,
            "country": speaker.country, "wikidata": speaker.wikidata, "notes": speaker.notes,
            "merged_into": speaker.merged_into_id}


def _clean_text(payload: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError(f"{key} is required", key)
        return None
    if not isinstance(value, str):
        raise DomainError(f"{key} must be a string", key)
    value = " ".join(value.split())
    if len(value) > TEXT_LIMITS[key]:
        raise DomainError(f"{key} is longer than {TEXT_LIMITS[key]} characters", key)
    return value


def parse_speaker_payload(payload: Any, codebook: CodebookView, partial: bool = False) -> dict[str, Any]:
    """Checked speaker fields; with ``partial`` only the keys given."""
    if not isinstance(payload, dict):
        raise DomainError("a speaker is a JSON object", "body")
    values: dict[str, Any] = {}
    if not partial or "name" in payload:
        values["name"] = _clean_text(payload, "name", required=True)
    if not partial or "aliases" in payload:
        aliases = payload.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [a for a in aliases.split(",")]
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise DomainError("aliases must be a list of strings", "aliases")
        cleaned = []
        for alias in aliases:
            alias = " ".join(alias.split())
            if alias and alias not in cleaned:
                if len(alias) > 300:
                    raise DomainError("an alias is longer than 300 characters", "aliases")
                cleaned.append(alias)
        if len(cleaned) > 100:
            raise DomainError("at most 100 aliases", "aliases")
        values["aliases"] = cleaned
    for key in ("role", "affiliation", "notes"):
        if not partial or key in payload:
            values[key] = _clean_text(payload, key)
    if not partial or "type" in payload:
        kind = payload.get("type") or None
        if kind is not None and (not isinstance(kind, str) or (codebook.has_field("entity_type")
                                                               and kind not in codebook.active_codes("entity_type"))):
            raise DomainError(f"type must be one of {', '.join(codebook.active_codes('entity_type'))}", "type")
        values["type"] = kind
    if not partial or "side" in payload:
        side = payload.get("side") or None
        if side is not None and (not isinstance(side, str) or side not in codebook.active_codes("sides")):
            raise DomainError(f"side must be one of the codebook's sides: "
                              f"{', '.join(codebook.active_codes('sides'))}", "side")
        values["side"] = side
    if not partial or "country" in payload:
        country = payload.get("country") or None
        if country is not None and (not isinstance(country, str) or not re.match(r"^[A-Za-z]{2}$", country)):
            raise DomainError("country is an ISO 3166-1 two-letter code", "country")
        values["country"] = country.upper() if country else None
    if not partial or "wikidata" in payload:
        wikidata = payload.get("wikidata") or None
        if wikidata is not None and (not isinstance(wikidata, str) or not WIKIDATA.match(wikidata)):
            raise DomainError("wikidata is an item id like Q12345", "wikidata")
        values["wikidata"] = wikidata
    return values


def list_speakers(session: Session, project_id: int, include_merged: bool = False) -> list[Speaker]:
    stmt = sa.select(Speaker).where(Speaker.project_id == project_id)
    if not include_merged:
        stmt = stmt.where(Speaker.merged_into_id.is_(None))
    return list(session.scalars(stmt.order_by(Speaker.name)))


def create_speaker(session: Session, access: ProjectAccess, payload: Any) -> Speaker:
    """Any member may add a speaker (annotators meet new ones while reading)."""
    values = parse_speaker_payload(payload, current_codebook(session, access.project.id))
    key = fold_name(values["name"])
    for other in list_speakers(session, access.project.id):
        if fold_name(other.name) == key:
            raise Conflict(f"{other.name!r} is in the registry already (id {other.id})", "name", existing=other.id)
    speaker = Speaker(project_id=access.project.id, **values)
    session.add(speaker)
    session.flush()
    audit.record(session, access.user, "create", "speaker", speaker.id, access.project.id,
                 after=speaker_snapshot(speaker))
    return speaker


def get_speaker(session: Session, project_id: int, speaker_id: int) -> Speaker:
    speaker = session.get(Speaker, speaker_id) if is_id(speaker_id) else None
    if speaker is None or speaker.project_id != project_id:
        raise NotFound("no such speaker", "speaker")
    return speaker


def update_speaker(session: Session, access: ProjectAccess, speaker_id: int, payload: Any) -> Speaker:
    speaker = get_speaker(session, access.project.id, speaker_id)
    before = speaker_snapshot(speaker)
    values = parse_speaker_payload(payload, current_codebook(session, access.project.id), partial=True)
    for key, value in values.items():
        setattr(speaker, key, value)
    session.flush()
    audit.record(session, access.user, "update", "speaker", speaker.id, access.project.id,
                 before=before, after=speaker_snapshot(speaker))
    return speaker


def merge_speakers(session: Session, access: ProjectAccess, source_id: int, target_id: int) -> Speaker:
    """Fold ``source`` into ``target``: its claims move, its names become aliases, nothing is lost."""
    if source_id == target_id:
        raise DomainError("choose two different speakers to merge", "target")
    source = get_speaker(session, access.project.id, source_id)
    target = get_speaker(session, access.project.id, target_id)
    if source.merged_into_id or target.merged_into_id:
        raise Conflict("one of these speakers was merged already", "source")
    before = {"source": speaker_snapshot(source), "target": speaker_snapshot(target)}
    aliases = list(target.aliases or [])
    for name in [source.name, *(source.aliases or [])]:
        if name not in aliases and name != target.name:
            aliases.append(name)
    target.aliases = aliases
    for key in ("type", "role", "affiliation", "side", "country", "wikidata"):
        if getattr(target, key) is None and getattr(source, key) is not None:
            setattr(target, key, getattr(source, key))
    moved = session.execute(
        sa.update(Claim).where(Claim.speaker_id == source.id).values(speaker_id=target.id, version=Claim.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    source.merged_into_id = target.id
    session.flush()
    audit.record(session, access.user, "merge", "speaker", target.id, access.project.id, before=before,
                 after={"target": speaker_snapshot(target), "claims_moved": moved, "merged": source.id})
    return target


# Built once: a save that names its speaker runs it (see claims.py on why). The entries that answer
# to the name, found by the database in their folded names, so nothing of the registry but the
# match comes back; and of the match only what a claim keeps and shows of it (id, name, side), the
# rest loads if asked for.
_SPEAKERS_CALLED = sa.select(Speaker).options(load_only(
    Speaker.project_id, Speaker.name, Speaker.side, Speaker.merged_into_id, Speaker.version)).where(
    Speaker.project_id == sa.bindparam("project_id"), Speaker.merged_into_id.is_(None),
    Speaker.folded_names.like(sa.bindparam("pattern"), escape=LIKE_ESCAPE))


def resolve_speaker(session: Session, project_id: int, reference: Any) -> Speaker:
    """A registry entry from an id, a name or an alias (accent- and case-insensitive).

    Merged entries resolve to the entry they were merged into.
    """
    if isinstance(reference, bool):
        raise DomainError("speaker is an id, a name or an alias", "speaker")
    if isinstance(reference, int):
        speaker = session.get(Speaker, reference) if is_id(reference) else None
        if speaker is None or speaker.project_id != project_id:
            raise DomainError(f"no speaker with id {reference} in this project", "speaker")
    elif isinstance(reference, str) and reference.strip():
        if re.fullmatch(r"[0-9]{1,12}", reference.strip()):
            return resolve_speaker(session, project_id, int(reference.strip()))
        pattern = name_pattern(reference)
        matches = session.scalars(_SPEAKERS_CALLED, {"project_id": project_id, "pattern": pattern}).all() \
            if pattern is not None else []
        if not matches:
            raise DomainError(f"no speaker named {reference!r} in the registry; add it first", "speaker")
        if len(matches) > 1:
            raise DomainError(f"{reference!r} matches several speakers; use the id", "speaker")
        speaker = matches[0]
    else:
        raise DomainError("speaker is an id, a name or an alias", "speaker")
    hops = 0
    while speaker.merged_into_id is not None and hops < 20:
        speaker = session.get(Speaker, speaker.merged_into_id)  # type: ignore[assignment]
        hops += 1
    return speaker
