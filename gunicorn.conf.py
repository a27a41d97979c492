"""gunicorn settings that every start from this folder picks up (``make serve``, the benchmarks).

The flags (workers, worker class, timeouts) stay on the Makefile's command line.
"""

import sys
from typing import Any


def post_fork(_server: Any, _worker: Any) -> None:
    # A process's threads share one GIL, and a thread waiting for it waits for the switch
    # interval (5 ms by default) unless the holder lets go first. A sync worker serves requests
    # on one thread, but an export runs on two or three: the request's, which builds the lines,
    # a reader (SQLite without the GIL) and, for a zip, the deflate thread, each of which waits
    # for the GIL every time it hands its work on. 1,000,000 claims through the API, one run each on the
    # same machine: CSV 119k and JSONL 98k claims/s at 1 ms, 107k and 91k at 5 ms. Threaded
    # workers (--worker-class gthread) gain more: there a thread holding SQLite's write lock
    # waited for sibling threads still doing reads (8 annotators saving: 197-233 saves/s at
    # 5 ms, 290-370 at 1 ms).
    sys.setswitchinterval(0.001)
