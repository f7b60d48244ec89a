"""What drives OpenAI's NPV? Morris screening, a tornado and Sobol' indices.

Question: of the baseline's ninety uncertain figures, which ones decide whether OpenAI's
cash flows are worth anything, and how much of the uncertainty does each explain?

Three steps, from cheap to thorough: a Morris screening of every uncertain parameter
(``trajectories * (k + 1)`` runs), a tornado of the eight that matter most (each swung
between its 10 % and 90 % quantiles on common random numbers), and first-order and total
Sobol' indices of those eight, with bootstrap intervals and a convergence check.
"""

import os

import matplotlib

matplotlib.use("Agg")

import simlab

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "2000"))
FIGURES = ("05_morris.png", "05_tornado.png", "05_sobol.png")
TARGET = {"metric": "npv", "provider": "openai"}


def main() -> None:
    scenario = simlab.load_scenario("baseline-2025")
    screen = simlab.morris(scenario, **TARGET, trajectories=max(10, DRAWS // 100), seed=5)
    print(screen.head(12).to_string())
    top = list(screen.index[:8])

    swings = simlab.tornado(scenario, **TARGET, draws=max(50, DRAWS // 10), parameters=top)
    print(swings[["parameter", "metric_low", "metric_high", "swing"]].to_string())

    n = 1 << max(6, (DRAWS // 4).bit_length() - 1)  # a power of 2, about DRAWS / 4
    indices = simlab.sobol(scenario, **TARGET, n=n, seed=5, parameters=top)
    print(indices.round(3).to_string())
    steps = simlab.sensitivity.sobol_convergence(
        scenario, **TARGET, ns=(n // 4, n // 2, n), seed=5, parameters=top
    )
    print(steps.pivot(index="parameter", columns="n", values="ST").round(3).to_string())

    simlab.plot.morris(screen).savefig(FIGURES[0], dpi=110)
    simlab.plot.tornado(swings).savefig(FIGURES[1], dpi=110)
    simlab.plot.sobol_bars(indices).savefig(FIGURES[2], dpi=110)


if __name__ == "__main__":
    main()
