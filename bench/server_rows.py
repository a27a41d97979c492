"""Rows 2 and 8: gunicorn as ``make serve`` runs it, driven over real sockets.

Row 2 starts ``gunicorn --workers N --bind 127.0.0.1:PORT wsgi:app`` on a copy of the seeded
database; 8 client threads, each with its own annotator's token, post claims (the annotation
page's body, with a ``client_id``) for a fixed time, then the same threads read
``GET /api/v1/projects`` for the same time. Afterwards every ``client_id`` that got a 201 must be
in the table exactly once, and nothing else (no lost, duplicated or phantom writes).

Row 8 (memory) lives with the export row in ``bench.bulk_rows``, which shares its data.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import ANNOTATORS, SPEAKER_NAMES, Fixture, Gunicorn, Measurement, log
from bench.data import claim_payload
from bench.http import build, send

DOCUMENTS = 200


def _run_threads(port: int, requests: list[list[tuple[bytes, str]]], seconds: float,
                 expect: int) -> tuple[int, int, float, list[list[str]], dict[int, int]]:
    """Each thread sends its requests in turn until ``seconds`` pass; (ok, failed, elapsed, ok ids)."""
    stop = threading.Event()
    ok_ids: list[list[str]] = [[] for _ in requests]
    failed = [0] * len(requests)
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(requests) + 1)

    def worker(index: int) -> None:
        mine = requests[index]
        barrier.wait()
        position = 0
        while not stop.is_set():
            raw, key = mine[position % len(mine)]
            if expect == 201:
                # A write must not repeat its client_id: the request list is long enough.
                if position >= len(mine):
                    break
            position += 1
            status, _body = send(port, raw)
            if status == expect:
                ok_ids[index].append(key)
            else:
                failed[index] += 1
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return sum(len(ids) for ids in ok_ids), sum(failed), elapsed, ok_ids, statuses


def concurrent_saves(fixture: Fixture, seconds: float, workers: int, log_dir: Path) -> Measurement:
    """Row 2: 8 annotators saving at once through gunicorn; saves/s against the read rate."""
    url = fixture.fresh("concurrent")
    from bench.api_rows import _documents

    documents = _documents(fixture, url, DOCUMENTS)
    clients = ANNOTATORS[:8]
    rng = random.Random(23)
    # Enough distinct bodies that no thread runs out (well above what 2 cores can take).
    per_thread = int(seconds * 400) + 200
    saves: list[list[tuple[bytes, str]]] = []
    for number, name in enumerate(clients):
        mine = []
        for k in range(per_thread):
            doc_id, article = documents[rng.randrange(len(documents))]
            client_id = f"bench-{number}-{k}"
            path, body = claim_payload(rng, article, doc_id, SPEAKER_NAMES, client_id=client_id)
            mine.append((build("POST", path, fixture.tokens[name], body), client_id))
        saves.append(mine)
    reads = [[(build("GET", "/api/v1/projects", fixture.tokens[name]), "")] for name in clients]
    with Gunicorn(url, workers, log_dir) as server:
        # Warm every worker up (imports, first connection) on both kinds of request.
        warm_rng = random.Random(1)
        for k in range(10 * workers):
            doc_id, article = documents[warm_rng.randrange(len(documents))]
            path, body = claim_payload(warm_rng, article, doc_id, SPEAKER_NAMES, client_id=f"warm-{k}")
            send(server.port, build("POST", path, fixture.tokens["ann8"], body))
            send(server.port, reads[0][0][0])
        log(f"  {len(clients)} threads saving for {seconds:.0f} s ({workers} workers)")
        saved, save_failed, save_elapsed, ok_ids, save_statuses = _run_threads(server.port, saves, seconds, 201)
        log(f"  {len(clients)} threads reading for {seconds:.0f} s")
        read, read_failed, read_elapsed, _ids, read_statuses = _run_threads(server.port, reads, seconds, 200)
        if save_statuses or read_statuses:
            log(f"  non-success statuses: saves {save_statuses}, reads {read_statuses}")
        tail = server.log_tail() if save_failed or read_failed else ""
    if tail:
        log(f"  gunicorn log: {tail[-1500:]}")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(sa.text(
            "SELECT client_id FROM claims WHERE client_id LIKE 'bench-%' AND deleted_at IS NULL"))]
    engine.dispose()
    fixture.backend.drop(url)
    acknowledged = {key for ids in ok_ids for key in ids}
    stored_set = set(stored)
    lost = len(acknowledged - stored_set)
    duplicated = len(stored) - len(stored_set)
    phantom = len(stored_set - acknowledged)
    save_rate = saved / save_elapsed
    read_rate = read / read_elapsed
    ratio = save_rate / read_rate if read_rate else 0.0
    clean = lost == 0 and duplicated == 0 and save_failed == 0
    ok = save_rate >= 600 and ratio >= 0.25 and clean
    text = (f"{save_rate:,.0f} saves/s vs {read_rate:,.0f} reads/s (ratio {ratio:.2f}); {saved:,} saves, "
            f"{save_failed} failed, {lost} lost, {duplicated} duplicated, {phantom} stored without a 201 "
            f"(rows counted after; {workers} workers)")
    return Measurement(text, ok, {"saves_per_s": save_rate, "reads_per_s": read_rate, "ratio": ratio,
                                  "saves": saved, "failed": save_failed, "lost": lost, "duplicated": duplicated,
                                  "phantom": phantom, "read_failed": read_failed, "workers": workers,
                                  "save_statuses": save_statuses, "read_statuses": read_statuses})

