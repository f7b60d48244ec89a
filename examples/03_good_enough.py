"""Good enough, ten times cheaper: where do closed providers lose the market?

Question: if an open model is a few points behind the best closed model and many times
cheaper, how much of the market do closed providers keep in 2030?

Sweeps DeepSeek, standing for the open-weight challenger, over a grid of quality (the gap
to GPT-5.1's 70 points at the start; DeepSeek's releases then close part of it) and
serving cost (its price is cost plus a fixed markup, so the grid is a grid of price
ratios to OpenAI's blended 3.44 USD per million tokens), in the ``good-enough`` scenario.
Every grid point is a Monte Carlo run on the same draws (common random numbers), and all
points run in one batched call. The heat map shows the closed providers' median share.
"""

import os

import matplotlib

matplotlib.use("Agg")

import numpy as np

import simlab

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "2000"))
POINT_DRAWS = max(20, DRAWS // 10)  # draws per grid point
FIGURES = ("03_good_enough_heatmap.png",)

BEST_CLOSED = 70.0  # GPT-5.1 on the AA v3 index, Nov 2025 (baseline-2025)
OPENAI_PRICE = 3.44  # OpenAI's blended list price, USD per M tokens (baseline-2025)
MARKUP = 0.575  # DeepSeek's cost-plus markup (baseline-2025)


def grid() -> dict[str, np.ndarray]:
    """Quality and serving cost of DeepSeek: gaps 0-25 points, price ratios 1-30."""
    gaps = np.linspace(0.0, 25.0, 11)
    ratios = np.geomspace(1.0, 30.0, 9)
    return {
        "providers.deepseek.quality": BEST_CLOSED - gaps,
        "providers.deepseek.cost": OPENAI_PRICE / (ratios * (1.0 + MARKUP)),
    }


def as_gap_and_ratio(da):
    """Relabel the swept parameters as the quality gap and the price ratio."""
    q, c = "providers.deepseek.quality", "providers.deepseek.cost"
    gap = BEST_CLOSED - da[q].values
    ratio = OPENAI_PRICE / (da[c].values * (1.0 + MARKUP))
    da = da.assign_coords({q: gap, c: ratio}).rename({q: "quality gap", c: "price ratio"})
    da["quality gap"].attrs["units"] = "index points below GPT-5.1"
    da["price ratio"].attrs["units"] = "OpenAI's price / DeepSeek's"
    return da.sortby(["quality gap", "price ratio"])


def main() -> None:
    da = simlab.sweep(
        "good-enough",
        grid(),
        metric="share",
        group="closed",
        year=2030,
        draws=POINT_DRAWS,
        seed=3,
    )
    da = as_gap_and_ratio(da)
    median = da.sel(statistic="median")
    print(median.round(3).to_pandas().to_string())
    fig = simlab.plot.heatmap(da, statistic="median")
    ax = fig.axes[0]
    ax.set_xscale("log")
    ax.set_title("Closed providers' share in 2030 (median)")
    fig.savefig(FIGURES[0], dpi=110)


if __name__ == "__main__":
    main()
