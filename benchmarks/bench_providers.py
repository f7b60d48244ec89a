"""Benchmark how run and save scale with the number of providers (issue 16, case 13).

A synthetic market of ``N`` providers (clones of the test scenario's open lab, with their
own uncertain quality, price and cost: about ``9 N`` inputs columns with the segment's and
finance's), 64 draws, monthly over three years. Timed: ``simlab.run`` and
``Results.to_netcdf``; the target is run time growing about linearly (100 -> 400
providers: ratio below 6) and saving taking no longer than running.

Usage::

    python benchmarks/bench_providers.py
    python benchmarks/bench_providers.py --providers 100 400 --draws 64
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
import tomllib
import warnings
from pathlib import Path

import simlab

FULL = Path(__file__).resolve().parent.parent / "tests" / "data" / "full.toml"


def market(n: int) -> simlab.Scenario:
    """Return a scenario of ``n`` providers (one closed lab, ``n - 1`` open ones)."""
    doc = tomllib.loads(FULL.read_text())
    template = doc["providers"]["openco"]
    template.pop("releases", None)
    providers = {"closedco": doc["providers"]["closedco"]}
    for i in range(n - 1):
        p = copy.deepcopy(template)
        p["quality"] = {"dist": "pert", "low": 50, "mode": 56 + (i % 7), "high": 66}
        p["price_in"] = {"dist": "uniform", "low": 0.2, "high": 0.6}
        p["price_out"] = {"dist": "uniform", "low": 0.8, "high": 2.0}
        p["cost"] = {"dist": "uniform", "low": 0.1, "high": 0.19}
        p["cost_decline"] = {"dist": "uniform", "low": 0.1, "high": 0.4}
        p["xi"] = {"dist": "normal", "mean": 0.0, "sd": 0.3}
        p["opex"] = {"dist": "uniform", "low": 1e6, "high": 1e8}
        p["training_cost"] = {"dist": "uniform", "low": 1e6, "high": 1e7}
        p["cash"] = {"dist": "uniform", "low": 0.0, "high": 1e8}
        providers[f"lab{i:04d}"] = p
    doc["providers"] = providers
    doc["events"] = {}
    doc["claims"] = {}
    doc["segments"]["consumer"].pop("pref_region", None)
    return simlab.Scenario.from_dict(doc, origin=f"<{n} providers>")


def measure(n: int, draws: int) -> dict[str, float]:
    """Time one run and one save of an ``n``-provider market."""
    sc = market(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        res = simlab.run(sc, draws=draws, seed=1)
        ran = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        res.to_netcdf(Path(tmp) / "r.nc")
        saved = time.perf_counter() - started
        size = (Path(tmp) / "r.nc").stat().st_size
    return {
        "providers": n,
        "inputs": len(res.inputs.columns),
        "run_s": round(ran, 3),
        "save_s": round(saved, 3),
        "file_mb": round(size / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--providers", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--draws", type=int, default=64)
    args = parser.parse_args()
    measure(10, args.draws)  # warm-up: imports, caches
    rows = [measure(n, args.draws) for n in args.providers]
    print(json.dumps(rows, indent=2))
    if len(rows) >= 2:
        print(f"run time ratio {rows[-1]['run_s'] / rows[0]['run_s']:.2f}")


if __name__ == "__main__":
    main()
