"""Rows 5-8: import through the CLI, export of 1,000,000 claims (CLI and API), agreement, and the
memory of a 2-worker gunicorn after streaming the export.

Commands run as a user runs them: ``flask import`` / ``flask export`` in a subprocess from the
repository root with ``DATABASE_URL`` set; wall time is measured around the whole process (its
start-up included) and peak RSS is the kernel's ``ru_maxrss`` of that one process, as reported
by ``/usr/bin/time``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import resource
import signal
import struct
import subprocess
import tempfile
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import (
    ANNOTATORS,
    PROJECT,
    ROOT,
    SECRET,
    Fixture,
    Gunicorn,
    Measurement,
    children,
    dispose,
    log,
    make_app,
    timed_app,
)
from bench.data import (
    AGREEMENT_FIELDS,
    BulkWriter,
    ClaimPlan,
    Corpus,
    coded_claims,
    insert_articles,
    insert_claims,
)
from bench.http import stream

TIME = "/usr/bin/time"


@dataclass
class Process:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    #: False when the command was stopped at its time limit.
    finished: bool = True
    #: What ``progress()`` counted just before the command was stopped.
    done: int | None = None


def run_flask(url: str, *args: str, limit: float | None = None,
              progress: Callable[[], int] | None = None) -> Process:
    """``flask ARGS`` from the repository root on ``url``: wall time and the process's peak RSS.

    The command runs under ``/usr/bin/time``, which reports its child's ``ru_maxrss``: reaping the
    child ourselves would not do, since a child forked from this (large) process starts with our
    resident pages counted in its high-water mark. A command still running after ``limit``
    seconds is stopped (SIGTERM), after ``progress()`` has counted how far it got: the bench's run
    time stays bounded however slow the app is, and the rate is still measured.
    """
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "FLASK_APP": "wsgi.py"}
    flask = ROOT / ".venv" / "bin" / "flask"
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report, \
            tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        command = [str(flask), *args]
        if Path(TIME).exists():
            command = [TIME, "-f", "%M", "-o", report.name, *command]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        finished, done = True, None
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            finished = False
            done = progress() if progress else None
            # Stop flask, not /usr/bin/time: it still reports the peak RSS of its stopped child.
            for pid in children(process.pid) or [process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            process.wait()
        seconds = time.perf_counter() - started
        lines = [line for line in report.read().splitlines() if line.strip().isdigit()]
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak = int(lines[-1]) / 1024 if lines else float("nan")
    return Process(seconds, peak, process.returncode, stdout, stderr, finished, done)


def partial_jsonl_documents(path: Path) -> int:
    """Complete lines (documents) in a JSONL file being written."""
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def partial_zip_rows(path: Path) -> int:
    """Lines of the first member (``claims.csv``, streamed first) of a zip being written, minus its header."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if len(data) < 30 or data[:4] != b"PK\x03\x04":
        return 0
    method, name_length, extra_length = struct.unpack("<H", data[8:10])[0], *struct.unpack("<HH", data[26:30])
    body = data[30 + name_length + extra_length:]
    if method == 0:
        return max(0, body.count(b"\n") - 1)
    inflater = zlib.decompressobj(-15)
    lines = 0
    for offset in range(0, len(body), 1 << 20):
        try:
            chunk = inflater.decompress(body[offset:offset + (1 << 20)])
        except zlib.error:
            break
        lines += chunk.count(b"\n")
        if inflater.eof:
            break
    return max(0, lines - 1)


# ------------------------------------------------------------------------------------------
# Row 5: import
# ------------------------------------------------------------------------------------------


def import_articles(fixture: Fixture, articles: int, work: Path, limit: float = 60.0) -> Measurement:
    """Row 5: ``flask import bench FILE.jsonl``; stopped after ``limit`` seconds (12× the target)."""
    corpus = Corpus(seed=21)
    path = work / f"import-{articles}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number in range(1, articles + 1):
            article = corpus.article(number, 5)
            record = article.jsonl_record()
            record["text"] = "\n\n".join(record.pop("paragraphs"))
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    one = work / "import-one.jsonl"
    one.write_text(json.dumps({"title": "one", "text": "One article.\n\nTwo paragraphs."}) + "\n", encoding="utf-8")
    url = fixture.fresh("import")
    startup, startup_cpu = children_cpu(lambda: run_flask(url, "import", PROJECT, str(one)))
    engine = sa.create_engine(url)

    def stored_documents() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(sa.text("SELECT count(*) FROM documents")) or 0) - 1

    result, cpu = children_cpu(lambda: run_flask(url, "import", PROJECT, str(path), limit=limit,
                                                 progress=stored_documents))
    stored = stored_documents()
    engine.dispose()
    fixture.backend.drop(url)
    if result.finished and result.returncode != 0:
        log(f"  flask import failed: {result.stderr[-1500:]}")
    if result.finished:
        per_thousand = result.seconds / articles * 1000
        text = f"{result.seconds:.2f} s for {articles:,} articles = {per_thousand:.2f} s per 1,000 ({stored:,} stored"
    else:
        done = result.done or 0
        per_thousand = result.seconds / max(done, 1) * 1000
        factor = limit / (5 * articles / 10_000)
        text = (f"not done after {result.seconds:.0f} s (stopped: the time limit is {factor:.0f}× the target): "
                f"{done:,} of {articles:,} articles stored = {per_thousand:.2f} s per 1,000 so far "
                f"({done / articles:.0%}")
    ok = (result.finished and result.returncode == 0 and stored == articles
          and result.seconds <= 5 * articles / 10_000 and per_thousand <= 0.5)
    text += (f"; CLI start-up alone {startup.seconds:.2f} s; CPU of the command {cpu:.2f} s, of the start-up "
             f"{startup_cpu:.2f} s{'' if fixture.backend.name == 'sqlite' else ' (the server process not counted)'}; "
             f"peak RSS {result.peak_rss_mb:.0f} MB; {path.stat().st_size / 1e6:.0f} MB file)")
    return Measurement(text, ok, {"seconds": result.seconds, "per_1000_s": per_thousand, "stored": stored,
                                  "finished": result.finished, "startup_s": startup.seconds,
                                  "cpu_s": cpu, "startup_cpu_s": startup_cpu, "peak_rss_mb": result.peak_rss_mb})


def children_cpu(run: Callable[[], Process]) -> tuple[Process, float]:
    """``run()``'s result and the CPU time (user + system) its subprocesses used: on a shared machine
    the wall time grows with the load, the CPU time much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return process, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# ------------------------------------------------------------------------------------------
# Rows 6 and 8: export of 1,000,000 claims
# ------------------------------------------------------------------------------------------

CLAIMS_PER_DOCUMENT = 10  # 2 annotators × 5 claims, on 5 paragraphs


@dataclass
class ExportData:
    url: str
    claims: int
    documents: int
    seconds: float


def export_data(fixture: Fixture, claims: int) -> ExportData:
    """A project with ``claims`` claims (10 per 5-paragraph article, 2 annotators), bulk-loaded."""
    started = time.perf_counter()
    url = fixture.fresh("export")
    engine = sa.create_engine(url)
    writer = BulkWriter(engine, search_index=False)
    corpus = Corpus(seed=31)
    documents = claims // CLAIMS_PER_DOCUMENT
    plan = ClaimPlan(annotators=[fixture.user_ids[a] for a in ANNOTATORS[:2]], per_annotator=5,
                     speakers=fixture.speaker_ids)
    batch = 10_000
    for first in range(1, documents + 1, batch):
        articles = [corpus.article(n, 5) for n in range(first, min(documents, first + batch - 1) + 1)]
        ids = insert_articles(writer, fixture.project_id, fixture.user_ids["admin"], articles)
        insert_claims(writer, fixture.project_id, list(zip(ids, articles, strict=True)), plan)
    writer.finish()
    with engine.connect() as conn:
        stored = conn.scalar(sa.text("SELECT count(*) FROM claims"))
    engine.dispose()
    assert stored == claims, (stored, claims)
    return ExportData(url, claims, documents, time.perf_counter() - started)


def export_cli(fixture: Fixture, data: ExportData, work: Path,
               limit: float = 60.0) -> tuple[dict[str, Any], list[str]]:
    """``flask export`` in CSV and JSONL; each stopped after ``limit`` seconds (6× the target time of
    a million claims), its rate then taken from the claims already in the partial output file."""
    figures: dict[str, Any] = {}
    problems = []
    for fmt in ("csv", "jsonl"):
        output = work / f"export.{fmt}"
        partial = output.with_name(output.name + ".partial")
        counter = (functools.partial(partial_zip_rows, partial) if fmt == "csv"
                   else functools.partial(lambda path: partial_jsonl_documents(path) * CLAIMS_PER_DOCUMENT, partial))
        log(f"  flask export --format {fmt} ({data.claims:,} claims, stopped after {limit:.0f} s)")
        result = run_flask(data.url, "export", PROJECT, "--format", fmt, "-o", str(output), limit=limit,
                           progress=counter)
        match = re.search(r"(\d+) claim", result.stdout)
        if result.finished:
            written = int(match.group(1)) if match else -1
            if result.returncode != 0 or written != data.claims:
                problems.append(f"{fmt}: exit {result.returncode}, {written} claims written "
                                f"{result.stderr.strip()[-300:]}")
        else:
            written = result.done or 0
        size = output if output.exists() else partial
        figures[fmt] = {"seconds": result.seconds, "claims_per_s": written / result.seconds,
                        "peak_rss_mb": result.peak_rss_mb, "mb": size.stat().st_size / 1e6 if size.exists() else 0,
                        "written": written, "finished": result.finished}
        output.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return figures, problems


def export_api(fixture: Fixture, data: ExportData, work: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The export through `make serve` with 2 workers: first byte, rate, completeness, then the
    server's memory (after both exports, and the highest total sampled every 0.25 s during them)."""
    figures: dict[str, Any] = {}
    problems = []
    with Gunicorn(data.url, 2, work) as server:
        server.warm("/api/v1/projects", fixture.tokens["curator"])
        idle, _peak, _each = server.rss_mb()
        with server.sampling() as during:
            for fmt in ("csv", "jsonl"):
                log(f"  GET …/export?format={fmt} through gunicorn (2 workers)")
                result = stream(server.port, f"/api/v1/projects/{PROJECT}/export?format={fmt}",
                                fixture.tokens["curator"], limit=90)
                complete = (result["lines"] == data.documents if fmt == "jsonl"
                            else b"PK\x05\x06" in result["tail"])  # a zip ends with its central directory
                figures[fmt] = {**result, "claims_per_s": data.claims / result["seconds"], "complete": complete}
                del figures[fmt]["tail"]
                if result["status"] != 200 or not complete:
                    how = "stopped by the bench" if result["stopped"] else "CUT OFF by the server"
                    problems.append(f"API {fmt}: status {result['status']}, download "
                                    f"{'complete' if complete else how} after {result['seconds']:.0f} s "
                                    f"({result['bytes'] / 1e6:.0f} MB)")
        after, peak, each = server.rss_mb()
        log_text = server.log_text()
    timeouts = log_text.count("WORKER TIMEOUT")
    if timeouts:
        problems.append(f"gunicorn killed {timeouts} worker(s) mid-export (WORKER TIMEOUT: the default --timeout "
                        "of 30 s, which make serve keeps)")
    memory = {"idle_mb": idle, "after_mb": after, "during_max_mb": max(during, default=after),
              "peak_sum_mb": peak, "each_mb": each, "timeouts": timeouts}
    return figures, memory, problems


def export_rows(fixture: Fixture, data: ExportData, work: Path) -> tuple[Measurement, Measurement]:
    """Rows 6 and 8 from one data set: the CLI exports, then the API exports and the server's memory."""
    cli, problems = export_cli(fixture, data, work)
    api, memory, api_problems = export_api(fixture, data, work)
    problems += api_problems
    first_byte = max(api[f]["first_byte_s"] for f in api)
    ok6 = (all(cli[f]["finished"] and cli[f]["claims_per_s"] >= 100_000 and cli[f]["peak_rss_mb"] <= 200
               for f in cli)
           and first_byte <= 1.0 and not problems)
    parts = [f"{f.upper()} {cli[f]['claims_per_s']:,.0f} claims/s ("
             + (f"{cli[f]['seconds']:.1f} s" if cli[f]["finished"] else
                f"stopped after {cli[f]['seconds']:.0f} s at {cli[f]['written']:,} claims")
             + f", peak RSS {cli[f]['peak_rss_mb']:.0f} MB, {cli[f]['mb']:.0f} MB)" for f in cli]
    api_parts = [f"{f.upper()} first byte {api[f]['first_byte_s'] * 1000:.0f} ms, "
                 f"{api[f]['claims_per_s']:,.0f} claims/s" for f in api if api[f]["complete"]]
    api_parts += [f"{f.upper()} first byte {api[f]['first_byte_s'] * 1000:.0f} ms" for f in api
                  if not api[f]["complete"]]
    text = ("flask export: " + "; ".join(parts) + ". API (gunicorn): " + "; ".join(api_parts)
            + (". PROBLEMS: " + "; ".join(problems) if problems else ""))
    row6 = Measurement(text, ok6, {"cli": cli, "api": api, "problems": problems, "claims": data.claims})
    worst = max(memory["after_mb"], memory["during_max_mb"])
    ok8 = worst <= 300 and not memory["timeouts"]
    text8 = (f"{memory['after_mb']:.0f} MB after both exports (master + 2 workers: "
             f"{' + '.join(f'{m:.0f}' for m in memory['each_mb'])}); at most {memory['during_max_mb']:.0f} MB "
             f"during them; {memory['idle_mb']:.0f} MB before")
    if memory["timeouts"]:
        text8 += (f"; NOT VALID: gunicorn killed {memory['timeouts']} worker(s) mid-export, so 'after' is "
                  "partly a fresh worker")
    return row6, Measurement(text8, ok8, memory)


# ------------------------------------------------------------------------------------------
# Row 7: agreement
# ------------------------------------------------------------------------------------------


def agreement_pure(claims: int) -> Measurement:
    """``agreement_report`` over ``claims`` CodedClaims from 3 coders (12 fields, 1,000 bootstrap draws)."""
    try:
        from app.domain.agreement import agreement_report
    except ImportError as exc:
        return Measurement(f"not yet available ({exc})", None)
    data = coded_claims(claims)
    times, cpu = {}, {}
    for match in ("exact", "overlap"):
        started, cpu_started = time.perf_counter(), time.thread_time()
        report = agreement_report(data, list(AGREEMENT_FIELDS), match=match, bootstrap=1000, seed=0)
        times[match] = time.perf_counter() - started
        cpu[match] = time.thread_time() - cpu_started
    units = report["fields"]["attribution"]["units"]
    ok = max(times.values()) <= 2
    text = (f"exact {times['exact']:.2f} s, overlap {times['overlap']:.2f} s (CPU {cpu['exact']:.2f} / "
            f"{cpu['overlap']:.2f} s; {claims:,} claims, 3 coders, {len(AGREEMENT_FIELDS)} fields, {units:,} units, "
            "1,000 bootstrap draws; the pure function)")
    return Measurement(text, ok, {"exact_s": times["exact"], "overlap_s": times["overlap"], "units": units,
                                  "exact_cpu_s": cpu["exact"], "overlap_cpu_s": cpu["overlap"]})


class ErrorLog(logging.Handler):
    """Catches what the app logs about a 500 (its error handler logs the exception), for the table."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        logging.getLogger("sourcemark").addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def last(self) -> str:
        info = self.records[-1].exc_info
        if not info or info[1] is None:
            return self.records[-1].getMessage()
        frame = traceback.extract_tb(info[2])[-1]
        return f"{type(info[1]).__name__}: {info[1]} at {Path(frame.filename).name}:{frame.lineno} {frame.name}"

    def close(self) -> None:
        logging.getLogger("sourcemark").removeHandler(self)
        super().close()


def agreement_api(fixture: Fixture, claims: int) -> Measurement:
    """GET /api/v1/projects/{slug}/agreement over ``claims`` claims of 3 annotators in the database."""
    try:
        import app.domain.agreement  # noqa: F401
    except ImportError as exc:
        return Measurement(f"not yet available ({exc})", None)
    url = fixture.fresh("agreement")
    engine = sa.create_engine(url)
    writer = BulkWriter(engine, search_index=False)
    corpus = Corpus(seed=41)
    per_document = 30  # 3 annotators × 10 claims, mostly on the same words
    articles = [corpus.article(n, 5) for n in range(1, claims // per_document + 1)]
    ids = insert_articles(writer, fixture.project_id, fixture.user_ids["admin"], articles)
    insert_claims(writer, fixture.project_id, list(zip(ids, articles, strict=True)),
                  ClaimPlan(annotators=[fixture.user_ids[a] for a in ANNOTATORS[:3]], per_annotator=10,
                            speakers=fixture.speaker_ids, shared=0.8))
    writer.finish()
    engine.dispose()
    app = make_app(url)
    timer = timed_app(app)
    errors = ErrorLog()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {fixture.tokens['curator']}"}
    times: dict[str, float] = {}
    failures: dict[str, str] = {}
    for match in ("exact", "overlap"):
        response = client.get(f"/api/v1/projects/{PROJECT}/agreement?match={match}", headers=headers)
        times[match] = timer.samples[-1]
        if response.status_code != 200:
            failures[match] = f"{response.status_code}" + (f" ({errors.last()})" if errors.records else "")
    with app.app_context():
        from app.db import get_session
        from app.services.agreement import coded_claims as read_claims

        started = time.perf_counter()
        read = len(read_claims(get_session(), fixture.project_id))
        read_s = time.perf_counter() - started
    errors.close()
    dispose(app)
    fixture.backend.drop(url)
    stored = len(articles) * per_document
    ok = max(times.values()) <= 2 and not failures
    text = ", ".join(f"{m} {'FAILED ' + failures[m] + ' after ' if m in failures else ''}{times[m]:.2f} s"
                     for m in times)
    text += (f" (GET …/agreement, server time, {stored:,} claims of 3 annotators in the database; "
             f"reading them alone: {read_s:.2f} s)")
    return Measurement(text, ok, {"exact_s": times["exact"], "overlap_s": times["overlap"], "claims": stored,
                                  "read_s": read_s, "read": read, "failures": failures})
