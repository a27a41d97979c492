"""The gunicorn worker ``make serve`` runs: gunicorn's sync worker, kept alive while a response streams.

A sync worker serves one request at a time on one thread: nothing hands a request from an
accepting thread to a pool thread, and no sibling thread competes for the GIL. Eight annotators
saving through 4 workers on 2 cores: 502-805 saves/s in 10 runs, against 442-529 in 5 runs of the
threaded worker (4 threads each) alternating with the first sync runs on the same machine.

What the threaded worker had over it is its heartbeat. gunicorn's master kills a worker that has
not signalled within ``--timeout`` seconds, and a sync worker signals only between requests, so
an export that streams for longer than that would be cut off in the middle. ``StreamingSyncWorker``
signals while the response makes progress: at most once a second, when a chunk of the body is
handed on. A response that stops making progress (a hung query, a client that stops reading)
still gets the worker killed after ``--timeout``, which the threaded worker never did.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from gunicorn.workers.sync import SyncWorker

# The most often a streaming response signals the master; far below any sensible --timeout.
HEARTBEAT_EVERY_S = 1.0

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _BeatingBody:
    """A response body that calls ``beat`` as its chunks go out (at most every ``every`` seconds)."""

    def __init__(self, body: Iterable[bytes], beat: Callable[[], None], every: float) -> None:
        self._body = body
        self._beat = beat
        self._every = every

    def __iter__(self) -> Iterator[bytes]:
        beat, every = self._beat, self._every
        last = time.monotonic()
        for chunk in self._body:
            now = time.monotonic()
            if now - last >= every:
                beat()
                last = now
            yield chunk

    def close(self) -> None:
        # PEP 3333: the server calls close() on what the application returned; pass it on.
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def beating_while_streaming(app: WsgiApp, beat: Callable[[], None], every: float = HEARTBEAT_EVERY_S) -> WsgiApp:
    """``app`` whose response bodies call ``beat`` while they stream.

    A file handed to the server's ``wsgi.file_wrapper`` is passed through untouched: the server
    recognises it by its type and sends it with ``sendfile``.
    """

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = app(environ, start_response)
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            return body
        return _BeatingBody(body, beat, every)

    return application


class StreamingSyncWorker(SyncWorker):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn's sync worker whose heartbeat goes on while a response streams (see the module)."""

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = beating_while_streaming(self.wsgi, self.notify)
