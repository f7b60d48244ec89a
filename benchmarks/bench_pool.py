"""Benchmark a warm pool: several simlab calls on one ``simlab.pool()`` vs a pool each.

A script that calls ``run``, ``sweep`` and ``sobol`` one after another with
``executor="processes"`` starts (spawns, imports) a new pool for each call; inside
``with simlab.pool(K):`` every call runs on one pool started once. This prints, in one
process and one run (so the load is the same for both):

- the start-up of a pool of K workers (spawn and imports, until every worker answers);
- the same sequence of calls timed both ways, with the saving per call.

The numbers of each call are checked to be bit-identical both ways.

Usage::

    python benchmarks/bench_pool.py                      # 2 workers, baseline-2025
    python benchmarks/bench_pool.py --workers 2 --draws 2048 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def calls(scenario, draws: int, executor) -> list[np.ndarray]:
    """The sequence timed: a run, a 3 x 3 sweep and a Sobol' run of 4 parameters."""
    import simlab

    res = simlab.run(scenario, draws=draws, seed=7, executor=executor)
    grid = {
        "providers.deepseek.quality": [50.0, 60.0, 70.0],
        "providers.deepseek.cost": [0.05, 0.2, 0.8],
    }
    swept = simlab.sweep(
        scenario,
        grid,
        "share",
        group="closed",
        year=2030,
        draws=max(1, draws // 16),
        seed=7,
        executor=executor,
    )
    indices = simlab.sobol(
        scenario,
        "npv",
        provider="openai",
        n=max(2, draws // 32),
        seed=7,
        parameters=[
            "finance.discount_rate",
            "providers.openai.cost",
            "providers.openai.opex",
            "segments.developer.growth",
        ],
        executor=executor,
    )
    return [
        res.metric("npv", "openai").to_numpy(),
        swept.to_numpy(),
        indices.to_numpy(dtype=float),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--draws", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=2, help="best of")
    args = parser.parse_args()

    import simlab

    sc = simlab.load_scenario(args.scenario)
    calls(sc, 64, None)  # imports and first-use costs of this process, off the clock
    start_times, fresh, warm = [], [], []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        cold = calls(sc, args.draws, "processes")  # a new pool for each call
        fresh.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with simlab.pool(args.workers):
            start_times.append(time.perf_counter() - t0)
            hot = calls(sc, args.draws, None)  # every call on the block's pool
        warm.append(time.perf_counter() - t0)
        for a, b in zip(cold, hot, strict=True):
            np.testing.assert_array_equal(a, b)
    n_calls = 3
    print(f"{args.scenario}: run of {args.draws} draws, a 3 x 3 sweep, a Sobol' run; best of")
    print(f"{args.rounds}; {args.workers} workers (executor='processes' uses all cores)")
    print(f"  pool start-up (spawn, imports)        {min(start_times):7.2f} s")
    print(f"  a pool for each call ('processes')    {min(fresh):7.2f} s")
    print(f"  one simlab.pool() for all (incl. start) {min(warm):5.2f} s")
    saved = (min(fresh) - min(warm)) / n_calls
    print(f"  saved per call                        {saved:7.2f} s")
    print(f"  numbers: bit-identical both ways; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
