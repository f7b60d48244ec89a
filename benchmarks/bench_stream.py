"""Peak memory of ``simlab.stream`` vs ``simlab.run``, and the cost of opening a stream.

Each measurement runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own:
``run`` keeps every draw's metrics and inputs in memory; ``stream`` writes each block to
disk and keeps nothing, so its peak should not grow with the draws. For each stream
format (``zarr``: one store, a chunk a block; ``netcdf``: a file a block), a second fresh
process then opens the stream lazily (``open_stream``) and reads one variable (OpenAI's
NPV) to take its median: the time to open, the time to read, and that process's peak.

Usage::

    python benchmarks/bench_stream.py                       # 4,096 and 16,384 draws
    python benchmarks/bench_stream.py --draws 100000 --only stream
    python benchmarks/bench_stream.py --draws 1000000 --only stream --workers 2 --metrics npv
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

WRITE = r"""
import json, resource, sys, time
from pathlib import Path
import simlab
from simlab.stream import stream

how, name, draws, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
workers, keep, fmt = int(sys.argv[5]), json.loads(sys.argv[6]), sys.argv[7]
executor = simlab.pool(workers) if workers > 1 else None
if executor is not None:
    executor.__enter__()
sc = simlab.load_scenario(name)
t0 = time.perf_counter()
median, size = float("nan"), 0
if how == "run":
    res = simlab.run(sc, draws=draws, seed=7, metrics=keep)
    median = float(res.metrics["npv"].sel(provider="openai").median())
else:
    out = stream(sc, draws, seed=7, folder=folder, metrics=keep, format=fmt)
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
took = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"time": took, "peak": peak, "size": size, "median": median}))
"""

OPEN = r"""
import json, resource, sys, time
from simlab.stream import open_stream

t0 = time.perf_counter()
ds = open_stream(sys.argv[1])
t1 = time.perf_counter()
median = float(ds["npv"].sel(provider="openai").load().median())  # one variable, read
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"open": t1 - t0, "read": t2 - t1, "peak": peak, "median": median}))
"""


def child(*args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--draws", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--only", choices=["run", "stream"], help="measure one of the two")
    parser.add_argument(
        "--formats", nargs="+", choices=["zarr", "netcdf"], default=["zarr", "netcdf"]
    )
    parser.add_argument("--workers", type=int, default=1, help="> 1: on a simlab.pool()")
    parser.add_argument("--metrics", nargs="*", help="keep only these metrics (all if omitted)")
    args = parser.parse_args()
    hows = [args.only] if args.only else ["run", "stream"]
    print(f"{args.scenario}, blocks of 1,024, seed 7; peak RSS of a fresh process each", end="")
    print(f" (the parent's, {args.workers} workers)" if args.workers > 1 else "")
    keep = json.dumps(args.metrics)
    for draws in args.draws:
        for how in hows:
            for fmt in args.formats if how == "stream" else ["-"]:
                with tempfile.TemporaryDirectory() as tmp:
                    w = child(
                        WRITE, how, args.scenario, str(draws), tmp, str(args.workers), keep, fmt
                    )
                    r = child(OPEN, tmp) if how == "stream" else None
                label = how if how == "run" else f"{how}/{fmt}"
                line = (
                    f"  {label:13s} {draws:>9,} draws  {w['time']:7.1f} s  peak {w['peak']:6.0f} MB"
                )
                if r is None:
                    print(f"{line}  (median NPV {w['median']:.4g})")
                    continue
                print(
                    f"{line}, {w['size'] / draws / 1e3:.1f} kB a draw on disk; opened in "
                    f"{r['open']:.2f} s, one variable read in {r['read']:.2f} s, peak "
                    f"{r['peak']:.0f} MB  (median NPV {r['median']:.4g})"
                )
    print(f"  load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
