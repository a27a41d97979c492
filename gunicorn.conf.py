"""gunicorn settings that every start from this folder picks up (``make serve``, the benchmarks).

The flags (workers, worker class, threads, timeouts) stay on the Makefile's command line.
"""

import sys
from typing import Any


def post_fork(_server: Any, _worker: Any) -> None:
    # A worker's threads share one GIL, and a thread waiting for it waits for the switch
    # interval (5 ms by default) unless the holder lets go first. A thread that holds SQLite's
    # write lock gives the GIL up for every statement; with the default it then waited up to
    # 5 ms for a thread still doing a request's reads, and every other writer waited with it.
    # Eight annotators saving at once through 4 workers, with another job sharing the 2 cores:
    # 197-233 saves/s at 5 ms, 290-370 at 1 ms (0.2 ms was no better than 1 ms).
    sys.setswitchinterval(0.001)
