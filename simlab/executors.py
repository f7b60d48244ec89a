"""One warm process pool for every run, sweep, sensitivity and calibration call in a block.

Starting a "spawn" pool costs each worker a fresh interpreter and simlab's imports (a
second or two); a script that calls :func:`~simlab.run`, :func:`~simlab.sweep`,
:func:`~simlab.tornado`, :func:`~simlab.sobol` or :func:`~simlab.calibrate` several
times pays it once inside ``with simlab.pool():``. Within the block, a call whose
``executor`` is None (the default) or ``"processes"`` runs on that pool; an executor
passed explicitly still wins. The numbers are the same wherever blocks run.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["current_pool", "pool", "resolve_executor", "tune_worker_allocator"]

# glibc's mallopt parameters (malloc.h) and the values tune_worker_allocator sets: the
# ceilings glibc's own dynamic thresholds reach on 64-bit Linux.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 * 2**20
_TRIM_THRESHOLD = 2 * _MMAP_THRESHOLD
_FIXED_BY = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
_tuned: bool | None = None

_AMBIENT: ContextVar[cf.Executor | None] = ContextVar("simlab_pool", default=None)


@contextmanager
def pool(workers: int | None = None) -> Iterator[cf.ProcessPoolExecutor]:
    """Start a process pool and run every simlab call inside the block on it.

    The workers are started (and have imported simlab's engine) before the block
    begins, and are shut down when it ends, also on an error. Blocks nest: the inner
    pool serves the calls inside it, then the outer one again.

    Parameters
    ----------
    workers : int, optional
        Number of worker processes; all cores when omitted (see
        :func:`simlab.experiment.process_pool`).

    Yields
    ------
    concurrent.futures.ProcessPoolExecutor
        The pool, also usable directly (``executor=``).

    Raises
    ------
    SimulationError
        If the workers cannot start, e.g. because the script has no main guard.

    Examples
    --------
    >>> import simlab
    >>> with simlab.pool(2):  # doctest: +SKIP
    ...     base = simlab.run("baseline-2025", draws=10_000, seed=7)
    ...     spread = simlab.tornado("baseline-2025", "npv", "OpenAI", draws=500, seed=7)
    """
    from simlab.experiment import process_pool

    executor = process_pool(workers)
    token = _AMBIENT.set(executor)
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    else:
        executor.shutdown(wait=True)
    finally:
        _AMBIENT.reset(token)


def current_pool() -> cf.Executor | None:
    """Return the pool of the innermost :func:`pool` block, or None outside one."""
    return _AMBIENT.get()


def resolve_executor(executor: object) -> object:
    """Return the executor a call should use: the block's pool for None or "processes".

    Outside a :func:`pool` block, and for any other value, ``executor`` is returned as
    it is (the caller validates it).

    Examples
    --------
    >>> resolve_executor(None) is None
    True
    """
    if executor is None or (isinstance(executor, str) and executor == "processes"):
        ambient = _AMBIENT.get()
        if ambient is not None:
            return ambient
    return executor


def tune_worker_allocator() -> bool:
    """Undo fixed glibc malloc thresholds in a worker process; return whether it did.

    dask's workers start with ``MALLOC_TRIM_THRESHOLD_=65536`` in their environment (to
    return freed memory to the system). Setting a threshold turns off glibc's dynamic
    ones, so every array above 128 kB is then mapped from the system and unmapped when
    freed, and each new one page-faults in: the engine, which makes and drops such
    arrays every step, ran 3.2x slower (4,096 draws of baseline-2025: 5.74 s against
    1.77 s, docs/distributed.md). Where either threshold is fixed by the environment,
    this sets them to the ceilings glibc's dynamic thresholds reach by themselves (32 MiB
    to map, 64 MiB to trim). Once a process; nothing elsewhere (no fixed threshold,
    another C library, another OS). Block workers call it before their first block.
    """
    global _tuned
    if _tuned is not None:
        return _tuned
    _tuned = False
    if not sys.platform.startswith("linux") or not any(k in os.environ for k in _FIXED_BY):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    _tuned = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    )
    return _tuned
