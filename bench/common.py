"""What every benchmark shares: databases (SQLite files, a throwaway PostgreSQL server), the
seeded starting state, in-process server timing, SQL statement counting, a gunicorn server as
``make serve`` runs it, and the result rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.pgserver import PostgresServer, free_port

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "bench password 1"
PROJECT = "bench"
ANNOTATORS = tuple(f"ann{i}" for i in range(1, 9))
N_SPEAKERS = 40
SPEAKER_NAMES = tuple(f"Speaker {i:02d} Çavuşoğlu" for i in range(1, N_SPEAKERS + 1))
VENV_BIN = ROOT / ".venv" / "bin"
# The worker class of the Makefile's `serve` target.
SERVE_WORKER_CLASS = "app.serving.StreamingSyncWorker"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def bin_path(name: str) -> str:
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


# ------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One row's figures on one backend."""

    text: str
    ok: bool | None  # None: not applicable / not available
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    key: str
    work: str
    target: str
    results: dict[str, Measurement] = field(default_factory=dict)
    note: str = ""


# ------------------------------------------------------------------------------------------
# Databases
# ------------------------------------------------------------------------------------------


class Backend:
    """A kind of database: makes empty databases and copies of a prepared template."""

    name = ""
    label = ""

    def new_url(self, name: str) -> str:
        raise NotImplementedError

    def copy(self, template_url: str, name: str) -> str:
        raise NotImplementedError

    def drop(self, url: str) -> None:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SqliteBackend(Backend):
    name, label = "sqlite", "SQLite"

    def __init__(self, root: Path) -> None:
        self.root = root / "sqlite"
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        return self.root / f"{name}.sqlite3"

    def new_url(self, name: str) -> str:
        return f"sqlite:///{self._path(name)}"

    def copy(self, template_url: str, name: str) -> str:
        source = sqlite3.connect(template_url.removeprefix("sqlite:///"))
        target = sqlite3.connect(self._path(name))
        source.backup(target)
        source.close()
        target.close()
        return self.new_url(name)

    def drop(self, url: str) -> None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def version(self) -> str:
        return sqlite3.sqlite_version


class PostgresBackend(Backend):
    """A throwaway server on 127.0.0.1 (the test suite's ``tests/pgserver.py``), one database each."""

    name, label = "postgresql", "PostgreSQL"

    def __init__(self) -> None:
        self.server = PostgresServer()
        self.server.start()
        self.admin = sa.create_engine(self.server.url("postgres"), isolation_level="AUTOCOMMIT")

    def new_url(self, name: str) -> str:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        return self.server.url(name)

    def copy(self, template_url: str, name: str) -> str:
        template = template_url.rsplit("/", 1)[1]
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.server.url(name)

    def drop(self, url: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def version(self) -> str:
        with self.admin.connect() as conn:
            return str(conn.scalar(sa.text("SHOW server_version")))

    def close(self) -> None:
        self.admin.dispose()
        self.server.stop()


@dataclass
class Fixture:
    """A migrated database with users, a project, its speakers and an API token per user."""

    backend: Backend
    template_url: str
    tokens: dict[str, str]
    user_ids: dict[str, int]
    project_id: int
    speaker_ids: list[int]
    counter: int = 0

    def fresh(self, label: str) -> str:
        """A new copy of the template database."""
        self.counter += 1
        return self.backend.copy(self.template_url, f"bench_{label}_{self.counter}")


def make_app(url: str, **config: Any) -> Any:
    from app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "LOGIN_RATE_LIMIT": "100000 per minute",
                       **config})


def dispose(app: Any) -> None:
    app.extensions["sourcemark.engine"].dispose()


def build_fixture(backend: Backend) -> Fixture:
    """Migrate an empty database and give it the starting state every benchmark copies."""
    from werkzeug.security import generate_password_hash

    from app.db import get_session
    from app.migrate import upgrade
    from app.models import Speaker, User
    from app.services import projects, speakers, users

    url = backend.new_url("bench_template")
    upgrade(url)
    app = make_app(url)
    password_hash = generate_password_hash(PASSWORD)
    with app.app_context():
        session = get_session()
        for name in ("admin", "curator", *ANNOTATORS):
            session.add(User(username=name, password_hash=password_hash, is_admin=name == "admin"))
        session.flush()
        by_name = {u.username: u for u in session.scalars(sa.select(User))}
        project = projects.create_project(session, by_name["admin"], PROJECT, "Benchmark project")
        access = projects.ProjectAccess(project, by_name["admin"], "admin")
        projects.add_member(session, access, by_name["curator"], "curator")
        for name in ANNOTATORS:
            projects.add_member(session, access, by_name[name], "annotator")
        sides = ("azerbaijan", "armenia", "turkey", "russia", "mediator_intl", "third_party", "unknown")
        for index, name in enumerate(SPEAKER_NAMES):
            speakers.create_speaker(session, access, {
                "name": name, "aliases": [f"S{index + 1:02d}", f"Spokesperson {index + 1}"], "type": "person",
                "side": sides[index % len(sides)], "role": "Spokesperson", "country": "AZ"})
        tokens = {name: users.create_token(session, user, "bench") for name, user in by_name.items()}
        session.commit()
        speaker_ids = list(session.scalars(sa.select(Speaker.id).order_by(Speaker.id)))
        fixture = Fixture(backend, url, tokens, {n: u.id for n, u in by_name.items()}, project.id, speaker_ids)
    dispose(app)
    return fixture


# ------------------------------------------------------------------------------------------
# In-process measuring
# ------------------------------------------------------------------------------------------


class ServerTimer:
    """WSGI middleware: the time from the request entering the Flask app to the last byte of its
    body (routing, auth, SQL, commit, JSON, teardown), without the test client's own work."""

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.inner = wsgi_app
        #: Wall-clock seconds per request (the figure compared with the targets).
        self.samples: list[float] = []
        #: CPU seconds of the serving thread per request: what the request costs when the
        #: machine is shared (waiting for a core is left out; SQLite's I/O is in the page cache).
        self.cpu: list[float] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        cpu_started = time.thread_time()
        started = time.perf_counter()
        body = self.inner(environ, start_response)
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.samples.append(time.perf_counter() - started)
        self.cpu.append(time.thread_time() - cpu_started)
        return [data]

    def clear(self) -> None:
        self.samples.clear()
        self.cpu.clear()


def timed_app(app: Any) -> ServerTimer:
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    return timer


class StatementCounter:
    """SQL statements sent to the database (an executemany counts once)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[int]]:
        before = self.count
        out: list[int] = []
        yield out
        out.append(self.count - before)


# ------------------------------------------------------------------------------------------
# A gunicorn server as `make serve` starts it
# ------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Gunicorn:
    """gunicorn as ``make serve`` runs it (N sync workers, alive while they stream) on a given database."""

    def __init__(self, url: str, workers: int, log_dir: Path, timeout: int | None = None) -> None:
        self.url, self.workers, self.port = url, workers, free_port()
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET, "SOURCEMARK_ENV": "production",
               "FLASK_APP": "wsgi.py"}
        # The flags of the Makefile's `serve` target: sync workers that keep their heartbeat while
        # a long export streams (app.serving), a 120 s timeout, 30 s to finish requests on shutdown.
        command = [bin_path("gunicorn"), "--workers", str(self.workers), "--worker-class", SERVE_WORKER_CLASS,
                   "--timeout", str(self.timeout or 120), "--bind", f"127.0.0.1:{self.port}",
                   "--graceful-timeout", "30"]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen([*command, "wsgi:app"], cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            if len(self.worker_pids()) == self.workers and self._answers():
                return self
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"GET /login HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return sock.recv(12).startswith(b"HTTP/1.")
        except OSError:
            return False

    def warm(self, path: str, token: str, times: int = 20) -> None:
        """Every worker imports lazily on its first requests: send a few to each."""
        from bench.http import request

        for _ in range(times * self.workers):
            request(self.port, "GET", path, token)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return children(self.process.pid)

    def rss_mb(self) -> tuple[float, float, list[float]]:
        """(current RSS of master + workers, sum of their peaks, each process's current RSS), MB."""
        assert self.process is not None
        pids = [self.process.pid, *self.worker_pids()]
        each = [_status_kb(pid, "VmRSS") / 1024 for pid in pids]
        peaks = sum(_status_kb(pid, "VmHWM") for pid in pids) / 1024
        return sum(each), peaks, each

    @contextlib.contextmanager
    def sampling(self, every: float = 0.25) -> Iterator[list[float]]:
        """Samples the total RSS of master + workers while the block runs (the list fills in)."""
        samples: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(every):
                samples.append(self.rss_mb()[0])

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield samples
        finally:
            stop.set()
            thread.join()

    def __exit__(self, *_exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


# ------------------------------------------------------------------------------------------
# The machine
# ------------------------------------------------------------------------------------------


def machine(backends: list[Backend]) -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError), open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    info = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": f"{os.cpu_count()} ({cpu})",
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": next((b.version() for b in backends if b.name == "postgresql"), "not run"),
    }
    with contextlib.suppress(Exception):
        import flask
        import gunicorn

        info["stack"] = f"Flask {flask.__version__}, SQLAlchemy {sa.__version__}, gunicorn {gunicorn.__version__}"
    return info


def temp_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="sourcemark-bench-"))
