"""Corpus pages: full-text search (HTML and ``GET /api/v1/projects/{slug}/search``), the
fact-check queue with its verification records, and speaker pages.

The JSON route lives here (not in views/api.py) by request; its path starts with /api/, so the
error handlers answer it in JSON like the rest of the API, and bearer tokens work the same.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.domain.charts import stance_over_time
from app.errors import DomainError
from app.export.streams import FORMULA_TRIGGERS
from app.forms import choices
from app.models import User
from app.presenters import claim_json
from app.security import acting_user
from app.services import factcheck as factcheck_service
from app.services import search as search_service
from app.views.common import api_user, session

bp = Blueprint("corpus", __name__)
DATE_SHAPE = r"^\d{4}-\d{2}-\d{2}$"
MAX_EVIDENCE = 50
BLANK_EVIDENCE_ROWS = 2


def _user() -> User:
    user = acting_user()
    assert user is not None
    return user


def query_with(**changes: Any) -> str:
    """This request's query string with some arguments replaced (None drops one), for page links.

    Built from the arguments as given, never through ``url_for(**args)``: a user's ``slug`` or
    ``_external`` argument must not reach url_for's own parameters."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
    return "?" + urlencode(pairs) if pairs else ""


# --- search ------------------------------------------------------------------------------------

@bp.get("/projects/<slug>/search")
@login_required
def search(slug: str) -> tuple[str, int]:
    page = search_service.search_page(session(), _user(), slug, request.args)
    return render_template("corpus/search.html", page=page, access=page.access,
                           query_with=query_with), 422 if page.error else 200


@bp.get("/api/v1/projects/<slug>/search")
def api_search(slug: str) -> Response:
    page = search_service.search_page(session(), api_user(), slug, request.args, require_query=True)
    if page.error is not None:
        raise page.error
    return jsonify(_search_json(page))


def _pieces_json(pieces: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    return [{"text": text, "match": hit} for text, hit in pieces]


def _search_json(page: search_service.SearchPage) -> dict[str, Any]:
    assert page.query is not None
    return {
        "query": page.query.text,
        "page": page.page,
        "documents": {"total": page.document_total, "items": [{
            "id": hit.document.id, "title": hit.document.title, "source": hit.document.source,
            "published": hit.document.published,
            "url": url_for("annotate.document", document_id=hit.document.id,
                           _anchor=None if hit.snippet.paragraph is None else f"p{hit.snippet.paragraph}"),
            "title_match": _pieces_json(hit.title), "snippet": _pieces_json(hit.snippet.pieces),
            "snippet_html": str(hit.snippet.html()), "paragraph": hit.snippet.paragraph,
        } for hit in page.documents]},
        "claims": {"total": page.claim_total, "items": [{
            **claim_json(hit.claim, page.codebook),
            "url": url_for("annotate.document", **hit.link),
            "document_meta": {"id": hit.document.id, "title": hit.document.title, "source": hit.document.source,
                              "published": hit.document.published},
            "content_match": [_pieces_json(pieces) for pieces in hit.content],
            "note_match": _pieces_json(hit.note) if hit.note else None,
            "speaker_match": hit.speaker_matched,
        } for hit in page.claims]},
        "next": url_for("corpus.api_search", slug=page.access.project.slug) + query_with(page=page.page + 1)
        if page.has_next else None,
    }


# --- the fact-check queue ----------------------------------------------------------------------

@bp.get("/projects/<slug>/factcheck")
@login_required
def factcheck(slug: str) -> tuple[str, int]:
    page = factcheck_service.queue_page(session(), _user(), slug, request.args)
    return render_template("corpus/factcheck.html", page=page, access=page.access,
                           query_with=query_with), 422 if page.error else 200


@bp.get("/projects/<slug>/factcheck.csv")
@login_required
def factcheck_csv(slug: str) -> Response:
    def link(item: factcheck_service.QueueItem) -> str:
        return url_for("annotate.document", _external=True, **item.link)

    access, rows = factcheck_service.queue_rows(session(), _user(), slug, request.args, link)
    first = _csv_chunk([next(rows)])

    def generate() -> Iterator[str]:
        yield "\ufeff" + first
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 500:
                yield _csv_chunk(batch)
                batch = []
        yield _csv_chunk(batch)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{access.project.slug}-factcheck.csv"'
    return response


def _csv_chunk(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[_spreadsheet_safe(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def _spreadsheet_safe(cell: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading ' (CWE-1236)."""
    if isinstance(cell, str) and cell[:1] in FORMULA_TRIGGERS:
        return "'" + cell
    return "" if cell is None else cell


def _no_nul(_form: Any, field: Any) -> None:
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError("contains a NUL character")


class EvidenceForm(Form):
    """One piece of evidence (a sub-form of VerificationForm: no CSRF token of its own)."""

    url = StringField("Address (http or https)", validators=[Optional(), Length(max=2000), _no_nul])
    title = StringField("Title", validators=[Optional(), Length(max=2000), _no_nul])
    accessed_at = StringField("Accessed on (YYYY-MM-DD)", validators=[
        Optional(), Regexp(DATE_SHAPE, message="use the form YYYY-MM-DD")])
    note = StringField("Note", validators=[Optional(), Length(max=2000), _no_nul])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.url, self.title, self.accessed_at, self.note))


class VerificationForm(FlaskForm):
    """A claim's verification record; shape only (the service checks codes and addresses)."""

    version = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$", message="reload the page")])
    status = SelectField("Status", validators=[DataRequired()])
    rating_text = StringField("Rating (the verdict in words)", validators=[Optional(), Length(max=500), _no_nul])
    evidence = FieldList(FormField(EvidenceForm), max_entries=MAX_EVIDENCE)
    # No checker or date fields: the service records who saves and when, so nobody can record a
    # verdict in another person's name.
    submit = SubmitField("Save verification")

    def set_choices(self, codebook: Any, current: str) -> None:
        codes = codebook.active_codes("verification_status")
        if current not in codes:
            codes = [current, *codes]  # a retired status stays selectable while it is the current one
        self.status.choices = choices((c, codebook.label("verification_status", c)) for c in codes)

    def fill(self, page: factcheck_service.VerificationPage) -> None:
        verification = page.claim.verification or {}
        self.version.data = str(page.claim.version)
        self.status.data = page.status
        self.rating_text.data = verification.get("rating_text") or ""
        for item in page.evidence[:MAX_EVIDENCE]:
            self.evidence.append_entry({k: item.get(k) or "" for k in ("url", "title", "accessed_at", "note")})

    def add_blank_rows(self) -> None:
        while len(self.evidence.entries) < MAX_EVIDENCE and sum(
                1 for e in self.evidence.entries if e.form.is_blank()) < BLANK_EVIDENCE_ROWS:
            self.evidence.append_entry()

    def payload(self) -> tuple[dict[str, Any], list[int]]:
        """The body ``PATCH /api/v1/claims/{id}`` takes, and the form row of each piece of evidence."""
        rows = [i for i, entry in enumerate(self.evidence.entries) if not entry.form.is_blank()]
        evidence = []
        for i in rows:
            row = self.evidence.entries[i].form
            evidence.append({"url": (row.url.data or "").strip(), **{
                key: getattr(row, key).data.strip() for key in ("title", "accessed_at", "note")
                if (getattr(row, key).data or "").strip()}})
        verification = {"status": self.status.data, "rating_text": (self.rating_text.data or "").strip() or None,
                        "evidence": evidence}
        return {"version": int(self.version.data or 0), "verification": verification}, rows


_EVIDENCE_FIELD = re.compile(r"^verification\.evidence\[(\d+)\]\.(url|title|accessed_at|note)$")


def _show_error(form: VerificationForm, rows: list[int], exc: DomainError) -> None:
    """Put a service error on the form field it names."""
    field_name = exc.field or ""
    match = _EVIDENCE_FIELD.match(field_name)
    if match and int(match.group(1)) < len(rows):
        getattr(form.evidence.entries[rows[int(match.group(1))]].form, match.group(2)).errors = [exc.message]
        return
    target = {"verification.status": form.status, "verification.rating_text": form.rating_text,
              "version": form.version}.get(field_name)
    if target is not None and field_name != "version":
        target.errors = [exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.route("/projects/<slug>/factcheck/<int:claim_id>", methods=["GET", "POST"])
@login_required
def verify(slug: str, claim_id: int) -> BaseResponse | tuple[str, int]:
    user = _user()
    page = factcheck_service.verification_page(session(), user, slug, claim_id)
    form = VerificationForm()
    form.set_choices(page.codebook, page.status)
    status = 200
    if request.method == "GET":
        form.fill(page)
    elif not form.validate_on_submit():
        status = 422
    else:
        body, rows = form.payload()
        try:
            claim = factcheck_service.save_verification(session(), user, slug, claim_id, body)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            _show_error(form, rows, exc)
            status = exc.status
        else:
            session().commit()
            flash(f"Verification saved (claim {claim.id}, version {claim.version}).")
            return redirect(url_for("corpus.verify", slug=slug, claim_id=claim_id))
    form.add_blank_rows()
    return render_template("corpus/verify.html", page=page, access=page.access, form=form,
                           refused=status != 200), status


# --- speakers ----------------------------------------------------------------------------------

@bp.get("/projects/<slug>/speakers/<int:speaker_id>")
@login_required
def speaker(slug: str, speaker_id: int) -> tuple[str, int]:
    page = search_service.speaker_page(session(), _user(), slug, speaker_id, request.args)
    return render_template("corpus/speaker.html", page=page, access=page.access,
                           chart=_timeline_chart(page)), 422 if page.error else 200


def _timeline_chart(page: search_service.SpeakerPage) -> Any:
    dated = [row for row in page.timeline if row.date is not None]
    dates = sorted({row.date for row in dated if row.date})
    targets = [t for t in page.codebook.all_codes("targets") if any(row.target == t for row in dated)]
    by_key = {(row.date, row.target): row.counts for row in dated}
    series = []
    for target in targets:
        points = []
        for date in dates:
            counts = by_key.get((date, target))
            points.append(None if counts is None else
                          (counts.get("favor", 0), counts.get("against", 0), counts.get("neutral", 0)))
        series.append((f"{target} {page.codebook.label('targets', target)}", points))
    return stance_over_time(f"Stance of {page.speaker.name} per target, by publication date", dates, series)
