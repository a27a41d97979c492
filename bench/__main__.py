"""``python -m bench``: every SPEC §7 benchmark as one table, on SQLite and optionally PostgreSQL.

    python -m bench                      # everything, full sizes, SQLite (SPEC §7's platform); ~10 min
    python -m bench --postgres           # the same on SQLite, then on a throwaway PostgreSQL server
    python -m bench --quick              # smaller sizes (a smoke run; not comparable with the targets)
    python -m bench --only 1,3           # some rows (6 and 8 share their data); docs not written

A run of every row at full size writes the table and the machine to docs/benchmarks.md
(``--write`` / ``--no-write`` override).

Progress goes to stderr, the table to stdout. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    ROOT,
    Backend,
    Fixture,
    Measurement,
    PostgresBackend,
    Row,
    SqliteBackend,
    build_fixture,
    log,
    machine,
    temp_root,
)

FULL = {"saves": 2000, "fetches": 1000, "page_requests": 30, "concurrent_s": 10.0, "import": 10_000,
        "export": 1_000_000, "agreement": 100_000, "agreement_api": 100_000,
        "balance_articles": 10_000, "balance_requests": 5}
QUICK = {"saves": 300, "fetches": 300, "page_requests": 10, "concurrent_s": 3.0, "import": 2_000,
         "export": 100_000, "agreement": 100_000, "agreement_api": 30_000,
         "balance_articles": 2_000, "balance_requests": 3}

ROWS = [
    Row("1", "Save a claim (API), one client", "p50 ≤ 3 ms, p99 ≤ 15 ms server time"),
    Row("2", "8 concurrent annotators saving, `make serve` (gunicorn)",
        "≥ 600 saves/s and ≥ ¼ of the trivial-read rate; zero lost or failed writes"),
    Row("3", "Fetch a document with its claims (API), 5 paragraphs", "p50 ≤ 2 ms"),
    Row("4", "Annotation page: 200 paragraphs, 2,000 claims from 5 annotators",
        "≤ 60 ms; SQL statements constant in paragraphs and claims"),
    Row("5", "Import 10,000 articles of 5 paragraphs (`flask import`)", "≤ 5 s (≤ 0.5 s per 1,000)"),
    Row("6", "Export 1,000,000 claims, CSV and JSONL (`flask export`; first byte from the API)",
        "≥ 100,000 claims/s, peak RSS ≤ 200 MB, first byte ≤ 1 s"),
    Row("7a", "Agreement over 100,000 claims, 3 coders (`agreement_report`)", "≤ 2 s"),
    Row("7b", "Agreement over 100,000 claims, 3 coders (`GET …/agreement`, from the database)", "≤ 2 s"),
    Row("8", "Server memory, `make serve` with 2 workers, after the export", "≤ 300 MB in all"),
    Row("9", "Sourcing-balance page and API of a 10,000-article project (issue #7)", "≤ 1 s"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Sourcemark's SPEC §7 benchmarks.")
    parser.add_argument("--only", help="comma-separated rows: 1,2,3,4,5,6,7 (7a and 7b),7a,7b,8,9")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--postgres", dest="postgres", action="store_true", default=False,
                        help="also run every row on PostgreSQL (a throwaway server; adds ~10 minutes at full size)")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false", help="SQLite only (the default)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for row 2 (make serve's default: 4)")
    parser.add_argument("--write", dest="write", action="store_true", default=None,
                        help="write docs/benchmarks.md (default: only after a full run of every row)")
    parser.add_argument("--no-write", dest="write", action="store_false")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases and files")
    return parser.parse_args()


def selected_rows(only: str | None) -> list[str]:
    keys = [row.key for row in ROWS]
    if not only:
        return keys
    wanted: list[str] = []
    for part in only.split(","):
        part = part.strip()
        if part == "7":
            wanted += ["7a", "7b"]
        elif part in keys:
            wanted.append(part)
        else:
            raise SystemExit(f"unknown row {part!r}; rows are {', '.join(keys)} (7 = 7a and 7b)")
    return [k for k in keys if k in wanted]


def run_backend(backend: Backend, fixture: Fixture, wanted: list[str], sizes: dict[str, float], workers: int,
                work: Path, results: dict[str, Row]) -> None:
    from bench import api_rows, bulk_rows, corpus_rows, server_rows

    def record(key: str, make: Callable[[], Measurement]) -> None:
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        log(f"{backend.label}: row {key}: {results[key].work}")
        try:
            measurement = make()
        except Exception as exc:  # noqa: BLE001 - a broken row is reported in the table, the others still run
            traceback.print_exc(file=sys.stderr)
            measurement = Measurement(f"ERROR: {type(exc).__name__}: {exc}"[:300], False)
        measurement.details["row_seconds"] = time.perf_counter() - started
        measurement.details["load_before"] = load_before
        measurement.details["load_after"] = os.getloadavg()[0]
        results[key].results[backend.name] = measurement
        verdict = {True: "pass", False: "MISS", None: "n/a"}[measurement.ok]
        log(f"{backend.label}: row {key}: {verdict}: {measurement.text} "
            f"[{measurement.details['row_seconds']:.0f} s, load {load_before:.1f}]")

    for key in wanted:
        if key == "1":
            record(key, lambda: api_rows.save_claim(fixture, int(sizes["saves"])))
        elif key == "2":
            record(key, lambda: server_rows.concurrent_saves(fixture, sizes["concurrent_s"], workers, work))
        elif key == "3":
            record(key, lambda: api_rows.fetch_document(fixture, int(sizes["fetches"])))
        elif key == "4":
            record(key, lambda: api_rows.annotation_page(fixture, int(sizes["page_requests"])))
        elif key == "5":
            record(key, lambda: bulk_rows.import_articles(fixture, int(sizes["import"]), work))
        elif key == "7a":
            if results["7a"].results:  # a pure function: measured once, with the first database's run
                results["7a"].results[backend.name] = Measurement("no database involved: see SQLite", None)
            else:
                record(key, lambda: bulk_rows.agreement_pure(int(sizes["agreement"])))
        elif key == "7b":
            record(key, lambda: bulk_rows.agreement_api(fixture, int(sizes["agreement_api"])))
        elif key == "9":
            record(key, lambda: corpus_rows.balance_page(fixture, int(sizes["balance_requests"]),
                                                         int(sizes["balance_articles"])))
    if "6" in wanted or "8" in wanted:
        log(f"{backend.label}: loading {int(sizes['export']):,} claims for rows 6 and 8")
        try:
            data = bulk_rows.export_data(fixture, int(sizes["export"]))
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            for key in ("6", "8"):
                results[key].results[backend.name] = Measurement(f"ERROR loading data: {exc}"[:300], False)
            return
        log(f"{backend.label}: loaded {data.claims:,} claims on {data.documents:,} documents in {data.seconds:.0f} s")
        pair: dict[str, Measurement] = {}

        def both() -> Measurement:
            row6, row8 = bulk_rows.export_rows(fixture, data, work)
            pair["8"] = row8
            return row6

        record("6", both)
        if "8" in pair:
            results["8"].results[backend.name] = pair["8"]
            pair["8"].details.update(load_before=results["6"].results[backend.name].details["load_before"])
            log(f"{backend.label}: row 8: {'pass' if pair['8'].ok else 'MISS'}: {pair['8'].text}")
        else:
            results["8"].results[backend.name] = Measurement("not measured (row 6 failed)", False)
        if "6" not in wanted:
            del results["6"].results[backend.name]
        fixture.backend.drop(data.url)


# ------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------


def _cell(measurement: Measurement | None) -> tuple[str, str]:
    if measurement is None:
        return "not run", ""
    verdict = {True: "pass", False: "**MISS**", None: "n/a"}[measurement.ok]
    text = " ".join(measurement.text.split()).replace("|", "\\|")
    if "load_before" in measurement.details:
        text += f" *(load {measurement.details['load_before']:.1f})*"
    return text, verdict


def table(rows: list[Row], backends: list[Backend]) -> str:
    head = ["#", "work", "target"]
    for backend in backends:
        head += [f"{backend.label}: measured", backend.label]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        cells = [row.key, row.work, row.target]
        for backend in backends:
            cells += list(_cell(row.results.get(backend.name)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


METHOD = """\
## How each figure is measured

* Data: a seeded generator (`bench/data.py`): news-like English paragraphs of 45-80 words with
  typographic quotes and accented names, 5 paragraphs an article, each article unique by its
  dateline; claims of whole words with source and cue spans, a quarter with a second content segment
  in the next paragraph, two stances each. Large sets are written straight into the tables
  (`executemany` on SQLite, `COPY` on PostgreSQL); every database starts as a copy of one migrated
  template with an admin, a curator, 8 annotators (each with an API token), the project `bench` with
  the default codebook, and 40 speakers. The data sets of rows 6-8 and 7b are loaded with the
  full-text search triggers (SQLite) or GIN indexes (PostgreSQL) taken away, which neither the export
  nor agreement reads; every other row runs on the complete schema. SQLite never gets `ANALYZE` (the
  app does not run it); PostgreSQL is analysed after a bulk load, as autovacuum would.
* Server time (rows 1, 3, 4, 7b): the Flask test client in process, timed by a WSGI middleware from the
  request entering the app to the last byte of its body (routing, authentication, SQL, commit,
  rendering, teardown; the test client's own work left out); after warm-up requests. "CPU" is the
  serving thread's CPU time for the same requests (what a request costs on a busy machine; on
  PostgreSQL it leaves out the server process's share). API requests carry a bearer token; the
  page is requested with a logged-in session.
* *(load N)* after a figure: the 1-minute load average when the row started. The machine is shared;
  above about 1, other processes compete for the 2 cores and wall-clock figures grow (the CPU
  figures much less).
* Row 1: the body the annotation page sends (content with its text, speaker by name, attribution,
  codes, two stances, a `client_id`) on 100 documents of 5 paragraphs, by one annotator.
* Row 2: gunicorn with N workers and the flags of `make serve` (`SOURCEMARK_ENV=production`)
  on a copy of the template with 200 documents; 8 threads of this process, each with its own
  annotator's token, send saves over plain sockets (HTTP/1.0, a connection per request) for a
  fixed time, then `GET /api/v1/projects` for the same time.
  Every `client_id` that got a 201 is then looked up in `claims`: lost, duplicated and phantom
  (stored without a 201) writes are counted. The load generator shares the 2 cores with the server.
* Row 3: `GET /api/v1/documents/{id}` then `GET /api/v1/documents/{id}/claims` (5 claims of the
  caller; another annotator's 5 on the same document); the figure is the pair.
* Row 4: one document of 200 paragraphs with 5 × 400 claims and one of 20 paragraphs with 5 × 40;
  the curator viewing `?annotator=ann1`, and `ann1` viewing their own; SQL statements counted with
  a `before_cursor_execute` listener.
* Row 5: a 10,000-line JSONL file through `flask import bench FILE` in a subprocess; wall time of the
  whole command (start-up included; the start-up alone is measured with a 1-article file). A command
  still running after 60 s (12× the target) is stopped and its rate taken from the documents it
  committed by then, so a slow app cannot stretch the run.
* Row 6: 100,000 articles × 10 claims (2 annotators) = 1,000,000 claims; `flask export bench --format
  csv|jsonl -o FILE` in a subprocess, wall time of the whole command, peak RSS the process's
  `ru_maxrss` as `/usr/bin/time` reports it; the written claim count is checked. Each command is
  stopped after 60 s (6× the target) and its rate then taken from the claims already in its partial
  output (lines of the JSONL file; rows of `claims.csv`, the zip's first member, inflated). First
  byte: `GET /api/v1/projects/bench/export` through gunicorn with 2 workers (the row 8 server), from
  sending the request to the first body byte; the download is checked for completeness.
* Row 7a: `app.domain.agreement.agreement_report` over 100,000 seeded `CodedClaim`s from 3 coders
  (12 nominal fields as the service asks for, 1,000 bootstrap draws), exact and overlap matching.
  Row 7b: the same size through `GET /api/v1/projects/bench/agreement`, claims read from the database.
* Row 8: the resident memory (VmRSS) of the gunicorn master and its 2 workers, summed, after both API
  exports of row 6, and the highest such sum sampled every 0.25 s while they ran. gunicorn runs with
  the flags of `make serve` (`app.serving.StreamingSyncWorker`, 120 s timeout); a worker timeout
  during an export would be reported.
* Row 9 (issue #7): 10,000 articles with 10 claims each from 2 annotators (100,000 claims); the
  curator's balance page (tables and SVG charts) for the whole corpus and for one annotator, and
  `GET /api/v1/projects/bench/balance` for the whole corpus and for one outlet; server time as in
  rows 1, 3 and 4, p50 of 5; the claim total the API reports is checked against the claims stored.
"""


def render(rows: list[Row], backends: list[Backend], info: dict[str, str], quick: bool, seconds: float,
           loads: tuple[float, float]) -> str:
    command = " ".join(["python -m bench", *sys.argv[1:]])
    lines = ["# Benchmarks", "",
             "Measured by `make bench` (`python -m bench`) against the targets of SPEC §7: SQLite by default, "
             "PostgreSQL too with `python -m bench --postgres`; one row with `python -m bench --only ROW`. "
             f"This file was written by `{command}`.", ""]
    if quick:
        lines += ["**Quick run (`--quick`): reduced sizes, not comparable with the targets.**", ""]
    lines += ["## Machine", ""]
    lines += [f"* {key}: {value}" for key, value in info.items()]
    lines += [f"* load average (1 min) during the run: {loads[0]:.1f} to {loads[1]:.1f} "
              "(other processes share the machine when it is above 0)",
              f"* whole run: {seconds / 60:.1f} min", "", "## Results", "", table(rows, backends), "", METHOD]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    wanted = selected_rows(args.only)
    sizes = QUICK if args.quick else FULL
    write = args.write if args.write is not None else (args.only is None and not args.quick)
    started = time.perf_counter()
    work = temp_root()
    results = {row.key: row for row in ROWS}
    backends: list[Backend] = [SqliteBackend(work)]
    loads = [os.getloadavg()[0]]
    try:
        if args.postgres:
            log("starting a throwaway PostgreSQL server")
            backends.append(PostgresBackend())
        for backend in backends:
            log(f"{backend.label}: migrating the template database")
            fixture = build_fixture(backend)
            run_backend(backend, fixture, wanted, sizes, args.workers, work, results)
            loads += [m.details[k] for r in results.values() for m in r.results.values()
                      for k in ("load_before", "load_after") if k in m.details]
        info = machine(backends)
        rows = [results[key] for key in wanted]
        elapsed = time.perf_counter() - started
        document = render(rows, backends, info, args.quick, elapsed, (min(loads), max(loads)))
        print(table(rows, backends))
        print()
        print("; ".join(f"{k}: {v}" for k, v in info.items()))
        if write:
            args.output.write_text(document + "\n", encoding="utf-8")
            log(f"wrote {args.output}")
        if args.json:
            args.json.write_text(json.dumps({"machine": info, "quick": args.quick, "rows": {
                row.key: {"work": row.work, "target": row.target, "results": {
                    name: {"text": m.text, "ok": m.ok, "details": m.details} for name, m in row.results.items()}}
                for row in rows}}, indent=1, default=str), encoding="utf-8")
        log(f"done in {elapsed / 60:.1f} min")
    finally:
        for backend in backends:
            backend.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    missed = any(m.ok is False for key in wanted for m in results[key].results.values())
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
