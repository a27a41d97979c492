"""Project pages: list, documents and import, speakers, codebook, export."""

from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_login import login_required
from werkzeug.wrappers import Response

from app.errors import DomainError, Forbidden
from app.export import WRITERS
from app.forms import (
    AssignRuleForm,
    ExportForm,
    ImportForm,
    MemberForm,
    MergeForm,
    NewProjectForm,
    SettingsForm,
    SpeakerForm,
    choices,
    codebook_from_form,
)
from app.security import acting_user
from app.services import annotated_import, importing, url_import
from app.services import assignments as assignment_service
from app.services import documents as document_service
from app.services import exports as export_service
from app.services import projects as project_service
from app.services import speakers as speaker_service
from app.services.users import get_user_by_name
from app.views.common import session, streamed_download

bp = Blueprint("projects", __name__)


def _access(slug: str) -> project_service.ProjectAccess:
    user = acting_user()
    assert user is not None
    return project_service.get_project_access(session(), user, slug)


@bp.get("/")
def home() -> Response:
    return redirect(url_for("projects.index"))


@bp.route("/projects", methods=["GET", "POST"])
@login_required
def index() -> str | Response | tuple[str, int]:
    user = acting_user()
    assert user is not None
    form = NewProjectForm()
    if request.method == "POST" and not user.is_admin:
        raise Forbidden("only site administrators create projects")
    if user.is_admin and form.validate_on_submit():
        try:
            project = project_service.create_project(session(), user, form.slug.data or "", form.name.data or "")
        except DomainError as exc:
            getattr(form, exc.field if exc.field in ("slug", "name") else "slug").errors = [exc.message]
        else:
            session().commit()
            return redirect(url_for("projects.show", slug=project.slug))
    rows = project_service.list_projects(session(), user)
    return render_template("projects/index.html", rows=rows, form=form), 422 if form.errors else 200


@bp.route("/projects/<slug>", methods=["GET"])
@login_required
def show(slug: str) -> str:
    return _render_show(_access(slug))[0]


def _render_show(access: project_service.ProjectAccess, import_form: ImportForm | None = None,
                 member_form: MemberForm | None = None, status: int = 200) -> tuple[str, int]:
    """The project page: the caller's queue, the filtered documents, import and members forms."""
    filters = document_service.DocumentFilters(
        query=(request.args.get("q") or "").strip()[:200] or None,
        outlet=(request.args.get("outlet") or "").strip()[:500] or None,
        published_from=_date_arg("from"), published_to=_date_arg("to"), status=request.args.get("status") or None)
    rows = document_service.list_documents(session(), access, limit=500, filters=filters)
    members = project_service.list_members(session(), access.project.id) if access.is_curator else []
    queue = assignment_service.list_assignments(session(), access.project.id, access.user.id)
    return render_template("projects/show.html", access=access, rows=rows, query=filters.query or "",
                           import_form=import_form or ImportForm(), member_form=member_form or MemberForm(),
                           members=members, queue=queue, filters=filters,
                           outlets=document_service.outlets(session(), access.project.id),
                           titles={r.document.id: r.document.title for r in rows}), status


def _date_arg(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    if value and not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", value):
        raise DomainError(f"{name} is a date like 2020-07-14", name)
    return value or None


@bp.post("/projects/<slug>/import")
@login_required
def import_documents(slug: str) -> str | Response | tuple[str, int]:
    access = _access(slug)
    form = ImportForm()
    if not form.validate_on_submit():
        return _show_with_import_errors(access, form)
    defaults = {"url": form.url.data, "source": form.source.data, "published": form.published.data}
    try:
        inputs = []
        uploads = [f for f in request.files.getlist(form.file.name) if f and f.filename]
        annotated = []
        for upload in uploads[:200]:
            # The file name is only ever used for display and format detection, never as a path.
            name, data, fmt = upload.filename or "upload", upload.read(), form.format.data or "auto"
            if importing.has_annotations(data, importing.detect_format(name, fmt)):
                annotated.extend(importing.read_annotated(name, data, fmt))
            else:
                inputs.extend(importing.parse_file(name, data, fmt, defaults))
        if annotated:
            imported = annotated_import.import_annotated(session(), access, annotated)
            flash(f"Imported {imported.claims} claim(s), {imported.markers} bias marker(s) and "
                  f"{imported.labels} set(s) of article labels with their documents.")
        if form.fetch_url.data:
            inputs.append(_fetched_document(form))
        if (form.text.data or "").strip():
            title = (form.title.data or "").strip() or None
            payload = {"title": title, "text": form.text.data, **{k: v for k, v in defaults.items() if v}}
            inputs.append(document_service.parse_document_payload(payload))
        if not inputs and not annotated:
            raise DomainError("paste an article or choose a file", "text")
        results = document_service.import_documents(session(), access, inputs) if inputs else []
    except DomainError as exc:
        field = getattr(form, exc.field, None) if exc.field in ("text", "file", "format", "url", "title") else None
        (field or form.text).errors = [exc.message]
        return _show_with_import_errors(access, form)
    session().commit()
    created = sum(r.status != "duplicate" for r in results)
    duplicates = len(results) - created
    if results:
        flash(f"Imported {created} document(s)" + (f"; {duplicates} already in the project" if duplicates else "")
              + ".")
    if len(results) == 1 and not annotated:
        return redirect(url_for("annotate.document", document_id=results[0].document.id))
    return redirect(url_for("projects.show", slug=slug))


def _fetched_document(form: ImportForm) -> document_service.DocumentInput:
    if not current_app.config["URL_IMPORT_ENABLED"]:
        raise DomainError("importing from a URL is switched off on this server", "url")
    if not form.url.data:
        raise DomainError("give the article's URL", "url")
    page = url_import.fetch(form.url.data.strip(), max_bytes=current_app.config["URL_IMPORT_MAX_BYTES"],
                            timeout=current_app.config["URL_IMPORT_TIMEOUT"],
                            allowed_networks=current_app.config["URL_IMPORT_ALLOWED_NETWORKS"])
    key = "text" if page.content_type == "text/plain" else "html"
    payload = {"title": (form.title.data or "").strip() or None, key: page.text, "url": form.url.data.strip(),
               "source": form.source.data or None, "published": form.published.data or None}
    return document_service.parse_document_payload(payload)


def _show_with_import_errors(access: project_service.ProjectAccess, form: ImportForm) -> tuple[str, int]:
    return _render_show(access, import_form=form, status=422)


@bp.post("/projects/<slug>/members")
@login_required
def add_member(slug: str) -> Response | tuple[str, int]:
    access = _access(slug)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            project_service.require_curator(access)
            user = get_user_by_name(session(), (form.username.data or "").strip())
            project_service.add_member(session(), access, user, form.role.data or "")
        except DomainError as exc:
            if exc.status == 403:
                raise
            form.username.errors = [exc.message]
        else:
            session().commit()
            flash(f"{user.username} is now {form.role.data} of this project.")
            return redirect(url_for("projects.show", slug=slug))
    return _render_show(access, member_form=form, status=422)


@bp.route("/projects/<slug>/assignments", methods=["GET", "POST"])
@login_required
def assignments(slug: str) -> str | Response | tuple[str, int]:
    access = _access(slug)
    project_service.require_curator(access)
    rule = AssignRuleForm(prefix="rule")
    settings = SettingsForm(prefix="settings", data={"blind": access.project.blind,
                                                     "assigned_only": access.project.assigned_only})
    status = 200
    if request.method == "POST":
        try:
            if rule.submit.data and rule.validate_on_submit():
                plan = assignment_service.assign(session(), access, {
                    "per_document": rule.per_document.data, "reliability_percent": rule.reliability_percent.data or 0,
                    "seed": rule.seed.data or 0})
                session().commit()
                flash(f"Created {plan.created} assignment(s); {plan.reliability_documents} document(s) "
                      "in the reliability sample.")
                return redirect(url_for("projects.assignments", slug=slug))
            if settings.save.data and settings.validate_on_submit():
                assignment_service.update_settings(session(), access, {
                    "blind": bool(settings.blind.data), "assigned_only": bool(settings.assigned_only.data)})
                session().commit()
                flash("Settings saved.")
                return redirect(url_for("projects.assignments", slug=slug))
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            target = getattr(rule, exc.field, None) if exc.field else None
            (target if target is not None and hasattr(target, "errors") else rule.per_document).errors = [exc.message]
        status = 422
    people, documents = assignment_service.progress(session(), access)
    return render_template("projects/assignments.html", access=access, rule=rule, settings=settings,
                           people=people, documents=documents), status


@bp.route("/projects/<slug>/speakers", methods=["GET", "POST"])
@login_required
def speakers(slug: str) -> str | Response | tuple[str, int]:
    access = _access(slug)
    codebook = project_service.current_codebook(session(), access.project.id)
    form = SpeakerForm()
    form.set_choices(codebook)
    edit_id = request.args.get("edit", type=int)
    if request.method == "GET" and edit_id:
        speaker = speaker_service.get_speaker(session(), access.project.id, edit_id)
        form = SpeakerForm(data={"speaker_id": speaker.id, "name": speaker.name,
                                 "aliases": ", ".join(speaker.aliases or []), "type": speaker.type or "",
                                 "role": speaker.role, "affiliation": speaker.affiliation,
                                 "side": speaker.side or "", "country": speaker.country, "wikidata": speaker.wikidata})
        form.set_choices(codebook)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                if form.speaker_id.data:
                    speaker_service.update_speaker(session(), access, int(form.speaker_id.data), form.payload())
                else:
                    speaker_service.create_speaker(session(), access, form.payload())
            except DomainError as exc:
                target = getattr(form, exc.field, None) if exc.field else None
                (target if target is not None and hasattr(target, "errors") else form.name).errors = [exc.message]
                status = 422
            else:
                session().commit()
                flash(f"Saved {form.name.data}.")
                return redirect(url_for("projects.speakers", slug=slug))
        else:
            status = 422
    registry = speaker_service.list_speakers(session(), access.project.id)
    merge_form = MergeForm()
    merge_form.source.choices = merge_form.target.choices = choices((s.id, s.name) for s in registry)
    return render_template("projects/speakers.html", access=access, form=form, merge_form=merge_form,
                           speakers=registry, codebook=codebook), status


@bp.post("/projects/<slug>/speakers/merge")
@login_required
def merge_speakers(slug: str) -> Response:
    access = _access(slug)
    form = MergeForm()
    registry = speaker_service.list_speakers(session(), access.project.id)
    form.source.choices = form.target.choices = choices((s.id, s.name) for s in registry)
    if not form.validate_on_submit():
        flash("Choose two speakers to merge.", "error")
        return redirect(url_for("projects.speakers", slug=slug))
    try:
        project_service.require_curator(access)
        target = speaker_service.merge_speakers(session(), access, form.source.data, form.target.data)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return redirect(url_for("projects.speakers", slug=slug))
    session().commit()
    flash(f"Merged into {target.name}; its claims and names moved with it.")
    return redirect(url_for("projects.speakers", slug=slug))


@bp.get("/projects/<slug>/codebook")
@login_required
def codebook(slug: str) -> str:
    access = _access(slug)
    view = project_service.current_codebook(session(), access.project.id)
    return render_template("projects/codebook.html", access=access, codebook=view)


@bp.route("/projects/<slug>/codebook/edit", methods=["GET", "POST"])
@login_required
def edit_codebook(slug: str) -> str | Response | tuple[str, int]:
    access = _access(slug)
    project_service.require_curator(access)
    view = project_service.current_codebook(session(), access.project.id)
    error: DomainError | None = None
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf

        validate_csrf(request.form.get("csrf_token"))
        upload = request.files.get("codebook_file")
        try:
            if upload and upload.filename:
                try:
                    data = json.loads(upload.read().decode("utf-8-sig"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise DomainError(f"the file is not a JSON codebook ({exc})", "codebook_file") from exc
            else:
                data = codebook_from_form(request.form, view.data)
            saved = project_service.save_codebook(session(), access, data)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc
        else:
            session().commit()
            flash(f"Saved codebook version {saved.version}. New annotations record it; old ones keep theirs.")
            return redirect(url_for("projects.codebook", slug=slug))
    from app.domain.codebook import OPTIONAL_FIELDS

    return render_template("projects/codebook_edit.html", access=access, codebook=view, error=error,
                           optional_fields=OPTIONAL_FIELDS), error.status if error else 200


@bp.get("/projects/<slug>/codebook.json")
@login_required
def codebook_json(slug: str) -> FlaskResponse:
    access = _access(slug)
    view = project_service.current_codebook(session(), access.project.id)
    response = FlaskResponse(json.dumps(view.as_api(), ensure_ascii=False, indent=1), mimetype="application/json")
    filename = f"{access.project.slug}-codebook-v{view.version}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/projects/<slug>/export/labelstudio-config.xml")
@login_required
def labelstudio_config(slug: str) -> FlaskResponse:
    access = _access(slug)
    xml = export_service.labelstudio_config_for(session(), access, request.host_url.rstrip("/"))
    response = FlaskResponse(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{access.project.slug}-labelstudio-config.xml"'
    return response


@bp.get("/projects/<slug>/export")
@login_required
def export(slug: str) -> str | FlaskResponse | tuple[str, int]:
    access = _access(slug)
    form = ExportForm(request.args)
    form.format.choices = choices((name, fmt.description) for name, fmt in WRITERS.items())
    members = project_service.list_members(session(), access.project.id) if access.is_curator else []
    form.annotator.choices = choices([("", "everyone")] + [(m.user.username, m.user.username) for m in members])
    if not access.is_curator:
        form.annotator.choices = choices([(access.user.username, access.user.username)])
    if "format" not in request.args:
        return render_template("projects/export.html", access=access, form=form)
    try:
        export_request = export_service.parse_export_request(
            session(), access, form.format.data or "", form.annotator.data or None, bool(form.gold.data),
            form.documents.data or None, base_url=request.host_url.rstrip("/"))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form.format.errors = [exc.message]
        return render_template("projects/export.html", access=access, form=form), 422
    if request.args.get("empty_ok") != "1" and export_service.matching_claims(session(), export_request) == 0:
        # Never a silently empty file: say that nothing matched, offer the documents-only file.
        who = "the gold layer" if export_request.layer == "gold" else (export_request.annotator_name or "anyone")
        return render_template("projects/export.html", access=access, form=form, empty=who,
                               empty_link=request.full_path + "&empty_ok=1"), 200
    return streamed_download(export_request)
