"""The demo: the seed article in a ``demo`` project, its speakers, and role-named users."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.models import Project, Speaker, User
from app.services import documents as document_service
from app.services import projects as project_service
from app.services import users as user_service
from app.services.speakers import create_speaker

DEMO_SLUG = "demo"
SEED_FILE = "seed/trtworld-tavush-clashes-2020.txt"
DEMO_USERS = (("admin", True, None), ("curator", False, "curator"), ("annotator1", False, "annotator"),
              ("annotator2", False, "annotator"))
# The people and bodies the seed article quotes, with the spellings it uses as aliases.
DEMO_SPEAKERS = (
    {"name": "Ilham Aliyev", "aliases": ["Ilhan Aliyev", "İlham Əliyev", "Aliyev", "Azerbaijan's President"],
     "type": "person", "role": "President of Azerbaijan", "affiliation": "Government of Azerbaijan",
     "side": "azerbaijan", "country": "AZ", "wikidata": "Q58198"},
    {"name": "Nikol Pashinyan", "aliases": ["Pashinyan", "Pashinian", "Prime Minister Nikol Pashinyan"],
     "type": "person", "role": "Prime Minister of Armenia", "affiliation": "Government of Armenia",
     "side": "armenia", "country": "AM", "wikidata": "Q7035707"},
    {"name": "Mevlüt Çavuşoğlu", "aliases": ["Mevlut Cavusoglu", "Cavusoglu", "Turkish Foreign Minister"],
     "type": "person", "role": "Foreign Minister of Turkey", "affiliation": "Government of Turkey",
     "side": "turkey", "country": "TR", "wikidata": "Q1346409"},
    {"name": "Recep Tayyip Erdoğan", "aliases": ["Recep Tayyip Erdogan", "Erdogan", "President Erdogan"],
     "type": "person", "role": "President of Turkey", "affiliation": "Government of Turkey",
     "side": "turkey", "country": "TR", "wikidata": "Q39259"},
    {"name": "Azay Guliyev", "aliases": ["Guliyev"], "type": "person",
     "role": "Member of Parliament of Azerbaijan; Vice-President of the OSCE Parliamentary Assembly",
     "affiliation": "National Assembly of Azerbaijan", "side": "azerbaijan", "country": "AZ"},
    {"name": "Government of Azerbaijan", "aliases": ["Baku", "Azerbaijan"], "type": "government_body",
     "side": "azerbaijan", "country": "AZ"},
    {"name": "Government of Armenia", "aliases": ["Yerevan", "Armenia"], "type": "government_body",
     "side": "armenia", "country": "AM"},
    {"name": "Government of Turkey", "aliases": ["Ankara", "Turkey"], "type": "government_body",
     "side": "turkey", "country": "TR"},
    {"name": "Government of Pakistan", "aliases": ["Pakistan"], "type": "government_body",
     "side": "third_party", "country": "PK"},
)


@dataclass
class DemoResult:
    credentials: dict[str, str]
    project: Project
    document_id: int


def _credentials_file(instance: Path) -> Path:
    return instance / "demo-credentials.txt"


def load_demo(session: Session, corpus_dir: Path, instance: Path) -> DemoResult:
    """Idempotent: creates what is missing, keeps what exists (and its passwords)."""
    seed = corpus_dir / SEED_FILE
    if not seed.is_file():
        raise DomainError(f"the demo article is missing: {seed} (set DEMO_CORPUS to the corpus folder)", "corpus")
    saved = _read_credentials(instance)
    system = User(username="(demo)", is_admin=True)
    project = session.scalar(sa.select(Project).where(Project.slug == DEMO_SLUG))
    if project is None:
        project = project_service.create_project(session, system, DEMO_SLUG, "Demo: Tavush clashes, July 2020")
    access = project_service.ProjectAccess(project, system, "admin")
    credentials = {}
    for username, is_admin, role in DEMO_USERS:
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            password = secrets.token_urlsafe(9)
            user = user_service.create_user(session, username, password, is_admin=is_admin)
            saved[username] = password
        credentials[username] = saved.get(username, "(set before; see instance/demo-credentials.txt)")
        if role:
            project_service.add_member(session, access, user, role)
    known = {s.name for s in session.scalars(sa.select(Speaker).where(Speaker.project_id == project.id))}
    for entry in DEMO_SPEAKERS:
        if entry["name"] not in known:
            create_speaker(session, access, dict(entry))
    inputs = [document_service.parse_document_payload({
        "title": "Clashes in Tavush: Azerbaijan and Armenia (TRT World, July 2020)",
        "text": seed.read_text(encoding="utf-8"), "source": "TRT World", "published": "2020-07-14",
        "external_id": "trtworld-tavush-clashes-2020",
    })]
    result = document_service.import_documents(session, access, inputs)[0]
    _write_credentials(instance, saved)
    return DemoResult(credentials, project, result.document.id)


def _read_credentials(instance: Path) -> dict[str, str]:
    path = _credentials_file(instance)
    if not path.exists():
        return {}
    pairs = (line.split(" ", 1) for line in path.read_text().splitlines() if " " in line)
    return {name: password for name, password in pairs}


def _write_credentials(instance: Path, credentials: dict[str, str]) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    path = _credentials_file(instance)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{name} {password}\n" for name, password in credentials.items())
