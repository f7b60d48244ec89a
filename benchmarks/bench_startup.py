"""Benchmark start-up: ``import simlab``, ``simlab --version``, ``simlab validate``.

Each command runs in a fresh interpreter, ``--repeat`` times; the table shows the median and
the fastest wall time (the fastest is the least disturbed by other jobs on the machine).
Targets (issue 14): ``import simlab`` < 1 s, ``simlab --version`` < 0.5 s.

Usage::

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --repeat 9
    PYTHONPATH=/path/to/other/checkout python benchmarks/bench_startup.py   # compare
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python (no simlab)": [sys.executable, "-c", "pass"],
    "import simlab": [sys.executable, "-c", "import simlab"],
    "simlab --version": [sys.executable, "-m", "simlab", "--version"],
    "simlab validate baseline-2025": [sys.executable, "-m", "simlab", "validate", "baseline-2025"],
    "from simlab import run": [sys.executable, "-c", "from simlab import run"],
    "import every public name": [
        sys.executable,
        "-c",
        "import simlab; [getattr(simlab, n) for n in simlab.__all__]",
    ],
}


def measure(command: list[str], repeat: int) -> list[float]:
    """Return the wall times of ``repeat`` runs of ``command`` (seconds)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, repeat {args.repeat}")
    print(f"{'command':34s} {'median':>8s} {'fastest':>8s}")
    for name, command in COMMANDS.items():
        times = measure(command, args.repeat)
        print(f"{name:34s} {statistics.median(times):7.2f}s {min(times):7.2f}s")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
