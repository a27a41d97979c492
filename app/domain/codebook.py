"""Codebook structure and validation (pure).

A codebook is ``{targets: [{code, label, description}], sides: [{code, label}],
fields: {field: [{code, label, definition, retired?, ...}]}}``; a saved one also has a ``version``.
Retired codes stay in the codebook so old annotations keep their meaning, but new writes may
not use them.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,63}$")
# Fields every codebook must define, because claims and markers store them.
REQUIRED_FIELDS = ("attribution", "claim_type", "check_worthiness", "stance", "bias_type")
MAX_CODES_PER_FIELD = 500
# Claim-form fields a project may switch off (e.g. verification for scholars, cue valence for a desk).
OPTIONAL_FIELDS = ("source_specificity", "speaker_resolution", "cue_valence", "authorial_stance", "claim_type",
                   "check_worthiness", "verification", "stances", "bias_markers", "article_labels")


class CodebookError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def default_codebook() -> dict[str, Any]:
    """The default codebook of research/domain.md §1.3, shipped in the package."""
    text = resources.files("app").joinpath("data/default_codebook.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _check_entries(entries: Any, where: str, text_key: str) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        raise CodebookError(f"{where} must be a list", where)
    if len(entries) > MAX_CODES_PER_FIELD:
        raise CodebookError(f"{where} has more than {MAX_CODES_PER_FIELD} codes", where)
    seen: set[str] = set()
    cleaned = []
    for position, entry in enumerate(entries):
        path = f"{where}[{position}]"
        if not isinstance(entry, dict):
            raise CodebookError(f"{path} must be an object", path)
        code = entry.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            raise CodebookError(f"{path}.code must be 1-64 letters, digits or _ . / -", f"{path}.code")
        if code in seen:
            raise CodebookError(f"{where} has the code {code!r} twice", f"{path}.code")
        seen.add(code)
        label = entry.get("label", code)
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            raise CodebookError(f"{path}.label must be text of 1-200 characters", f"{path}.label")
        text = entry.get(text_key, "")
        if not isinstance(text, str) or len(text) > 5000:
            raise CodebookError(f"{path}.{text_key} must be text of at most 5000 characters",
                                f"{path}.{text_key}")
        examples = entry.get("examples", "")
        if not isinstance(examples, str) or len(examples) > 5000:
            raise CodebookError(f"{path}.examples must be text of at most 5000 characters", f"{path}.examples")
        retired = entry.get("retired", False)
        if not isinstance(retired, bool):
            raise CodebookError(f"{path}.retired must be true or false", f"{path}.retired")
        clean = dict(entry)
        clean.update(code=code, label=label.strip(), **{text_key: text})
        cleaned.append(clean)
    return cleaned


def validate_codebook(data: Any) -> dict[str, Any]:
    """A cleaned copy of a codebook, or CodebookError naming the offending path."""
    if not isinstance(data, dict):
        raise CodebookError("the codebook must be a JSON object")
    fields = data.get("fields")
    if not isinstance(fields, dict):
        raise CodebookError("fields must be an object of field name -> codes", "fields")
    cleaned_fields = {}
    for name, entries in fields.items():
        if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]{0,39}$", name):
            raise CodebookError(f"field name {name!r} must be lower-case letters, digits or _", "fields")
        cleaned_fields[name] = _check_entries(entries, f"fields.{name}", "definition")
    for name in REQUIRED_FIELDS:
        if not cleaned_fields.get(name):
            raise CodebookError(f"fields.{name} must have at least one code", f"fields.{name}")
    hidden = data.get("hidden_fields", [])
    if not isinstance(hidden, list) or any(name not in OPTIONAL_FIELDS for name in hidden):
        raise CodebookError(f"hidden_fields lists optional fields only: {', '.join(OPTIONAL_FIELDS)}",
                            "hidden_fields")
    return {
        "targets": _check_entries(data.get("targets", []), "targets", "description"),
        "sides": _check_entries(data.get("sides", []), "sides", "description"),
        "fields": cleaned_fields,
        "hidden_fields": sorted(set(hidden)),
    }


@dataclass(frozen=True)
class CodebookView:
    """Read access to one codebook version, with the questions services ask of it."""

    version: int
    data: dict[str, Any]

    def entries(self, field: str) -> list[dict[str, Any]]:
        if field in ("targets", "sides"):
            return self.data.get(field, [])  # type: ignore[no-any-return]
        return self.data.get("fields", {}).get(field, [])  # type: ignore[no-any-return]

    def active_codes(self, field: str) -> list[str]:
        return [entry["code"] for entry in self.entries(field) if not entry.get("retired")]

    def all_codes(self, field: str) -> list[str]:
        return [entry["code"] for entry in self.entries(field)]

    def uses(self, field: str) -> bool:
        """Whether the project's annotation page shows this optional field."""
        return field not in self.data.get("hidden_fields", [])

    def has_field(self, field: str) -> bool:
        return bool(self.entries(field))

    def entry(self, field: str, code: str) -> dict[str, Any] | None:
        for entry in self.entries(field):
            if entry["code"] == code:
                return entry
        return None

    def label(self, field: str, code: str | None) -> str:
        entry = self.entry(field, code) if code else None
        return entry["label"] if entry else (code or "")

    def claim_type_ff(self, claim_type: str | None) -> str | None:
        entry = self.entry("claim_type", claim_type) if claim_type else None
        return entry.get("ff", claim_type) if entry else None

    def verifiable(self, claim_type: str | None) -> bool | None:
        """Derived, never chosen: false for not-checkable claim types (domain.md §1.3 E)."""
        entry = self.entry("claim_type", claim_type) if claim_type else None
        if entry is None:
            return None
        if "verifiable" in entry:
            return bool(entry["verifiable"])
        return claim_type not in ("personal_experience", "opinion", "not_a_claim")

    def as_api(self) -> dict[str, Any]:
        payload = copy.deepcopy(self.data)
        payload["version"] = self.version
        return payload
