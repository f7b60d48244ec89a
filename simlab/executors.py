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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["current_pool", "pool", "resolve_executor"]

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
