"""Benchmark the batched engine (issue 4's target): 10,000 draws, metrics only.

Measures, on one scenario of 10 years monthly with 9 providers and 4 segments (the
catalog's baseline-2025 when it loads, else one built here from tests/data/full.toml):

- the wall time of the batched engine over 10,000 draws in one process (target < 1.5 s);
- the same engine one draw at a time, on a sample of draws, extrapolated to 10,000
  (target: batched at least 100x faster per draw);
- peak memory of the batched run, in a fresh subprocess (target < 300 MB);
- a cProfile breakdown (top functions by cumulative time).

Usage::

    python benchmarks/bench_engine.py                 # all of it
    python benchmarks/bench_engine.py --draws 2000 --single 50 --no-profile
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
import tomllib
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def build_scenario(name: str):
    """Return the scenario to measure: a catalog name/path, or "synthetic"."""
    from simlab.errors import ScenarioError
    from simlab.scenario.load import Scenario, load_scenario

    if name != "synthetic":
        try:
            return load_scenario(name)
        except ScenarioError as exc:
            print(f"# {name} does not load ({exc}); using the synthetic scenario", file=sys.stderr)
    with (REPO / "tests" / "data" / "full.toml").open("rb") as fh:
        doc = tomllib.load(fh)
    doc["name"], doc["title"] = "synthetic-9x4", "full.toml widened to 9 providers, 4 segments"
    doc["start"], doc["end"] = "2025-01", "2035-01"
    segs = doc["segments"]
    segs["developer"] = copy.deepcopy(segs["consumer"])
    segs["public"] = copy.deepcopy(segs["enterprise"])
    provs = doc["providers"]
    for new, old in [
        ("closed2", "plusco"),
        ("closed3", "plusco"),
        ("open2", "newco"),
        ("open3", "newco"),
    ]:
        provs[new] = copy.deepcopy(provs[old])
        provs[new]["quality"] = provs[old]["quality"] - 1
    # A dozen uncertain figures, so draws differ as they would in a real run.
    provs["closedco"]["quality"] = {"dist": "uniform", "low": 60, "high": 72}
    provs["openco"]["price_in"] = {"dist": "pert", "low": 0.15, "mode": 0.3, "high": 0.6}
    provs["closed2"]["cost"] = {"dist": "triangular", "low": 0.5, "mode": 0.8, "high": 0.95}
    provs["open2"]["cost_decline"] = {"dist": "uniform", "low": 0.1, "high": 0.4}
    for seg in segs.values():
        seg["growth"] = {"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.6}
        seg["beta_price"] = {"dist": "uniform", "low": 0.5, "high": 1.2}
    doc["finance"]["discount_rate"] = {"dist": "uniform", "low": 0.08, "high": 0.12}
    doc["events"]["openco-release"]["date"] = {
        "dist": "uniform_date",
        "low": "2025-03-01",
        "high": "2027-06-30",
    }
    return Scenario.from_dict(doc, origin="<bench_engine synthetic>")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _blocks(sc, table, block_size: int) -> float:
    from simlab.experiment import simulate_block

    n = len(table)
    t0 = time.perf_counter()
    for start in range(0, n, block_size):
        simulate_block(sc, table, start, min(n, start + block_size), False)
    return time.perf_counter() - t0


def _prepare(name: str, draws: int, seed: int, block_size: int):
    from simlab.engine import validate_inputs
    from simlab.experiment import sample_inputs

    sc = build_scenario(name)
    t0 = time.perf_counter()
    inputs = sample_inputs(sc, draws, seed, "mc", block_size)
    sampling = time.perf_counter() - t0
    return sc, validate_inputs(sc, inputs), sampling


def child_memory(args: argparse.Namespace) -> None:
    """In a fresh process: peak memory of the batched run (metrics reduced per block)."""
    import simlab.experiment  # noqa: F401  (imports count in the baseline, not the run)

    base = _maxrss_mb()
    sc, table, _ = _prepare(args.scenario, args.draws, args.seed, args.block_size)
    _blocks(sc, table, args.block_size)  # warm caches, then measure a second pass
    after_first = _maxrss_mb()
    tracemalloc.start()
    _blocks(sc, table, args.block_size)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "maxrss_after_imports_mb": base,
                "maxrss_mb": max(after_first, _maxrss_mb()),
                "tracemalloc_peak_mb": traced / 2**20,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="baseline-2025", help='name, path or "synthetic"')
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--block-size", type=int, default=1024)
    parser.add_argument("--single", type=int, default=200, help="draws run one at a time")
    parser.add_argument("--repeat", type=int, default=3, help="batched timings (best kept)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--top", type=int, default=25, help="profile lines shown")
    parser.add_argument("--child", choices=["memory"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "memory":
        child_memory(args)
        return

    # Memory first, in a fresh process started while this one is still small (Linux keeps
    # the RSS high-water mark across fork and exec).
    command = [sys.executable, __file__, "--child", "memory", "--scenario", args.scenario]
    command += ["--draws", str(args.draws), "--block-size", str(args.block_size)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    memory = json.loads(done.stdout.strip().splitlines()[-1])

    from simlab.experiment import simulate_block

    sc, table, sampling = _prepare(args.scenario, args.draws, args.seed, args.block_size)
    print(f"# scenario {sc.name!r}: {sc.n_steps} steps, {len(sc.providers)} providers, ", end="")
    print(f"{len(sc.segments)} segments, {len(sc.uncertain)} uncertain parameters")
    print(f"# python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cpus")

    _blocks(sc, table.iloc[: args.block_size], args.block_size)  # warm up
    batched = min(_blocks(sc, table, args.block_size) for _ in range(args.repeat))

    picks = np.linspace(0, args.draws - 1, min(args.single, args.draws)).astype(int)
    t0 = time.perf_counter()
    for i in picks:
        simulate_block(sc, table, int(i), int(i) + 1, False)
    per_draw_single = (time.perf_counter() - t0) / len(picks)
    per_draw_batched = batched / args.draws

    rows = [
        ("inputs table (sample_inputs)", f"{sampling:.3f} s", ""),
        (f"batched engine, {args.draws} draws", f"{batched:.3f} s", "< 1.5 s"),
        ("  per draw", f"{per_draw_batched * 1e6:.1f} us", ""),
        (f"one draw at a time ({len(picks)} sampled)", f"{per_draw_single * 1e3:.2f} ms", ""),
        (f"  extrapolated to {args.draws}", f"{per_draw_single * args.draws:.1f} s", ""),
        ("  batched speed-up per draw", f"{per_draw_single / per_draw_batched:.0f}x", ">= 100x"),
        ("peak RSS (fresh process)", f"{memory['maxrss_mb']:.0f} MB", "< 300 MB"),
        ("  RSS after imports", f"{memory['maxrss_after_imports_mb']:.0f} MB", ""),
        ("  tracemalloc peak of the run", f"{memory['tracemalloc_peak_mb']:.0f} MB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>12}  target")
    print(f"{'-' * width}  {'-' * 12}  ------")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>12}  {target}")

    if not args.no_profile:
        profiler = cProfile.Profile()
        profiler.enable()
        _blocks(sc, table, args.block_size)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(args.top)
        print("\n# cProfile of the batched run, by cumulative time")
        print(out.getvalue().split("\n\n", 1)[-1].rstrip())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
        print("\n# by own time")
        print(out.getvalue().split("\n\n", 1)[-1].rstrip())


if __name__ == "__main__":
    main()
