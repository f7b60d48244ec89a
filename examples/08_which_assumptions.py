"""Under which assumptions does OpenAI's compute pay back? PRIM, CART and the drivers.

Question: in the baseline, OpenAI's NPV is positive in a minority of the draws. Which
combinations of the scenario's assumptions make it so? One run answers it without
running the engine again: PRIM peels the inputs table down to a box where the outcome is
frequent (the peeling trajectory trades coverage for density; the chosen box lists its
limits with quasi-p-values), a classification tree gives rules for comparison, and the
rank and given-data sensitivity measures rank all ninety inputs by how much they drive
the NPV. A precision-targeted run says how many draws the claim's probability needs.
"""

import os
import warnings

import matplotlib

matplotlib.use("Agg")

import simlab
from simlab.discover import plots

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "4000"))
FIGURES = ("08_trajectory.png", "08_box.png", "08_drivers.png")


def main() -> None:
    scenario = simlab.load_scenario("baseline-2025")
    res = simlab.run(scenario, draws=DRAWS, seed=2025)
    pays_back = simlab.outcome(res, metric="npv", provider="openai", above=0)
    print(f"OpenAI's NPV > 0 in {pays_back.mean():.1%} of {res.draws} draws")

    found = simlab.prim(res, pays_back)
    print(found.trajectory.iloc[::8].round(3).to_string())
    box = found.box()
    print(box)

    try:
        tree = simlab.cart(res, pays_back, max_depth=3)
        print("\n".join(tree.rules(min_density=0.5)))
    except simlab.SimlabError as exc:  # scikit-learn is optional
        print(exc)

    print(simlab.conditional(res, pays_back).head(5).to_string())
    drivers = simlab.drivers(res, "npv", provider="openai")
    print(drivers.head(8).round(3).to_string())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)  # a budget spent is fine here
        precise = simlab.run(
            scenario,
            draws=max(DRAWS, 2048),
            seed=2025,
            until=simlab.Precision(se=0.01, claims=["openai-npv-negative"], min_draws=512),
        )
    print(
        f"P(openai-npv-negative) to +-1 pp: {precise.draws} draws "
        f"({precise.metrics.attrs['until_stopped']})"
    )

    plots.trajectory(found).savefig(FIGURES[0], dpi=110)
    plots.box_limits(box).savefig(FIGURES[1], dpi=110)
    plots.drivers_bars(drivers, column="spearman", top=12).savefig(FIGURES[2], dpi=110)


if __name__ == "__main__":
    main()
