"""HTML forms (WTForms + Flask-WTF CSRF). They check shape; services check the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.domain.codebook import OPTIONAL_FIELDS, CodebookView


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]

class LoginForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Log in")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=8, max=1000)])
    submit = SubmitField("Change password")


class ImportForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=500)])
    text = TextAreaField("Paste the article", validators=[Optional(), Length(max=2_000_000)])
    file = FileField("…or upload files (.txt, .html, .json, .jsonl, brat .zip)")
    format = SelectField("Format", choices=choices([
        ("auto", "detect from the file name"), ("txt", "plain text"), ("html", "HTML"),
        ("jsonl", "JSON / JSON Lines (Sourcemark exports bring their annotations)"),
        ("labelstudio", "Label Studio JSON (with annotations)"), ("doccano", "doccano JSONL (with annotations)"),
        ("brat", "brat zip (with annotations)")]), default="auto")
    url = StringField("Article URL", validators=[Optional(), Length(max=2000)])
    fetch_url = BooleanField("Fetch the article from this URL")
    source = StringField("Outlet / source", validators=[Optional(), Length(max=500)])
    published = StringField("Published (YYYY-MM-DD)", validators=[
        Optional(), Regexp(r"^\d{4}-\d{2}-\d{2}", message="use the form YYYY-MM-DD")])
    submit = SubmitField("Import")


class SpeakerForm(FlaskForm):
    speaker_id = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=300)])
    aliases = StringField("Aliases (comma-separated)", validators=[Optional(), Length(max=5000)])
    type = SelectField("Type", validators=[Optional()])
    role = StringField("Role", validators=[Optional(), Length(max=300)])
    affiliation = StringField("Affiliation", validators=[Optional(), Length(max=300)])
    side = SelectField("Side", validators=[Optional()])
    country = StringField("Country (ISO code)", validators=[Optional(), Length(max=2)])
    wikidata = StringField("Wikidata id", validators=[Optional(), Length(max=20)])
    submit = SubmitField("Save speaker")

    def set_choices(self, codebook: CodebookView) -> None:
        self.type.choices = choices([("", "—")] + [(c, codebook.label("entity_type", c))
                                                   for c in codebook.active_codes("entity_type")])
        self.side.choices = choices([("", "—")] + [(c, codebook.label("sides", c))
                                                   for c in codebook.active_codes("sides")])

    def payload(self) -> dict[str, Any]:
        return {"name": self.name.data, "aliases": [a.strip() for a in (self.aliases.data or "").split(",")],
                "type": self.type.data or None, "role": self.role.data, "affiliation": self.affiliation.data,
                "side": self.side.data or None, "country": self.country.data or None,
                "wikidata": self.wikidata.data or None}


class MergeForm(FlaskForm):
    source = SelectField("Merge this speaker…", coerce=int)
    target = SelectField("…into this one", coerce=int)
    submit = SubmitField("Merge")


class MemberForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    role = SelectField("Role", choices=choices([("annotator", "annotator"), ("curator", "curator")]))
    submit = SubmitField("Add member")


class NewUserForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=1000)])
    is_admin = BooleanField("Site administrator")
    submit = SubmitField("Create user")


class NewProjectForm(FlaskForm):
    slug = StringField("Slug (for addresses)", validators=[DataRequired(), Length(max=64)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Create project")


_SPANS = r"^\s*(\d+-\d+)(\s*[;,]\s*\d+-\d+)*\s*$"


class ClaimForm(FlaskForm):
    """The claim form of the annotation page. Offsets travel as "start-end;start-end" (code points)."""

    claim_id = HiddenField()
    version = HiddenField()
    content = HiddenField(validators=[DataRequired(message="select the words of the claim first"),
                                      Regexp(_SPANS, message="content is start-end pairs")])
    source_span = HiddenField(validators=[Optional(), Regexp(r"^\s*\d+-\d+\s*$")])
    cue_span = HiddenField(validators=[Optional(), Regexp(r"^\s*\d+-\d+\s*$")])
    speaker = StringField("Speaker", validators=[Optional(), Length(max=300)])
    attribution = SelectField("Attribution", validators=[DataRequired()])
    source_specificity = SelectField("Source specificity", validators=[Optional()])
    speaker_resolution = SelectField("Speaker resolution", validators=[Optional()])
    cue_valence = SelectField("Cue valence", validators=[Optional()])
    claim_type = SelectField("Claim type", validators=[Optional()])
    check_worthiness = SelectField("Check-worthiness", validators=[Optional()])
    authorial_stance = SelectField("Authorial stance", validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=10_000)])
    submit = SubmitField("Save claim")

    CODED = ("attribution", "source_specificity", "speaker_resolution", "cue_valence", "claim_type",
             "check_worthiness", "authorial_stance")

    def set_choices(self, codebook: CodebookView) -> None:
        for name in self.CODED:
            field = getattr(self, name)
            blank = [] if name == "attribution" else [("", "—")]
            field.choices = choices(blank + [(c, codebook.label(name, c)) for c in codebook.active_codes(name)])
        self.targets = [(t, codebook.label("targets", t)) for t in codebook.active_codes("targets")]
        self.stance_choices = [(c, codebook.label("stance", c)) for c in codebook.active_codes("stance")]

    @staticmethod
    def _spans(value: str | None) -> list[dict[str, int]]:
        spans = []
        for part in (value or "").replace(",", ";").split(";"):
            if part.strip():
                start, end = part.strip().split("-")
                spans.append({"start": int(start), "end": int(end)})
        return spans

    def payload(self, stance_values: dict[str, str]) -> dict[str, Any]:
        """The same payload the JSON API takes, so both paths share one service."""
        source = self._spans(self.source_span.data)
        cue = self._spans(self.cue_span.data)
        payload: dict[str, Any] = {
            "content": self._spans(self.content.data),
            "source_span": source[0] if source else None,
            "cue_span": cue[0] if cue else None,
            "speaker": (self.speaker.data or "").strip() or None,
            "stances": [{"target": t, "value": v} for t, v in stance_values.items() if v],
            "note": self.note.data or None,
        }
        for name in self.CODED:
            payload[name] = getattr(self, name).data or None
        return payload


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET download that changes nothing

    format = SelectField("Format", default="csv")  # choices: the export registry, set by the view
    annotator = SelectField("Annotator", validators=[Optional()])
    gold = BooleanField("Gold layer only")
    documents = StringField("Only these documents (ids, comma-separated)", validators=[Optional(), Length(max=10_000)])


class AssignRuleForm(FlaskForm):
    per_document = IntegerField("Annotators per document", default=1,
                                validators=[DataRequired(), NumberRange(min=1, max=50)])
    reliability_percent = IntegerField("Reliability sample, % of documents double-coded", default=10,
                                       validators=[Optional(), NumberRange(min=0, max=100)])
    seed = IntegerField("Random seed (the same seed gives the same plan)", default=1,
                        validators=[Optional(), NumberRange(min=0, max=2**31)])
    submit = SubmitField("Assign all documents")


class SettingsForm(FlaskForm):
    blind = BooleanField("Blind coding: annotators never see each other's claims")
    assigned_only = BooleanField("Annotators work only on documents assigned to them")
    save = SubmitField("Save settings")


def codebook_from_form(form: Any, current: dict[str, Any]) -> dict[str, Any]:
    """The codebook the editor page posted: rows ``<group>-<n>-<key>``, ordered by their ``order``.

    A row whose code is left empty is dropped (the service refuses that for codes in use).
    """
    def rows(group: str, text_key: str) -> list[dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        prefix = f"{group}-"
        for name, value in form.items():
            if not name.startswith(prefix):
                continue
            index, _, key = name[len(prefix):].partition("-")
            if index.isdigit() and key in ("code", "label", text_key, "examples", "retired", "order", "ff"):
                found.setdefault(int(index), {})[key] = value
        entries = []
        for index, row in found.items():
            code = (row.get("code") or "").strip()
            if not code:
                continue
            entry: dict[str, Any] = {"code": code, "label": (row.get("label") or "").strip() or code,
                                     text_key: row.get(text_key, ""), "retired": row.get("retired") == "on"}
            if row.get("examples"):
                entry["examples"] = row["examples"]
            if row.get("ff"):
                entry["ff"] = row["ff"]
            try:
                order = float(row.get("order") or index)
            except ValueError:
                order = float(index)
            entries.append((order, index, entry))
        return [entry for _, _, entry in sorted(entries, key=lambda item: (item[0], item[1]))]

    fields = {}
    for name in current.get("fields", {}):
        previous = {e["code"]: e for e in current["fields"][name]}
        fields[name] = [{**{k: v for k, v in previous.get(e["code"], {}).items() if k in ("ff", "verifiable")}, **e}
                        for e in rows(f"field.{name}", "definition")]
    return {"targets": rows("targets", "description"), "sides": rows("sides", "description"), "fields": fields,
            "hidden_fields": [name for name in OPTIONAL_FIELDS if name not in set(form.getlist("shown_fields"))]}
