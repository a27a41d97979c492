"""A minimal HTTP/1.0 client on plain sockets, so the load generator costs the 2 cores as little
as possible (gunicorn's sync workers close the connection after each response anyway)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any


def build(method: str, path: str, token: str, body: Any = None) -> bytes:
    head = [f"{method} {path} HTTP/1.0", "Host: 127.0.0.1", f"Authorization: Bearer {token}"]
    payload = b""
    if body is not None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


def send(port: int, raw: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    """(status, body) of one request; status 0 when the connection failed."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(raw)
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return 0, b""
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        return int(head.split(b" ", 2)[1]), body
    except (IndexError, ValueError):
        return 0, data


def request(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, bytes]:
    return send(port, build(method, path, token, body))


def stream(port: int, path: str, token: str, limit: float = 600.0) -> dict[str, Any]:
    """Download ``path``: seconds to the first body byte, total seconds, body bytes, status, the
    number of line feeds in the body and its last bytes (to check that it is complete). Reading
    stops after ``limit`` seconds (``stopped``)."""
    raw = build("GET", path, token)
    started = time.perf_counter()
    first = None
    size = status = lines = 0
    buffer = tail = b""
    headers_done = stopped = False
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        sock.sendall(raw)
        while True:
            if time.perf_counter() - started > limit:
                stopped = True
                break
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            if not headers_done:
                buffer += chunk
                head, separator, chunk = buffer.partition(b"\r\n\r\n")
                if not separator:
                    continue
                headers_done = True
                status = int(head.split(b" ", 2)[1])
            if chunk:
                if first is None:
                    first = time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
                tail = (tail + chunk)[-256:]
    total = time.perf_counter() - started
    return {"status": status, "first_byte_s": first if first is not None else total, "seconds": total,
            "bytes": size, "lines": lines, "tail": tail, "stopped": stopped}
