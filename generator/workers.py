"""Worker processes, forked: they start with what this process holds (libraries loaded, fonts, the
evidence) instead of loading it again.

Forked pages are shared until written to, and Python's garbage collector writes to every object it
tracks: a child's first collections would copy most of what it shares with its parent. The parent's
objects are frozen for the fork (`gc.freeze`, as the gc module's documentation advises for forking
servers), so the children never collect them and the pages stay shared: the copies cost a
one-workflow rebuild of 200 workflows about 0.2 s of its 2.7.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


@contextmanager
def forked(count: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of `count` processes forked from this one now, its objects frozen in them."""
    with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("fork")) as pool:
        gc.freeze()
        try:
            pool.submit(int)  # a fork-started pool forks all its processes for its first task
        finally:
            gc.unfreeze()  # in this process only: the children were forked frozen
        yield pool


def available() -> bool:
    """Whether processes can be forked here (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()
