"""Measure what a distributed run costs per block, and estimate 10^8 draws on a cluster.

Measures, on one machine:

- the engine's cost of one block (``--block`` draws of the scenario, one process, best
  of 2: drawing the block's inputs, running and reducing it);
- the data of one block: what a job carries to a worker (the scenario's resolved
  document, JSON text) and what comes back (the inputs rows and per-draw metrics);
- the dask scheduler's overhead per task (trivial tasks on a ``LocalCluster``);
- ``simlab.run`` of ``--draws`` draws on a ``LocalCluster`` of 1 and then 2 worker
  processes (one thread each), best of 2 each, after a warm-up block.

Then prints, from these figures, the time of ``--target`` draws on ``--nodes`` nodes of
``--cores`` cores each, and the data that reaches the client (see docs/distributed.md).

Usage::

    python benchmarks/bench_distributed.py                   # baseline-2025, 8,192 draws
    python benchmarks/bench_distributed.py --draws 16384 --nodes 100 --cores 32
    python benchmarks/bench_distributed.py --draws 1000000 --repeat 1   # the issue's 10^6
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def _nbytes(obj: object) -> int:
    """Bytes of the numpy arrays in a block's result (dicts, dataclasses, DataFrames)."""
    import dataclasses

    import pandas as pd

    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, pd.DataFrame):
        return int(obj.memory_usage(index=True, deep=True).sum())
    if isinstance(obj, dict):
        return sum(_nbytes(v) for v in obj.values())
    if isinstance(obj, tuple | list):
        return sum(_nbytes(v) for v in obj)
    if dataclasses.is_dataclass(obj):
        return sum(_nbytes(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    return 0


def block_figures(sc, block: int) -> tuple[float, int, int]:
    """Return (seconds a block in one process, bytes sent to a worker, bytes back)."""
    import simlab
    from simlab.experiment import _simulate_rows
    from simlab.results import scenario_to_json

    simlab.run(sc, draws=64, seed=1, block_size=64)  # first-use costs, off the clock
    times = []
    for seed in (1, 2):
        t0 = time.perf_counter()
        simlab.run(sc, draws=block, seed=seed, block_size=block)
        times.append(time.perf_counter() - t0)
    back = _simulate_rows(sc, 1, 0, 0, block, False, None)
    return min(times), len(scenario_to_json(sc).encode()), _nbytes(back)


def task_overhead(tasks: int) -> float:
    """Return the dask scheduler's wall time per trivial task (1 worker process)."""
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        pool = client.get_executor(pure=False)
        [f.result() for f in [pool.submit(abs, -i) for i in range(50)]]  # warm
        t0 = time.perf_counter()
        [f.result() for f in [pool.submit(abs, -i) for i in range(tasks)]]
        return (time.perf_counter() - t0) / tasks


def cluster_run(sc, workers: int, draws: int, block: int, repeat: int = 2) -> tuple[float, float]:
    """Return the best wall time of ``draws`` draws on a LocalCluster, and the CPU seconds.

    ``repeat`` runs, best kept; the CPU seconds are the workers' (the sum of their
    processes' user and system time over the best run), which the machine's load does
    not inflate the way it does the wall time.
    """
    from dask.distributed import Client, LocalCluster

    import simlab

    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        pool = client.get_executor(pure=False)  # no reuse of an identical task's result
        simlab.run(sc, draws=block * workers, seed=3, block_size=block, executor=pool)  # warm
        best = (np.inf, np.nan)
        for seed in range(7, 7 + repeat):
            cpu0 = sum(client.run(_cpu_seconds).values())
            t0 = time.perf_counter()
            simlab.run(sc, draws=draws, seed=seed, block_size=block, executor=pool, metrics=["npv"])
            wall = time.perf_counter() - t0
            cpu = sum(client.run(_cpu_seconds).values()) - cpu0
            best = min(best, (wall, cpu))
        return best


def _cpu_seconds() -> float:
    """The calling process's user and system CPU time (run on each dask worker)."""
    times = os.times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--draws", type=int, default=8192)
    parser.add_argument("--block", type=int, default=1024)
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--target", type=float, default=1e8)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--cores", type=int, default=2, help="worker processes a node")
    parser.add_argument("--repeat", type=int, default=2, help="cluster runs, best kept")
    args = parser.parse_args()

    import simlab

    sc = simlab.load_scenario(args.scenario)
    cost, sent, back = block_figures(sc, args.block)
    overhead = task_overhead(args.tasks)
    one, one_cpu = cluster_run(sc, 1, args.draws, args.block, args.repeat)
    two, two_cpu = cluster_run(sc, 2, args.draws, args.block, args.repeat)
    per_draw = cost / args.block * 1e6
    print(f"{args.scenario}, blocks of {args.block}; load average {os.getloadavg()[0]:.2f}")
    print(f"  engine, one block, one process  {cost:8.3f} s ({per_draw:.0f} us a draw)")
    print(f"  job to a worker (scenario JSON) {sent / 1e3:8.1f} kB")
    print(f"  a block's result back  {back / 1e6:8.2f} MB ({back / args.block:.0f} B a draw)")
    print(f"  dask overhead per task          {overhead * 1e3:8.2f} ms")
    print(
        f"  LocalCluster, {args.draws} draws, 1 worker  {one:8.2f} s (workers' CPU {one_cpu:.1f} s)"
    )
    print(
        f"  LocalCluster, {args.draws} draws, 2 workers {two:8.2f} s ({one / two:.2f}x; "
        f"workers' CPU {two_cpu:.1f} s)"
    )
    blocks = int(np.ceil(args.target / args.block))
    slots = args.nodes * args.cores
    compute = blocks * cost / slots
    scheduler = blocks * overhead
    print(f"{args.target:.0e} draws: {blocks} blocks on {args.nodes} nodes x {args.cores} workers")
    print(f"  compute {compute:.0f} s; scheduler, one task after another, {scheduler:.0f} s")
    print(f"  data back to the client: {blocks * back / 1e9:.0f} GB (every metric)")


if __name__ == "__main__":
    main()
