"""Peak memory of ``simlab.stream`` vs ``simlab.run`` as the number of draws grows.

Each measurement runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own:
``run`` keeps every draw's metrics and inputs in memory; ``stream`` writes each block to
its own netCDF file and keeps nothing, so its peak should not grow with the draws. Also
prints the time, the bytes on disk a draw, and the time to open the stream lazily and
compute one median over it.

Usage::

    python benchmarks/bench_stream.py                       # 4,096 and 16,384 draws
    python benchmarks/bench_stream.py --draws 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import simlab
from simlab.stream import open_stream, stream

how, name, draws, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
workers, keep = int(sys.argv[5]), json.loads(sys.argv[6])
executor = simlab.pool(workers) if workers > 1 else None
if executor is not None:
    executor.__enter__()
sc = simlab.load_scenario(name)
t0 = time.perf_counter()
written = 0.0
if how == "run":
    res = simlab.run(sc, draws=draws, seed=7, metrics=keep)
    median = float(res.metrics["npv"].sel(provider="openai").median())
    took, opened = time.perf_counter() - t0, 0.0
    size = 0
else:
    out = stream(sc, draws, seed=7, folder=folder, metrics=keep)
    took = time.perf_counter() - t0
    written = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t1 = time.perf_counter()
    npv = open_stream(out)["npv"].sel(provider="openai")
    median = float(npv.load().median())  # one variable, read into memory
    opened = time.perf_counter() - t1
    size = sum(p.stat().st_size for p in Path(out).glob("block-*.nc"))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"time": took, "open": opened, "peak": peak, "written": written, "size": size,
                  "median": median}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--draws", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--only", choices=["run", "stream"], help="measure one of the two")
    parser.add_argument("--workers", type=int, default=1, help="> 1: on a simlab.pool()")
    parser.add_argument("--metrics", nargs="*", help="keep only these metrics (all if omitted)")
    args = parser.parse_args()
    hows = [args.only] if args.only else ["run", "stream"]
    print(f"{args.scenario}, blocks of 1,024, seed 7; peak RSS of a fresh process each", end="")
    print(f" (the parent's, {args.workers} workers)" if args.workers > 1 else "")
    for draws in args.draws:
        for how in hows:
            with tempfile.TemporaryDirectory() as tmp:
                done = subprocess.run(
                    [
                        *(sys.executable, "-c", CHILD, how, args.scenario, str(draws), tmp),
                        *(str(args.workers), json.dumps(args.metrics)),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            disk = f", {r['size'] / draws / 1e3:.1f} kB a draw on disk" if r["size"] else ""
            lazy = ""
            if how == "stream":
                lazy = f", {r['written']:.0f} MB before the lazy median ({r['open']:.1f} s)"
            print(
                f"  {how:6s} {draws:>9,} draws  {r['time']:7.1f} s  peak {r['peak']:6.0f} MB"
                f"{disk}{lazy}  (median NPV {r['median']:.4g})"
            )
    print(f"  load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
