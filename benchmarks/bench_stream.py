"""Peak memory of ``simlab.stream`` vs ``simlab.run``, and the cost of opening a stream.

Each measurement runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own:
``run`` keeps every draw's metrics and inputs in memory; ``stream`` writes each block to
disk and keeps nothing, so its peak should not grow with the draws. For each stream
format (``zarr``: one store, a chunk a block; ``netcdf``: a file a block), a second fresh
process then opens the stream lazily (``open_stream``) and reads one variable (OpenAI's
NPV) to take its median: the time to open, the time to read, and that process's peak
(the libraries are imported before the clock starts).

``--netcdf-from-zarr`` makes the netCDF stream from the Zarr one (the same blocks, each
read from the store and written to its file as ``stream`` does) instead of running the
simulation a second time: for 10^6 draws, where the run is what costs.

Usage::

    python benchmarks/bench_stream.py                       # 4,096 and 16,384 draws
    python benchmarks/bench_stream.py --draws 100000 --only stream
    python benchmarks/bench_stream.py --draws 1000000 --only stream --workers 2 --metrics npv \
        --netcdf-from-zarr
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

CONVERT = r"""
import json, sys, time
from pathlib import Path
from simlab.stream import _block_name, _write_netcdf, open_stream

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
manifest = json.loads((src / "manifest.json").read_text())
ds = open_stream(src)
for var in ds.variables.values():
    var.encoding = {}  # Zarr's chunks and compressor
dst.mkdir()
size = manifest["block_size"]
for block, start in enumerate(range(0, manifest["draws"], size)):
    part = ds.isel(draw=slice(start, start + size)).load()
    _write_netcdf(part, dst / _block_name(block, "netcdf"))
(dst / "manifest.json").write_text(json.dumps({**manifest, "format": "netcdf"}))
took = time.perf_counter() - t0
total = sum(p.stat().st_size for p in dst.iterdir())
print(json.dumps({"time": took, "peak": float("nan"), "size": total, "median": float("nan")}))
"""

OPEN = r"""
import json, resource, sys, time
import dask.array, h5netcdf, xarray, zarr  # imported before the clock
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


def report(how: str, fmt: str, draws: int, w: dict[str, float], r: dict[str, float] | None) -> None:
    label = how if how == "run" else f"{how}/{fmt}"
    if w["peak"] != w["peak"]:  # NaN: converted, not run
        line = (
            f"  {label:13s} {draws:>9,} draws  converted from the Zarr stream in {w['time']:.1f} s"
        )
    else:
        line = f"  {label:13s} {draws:>9,} draws  {w['time']:7.1f} s  peak {w['peak']:6.0f} MB"
    if r is None:
        print(f"{line}  (median NPV {w['median']:.4g})")
        return
    print(
        f"{line}, {w['size'] / draws / 1e3:.1f} kB a draw on disk; opened in "
        f"{r['open']:.2f} s, one variable read in {r['read']:.2f} s, peak "
        f"{r['peak']:.0f} MB  (median NPV {r['median']:.4g})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--draws", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--only", choices=["run", "stream"], help="measure one of the two")
    parser.add_argument(
        "--formats", nargs="+", choices=["zarr", "netcdf"], default=["zarr", "netcdf"]
    )
    parser.add_argument(
        "--netcdf-from-zarr",
        action="store_true",
        help="make the netCDF stream from the Zarr one instead of running it again",
    )
    parser.add_argument("--workers", type=int, default=1, help="> 1: on a simlab.pool()")
    parser.add_argument("--metrics", nargs="*", help="keep only these metrics (all if omitted)")
    args = parser.parse_args()
    hows = [args.only] if args.only else ["run", "stream"]
    print(f"{args.scenario}, blocks of 1,024, seed 7; peak RSS of a fresh process each", end="")
    print(f" (the parent's, {args.workers} workers)" if args.workers > 1 else "")
    keep, workers = json.dumps(args.metrics), str(args.workers)
    for draws in args.draws:
        for how in hows:
            formats = args.formats if how == "stream" else ["-"]
            if args.netcdf_from_zarr and "netcdf" in formats:
                formats = ["zarr", "netcdf"]  # the Zarr stream first, then converted
            with tempfile.TemporaryDirectory() as tmp:
                for fmt in formats:
                    folder = os.path.join(tmp, fmt)
                    if fmt == "netcdf" and args.netcdf_from_zarr:
                        w = child(CONVERT, os.path.join(tmp, "zarr"), folder)
                    else:
                        w = child(WRITE, how, args.scenario, str(draws), folder, workers, keep, fmt)
                    r = child(OPEN, folder) if how == "stream" else None
                    report(how, fmt, draws, w, r)
    print(f"  load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
