"""The arithmetic floor of the engine: transcendental values a draw, at numpy's speed.

Counts, over one block of a scenario, how many values numpy's ``exp``, ``log``,
``log1p``, ``expm1``, ``logaddexp`` and ``power`` compute (the ``**`` of the best
response's markup equation counted through the elasticity it feeds, one a cell), divides
by the draws, and times numpy's ``exp``, ``log`` and ``power`` on this CPU over a large
array. Their product is a floor for the engine: no implementation of the same equations
that evaluates these functions at numpy's speed can run faster, before any of the other
arithmetic.

Usage::

    python benchmarks/bench_floor.py                     # baseline-2025, 1,024 draws
    python benchmarks/bench_floor.py --scenario synthetic
"""

from __future__ import annotations

import argparse
import collections
import os
import time

import numpy as np

FUNCTIONS = ("exp", "log", "log1p", "expm1", "logaddexp", "power")


def count(scenario: str, draws: int, seed: int) -> tuple[dict[str, float], int]:
    """Return the values each function computed over one block, per draw, and the steps."""
    from bench_engine import build_scenario

    import simlab.market.pricing as pricing
    from simlab.engine import validate_inputs
    from simlab.experiment import sample_inputs, simulate_block

    sc = build_scenario(scenario)
    table = validate_inputs(sc, sample_inputs(sc, draws, seed, "mc", draws))
    counts: collections.Counter[str] = collections.Counter()
    originals = {name: getattr(np, name) for name in FUNCTIONS}
    elasticity = pricing.own_price_elasticity

    def counted(name):
        function = originals[name]

        def wrapper(*args, **kwargs):
            out = function(*args, **kwargs)
            counts[name] += np.size(out)
            return out

        return wrapper

    def counted_elasticity(*args, **kwargs):
        out = elasticity(*args, **kwargs)
        counts["power"] += np.size(out)  # one ``inside ** scale`` a cell beside it
        return out

    try:
        for name in FUNCTIONS:
            setattr(np, name, counted(name))
        pricing.own_price_elasticity = counted_elasticity
        simulate_block(sc, table, 0, draws, False)
    finally:
        for name, function in originals.items():
            setattr(np, name, function)
        pricing.own_price_elasticity = elasticity
    return {k: counts[k] / draws for k in FUNCTIONS}, len(sc.times)


def speed(repeat: int = 20) -> dict[str, float]:
    """Return numpy's time a value (ns) for exp, log and power over 2^20 values."""
    x = np.random.default_rng(1).uniform(-5.0, 5.0, 1 << 20)
    positive = np.abs(x) + 0.1
    cases = {
        "exp": lambda: np.exp(x),
        "log": lambda: np.log(positive),
        "power": lambda: np.power(positive, 0.7),
        "multiply": lambda: np.multiply(x, x),
    }
    out = {}
    for name, call in cases.items():
        call()
        best = min(_timed(call) for _ in range(repeat))
        out[name] = best / x.size * 1e9
    return out


def _timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--draws", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--target-draws", type=int, default=10_000)
    args = parser.parse_args()
    per_draw, steps = count(args.scenario, args.draws, args.seed)
    ns = speed()
    print(f"# {args.scenario}, one block of {args.draws} draws, seed {args.seed}")
    print(f"# numpy {np.__version__}, load average {os.getloadavg()[0]:.2f}")
    total = 0.0
    for name in FUNCTIONS:
        cost = ns["power"] if name == "power" else ns["log"] if "log" in name else ns["exp"]
        total += per_draw[name] * cost
        print(f"{name:10s} {per_draw[name]:10,.0f} values a draw  x {cost:.2f} ns")
    values = sum(per_draw.values())
    print(f"{'all':10s} {values:10,.0f} a draw ({values / steps:,.0f} a step, {steps} steps)")
    print(
        f"numpy: exp {ns['exp']:.2f} ns, log {ns['log']:.2f} ns, power {ns['power']:.2f} ns, "
        f"multiply {ns['multiply']:.2f} ns a value"
    )
    print(
        f"floor for {args.target_draws:,} draws (these functions alone): "
        f"{total * args.target_draws * 1e-9:.2f} s on one core"
    )


if __name__ == "__main__":
    main()
