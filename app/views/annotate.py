"""The annotation page (/documents/<id>) and its no-JavaScript claim form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.domain.diff import paragraph_diff
from app.domain.highlight import highlighted_paragraphs, page_marks
from app.errors import DomainError, NotFound
from app.forms import ClaimForm
from app.presenters import claim_list_html, html_json, labels_json, marker_json, page_claim_rows
from app.security import acting_user
from app.services import annotation_page as page_service
from app.services import assignments as assignment_service
from app.services import claims as claim_service
from app.services import markers as marker_service
from app.services import projects as project_service
from app.services import suggestions as suggestion_service
from app.services.documents import get_document_access, paragraph_spans
from app.views.common import session

bp = Blueprint("annotate", __name__)


def _page(document_id: int, form: ClaimForm | None = None, status: int = 200) -> tuple[str, int]:
    """The annotation page of one layer (the caller's own by default). Its text, claim list and data
    for the script are built in Python from plain rows (claims.list_claims, app.services.annotation_page)."""
    user = acting_user()
    assert user is not None
    ctx = claim_service.load_document_context(session(), user, document_id)
    layer, annotator_id = claim_service.visible_layer(session(), ctx.access, request.args.get("annotator"),
                                                      request.args.get("layer"))
    own = annotator_id == user.id and layer == "annotator"
    editable = own or (layer == "gold" and ctx.access.is_curator)
    claims = claim_service.list_claims(session(), document_id, layer, annotator_id)
    markers = marker_service.list_markers(session(), document_id, layer, annotator_id)
    suggestions: list[dict[str, Any]] = []
    if own and request.args.get("suggest") == "1":
        suggestions = suggestion_service.document_suggestions(session(), user, document_id)["items"]
    text_html = highlighted_paragraphs(ctx.document.text, paragraph_spans(session(), ctx.document),
                                       page_marks(claims, markers, suggestions))
    if form is None:
        form = ClaimForm()
    form.set_choices(ctx.codebook)
    members = project_service.list_members(session(), ctx.project.id) if ctx.access.is_curator else []
    assignment, next_document = assignment_service.queue_position(session(), user.id, ctx.project.id, document_id)
    quoted = page_service.quoted_spans(claims)
    page_data = {"claims": page_claim_rows(claims if editable else []),  # the script reads them to edit
                 "suggestions": suggestions,
                 "markers": [marker_json(m, marker_service.in_quote(m, quoted)) for m in markers],
                 "codebook": {**ctx.codebook.data, "version": ctx.codebook.version},  # as_api(), no deep copy
                 "document": ctx.document.id, "project": ctx.project.slug, "layer": layer,
                 "apiBase": url_for("api.list_projects").rsplit("/projects", 1)[0]}
    delete_base = url_for("annotate.delete_claim", claim_id=0).removesuffix("/0/delete") if editable else None
    return render_template(
        "annotate/document.html", assignment=assignment, next_document=next_document, document=ctx.document,
        access=ctx.access, codebook=ctx.codebook, form=form, editable=editable, layer=layer, text_html=text_html,
        claim_count=len(claims), claim_list=claim_list_html(claims, ctx.codebook, delete_base),
        viewing=request.args.get("annotator") or None,
        speakers=page_service.page_speakers(session(), ctx.project.id) if editable else [], members=members,
        suggestions=suggestions, markers=markers, page_data=html_json(page_data),
        labels=labels_json(marker_service.get_labels(session(), document_id, layer, annotator_id)),
    ), status


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int) -> tuple[str, int]:
    return _page(document_id)


@bp.get("/documents/<int:document_id>/changes")
@login_required
def changes(document_id: int) -> tuple[str, int]:
    """What changed since the previous revision, paragraph by paragraph (words marked)."""
    user = acting_user()
    assert user is not None
    document, access = get_document_access(session(), user, document_id)
    if document.previous_id is None:
        raise NotFound("this is the first revision of the document")
    previous, _ = get_document_access(session(), user, document.previous_id)
    rows = paragraph_diff([previous.text[p.start:p.end] for p in paragraph_spans(session(), previous)],
                          [document.text[p.start:p.end] for p in paragraph_spans(session(), document)])
    return render_template("annotate/changes.html", document=document, previous=previous, rows=rows,
                           access=access), 200


@bp.post("/documents/<int:document_id>/claims")
@login_required
def save_claim(document_id: int) -> Response | tuple[str, int]:
    """The form path (no JavaScript): the same service and checks as POST /api/v1/.../claims."""
    user = acting_user()
    assert user is not None
    ctx = claim_service.load_document_context(session(), user, document_id)
    form = ClaimForm()
    form.set_choices(ctx.codebook)
    if not form.validate_on_submit():
        return _page(document_id, form, 422)
    stances = {target: request.form.get(f"stance_{target}", "") for target, _label in form.targets}
    payload = form.payload(stances)
    try:
        if form.claim_id.data:
            payload["version"] = int(form.version.data or 0)
            claim = claim_service.update_claim(session(), user, int(form.claim_id.data), payload)
        else:
            claim, _ = claim_service.create_claim(session(), user, document_id, payload)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        field_name = (exc.field or "content").split("[")[0].split(".")[0]
        field = getattr(form, field_name, None)
        (field if field is not None and hasattr(field, "errors") else form.content).errors = [exc.message]
        return _page(document_id, form, exc.status)
    session().commit()
    flash("Claim saved.")
    return redirect(url_for("annotate.document", document_id=document_id, _anchor=f"c{claim.id}"))


@bp.post("/claims/<int:claim_id>/delete")
@login_required
def delete_claim(claim_id: int) -> Response:
    user = acting_user()
    assert user is not None
    claim = claim_service.get_claim(session(), user, claim_id)
    claim_service.delete_claim(session(), user, claim_id)
    session().commit()
    flash("Claim deleted (it stays in the audit log).")
    return redirect(url_for("annotate.document", document_id=claim.document_id))
