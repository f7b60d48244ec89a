"""Does USD 1.4 T pay back? NPV and payback of the capex commitments.

Question: with OpenAI's USD 1.4 T of compute orders committed in full and US big tech's
USD 700 B of data centres, what is the chance that the cash flows never cover them?

Runs the ``capex-reckoning`` scenario, prints P(NPV < 0) for OpenAI and the US and Chinese
groups with its Monte Carlo error, the scenario's claims, and plots the distributions of
OpenAI's NPV and of its payback time (draws that never pay back within the horizon have no
payback time and are counted, not dropped).
"""

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import simlab

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "2000"))
FIGURES = ("04_npv.png", "04_payback.png")


def main() -> None:
    res = simlab.run("capex-reckoning", draws=DRAWS, seed=14)
    for who in ("openai", "region=us", "region=cn"):
        p, se = res.probability("npv", "<", 0.0, who)
        print(f"P(NPV[{who}] < 0) = {p:.3f} ± {se:.3f}")
    print(res.claims()[["expr", "probability", "se"]].to_string())

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    simlab.plot.distribution(res, "npv", who="openai", ax=axes[0])
    simlab.plot.distribution(res, "npv", who="region=us", ax=axes[1])
    fig.savefig(FIGURES[0], dpi=110)
    plt.close(fig)
    simlab.plot.distribution(res, "payback_years", who="openai").savefig(FIGURES[1], dpi=110)


if __name__ == "__main__":
    main()
