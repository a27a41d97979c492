"""The JSON API, /api/v1 (SPEC §5). Each view: parse, call one service, commit, present.

Authorization happens in the services (``get_project_access`` / ``load_document_context``):
a caller who is not a member gets the same 404 as for an id that does not exist.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from app.errors import DomainError
from app.models.base import MAX_ID
from app.presenters import (
    assignment_json,
    claim_json,
    document_json,
    document_summary,
    labels_json,
    marker_json,
    speaker_json,
)
from app.services import adjudication as adjudication_service
from app.services import agreement as agreement_service
from app.services import assignments as assignment_service
from app.services import balance as balance_service
from app.services import claims as claim_service
from app.services import documents as document_service
from app.services import exports as export_service
from app.services import markers as marker_service
from app.services import projects as project_service
from app.services import speakers as speaker_service
from app.services import suggestions as suggestion_service
from app.services.users import get_user_by_name
from app.views.common import api_user, json_body, session, streamed_download

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_BATCH = 10_000


def created(body: Any, status: int = 201) -> tuple[Response, int]:
    return jsonify(body), status


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,12}", raw) or not low <= int(raw) <= high:
        raise DomainError(f"{name} must be a whole number from {low} to {high}", name)
    return int(raw)


@bp.get("/projects")
def list_projects() -> Response:
    rows = project_service.list_projects(session(), api_user())
    return jsonify([{"slug": p.slug, "name": p.name, "role": role} for p, role in rows])


@bp.post("/projects")
def create_project() -> tuple[Response, int]:
    body = json_body()
    if not isinstance(body, dict):
        raise DomainError("the body is an object {slug, name}", "body")
    project = project_service.create_project(session(), api_user(), body.get("slug"), body.get("name"),
                                             body.get("codebook"))
    session().commit()
    return created({"slug": project.slug, "name": project.name, "role": "admin"})


@bp.post("/projects/<slug>/members")
def add_member(slug: str) -> tuple[Response, int]:
    access = project_service.get_project_access(session(), api_user(), slug)
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("user"), str):
        raise DomainError("user (a user name) is required", "user")
    project_service.require_curator(access)
    user = get_user_by_name(session(), body["user"])
    membership = project_service.add_member(session(), access, user, body.get("role"))
    session().commit()
    return created({"user": user.username, "role": membership.role})


@bp.get("/projects/<slug>/codebook")
def get_codebook(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    return jsonify(project_service.current_codebook(session(), access.project.id).as_api())


@bp.put("/projects/<slug>/codebook")
def put_codebook(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    codebook = project_service.save_codebook(session(), access, json_body())
    session().commit()
    return jsonify(codebook.as_api())


@bp.get("/projects/<slug>/speakers")
def list_speakers(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    return jsonify([speaker_json(s) for s in speaker_service.list_speakers(session(), access.project.id)])


@bp.post("/projects/<slug>/speakers")
def create_speaker(slug: str) -> tuple[Response, int]:
    access = project_service.get_project_access(session(), api_user(), slug)
    speaker = speaker_service.create_speaker(session(), access, json_body())
    session().commit()
    return created(speaker_json(speaker))


@bp.patch("/projects/<slug>/speakers/<int:speaker_id>")
def update_speaker(slug: str, speaker_id: int) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    speaker = speaker_service.update_speaker(session(), access, speaker_id, json_body())
    session().commit()
    return jsonify(speaker_json(speaker))


@bp.post("/projects/<slug>/speakers/merge")
def merge_speakers(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    project_service.require_curator(access)
    body = json_body()
    if not isinstance(body, dict):
        raise DomainError("the body is an object {source, target}", "body")
    ids = []
    for key in ("source", "target"):
        if isinstance(body.get(key), bool) or not isinstance(body.get(key), int):
            raise DomainError(f"{key} is a speaker id", key)
        ids.append(body[key])
    speaker = speaker_service.merge_speakers(session(), access, ids[0], ids[1])
    session().commit()
    return jsonify(speaker_json(speaker))


@bp.post("/projects/<slug>/documents")
def import_documents(slug: str) -> tuple[Response, int]:
    access = project_service.get_project_access(session(), api_user(), slug)
    body = json_body()
    if isinstance(body, dict) and "documents" in body:
        items = body["documents"]
        if not isinstance(items, list) or not items:
            raise DomainError("documents is a non-empty list", "documents")
        if len(items) > MAX_BATCH:
            raise DomainError(f"at most {MAX_BATCH} documents per request", "documents")
        # Every document is checked before any is stored: a bad one changes nothing.
        inputs = [document_service.parse_document_payload(item, f"documents[{i}].") for i, item in enumerate(items)]
        results = document_service.import_documents(session(), access, inputs)
        session().commit()
        return created({
            "items": [document_summary(r.document, status=r.status) for r in results],
            "created": sum(r.status != "duplicate" for r in results),
            "duplicates": sum(r.status == "duplicate" for r in results),
        })
    result = document_service.import_documents(session(), access, [document_service.parse_document_payload(body)])[0]
    session().commit()
    paragraphs = document_service.paragraph_spans(session(), result.document)
    extra: dict[str, Any] = {"status": result.status}
    if result.status == "revision":
        extra["anchors"] = result.anchors
    return created(document_json(result.document, paragraphs, **extra), 200 if result.status == "duplicate" else 201)


@bp.get("/projects/<slug>/documents")
def list_documents(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    limit = _int_arg("limit", 100, 1, 1000)
    query = request.args.get("q") or None
    rows = document_service.list_documents(session(), access, after_id=_int_arg("after", 0, 0, MAX_ID), limit=limit,
                                           query=query)
    next_page = (url_for("api.list_documents", slug=slug, after=rows[-1].document.id, limit=limit, q=query)
                 if len(rows) == limit else None)
    return jsonify({"items": [document_summary(r.document, my_claims=r.my_claims) for r in rows], "next": next_page})


@bp.get("/documents/<int:document_id>")
def get_document(document_id: int) -> Response:
    document, _access = document_service.get_document_access(session(), api_user(), document_id)
    return jsonify(document_json(document, document_service.paragraph_spans(session(), document)))


@bp.get("/documents/<int:document_id>/claims")
def list_claims(document_id: int) -> Response:
    ctx = claim_service.load_document_context(session(), api_user(), document_id)
    layer, annotator_id = claim_service.visible_layer(session(), ctx.access, request.args.get("annotator"),
                                                      request.args.get("layer"))
    claims = claim_service.list_claims(session(), document_id, layer, annotator_id)
    return jsonify({"items": [claim_json(c, ctx.codebook) for c in claims]})


@bp.post("/documents/<int:document_id>/claims")
def create_claim(document_id: int) -> tuple[Response, int]:
    claim, is_new = claim_service.create_claim(session(), api_user(), document_id, json_body())
    session().commit()
    return _claim_response(claim, 201 if is_new else 200)


def _claim_response(claim: Any, status: int) -> tuple[Response, int]:
    # The claim as written, from memory: the services leave it complete (segments, stances,
    # speaker and annotator loaded; version and timestamps set by the flush).
    return jsonify(claim_json(claim, project_service.current_codebook(session(), claim.project_id))), status


@bp.get("/claims/<int:claim_id>")
def get_claim(claim_id: int) -> tuple[Response, int]:
    claim = claim_service.get_claim(session(), api_user(), claim_id)
    return _claim_response(claim, 200)


@bp.patch("/claims/<int:claim_id>")
def update_claim(claim_id: int) -> tuple[Response, int]:
    claim = claim_service.update_claim(session(), api_user(), claim_id, json_body())
    session().commit()
    return _claim_response(claim, 200)


@bp.delete("/claims/<int:claim_id>")
def delete_claim(claim_id: int) -> tuple[str, int]:
    version = request.args.get("version")
    if version is not None and not re.fullmatch(r"[0-9]{1,9}", version):
        raise DomainError("version is a whole number", "version")
    claim_service.delete_claim(session(), api_user(), claim_id, int(version) if version else None)
    session().commit()
    return "", 204


@bp.get("/documents/<int:document_id>/markers")
def list_markers(document_id: int) -> Response:
    ctx = claim_service.load_document_context(session(), api_user(), document_id)
    layer, annotator_id = claim_service.visible_layer(session(), ctx.access, request.args.get("annotator"),
                                                      request.args.get("layer"))
    ranges = marker_service.quoted_ranges(session(), document_id, layer, annotator_id)
    markers = marker_service.list_markers(session(), document_id, layer, annotator_id)
    return jsonify({"items": [marker_json(m, marker_service.in_quote(m, ranges)) for m in markers]})


def _marker_response(marker: Any, status: int) -> tuple[Response, int]:
    ranges = marker_service.quoted_ranges(session(), marker.document_id, marker.layer, marker.annotator_id)
    session().refresh(marker, ["annotator"])
    return jsonify(marker_json(marker, marker_service.in_quote(marker, ranges))), status


@bp.post("/documents/<int:document_id>/markers")
def create_marker(document_id: int) -> tuple[Response, int]:
    marker = marker_service.create_marker(session(), api_user(), document_id, json_body())
    session().commit()
    return _marker_response(marker, 201)


@bp.patch("/markers/<int:marker_id>")
def update_marker(marker_id: int) -> tuple[Response, int]:
    marker = marker_service.update_marker(session(), api_user(), marker_id, json_body())
    session().commit()
    return _marker_response(marker, 200)


@bp.delete("/markers/<int:marker_id>")
def delete_marker(marker_id: int) -> tuple[str, int]:
    marker_service.delete_marker(session(), api_user(), marker_id)
    session().commit()
    return "", 204


@bp.get("/documents/<int:document_id>/labels")
def get_labels(document_id: int) -> Response:
    ctx = claim_service.load_document_context(session(), api_user(), document_id)
    layer, annotator_id = claim_service.visible_layer(session(), ctx.access, request.args.get("annotator"),
                                                      request.args.get("layer"))
    return jsonify(labels_json(marker_service.get_labels(session(), document_id, layer, annotator_id)))


@bp.put("/documents/<int:document_id>/labels")
def put_labels(document_id: int) -> Response:
    row = marker_service.put_labels(session(), api_user(), document_id, json_body())
    session().commit()
    return jsonify(labels_json(row))


@bp.patch("/projects/<slug>")
def update_project(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    project = assignment_service.update_settings(session(), access, json_body())
    session().commit()
    return jsonify({"slug": project.slug, "name": project.name, "blind": project.blind,
                    "assigned_only": project.assigned_only})


@bp.get("/projects/<slug>/assignments")
def list_assignments(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    rows = assignment_service.list_assignments(session(), access.project.id,
                                               None if access.is_curator else access.user.id)
    return jsonify({"items": [assignment_json(a) for a in rows]})


@bp.post("/projects/<slug>/assignments")
def create_assignments(slug: str) -> tuple[Response, int]:
    access = project_service.get_project_access(session(), api_user(), slug)
    plan = assignment_service.assign(session(), access, json_body())
    session().commit()
    return created({"created": plan.created, "existing": plan.existing,
                    "reliability_documents": plan.reliability_documents})


@bp.patch("/assignments/<int:assignment_id>")
def update_assignment(assignment_id: int) -> Response:
    body = json_body()
    if not isinstance(body, dict):
        raise DomainError("the body is an object {status}", "body")
    assignment = assignment_service.set_status(session(), api_user(), assignment_id, body.get("status"))
    session().commit()
    return jsonify(assignment_json(assignment))


@bp.get("/projects/<slug>/progress")
def progress(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    people, documents = assignment_service.progress(session(), access)
    return jsonify({"annotators": [{"user": p.username, "assigned": p.assigned, "todo": p.todo,
                                    "in_progress": p.in_progress, "done": p.done, "claims": p.claims,
                                    "claims_per_hour": p.claims_per_hour} for p in people],
                    "documents": documents})


@bp.get("/documents/<int:document_id>/balance")
def document_balance(document_id: int) -> Response:
    document, access = document_service.get_document_access(session(), api_user(), document_id)
    scope = balance_service.parse_scope(session(), access, request.args, document_id=document.id)
    return jsonify(balance_service.compute(session(), access, scope).as_json())


@bp.get("/projects/<slug>/balance")
def project_balance(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    scope = balance_service.parse_scope(session(), access, request.args)
    return jsonify(balance_service.compute(session(), access, scope).as_json())


@bp.get("/projects/<slug>/agreement")
def agreement(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    match = agreement_service.parse_match(request.args.get("match"))
    return jsonify(agreement_service.project_agreement(session(), access, match=match))


@bp.post("/documents/<int:document_id>/gold")
def write_gold(document_id: int) -> tuple[Response, int]:
    ctx = claim_service.load_document_context(session(), api_user(), document_id)
    project_service.require_curator(ctx.access)
    claim = adjudication_service.write_gold(session(), api_user(), document_id, json_body())
    session().commit()
    return _claim_response(claim, 201)


@bp.get("/documents/<int:document_id>/suggestions")
def suggestions(document_id: int) -> Response:
    return jsonify(suggestion_service.document_suggestions(session(), api_user(), document_id))


@bp.post("/documents/<int:document_id>/suggestions/dismiss")
def dismiss_suggestion(document_id: int) -> tuple[str, int]:
    body = json_body()
    if not isinstance(body, dict):
        raise DomainError("the body is an object {key}", "body")
    suggestion_service.dismiss(session(), api_user(), document_id, body.get("key"))
    session().commit()
    return "", 204


@bp.get("/projects/<slug>/export")
def export(slug: str) -> Response:
    access = project_service.get_project_access(session(), api_user(), slug)
    request_ = export_service.parse_export_request(
        session(), access, request.args.get("format", ""), request.args.get("annotator") or None,
        request.args.get("layer") == "gold" or request.args.get("gold") in ("1", "true"),
        request.args.get("documents"), base_url=request.host_url.rstrip("/"))
    return streamed_download(request_)
