"""simlab.pool(): one warm process pool for every call in a block, the same numbers."""

from __future__ import annotations

import concurrent.futures as cf
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import simlab
from simlab.executors import current_pool, resolve_executor
from simlab.scenario.load import Scenario, load_scenario

UNCERTAIN = Path(__file__).parent / "data" / "uncertain.toml"


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load_scenario(UNCERTAIN)


def _count_submits(pool: cf.Executor) -> list[int]:
    """Count the calls to ``pool.submit`` (wrapping the instance's method)."""
    calls = [0]
    submit = pool.submit

    def counted(fn, /, *args, **kwargs):
        calls[0] += 1
        return submit(fn, *args, **kwargs)

    pool.submit = counted  # type: ignore[method-assign]
    return calls


def test_one_pool_serves_runs_and_sensitivity_calls_with_the_same_numbers(sc):
    here = simlab.run(sc, draws=48, seed=5, block_size=16)
    grid = {"providers.newco.price_in": [0.3, 0.9]}
    swept_here = simlab.sweep(sc, grid, "npv", provider="newco", draws=24, block_size=16)
    with simlab.pool(1) as pool:
        assert current_pool() is pool
        calls = _count_submits(pool)
        there = simlab.run(sc, draws=48, seed=5, block_size=16)  # executor=None: the pool
        assert calls[0] == 3  # one job per block
        swept = simlab.sweep(sc, grid, "npv", provider="newco", draws=24, block_size=16)
        assert calls[0] > 3  # the sweep's chunks went to the same pool
        again = simlab.run(sc, draws=48, seed=5, block_size=16, executor="processes")
        assert calls[0] > 6  # "processes" means the block's pool, not a new one
        # The same worker process served every call: the pool stayed up.
        assert pool.submit(os.getpid).result() != os.getpid()
    xr.testing.assert_identical(here.metrics, there.metrics)
    xr.testing.assert_identical(here.metrics, again.metrics)
    np.testing.assert_array_equal(swept_here.to_numpy(), swept.to_numpy())


def test_the_pool_is_shut_down_after_the_block_and_on_an_error():
    with simlab.pool(1) as pool:
        pass
    assert current_pool() is None
    with pytest.raises(RuntimeError, match="shutdown"):
        pool.submit(os.getpid)
    with pytest.raises(KeyError), simlab.pool(1) as failed:
        raise KeyError("boom")
    assert current_pool() is None
    with pytest.raises(RuntimeError, match="shutdown"):
        failed.submit(os.getpid)


def test_an_explicit_executor_wins_and_blocks_nest(sc):
    with simlab.pool(1) as outer:
        calls = _count_submits(outer)
        with cf.ThreadPoolExecutor(1) as threads:
            assert resolve_executor(threads) is threads
            simlab.run(sc, draws=16, seed=5, block_size=16, executor=threads)
        assert calls[0] == 0
        with simlab.pool(1) as inner:
            assert resolve_executor(None) is inner
            assert resolve_executor("processes") is inner
        assert resolve_executor(None) is outer
    assert resolve_executor(None) is None
    assert resolve_executor("processes") == "processes"


_MALLINFO = """
import ctypes, sys
import numpy as np
from simlab.executors import tune_worker_allocator

FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in FIELDS.split()]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info

def mapped(nbytes):  # is an array of this size mapped from the system (not the heap)?
    before = libc.mallinfo2().hblks
    a = np.ones(nbytes // 8)
    now = libc.mallinfo2().hblks
    del a
    return now > before

print(mapped(2**20), tune_worker_allocator(), tune_worker_allocator(), mapped(2**20))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_a_worker_undoes_dasks_fixed_malloc_thresholds():
    # dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which turns glibc's dynamic
    # thresholds off: every array over 128 kB is then mapped and unmapped (page faults
    # each step; the engine ran 3.2x slower). The worker's tuning keeps them on the heap.
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import ctypes; ctypes.CDLL('libc.so.6').mallinfo2"],
            capture_output=True, check=False,
        )  # fmt: skip
    except OSError:
        pytest.skip("no python")
    if probe.returncode != 0:
        pytest.skip("not glibc >= 2.33 (mallinfo2)")
    fixed = subprocess.run(
        [sys.executable, "-c", _MALLINFO], capture_output=True, text=True, check=True,
        env={**env, "MALLOC_TRIM_THRESHOLD_": "65536"},
    )  # fmt: skip
    assert fixed.stdout.split() == ["True", "True", "True", "False"]
    free = subprocess.run(
        [sys.executable, "-c", _MALLINFO], capture_output=True, text=True, check=True, env=env
    )
    # Without a fixed threshold glibc adapts by itself (the first 1 MB array is mapped,
    # later ones come from the heap) and the worker leaves it alone.
    assert free.stdout.split()[1:3] == ["False", "False"]
