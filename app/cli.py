"""Command-line interface (``flask …``): thin wrappers over the services, one commit each step."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.db import get_session
from app.errors import DomainError
from app.models import User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.services.documents import DocumentInput, KnownDocuments, StoredDocument
    from app.services.projects import ProjectAccess

db_group = AppGroup("db", help="Database schema (Alembic migrations).")
users_group = AppGroup("users", help="User accounts and API tokens.")
projects_group = AppGroup("projects", help="Projects and memberships.")
IMPORT_BATCH = 500


def system_actor() -> User:
    """The operator at the command line: acts as a site admin, recorded as no user in the audit log."""
    return User(username="(cli)", is_admin=True)


def fail(message: str) -> None:
    raise click.ClickException(message)


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from app.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@users_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "user"]), default="user", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(name: str, role: str, password_stdin: bool) -> None:
    """Create a user (asks for the password unless --password-stdin)."""
    from app.services.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = get_session()
    try:
        create_user(session, name, password, is_admin=role == "admin")
    except DomainError as exc:
        fail(exc.message)
    session.commit()
    click.echo(f"created {role} {name}")


@users_group.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Print a new API token for NAME (use it as Authorization: Bearer TOKEN)."""
    from app.services.users import create_token, get_user_by_name

    session = get_session()
    try:
        token = create_token(session, get_user_by_name(session, name))
    except DomainError as exc:
        fail(exc.message)
    session.commit()
    click.echo(token)


def _access(slug: str):  # type: ignore[no-untyped-def]
    from app.models import Project
    from app.services.projects import ProjectAccess

    project = get_session().scalar(sa.select(Project).where(Project.slug == slug))
    if project is None:
        fail(f"no project {slug!r}")
    return ProjectAccess(project, system_actor(), "admin")


@projects_group.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--codebook", "codebook_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def projects_create(slug: str, name: str, codebook_file: Path | None) -> None:
    """Create a project (with the default codebook, or the JSON one given)."""
    from app.services.projects import create_project

    codebook = None
    if codebook_file:
        try:
            codebook = json.loads(codebook_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            fail(f"{codebook_file}: not valid JSON ({exc})")
    session = get_session()
    try:
        create_project(session, system_actor(), slug, name, codebook)
    except DomainError as exc:
        fail(exc.message)
    session.commit()
    click.echo(f"created project {slug}")


@projects_group.command("add-member")
@click.argument("slug")
@click.argument("username")
@click.option("--role", type=click.Choice(["curator", "annotator"]), required=True)
def projects_add_member(slug: str, username: str, role: str) -> None:
    """Make USERNAME a curator or annotator of the project SLUG."""
    from app.services.projects import add_member
    from app.services.users import get_user_by_name

    session = get_session()
    try:
        add_member(session, _access(slug), get_user_by_name(session, username), role)
    except DomainError as exc:
        fail(exc.message)
    session.commit()
    click.echo(f"{username} is {role} of {slug}")


@click.command("import")
@with_appcontext
@click.argument("slug")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "txt", "html", "jsonl", "labelstudio", "doccano", "brat"]),
              default="auto", show_default=True)
@click.option("--annotator-map", "mapping", multiple=True, metavar="OLD=NEW",
              help="Give a layer of the file to another annotator of the project (annotated formats).")
def import_command(slug: str, files: tuple[Path, ...], fmt: str, mapping: tuple[str, ...]) -> None:
    """Import articles into SLUG; each document is whole or absent, the same text is skipped.

    Sourcemark JSONL exports, Label Studio, doccano and brat files bring their annotations along,
    each layer given to the project member of the same name (or as --annotator-map says).
    """
    from app.services.annotated_import import import_annotated
    from app.services.documents import KnownDocuments
    from app.services.importing import detect_format, has_annotations, parse_file, read_annotated

    annotator_map = {}
    for pair in mapping:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            fail(f"--annotator-map takes OLD=NEW, not {pair!r}")
        annotator_map[old] = new
    session = get_session()
    access = _access(slug)
    created = duplicates = failed = claims = 0
    with click.progressbar(files, label="Importing", show_pos=True, file=sys.stderr) as bar:
        for path in bar:
            data = path.read_bytes()
            try:
                if has_annotations(data, detect_format(path.name, fmt)):
                    # One transaction per file: its documents and annotations land together or not at all.
                    result = import_annotated(session, access, read_annotated(path.name, data, fmt), annotator_map)
                    session.commit()
                    created += result.documents_created
                    duplicates += result.documents_existing
                    claims += result.claims
                    continue
                with _collector_paused():
                    # Every document of the file is checked before any is stored: a bad one stores nothing.
                    inputs = parse_file(path.name, data, fmt)
                    del data
                    known = KnownDocuments()
                    known.load(session, access.project.id, inputs)  # the file's lookups, before it adds rows
                    for results in _store_batches(session, access, inputs, known):
                        created += sum(r.status != "duplicate" for r in results)
                        duplicates += sum(r.status == "duplicate" for r in results)
            except DomainError as exc:
                session.rollback()
                failed += 1
                click.echo(f"\n{path}: {exc.message}", err=True)
    click.echo(f"imported {created} document(s), skipped {duplicates} duplicate(s), {failed} file(s) failed"
               + (f", {claims} claim(s)" if claims else ""))
    if failed:
        sys.exit(1)


def _store_batches(session: Session, access: ProjectAccess, inputs: list[DocumentInput],
                   known: KnownDocuments) -> Iterator[list[StoredDocument]]:
    """Store a file's documents in batches, each committed: every document (with its paragraphs) is
    in exactly one transaction, so an interrupted import leaves whole documents or none.

    On PostgreSQL the batches are planned here, in order, and written on two connections at once:
    the server spends most of an import computing each article's search vector (~0.3 ms), and a
    second backend puts the machine's other core to work on it.
    """
    from app.services.documents import plan_documents, store_documents, write_documents

    chunks = [inputs[offset:offset + IMPORT_BATCH] for offset in range(0, len(inputs), IMPORT_BATCH)]
    if session.get_bind().dialect.name != "postgresql" or len(chunks) < 2:
        for chunk in chunks:
            results = store_documents(session, access, chunk, known)
            session.commit()
            yield results
        return
    batches = [plan_documents(session, access, chunk, known) for chunk in chunks]
    session.commit()  # only the id sequence moved
    # A revision of a document of an earlier batch is written once that batch has committed (its
    # foreign key must see the row); batches are taken in order, so the earlier one is under way.
    owner = {id(record): number for number, batch in enumerate(batches) for record, _ in batch.new}
    waits_for = [sorted({owner[id(record.previous)] for record, _ in batch.new
                         if record.previous is not None and owner.get(id(record.previous), number) != number})
                 for number, batch in enumerate(batches)]
    new_session = current_app.extensions["sourcemark.write_sessionmaker"]
    futures: list[Future[list[StoredDocument]]] = []

    def write(number: int) -> list[StoredDocument]:
        for earlier in waits_for[number]:
            futures[earlier].result()
        with new_session() as writer:
            results = write_documents(writer, access, batches[number])
            writer.commit()
        return results

    with ThreadPoolExecutor(max_workers=2) as pool:
        for number in range(len(batches)):
            futures.append(pool.submit(write, number))  # in order: a batch waits only for earlier ones
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()  # after a failure, batches not started yet are not written


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is imported.

    Parsing creates tens of thousands of long-lived objects without cycles; the collector would
    walk all of them again at every full collection (~10% of a 10,000-article import's CPU time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@click.command("export")
@with_appcontext
@click.argument("slug")
@click.option("--format", "fmt", required=True, help="csv, csv-raw, jsonl, …")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--annotator", default=None, help="Only this annotator's claims.")
@click.option("--gold", is_flag=True, help="The gold layer instead of the annotators'.")
def export_command(slug: str, fmt: str, output: Path, annotator: str | None, gold: bool) -> None:
    """Export a project, streamed to a file, with a progress bar over its documents."""
    from app.models import Document
    from app.services.exports import export_chunks, parse_export_request

    session = get_session()
    access = _access(slug)
    try:
        request = parse_export_request(session, access, fmt, annotator, gold, None, base_url="http://localhost")
    except DomainError as exc:
        fail(exc.message)
    total = session.scalar(sa.select(sa.func.count(Document.id)).where(Document.project_id == access.project.id)) or 0
    partial = output.with_name(output.name + ".partial")
    with click.progressbar(length=total, label="Exporting", show_pos=True, file=sys.stderr) as bar:
        done = 0
        with partial.open("wb") as handle:
            for chunk in export_chunks(session, request):
                handle.write(chunk)
                now = request.counts.get("documents", 0)
                bar.update(now - done)
                done = now
    partial.replace(output)  # a failed export never leaves a half file under the real name
    click.echo(f"wrote {output}: {request.counts.get('documents', 0)} document(s), "
               f"{request.counts.get('claims', 0)} claim(s)")


@click.command("agreement")
@with_appcontext
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (the API's shape).")
@click.option("--match", type=click.Choice(["exact", "overlap"]), default="exact", show_default=True)
def agreement_command(slug: str, as_json: bool, match: str) -> None:
    """Inter-annotator agreement of the project: Krippendorff's alpha per field, kappa, span F1."""
    from app.services.agreement import project_agreement

    report = project_agreement(get_session(), _access(slug), match=match)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    click.echo(f"{'field':<24} {'alpha':>7} {'95% CI':>17} {'units':>6} {'coders':>6}  reading")
    for field, row in report["fields"].items():
        alpha = "—" if row["alpha"] is None else f"{row['alpha']:.3f}"
        ci = "—" if row["ci_low"] is None else f"{row['ci_low']:.3f} – {row['ci_high']:.3f}"
        click.echo(f"{field:<24} {alpha:>7} {ci:>17} {row['units']:>6} {row['coders']:>6}  {row['threshold'] or ''}")
    spans = report["spans"]
    click.echo(f"span F1: exact {spans['f1_exact']}, overlap {spans['f1_overlap']} (match rule: {match})")
    click.echo(report["missing"])


@click.command("suggest")
@with_appcontext
@click.argument("slug")
@click.option("--document", "document_id", type=int, default=None, help="Only this document.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document (the API's shape).")
def suggest_command(slug: str, document_id: int | None, as_json: bool) -> None:
    """Show attribution suggestions (quotes, cues, speakers) for the project's documents; stores nothing."""
    from app.domain.suggest import suggest
    from app.models import Document
    from app.services.suggestions import registry

    session = get_session()
    access = _access(slug)
    speakers = registry(session, access.project.id)
    stmt = sa.select(Document).where(Document.project_id == access.project.id).order_by(Document.id)
    if document_id is not None:
        stmt = stmt.where(Document.id == document_id)
    documents = session.scalars(stmt).all()
    if document_id is not None and not documents:
        fail(f"no document {document_id} in {slug}")
    names = {s.id: s.name for s in speakers}
    for document in documents:
        found = suggest(document.text, speakers)
        if as_json:
            click.echo(json.dumps({"document": document.id, "items": [{
                "content": [{"start": s, "end": e, "text": document.text[s:e]} for s, e in item.content],
                "attribution": item.attribution, "speaker": names.get(item.speaker_id) if item.speaker_id else None,
                "speaker_mention": item.speaker_mention, "confidence": item.confidence} for item in found]},
                ensure_ascii=False))
            continue
        click.echo(f"# document {document.id}: {document.title} ({len(found)} suggestions)")
        for item in found:
            quote = " … ".join(document.text[s:e] for s, e in item.content)
            who = names.get(item.speaker_id) if item.speaker_id else (item.speaker_mention or "—")
            click.echo(f"  [{item.attribution:<9}] {who}: “{quote[:100]}{'…' if len(quote) > 100 else ''}”")


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Copy the database to FILE while the app keeps running (SQLite backup API or pg_dump)."""
    from app.services.backup import backup

    try:
        backup(current_app.config["DATABASE_URL"], file)
    except DomainError as exc:
        fail(exc.message)
    click.echo(f"backed up to {file}")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database's contents with the backup FILE (stop the server first)."""
    from app.services.backup import restore

    if not yes:
        click.confirm("This replaces everything in the database with the backup. Continue?", abort=True)
    current_app.extensions["sourcemark.engine"].dispose()
    try:
        restore(current_app.config["DATABASE_URL"], file)
    except DomainError as exc:
        fail(exc.message)
    click.echo(f"restored from {file}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo project, article, speakers and users (idempotent); print how to log in."""
    from app.services.demo import load_demo

    default_corpus = Path(current_app.root_path).parent.parent / "shared" / "corpus"
    corpus = Path(current_app.config.get("DEMO_CORPUS") or default_corpus)
    session = get_session()
    try:
        result = load_demo(session, corpus, Path(current_app.instance_path))
    except DomainError as exc:
        fail(exc.message)
    session.commit()
    port = current_app.config.get("PORT") or 5000
    click.echo(f"Demo project '{result.project.slug}' is ready: http://127.0.0.1:{port}/documents/{result.document_id}")
    click.echo("Log in with one of these (stored in instance/demo-credentials.txt):")
    for username, password in result.credentials.items():
        click.echo(f"  {username:<11} {password}")


def init_app(app: Flask) -> None:
    for command in (db_group, users_group, projects_group, import_command, export_command, agreement_command,
                    suggest_command, backup_command, restore_command, demo_command):
        app.cli.add_command(command)
