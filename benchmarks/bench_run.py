"""Benchmark whole Monte Carlo runs: ``simlab.run`` on the baseline, metrics only.

Each measurement runs in a fresh subprocess, so its peak memory (``ru_maxrss``) is its own:

- 10,000 and 100,000 draws in one process: wall time, draws/s, peak memory (target at
  100,000: < 500 MB);
- the speed-up from 1 to 2 workers at 10,000 draws (target >= 1.7x, and < 1 s on both
  cores): a process pool of 2, started and warmed before the clock starts (its start-up,
  a "spawn" of fresh interpreters, is reported apart).

With ``--old REV`` each single-process run is measured again on the engine of an
earlier commit (a temporary git worktree; its own catalog unless ``--scenario`` is a
path), right after this tree's, and printed beside it.

Usage::

    python benchmarks/bench_run.py
    python benchmarks/bench_run.py --draws 10000 100000 --workers 2
    python benchmarks/bench_run.py --draws 100000 --old 7fd141c --speedup-draws 0

The ``load`` column is the 1-minute load average when the run ended: on a machine shared
with other jobs, times (and above all the speed-up) are only as good as that is low.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import wait
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# A scenario is a catalog name or a path; "synthetic" is bench_engine.py's 9 x 4 scenario.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _scenario(name: str):
    from bench_engine import build_scenario

    return build_scenario(name)


def _noop() -> int:
    import simlab.experiment  # noqa: F401  (each worker imports simlab before timing)

    time.sleep(0.2)
    return os.getpid()


def _cpu() -> tuple[int, float]:
    """A worker's pid and CPU seconds so far (the sleep spreads the calls over workers)."""
    time.sleep(0.2)
    return os.getpid(), time.process_time()


def _worker_cpu(pool, workers: int) -> dict[int, float]:
    return dict(f.result() for f in [pool.submit(_cpu) for _ in range(workers)])


def child(args: argparse.Namespace) -> None:
    from simlab.experiment import process_pool, run

    sc = _scenario(args.scenario)
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    startup = 0.0
    pool = None
    if args.workers > 1:
        t0 = time.perf_counter()
        pool = process_pool(args.workers)
        wait([pool.submit(_noop) for _ in range(args.workers)])
        # Each worker rebuilds the scenario once; do it before the clock starts.
        run(sc, draws=2 * args.workers, seed=0, block_size=1, executor=pool, progress=False)
        startup = time.perf_counter() - t0
    before = _worker_cpu(pool, args.workers) if pool is not None else {}
    t0, c0 = time.perf_counter(), time.process_time()
    res = run(sc, args.child_draws, args.seed, executor=pool, block_size=args.block_size)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    workers_cpu, split = 0.0, []
    if pool is not None:
        after = _worker_cpu(pool, args.workers)
        split = sorted(after[pid] - before.get(pid, after[pid]) for pid in after)
        workers_cpu = sum(split)
        pool.shutdown()
    print(
        json.dumps(
            {
                "draws": res.draws,
                "wall_s": wall,
                "cpu_s": cpu,
                "workers_cpu_s": workers_cpu,
                "workers_cpu_split_s": split,
                "load": os.getloadavg()[0],
                "startup_s": startup,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "rss_ready_mb": rss_ready,
                "metrics_mb": res.metrics.nbytes / 2**20,
                "inputs_mb": res.inputs.memory_usage(deep=True).sum() / 2**20,
                "npv_checksum": float(res.metrics.npv.sum()),
            }
        )
    )


def measure(args: argparse.Namespace, draws: int, workers: int, tree: Path = REPO) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--child", "--scenario", args.scenario]
    command += ["--child-draws", str(draws), "--workers", str(workers)]
    command += ["--seed", str(args.seed), "--block-size", str(args.block_size)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=tree)
    if done.returncode != 0:
        sys.exit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="baseline-2025", help='name, path or "synthetic"')
    parser.add_argument("--draws", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2, help="pool size for the speed-up")
    parser.add_argument("--speedup-draws", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--block-size", type=int, default=1024)
    parser.add_argument("--old", help="also measure this earlier commit, side by side")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-draws", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    import numpy as np

    print(f"# scenario {args.scenario}, seed {args.seed}, block size {args.block_size}")
    print(f"# python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus")
    header = (
        f"{'run':<28}  {'wall s':>7}  {'cpu s':>6}  {'draws/s':>8}  {'peak MB':>8}  "
        f"{'results MB':>10}  {'load':>4}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        if args.old:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(old_tree),
                 args.old],
                check=True,
            )  # fmt: skip
        try:
            for draws in args.draws:
                r = measure(args, draws, 1)
                results[(draws, 1)] = r
                _row(f"{draws} draws, 1 process", draws, r)
                if args.old:
                    _row(f"  the same, {args.old}", draws, measure(args, draws, 1, old_tree))
        finally:
            if args.old:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)],
                    check=False,
                )
    if not args.speedup_draws:
        return
    one = results.get((args.speedup_draws, 1)) or measure(args, args.speedup_draws, 1)
    many = measure(args, args.speedup_draws, args.workers)
    label = f"{args.speedup_draws} draws, {args.workers} workers"
    print(
        f"{label:<28}  {many['wall_s']:>7.2f}  {many['cpu_s']:>6.2f}  "
        f"{args.speedup_draws / many['wall_s']:>8.0f}  {many['maxrss_mb']:>8.0f}  "
        f"{'(parent)':>10}  {many['load']:>4.1f}"
    )
    print()
    print(f"speed-up 1 -> {args.workers} workers: {one['wall_s'] / many['wall_s']:.2f}x")
    busy = many["workers_cpu_s"] / (args.workers * many["wall_s"])
    print(
        f"CPU in the workers during the run: {many['workers_cpu_s']:.2f} s "
        f"({busy:.0%} of {args.workers} x wall; below 100 % = waiting for a core), "
        f"in the parent: {many['cpu_s']:.2f} s"
    )
    split = ", ".join(f"{c:.2f}" for c in many["workers_cpu_split_s"])
    print(f"CPU seconds by worker: {split}")
    print(f"pool start-up (spawn + warm-up, not in the wall time): {many['startup_s']:.2f} s")
    print(f"peak RSS of a process at rest after imports and loading: {one['rss_ready_mb']:.0f} MB")
    same = one["npv_checksum"] == many["npv_checksum"]
    print(f"same numbers with {args.workers} workers: {same}")


def _row(label: str, draws: int, r: dict) -> None:
    size = r["metrics_mb"] + r["inputs_mb"]
    print(
        f"{label:<28}  {r['wall_s']:>7.2f}  {r['cpu_s']:>6.2f}  "
        f"{draws / r['wall_s']:>8.0f}  {r['maxrss_mb']:>8.0f}  {size:>10.0f}  "
        f"{r['load']:>4.1f}"
    )


if __name__ == "__main__":
    main()
