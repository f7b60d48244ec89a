"""Quickstart: run the baseline and look at market shares.

Question: starting from the market of November 2025, how do shares split between closed
and open-weight providers over the next ten years, and how sure can we be?

Loads the shipped ``baseline-2025`` scenario, runs its Monte Carlo draws, prints the
summary and the probability of each of the scenario's claims, and plots the median shares
and a fan chart of the open and closed groups.
"""

import os

import matplotlib

matplotlib.use("Agg")  # write files; no window

import simlab

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "2000"))
FIGURES = ("01_shares.png", "01_share_fan.png")


def main() -> None:
    scenario = simlab.load_scenario("baseline-2025")
    print(scenario)
    res = simlab.run(scenario, draws=DRAWS, seed=7, paths=True)
    print(res.summary(metrics=("revenue", "npv", "share_final", "price_final")).to_string())
    print(res.claims()[["expr", "probability", "se"]].to_string())

    simlab.plot.shares(res).savefig(FIGURES[0], dpi=110)
    fan = simlab.plot.fan(res, "share", who=["open", "closed"], by="group")
    fan.savefig(FIGURES[1], dpi=110)


if __name__ == "__main__":
    main()
