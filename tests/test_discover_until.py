"""Precision-targeted runs: run(..., until=...) and simlab.Precision."""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import simlab
from simlab.errors import ScenarioError, SimlabWarning
from simlab.precision import Precision, quantile_se


@pytest.fixture(scope="module")
def sc():
    return simlab.load_scenario("baseline-2025")


def assert_same_run(a, b) -> None:
    """Bit-identical metrics (values, coordinates) and inputs."""
    xr.testing.assert_equal(a.metrics, b.metrics)
    for name in a.metrics.data_vars:
        assert np.array_equal(
            a.metrics[name].to_numpy(), b.metrics[name].to_numpy(), equal_nan=True
        )
    pd.testing.assert_frame_equal(a.inputs, b.inputs)


def test_until_equals_the_fixed_run_of_its_final_size(sc):
    target = Precision(se=0.02, claims=["openai-npv-negative"], min_draws=128)
    res = simlab.run(sc, draws=20_000, seed=5, block_size=128, until=target)
    n = res.draws
    assert res.metrics.attrs["until_stopped"] == "target"
    assert 128 <= n < 20_000 and n % 128 == 0
    # the binomial se at the stop is on target (Laplace's estimate, as the rule uses it)
    p, _ = res.claims().loc["openai-npv-negative", ["probability", "se"]]
    assert res.metrics.attrs["until_se"] <= 0.02
    assert np.sqrt(p * (1 - p) / n) <= 0.0201
    fixed = simlab.run(sc, draws=n, seed=5, block_size=128)
    assert_same_run(res, fixed)
    # one block fewer would not have reached the target (it stops at the first block
    # boundary found, within one look's batch): the se of the run without its last batch
    # is larger than the target
    assert res.metrics.attrs["seed"] == 5 and res.metrics.attrs["block_size"] == 128


def test_until_on_an_executor_gives_the_same_numbers(sc):
    target = Precision(se=0.03, claims=["openai-npv-negative"], min_draws=64)
    here = simlab.run(sc, draws=5000, seed=2, block_size=64, until=target)
    with cf.ThreadPoolExecutor(2) as pool:
        there = simlab.run(sc, draws=5000, seed=2, block_size=64, until=target, executor=pool)
    assert here.draws == there.draws
    assert_same_run(here, there)


def test_until_stops_at_the_budget_when_the_target_is_unreachable(sc):
    with pytest.warns(SimlabWarning, match="budget of 300 draws was spent"):
        res = simlab.run(sc, draws=300, seed=1, block_size=128, until=1e-6)
    assert res.draws == 300  # the last, partial block included
    assert res.metrics.attrs["until_stopped"] == "budget"
    assert res.metrics.attrs["until_se"] > 1e-6
    assert_same_run(res, simlab.run(sc, draws=300, seed=1, block_size=128))


def test_until_a_metric_quantile(sc):
    # a target about twice as tight as 256 draws give (so about four times the draws),
    # set from the run itself so that it holds whatever the model's scale
    pilot = simlab.run(sc, draws=256, seed=4, block_size=256).metric("npv", "openai")
    se = quantile_se(pilot.to_numpy(), 0.5) / 2
    target = Precision(se=se, metric="npv", who="openai", quantile=0.5, min_draws=256)
    res = simlab.run(sc, draws=16_384, seed=4, block_size=256, until=target)
    values = res.metric("npv", "openai").to_numpy()
    assert quantile_se(values, 0.5) <= se
    assert res.metrics.attrs["until_stopped"] == "target"
    assert 512 <= res.draws < 16_384


def test_quantile_se_of_a_normal_median_is_the_asymptotic_one():
    # se of the median of N(0, 1) is sqrt(pi / 2) / sqrt(n) (the density at 0 is 1/sqrt(2 pi))
    x = np.random.default_rng(0).standard_normal(200_000)
    assert quantile_se(x, 0.5) == pytest.approx(np.sqrt(np.pi / 2 / x.size), rel=0.05)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"until": 0.0}, "se must be a positive number"),
        ({"until": "tight"}, "until must be a standard error"),
        ({"until": 0.01, "sampler": "lhs"}, "needs sampler='mc'"),
        ({"until": Precision(se=0.01, claims=["nope"])}, "unknown claim 'nope'"),
        ({"until": Precision(se=0.01, metric="npv", quantile=1.5)}, "quantile must be in"),
    ],
)
def test_bad_until_is_a_scenario_error(sc, kwargs, match):
    with pytest.raises(ScenarioError, match=match):
        simlab.run(sc, draws=100, seed=1, **kwargs)


# --------------------------------------------------------------------------- goal seek
def test_goal_seek_interval_contains_the_crossing_of_a_fine_sweep(sc):
    from simlab.discover._data import claim_outcome

    param, claim, draws, seed = "finance.discount_rate", "openai-npv-negative", 200, 3
    # the fine sweep on the same draws (common random numbers), by hand
    base = simlab.sample_inputs(sc, draws, seed)
    grid = np.linspace(0.05, 0.3, 26)
    probability = []
    for value in grid:
        table = base.copy()
        table[param] = value
        probability.append(np.nanmean(claim_outcome(simlab.simulate(sc, table), claim)))
    probability = np.array(probability)
    assert np.all(np.diff(probability) >= -0.02)  # monotone up to the draws' steps
    assert probability[-1] - probability[0] > 0.05
    # a target between two of the draws' steps, half-way up the sweep
    target = (np.floor((probability[0] + probability[-1]) / 2 * draws) + 0.5) / draws
    found = simlab.goal_seek(
        sc, param, claim, target, low=0.05, high=0.3, draws=draws, seed=seed, tol=0.002
    )
    i = int(np.argmax(probability >= target))
    assert 0 < i
    left, right = grid[i - 1], grid[i]
    assert found.low <= right and left <= found.high  # the interval meets the crossing
    assert found.low <= found.value <= found.high
    a, b = found.bracket
    # within the search's tolerance of the sweep's crossing (the claim's probability moves
    # in steps of 1/draws, so the two can meet the target a hair apart)
    assert b - a <= 0.002 and left - 0.002 <= found.value <= right + 0.002
    # the trials the answer reports are the probabilities of those draws
    row = found.evaluations.set_index("value").loc[0.05, "probability"]
    assert row == pytest.approx(probability[0])


def test_goal_seek_says_when_the_target_is_not_bracketed(sc):
    with pytest.raises(
        ScenarioError, match=r"target 0.01 is not bracketed: P\(openai-npv-negative\)"
    ):
        simlab.goal_seek(
            sc, "finance.discount_rate", "openai-npv-negative", 0.01, low=0.05, high=0.3, draws=50
        )


def test_goal_seek_on_a_dead_parameter_warns_and_is_not_bracketed(sc):
    from simlab.errors import DeadParameterWarning

    with pytest.warns(DeadParameterWarning), pytest.raises(ScenarioError, match="not bracketed"):
        simlab.goal_seek(
            sc,
            "providers.deepseek.price_in",
            "openai-npv-negative",
            0.5,
            low=0.1,
            high=2.0,
            draws=40,
        )


def test_until_stops_where_memory_runs_short(sc, monkeypatch):
    from simlab import experiment

    # pretend a draw takes a byte and 5000 bytes fit: the budget of 5000 draws passes
    # the check up front, but the draws so far and their assembled copy (2 bytes a draw)
    # fit only up to 2500 draws, i.e. 19 blocks of 128
    monkeypatch.setattr(
        experiment, "run_bytes", lambda scenario, n, paths=False, design=False: n * 1.0
    )
    monkeypatch.setattr(experiment, "check_memory", _refuse_above(5000.0))
    with pytest.warns(SimlabWarning, match="memory ran short after 2432 draws"):
        res = simlab.run(sc, draws=5000, seed=1, block_size=128, until=1e-6)
    assert res.draws == 2432 and res.metrics.attrs["until_stopped"] == "memory"


def _refuse_above(limit):
    def check(what, nbytes, advice):
        if nbytes > limit:
            raise ScenarioError(f"{what} needs too much memory")

    return check


def test_goal_seek_refuses_a_discount_rate_that_leaves_no_terminal_value(sc):
    growth = sc.value_range("finance.terminal_growth")[1]
    with pytest.raises(
        ScenarioError,
        match=r"goal_seek: low = 0.01 of finance.discount_rate with finance.terminal_growth "
        rf"reaching {growth:g} gives no terminal value",
    ):
        simlab.goal_seek(
            sc, "finance.discount_rate", "openai-npv-negative", 0.5, low=0.01, high=0.3, draws=8
        )
