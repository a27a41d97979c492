"""A WSGI application for tests/test_serving.py: a body that streams for longer than the test
server's ``--timeout``, one line every ``STEP_S`` seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

LINES = 25
STEP_S = 0.2


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    for number in range(LINES):
        time.sleep(STEP_S)
        yield f"{number}\n".encode()
