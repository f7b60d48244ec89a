"""Benchmark scenario discovery and sensitivity from the draws: 100,000 draws by 90 inputs.

The inputs are the baseline's own inputs table (``simlab.sample_inputs``: 90 uncertain
parameters, rank correlations imposed); the outcome is OpenAI's NPV from a real run of
those draws with ``--run`` (about a minute of engine time, not counted), or by default a
stand-in with the same shape of problem (a smooth function of five inputs plus noise,
thresholded at its 80th percentile for discovery). Timed, in this order:

- ``prim``: the peeling trajectory, the chosen box, pasted, with quasi-p-values;
- ``conditional``: the median shift of every input where the outcome holds;
- ``drivers``: Spearman, SRRC, PRCC, contribution to variance over all draws, and the
  given-data delta, PAWN and RBD-FAST on 10,000 of them (``given_draws``);
- ``cart``: a depth-4 classification tree (scikit-learn; not part of the target).

Target: prim + conditional + drivers < 10 s on a 2-core machine.

Usage::

    python benchmarks/bench_discover.py
    python benchmarks/bench_discover.py --draws 100000 --run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--run", action="store_true", help="OpenAI's NPV from a real run")
    args = parser.parse_args()

    import simlab

    sc = simlab.load_scenario("baseline-2025")
    started = time.perf_counter()
    if args.run:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", simlab.SimlabWarning)
            res = simlab.run(sc, draws=args.draws, seed=args.seed, metrics=["npv"], progress=False)
        inputs = res.inputs
        metric = res.metric("npv", "openai").to_numpy().astype(np.float64)
    else:
        inputs = simlab.sample_inputs(sc, draws=args.draws, seed=args.seed)
        u = inputs.rank(pct=True).to_numpy()
        rng = np.random.default_rng(args.seed)
        metric = (
            3 * u[:, 0]
            + 2 * np.sin(3 * u[:, 7])
            + u[:, 8] * u[:, 13]
            - 1.5 * u[:, 45] ** 2
            + 0.5 * rng.standard_normal(args.draws)
        )
    prepared = time.perf_counter() - started
    outcome = metric > np.quantile(metric, 0.8)

    times: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name, call):
        t0, c0 = time.perf_counter(), time.process_time()
        value = call()
        times[name] = time.perf_counter() - t0
        cpu[name] = time.process_time() - c0
        return value

    found = timed("prim", lambda: simlab.prim(inputs, outcome).box())
    timed("conditional", lambda: simlab.conditional(inputs, outcome))
    table = timed("drivers", lambda: simlab.drivers(inputs, metric))
    try:
        timed("cart", lambda: simlab.cart(inputs, outcome))
    except simlab.SimlabError as exc:
        print(f"cart skipped: {exc}")
    total = times["prim"] + times["conditional"] + times["drivers"]
    print(
        json.dumps(
            {
                "draws": args.draws,
                "inputs": inputs.shape[1],
                "outcome": "openai npv (run)" if args.run else "stand-in",
                "prepare_s": round(prepared, 1),
                **{f"{k}_s": round(v, 2) for k, v in times.items()},
                "target_total_s": round(total, 2),
                "target_total_cpu_s": round(
                    sum(cpu[k] for k in ("prim", "conditional", "drivers")), 2
                ),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "box": {
                    "restricted": list(found.limits.index),
                    "coverage": round(found.coverage, 3),
                    "density": round(found.density, 3),
                },
                "top_drivers": list(table.index[:5]),
                "machine": f"{platform.machine()} {platform.python_version()}",
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
