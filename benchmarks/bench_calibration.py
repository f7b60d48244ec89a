"""Benchmark the calibration of the hindcast: history matching over 20,000 draws in all.

``simlab.calibrate("history-2023", ...)`` with the settings of docs/calibration.md
(10 waves of 2,000 draws, discrepancy 0.1, the three Google token counts skipped), in
this process and on a pool of two processes; each timed once after a warm-up run of
1,000 draws of the hindcast (imports, first use of every code path). Also reported: draws kept,
effective sample size, and the time of one prior run of the hindcast (2,000 draws, paths).

Target: the 20,000-draw calibration in under 60 s on a 2-core machine.

Usage::

    python benchmarks/bench_calibration.py
    python benchmarks/bench_calibration.py --draws 50000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import simlab
    from simlab.experiment import process_pool

    skip = ["google-tokens-2024-04", "google-tokens-2025-05", "google-tokens-2025-10"]
    obs = simlab.load_observations("history-2023")
    settings = {"seed": args.seed, "waves": 10, "discrepancy": 0.1, "skip": skip}
    warnings.simplefilter("ignore", simlab.SimlabWarning)
    simlab.run("history-2023", draws=1_000, seed=2, paths=True, progress=False)  # warm-up
    figures: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load": os.getloadavg()[0],
        "draws": args.draws,
    }
    started = time.perf_counter()
    simlab.run("history-2023", draws=2000, seed=1, paths=True, progress=False)
    figures["prior_run_2000_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    cal = simlab.calibrate("history-2023", obs, draws=args.draws, **settings)
    figures["calibrate_s"] = round(time.perf_counter() - started, 2)
    figures["kept"] = len(cal.inputs)
    figures["ess"] = round(cal.ess, 1)
    if args.workers > 1:
        with process_pool(args.workers) as pool:
            simlab.run("history-2023", draws=2048, seed=2, paths=True, executor=pool)
            started = time.perf_counter()
            pooled = simlab.calibrate(
                "history-2023", obs, draws=args.draws, executor=pool, **settings
            )
            figures[f"calibrate_{args.workers}_workers_s"] = round(time.perf_counter() - started, 2)
        figures["identical_on_the_pool"] = bool(pooled.inputs.equals(cal.inputs))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
