"""Edit a scenario in code and compare it with the original.

Question: what if the Chinese open labs close their gap to the quality frontier four
times as fast (a point a release instead of a quarter), and closed labs cut list prices
faster in answer?

Edits ``baseline-2025`` in code with ``Scenario.with_values`` (each path set to a number,
or to a new distribution), runs both versions on the same seed (so draw ``i`` of one run
is draw ``i`` of the other: common random numbers) and compares them, draw by draw and
as distributions.
"""

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import simlab

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "2000"))
FIGURES = ("06_compare_share.png", "06_compare_npv.png")
FAST = {"dist": "pert", "low": -2.0, "mode": -1.0, "high": 0.0}  # gap change, points a release


def main() -> None:
    base = simlab.load_scenario("baseline-2025")
    edits = {
        f"providers.{lab}.releases.gap_change": FAST
        for lab in ("deepseek", "moonshot", "minimax", "qwen", "zhipu")
    }
    edits.update(
        {
            f"providers.{lab}.pricing.drift": -0.35
            for lab in ("openai", "anthropic", "google", "xai")
        }
    )
    fast = base.with_values(edits)
    print(fast.parameters.loc[list(edits)[:2], ["value", "distribution"]].to_string())

    res_base = simlab.run(base, draws=DRAWS, seed=11)
    res_fast = simlab.run(fast, draws=DRAWS, seed=11)
    table = res_base.compare(res_fast, metrics=("share_final", "npv"), who=("closed", "openai"))
    print(table.round(3).to_string())

    labels = ("baseline-2025", "faster catch-up, faster cuts")
    for name, metric, who in ((FIGURES[0], "share_final", "closed"), (FIGURES[1], "npv", "openai")):
        fig = simlab.plot.compare(res_base, res_fast, metric, who, labels=labels)
        fig.savefig(name, dpi=110)
        plt.close(fig)


if __name__ == "__main__":
    main()
