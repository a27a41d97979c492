"""Analysis pages: sourcing balance (tables, charts, CSV and SVG downloads)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup

from app.domain.balance import Balance
from app.domain.charts import heat_map, stacked_bars
from app.errors import DomainError
from app.models.base import is_id
from app.security import acting_user
from app.services import adjudication as adjudication_service
from app.services import agreement as agreement_service
from app.services import balance as balance_service
from app.services import projects as project_service
from app.services.documents import get_document_access
from app.views.common import session

bp = Blueprint("analysis", __name__)
TABLES = ("sides", "speakers", "valence", "stances", "trend")
CHARTS = ("sides", "words", "stances", "trend")


def _balance(slug: str) -> tuple[project_service.ProjectAccess, balance_service.BalanceScope, Balance]:
    user = acting_user()
    assert user is not None
    access = project_service.get_project_access(session(), user, slug)
    document = request.args.get("document", type=int)
    if document is not None and not is_id(document):
        raise DomainError("document is the id of a document of this project", "document")
    if document is not None:
        _doc, doc_access = get_document_access(session(), user, document)
        if doc_access.project.id != access.project.id:
            raise DomainError("that document is not in this project", "document")
    scope = balance_service.parse_scope(session(), access, request.args, document_id=document)
    return access, scope, balance_service.compute(session(), access, scope)


def _rows(balance: Balance, table: str, codebook: Any) -> tuple[list[str], list[list[Any]]]:
    if table == "sides":
        header = ["side", "claims", "direct", "indirect", "mixed", "quoted_words", "words"]
        rows = [[side, *(v[k] for k in header[1:])] for side, v in sorted(balance.sides.items())]
        rows += [["(authorial)", balance.authorial, "", "", "", "", ""], ["(vague)", balance.vague, "", "", "", "", ""]]
        return header, rows
    if table == "speakers":
        header = ["speaker", "side", "claims", "direct", "indirect", "mixed", "quoted_words"]
        return header, [[s["name"], s["side"], *(s[k] for k in header[2:])] for s in balance.as_json()["speakers"]]
    if table == "valence":
        valences = codebook.all_codes("cue_valence")
        return ["side", *valences], [[side, *(v.get(code, 0) for code in valences)]
                                     for side, v in sorted(balance.valence.items())]
    if table == "trend":
        sides = sorted({side for month in balance.trend.values() for side in month})
        return ["month", *sides], [[month, *(balance.trend[month].get(side, 0) for side in sides)]
                                   for month in sorted(balance.trend)]
    targets = codebook.all_codes("targets")
    header = ["speaker", *(f"{t}_{value}" for t in targets for value in ("favor", "against", "neutral"))]
    rows = []
    for entry in balance.as_json()["stances"]:
        rows.append([entry["speaker"], *(entry["targets"].get(t, {}).get(value, 0)
                                         for t in targets for value in ("favor", "against", "neutral"))])
    return header, rows


def _charts(balance: Balance, codebook: Any) -> dict[str, Markup]:
    sides = sorted(balance.sides)
    labels = [codebook.label("sides", s) for s in sides]
    speakers = balance.as_json()["speakers"][:15]
    targets = codebook.all_codes("targets")
    stance_rows = {e["speaker"]: e["targets"] for e in balance.as_json()["stances"]}
    periods = sorted(balance.trend)
    trend_sides = sorted({side for month in balance.trend.values() for side in month})
    return {
        "trend": stacked_bars("Attributed claims per month of publication, by side", periods, [
            (codebook.label("sides", side), [balance.trend[p].get(side, 0) for p in periods])
            for side in trend_sides]),
        "sides": stacked_bars("Claims per side, by attribution", labels, [
            ("direct", [balance.sides[s]["direct"] for s in sides]),
            ("indirect", [balance.sides[s]["indirect"] for s in sides]),
            ("mixed", [balance.sides[s]["mixed"] for s in sides])]),
        "words": stacked_bars("Words in quotation marks per side", labels, [
            ("quoted words", [balance.sides[s]["quoted_words"] for s in sides])]),
        "stances": heat_map("Claims against each target, per speaker", [s["name"] for s in speakers], targets,
                            [[stance_rows.get(s["name"], {}).get(t, {}).get("against", 0) for t in targets]
                             for s in speakers], [codebook.label("targets", t) for t in targets]),
    }


@bp.get("/projects/<slug>/balance")
@login_required
def balance(slug: str) -> str:
    access, scope, result = _balance(slug)
    codebook = project_service.current_codebook(session(), access.project.id)
    members = project_service.list_members(session(), access.project.id) if access.is_curator else []
    tables = {name: _rows(result, name, codebook) for name in TABLES}
    return render_template("analysis/balance.html", access=access, scope=scope, balance=result, tables=tables,
                           charts=_charts(result, codebook), codebook=codebook, members=members,
                           args=request.args)


@bp.get("/projects/<slug>/balance.csv")
@login_required
def balance_csv(slug: str) -> Response:
    table = request.args.get("table", "sides")
    if table not in TABLES:
        raise DomainError(f"table is one of: {', '.join(TABLES)}", "table")
    access, _scope, result = _balance(slug)
    header, rows = _rows(result, table, project_service.current_codebook(session(), access.project.id))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_spreadsheet_safe(cell) for cell in row] for row in rows)
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{access.project.slug}-balance-{table}.csv"'
    return response


@bp.get("/projects/<slug>/balance.svg")
@login_required
def balance_svg(slug: str) -> Response:
    chart = request.args.get("chart", "sides")
    if chart not in CHARTS:
        raise DomainError(f"chart is one of: {', '.join(CHARTS)}", "chart")
    access, _scope, result = _balance(slug)
    svg = _charts(result, project_service.current_codebook(session(), access.project.id))[chart]
    response = Response(str(svg), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{access.project.slug}-balance-{chart}.svg"'
    return response


@bp.get("/projects/<slug>/agreement")
@login_required
def agreement(slug: str) -> str:
    user = acting_user()
    assert user is not None
    access = project_service.get_project_access(session(), user, slug)
    match = agreement_service.parse_match(request.args.get("match"))
    report = agreement_service.project_agreement(session(), access, match=match, include_coincidence=True)
    return render_template("analysis/agreement.html", access=access, report=report, match=match)


@bp.get("/projects/<slug>/agreement/matrix.csv")
@login_required
def agreement_matrix(slug: str) -> Response:
    user = acting_user()
    assert user is not None
    access = project_service.get_project_access(session(), user, slug)
    field = request.args.get("field", "")
    rows = agreement_service.field_matrix(session(), access, field,
                                          agreement_service.parse_match(request.args.get("match")))
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[_spreadsheet_safe(c) if c is not None else "" for c in row] for row in rows])
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    filename = f"{access.project.slug}-reliability-{field.replace(':', '_')}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/projects/<slug>/adjudicate")
@login_required
def adjudicate(slug: str) -> str:
    user = acting_user()
    assert user is not None
    access = project_service.get_project_access(session(), user, slug)
    documents = adjudication_service.documents_to_adjudicate(session(), access)
    return render_template("analysis/adjudicate.html", access=access, documents=documents)


@bp.route("/projects/<slug>/adjudicate/<int:document_id>", methods=["GET", "POST"])
@login_required
def adjudicate_document(slug: str, document_id: int) -> str | Response | tuple[str, int]:
    user = acting_user()
    assert user is not None
    access = project_service.get_project_access(session(), user, slug)
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            base = int(form.get("base", ""))
            choose = {key[len("choose_"):]: int(value) for key, value in form.items()
                      if key.startswith("choose_") and value and int(value) != base}
        except ValueError:
            flash("Choose a version to start from.", "error")
        else:
            try:
                project_service.require_curator(access)
                claim = adjudication_service.write_gold(session(), user, document_id, {"base": base, "choose": choose})
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                flash(exc.message, "error")
                status = exc.status
            else:
                session().commit()
                flash("Written to the gold layer.")
                return redirect(url_for("analysis.adjudicate_document", slug=slug, document_id=document_id,
                                        _anchor=f"u{claim.gold_sources[0] if claim.gold_sources else claim.id}"))
    document, units = adjudication_service.document_units(session(), access, document_id)
    codebook = project_service.current_codebook(session(), access.project.id)
    return render_template("analysis/adjudicate_document.html", access=access, units=units, codebook=codebook,
                           document=document), status


def _spreadsheet_safe(cell: Any) -> Any:
    """Names from the registry are user text: neutralise spreadsheet formulas (CWE-1236)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
