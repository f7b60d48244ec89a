"""Benchmark sensitivity analysis on the baseline: a Sobol' run and a 20 x 20 sweep.

Each measurement runs in a fresh subprocess, so its peak memory (``ru_maxrss``) is its own:

- ``sobol``: first-order and total indices of OpenAI's NPV for 12 parameters at n = 1024
  (``n * (k + 2)`` = 14,336 engine draws; target < 15 s on a 2-core machine);
- ``sweep``: a 20 x 20 grid of DeepSeek's quality and serving cost, 500 draws a point
  (200,000 engine draws, the closed providers' share in 2030; target < 30 s).

With ``--workers K`` (K > 1) the rows run on a pool of K processes, started and warmed
before the clock starts. With ``--old REV`` each measurement also runs on the engine of
an earlier commit (a temporary git worktree), alternating with this tree, and the ratio
is printed: the two sit side by side in one run, so the machine's load affects both. Each
tree runs its own catalog unless ``--scenario`` is a file path.

Usage::

    python benchmarks/bench_sensitivity.py
    python benchmarks/bench_sensitivity.py --only sweep --workers 2
    python benchmarks/bench_sensitivity.py --workers 2 --old 7fd141c
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
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent

# 12 of the baseline's uncertain parameters: OpenAI's own and two market-wide ones
# (segments.consumer.growth, pricing.drift and releases.step, fixed in baseline-2025 since
# model 2, replaced by developer growth, own_cost_share and releases.gap_change).
SOBOL_PARAMETERS = [
    "finance.discount_rate",
    "segments.developer.growth",
    "providers.openai.cost",
    "providers.openai.cost_decline",
    "providers.openai.capacity_cost",
    "providers.openai.opex",
    "providers.openai.opex_growth",
    "providers.openai.training_cost",
    "providers.openai.own_cost_share",
    "providers.openai.releases.gap_change",
    "providers.openai.releases.training_cost",
    "providers.openai.releases.training_growth",
]
SWEEP_GRID = {
    "providers.deepseek.quality": np.linspace(45.0, 72.0, 20),
    "providers.deepseek.cost": np.geomspace(0.02, 1.0, 20),
}


def _warm_pool(workers: int):
    from concurrent.futures import wait

    from simlab.experiment import process_pool

    pool = process_pool(workers)
    wait([pool.submit(os.getpid) for _ in range(workers)])
    return pool


def child(args: argparse.Namespace) -> None:
    import simlab
    from simlab.sensitivity import sobol, sweep

    sc = simlab.load_scenario(args.scenario)
    executor = _warm_pool(args.workers) if args.workers > 1 else None
    if executor is not None:  # each worker rebuilds the scenario once, before the clock
        sobol(
            sc,
            "npv",
            provider="openai",
            n=2,
            parameters=SOBOL_PARAMETERS[:1],
            executor=executor,
            block_size=1,
        )
    t0 = time.perf_counter()
    if args.what == "sobol":
        df = sobol(
            sc,
            "npv",
            provider="openai",
            n=args.n,
            seed=1,
            parameters=SOBOL_PARAMETERS,
            executor=executor,
        )
        evaluations = int(df.attrs["evaluations"])
        detail = {
            "n": args.n,
            "k": len(SOBOL_PARAMETERS),
            "top_ST": df["ST"].idxmax(),
            "max_ST": round(float(df["ST"].max()), 3),
        }
    else:
        da = sweep(
            sc,
            SWEEP_GRID,
            "share",
            group="closed",
            year=2030,
            draws=args.draws,
            seed=1,
            executor=executor,
        )
        evaluations = (
            int(da.sizes["providers.deepseek.quality"])
            * int(da.sizes["providers.deepseek.cost"])
            * args.draws
        )
        detail = {"grid": "20 x 20", "draws_per_point": args.draws}
    wall = time.perf_counter() - t0
    if executor is not None:
        executor.shutdown()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(
        json.dumps(
            {
                "what": args.what,
                "workers": args.workers,
                "wall_s": round(wall, 2),
                "evaluations": evaluations,
                "draws_per_s": round(evaluations / wall),
                "peak_mb": round(peak),
                **detail,
            }
        )
    )


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--only", choices=("sobol", "sweep"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--n", type=int, default=1024, help="Sobol' base sample (1024)")
    parser.add_argument("--draws", type=int, default=500, help="sweep draws a point (500)")
    parser.add_argument("--old", help="also measure this earlier commit, side by side")
    parser.add_argument("--child", choices=("sobol", "sweep"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.what = args.child
        child(args)
        return
    print(machine())
    whats = [args.only] if args.only else ["sobol", "sweep"]
    if args.old is None:
        for what in whats:
            print(json.dumps(_measure(what, args, REPO)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(old_tree), args.old],
            check=True,
        )
        try:
            for what in whats:
                new = _measure(what, args, REPO)
                old = _measure(what, args, old_tree)
                print(json.dumps({"engine": args.old, **old}))
                print(json.dumps({"engine": "this tree", **new}))
                ratio = new["wall_s"] / old["wall_s"]
                print(f"{what}: this tree / {args.old} = {ratio:.2f} (wall time)")
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)],
                check=False,
            )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def _measure(what: str, args: argparse.Namespace, tree: Path) -> dict:
    """Run one measurement in a fresh process on the simlab of ``tree``."""
    command = [sys.executable, __file__, "--child", what, "--scenario", args.scenario]
    command += ["--workers", str(args.workers), "--n", str(args.n), "--draws", str(args.draws)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=tree)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{what} failed on {tree}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
