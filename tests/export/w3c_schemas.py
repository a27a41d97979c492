"""The W3C Web Annotation test schemas (draft-04), loaded for ``jsonschema``.

They live outside the repository, in the shared reference folder next to it
(``../shared/schemas/w3c-web-annotation-tests``) or wherever ``SOURCEMARK_SHARED`` points.
Every schema names itself by a relative ``id`` ("annotations.json") and refers to the others
that way, so the registry holds each file under its bare ``id``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4


def shared_dir() -> Path | None:
    candidates = [Path(__file__).resolve().parents[2].parent / "shared"]
    if os.environ.get("SOURCEMARK_SHARED"):
        candidates.insert(0, Path(os.environ["SOURCEMARK_SHARED"]))
    return next((path for path in candidates if (path / "schemas").is_dir()), None)


def schema_dir() -> Path | None:
    shared = shared_dir()
    return shared / "schemas" / "w3c-web-annotation-tests" if shared else None


@cache
def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    root = schema_dir()
    assert root is not None
    schemas: dict[str, dict[str, Any]] = {}
    for path in root.rglob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        schemas[str(path.relative_to(root))] = contents
    registry: Registry = Registry().with_resources(
        (contents["id"], Resource.from_contents(contents, default_specification=DRAFT4))
        for contents in schemas.values()
        if "id" in contents
    )
    return registry, schemas


def must_validators(test_file: str) -> list[tuple[str, Draft4Validator]]:
    """Validators for every assertion a ``*Musts.test`` file lists (all expect 'valid')."""
    root = schema_dir()
    assert root is not None
    registry, schemas = _registry()
    listing = json.loads((root / test_file).read_text(encoding="utf-8"))
    validators = []
    for assertion in listing["assertions"]:
        schema = schemas[assertion]
        assert schema.get("expectedResult", "valid") == "valid"
        validators.append((assertion, Draft4Validator(schema, registry=registry)))
    return validators


def failures(validators: list[tuple[str, Draft4Validator]], instance: Any) -> list[str]:
    return [
        f"{name}: {schema_error.message}"
        for name, validator in validators
        for schema_error in validator.iter_errors(instance)
    ]
