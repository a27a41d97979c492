"""``make serve``'s gunicorn worker (app/serving.py): a sync worker that stays alive while a
response streams, checked on its own and in a real gunicorn whose --timeout is shorter than the
stream."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.serving import beating_while_streaming
from tests.pgserver import free_port
from tests.streaming_app import LINES, STEP_S

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 2  # the master kills a silent worker after this; the test stream lasts LINES * STEP_S = 5 s


class Body:
    """A response body that records how far it was read and whether it was closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.pulled = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk

    def close(self) -> None:
        self.closed = True


class FileWrapper:
    """Stands for a server's ``wsgi.file_wrapper`` class."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def _wrapped(body: Any, every: float, environ: dict[str, Any] | None = None) -> tuple[Any, list[int]]:
    """The body as the server gets it from the wrapped application, and the list of beats so far."""
    beats: list[int] = []
    app = beating_while_streaming(lambda _environ, _start: body, lambda: beats.append(1), every)
    return app(environ or {}, lambda *_: None), beats


def test_the_heartbeat_goes_as_the_chunks_go_out() -> None:
    body = Body([b"a", b"b", b"c"])
    wrapped, beats = _wrapped(body, every=0.0)
    assert beats == [] and body.pulled == 0  # nothing before the server reads the body
    assert b"".join(wrapped) == b"abc"
    assert len(beats) == 3 and body.pulled == 3


def test_the_heartbeat_waits_its_interval() -> None:
    wrapped, beats = _wrapped(Body([b"a", b"b", b"c"]), every=3600.0)
    assert b"".join(wrapped) == b"abc"
    assert beats == []


def test_closing_the_response_closes_the_body() -> None:
    body = Body([b"a", b"b"])
    wrapped, _beats = _wrapped(body, every=0.0)
    next(iter(wrapped))
    wrapped.close()
    assert body.closed and body.pulled == 1


def test_a_file_for_the_servers_file_wrapper_is_passed_through() -> None:
    file = FileWrapper(b"data")
    wrapped, _beats = _wrapped(file, every=0.0, environ={"wsgi.file_wrapper": FileWrapper})
    assert wrapped is file


def test_the_benchmarks_run_the_worker_class_of_make_serve() -> None:
    """bench/ measures `make serve`; its gunicorn command must not drift from the Makefile's."""
    from bench.common import SERVE_WORKER_CLASS

    recipe = (REPO / "Makefile").read_text(encoding="utf-8").split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert f"--worker-class {SERVE_WORKER_CLASS} " in recipe
    assert "--threads" not in recipe


def _start(worker_class: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", worker_class,
         "--timeout", str(TIMEOUT_S), "--graceful-timeout", "30", "--bind", f"127.0.0.1:{port}",
         "tests.streaming_app:app"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            assert server.poll() is None, "gunicorn exited at start"
            time.sleep(0.1)
    server.kill()
    pytest.fail("gunicorn did not start")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.kill()
    server.wait(timeout=30)


def _open_stream(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    return sock


def _body_lines(sock: socket.socket) -> list[bytes]:
    data = b""
    with sock:
        while chunk := sock.recv(65536):
            data += chunk
    return data.partition(b"\r\n\r\n")[2].splitlines()


def test_a_stream_longer_than_the_timeout_completes() -> None:
    server, port = _start("app.serving.StreamingSyncWorker")
    try:
        started = time.monotonic()
        lines = _body_lines(_open_stream(port))
        assert time.monotonic() - started > 2 * TIMEOUT_S  # the stream did outlast the timeout
        assert lines == [str(n).encode() for n in range(LINES)]
    finally:
        _stop(server)


def test_gunicorns_own_sync_worker_is_killed_mid_stream() -> None:
    """The control: without the heartbeat the same stream is cut off (what the worker class fixes)."""
    server, port = _start("sync")
    try:
        lines = _body_lines(_open_stream(port))
        assert len(lines) < LINES
    finally:
        _stop(server)


def test_a_stream_in_flight_finishes_on_shutdown() -> None:
    server, port = _start("app.serving.StreamingSyncWorker")
    try:
        sock = _open_stream(port)
        time.sleep(4 * STEP_S)
        server.send_signal(signal.SIGTERM)  # graceful: the request in flight may finish
        assert _body_lines(sock) == [str(n).encode() for n in range(LINES)]
        assert server.wait(timeout=30) == 0
    finally:
        _stop(server)
