"""The DeepSeek shock: shares and prices before and after January 2025.

Question: what did DeepSeek's V3 (December 2024) and R1 (20 January 2025) releases, near
the frontier at a few per cent of peer prices, set in motion for closed providers' share
and for the price of a token?

Runs the ``deepseek-shock-2025`` scenario (the market of December 2024, then 2025's
releases at their list prices) with per-step paths, prints the open-weight share and the
market's average price just before and a year after R1, and plots fan charts of both.
"""

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import simlab

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "2000"))
FIGURES = ("02_shock_shares.png", "02_shock_prices.png")
R1 = np.datetime64("2025-01-20")


def main() -> None:
    res = simlab.run("deepseek-shock-2025", draws=DRAWS, seed=2025, paths=True)

    # Open-weight share and the average price paid (share-weighted), by draw and step.
    share_open = res.paths["share"].where(res.paths["kind"] == "open").sum("provider")
    price = (res.paths["share"] * res.paths["price"]).sum("provider")
    index = price / price.isel(time=0)  # the price index, December 2024 = 1
    for label, when in (
        ("Dec 2024", "2024-12-01"),
        ("Jan 2025", "2025-01-01"),
        ("Jul 2025", "2025-07-01"),
        ("Jan 2026", "2026-01-01"),
    ):
        s = float(share_open.sel(time=when).median())
        p = float(price.sel(time=when).median())
        i = float(index.sel(time=when).median())
        print(
            f"{label}: open-weight share {s:.1%}, average price {p:.2f} USD per M tokens "
            f"(index {i:.2f})"
        )

    for name, var, who in zip(
        FIGURES, ("share", "price"), (["open", "closed"], ["all", "open", "closed"]), strict=True
    ):
        fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
        simlab.plot.fan(res, var, who=who, by="group", ax=ax)
        ax.set_xlim(np.datetime64("2024-12-01"), np.datetime64("2027-12-01"))
        ax.axvline(R1, color="0.3", linestyle="--", linewidth=1)
        ax.annotate(
            "R1",
            (R1, 0.97),
            xycoords=("data", "axes fraction"),
            xytext=(4, 0),
            textcoords="offset points",
        )
        if var == "price":
            ax.set_yscale("log")
        fig.savefig(name, dpi=110)
        plt.close(fig)


if __name__ == "__main__":
    main()
