"""Scenario discovery (PRIM, CART), conditional analysis and sensitivity from the draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simlab
from simlab.discover import cart, conditional, drivers, prim
from simlab.discover.drivers import pawn_median
from simlab.errors import ScenarioError, SimlabWarning

# The true box: 0.2 <= x0 <= 0.6 and x1 >= 0.5; x2..x5 are noise.
LOW0, HIGH0, LOW1 = 0.2, 0.6, 0.5


@pytest.fixture(scope="module")
def boxed():
    rng = np.random.default_rng(20)
    n = 20_000
    table = pd.DataFrame(rng.random((n, 6)), columns=[f"x{i}" for i in range(6)])
    inside = (table.x0 >= LOW0) & (table.x0 <= HIGH0) & (table.x1 >= LOW1)
    flip = rng.random(n) < 0.05  # 5 % label noise
    return table, np.where(flip, ~inside, inside)


def test_prim_finds_the_true_box_and_leaves_the_noise_alone(boxed):
    table, y = boxed
    found = prim(table, y)
    box = found.box()
    assert set(box.limits.index) == {"x0", "x1"}  # no noise input restricted
    assert box.limits.loc["x0", "low"] == pytest.approx(LOW0, abs=0.03)
    assert box.limits.loc["x0", "high"] == pytest.approx(HIGH0, abs=0.03)
    assert box.limits.loc["x1", "low"] == pytest.approx(LOW1, abs=0.03)
    assert box.limits.loc["x1", "high"] == pytest.approx(table.x1.max())
    assert (box.limits["qp"] < 1e-10).all()
    # coverage, density and mass by hand from the limits
    lim = box.limits
    hand = (
        table.x0.between(lim.loc["x0", "low"], lim.loc["x0", "high"])
        & table.x1.between(lim.loc["x1", "low"], lim.loc["x1", "high"])
    ).to_numpy()
    assert box.draws == hand.sum()
    assert box.mass == pytest.approx(hand.mean())
    assert box.density == pytest.approx(y[hand].mean())
    assert box.coverage == pytest.approx(y[hand].sum() / y.sum())
    np.testing.assert_array_equal(box.inside(table), hand)
    # about the true box's coverage (0.95 * 0.2 of 0.23) and density (0.95)
    assert box.coverage > 0.7 and box.density > 0.93


def test_prim_trajectory_starts_with_every_draw_and_gets_denser(boxed):
    table, y = boxed
    t = prim(table, y, min_mass=0.1).trajectory
    assert t.loc[0, "coverage"] == 1.0 and t.loc[0, "mass"] == 1.0
    assert t.loc[0, "density"] == pytest.approx(y.mean())
    assert t["mass"].is_monotonic_decreasing and t["coverage"].is_monotonic_decreasing
    assert t["mass"].iloc[-1] >= 0.1
    assert t["density"].iloc[-1] > 0.9


def test_a_noise_restriction_has_a_large_quasi_p_value(boxed):
    table, y = boxed
    found = prim(table, y)
    # late boxes peel noise inputs: their quasi-p-values are large
    last = found.box(len(found.trajectory) - 1, paste=False, max_qp=None)
    noise = [name for name in last.limits.index if name not in ("x0", "x1")]
    assert noise and (last.limits.loc[noise, "qp"] > 0.01).any()


def test_noise_restrictions_of_the_chosen_box_are_dropped(boxed):
    table, y = boxed
    found = prim(table, y)
    i = found.choose(0.5)
    raw = found.box(i, paste=False, max_qp=None)
    assert set(raw.limits.index) > {"x0", "x1"}  # peeling went on into the noise
    clean = found.box(i, paste=False)
    assert set(clean.limits.index) == {"x0", "x1"}
    assert set(clean.dropped) == set(raw.limits.index) - {"x0", "x1"}
    assert clean.coverage > raw.coverage


def test_pasting_never_lowers_a_box_density(boxed):
    table, y = boxed
    found = prim(table, y)
    for i in (10, 25, 33):
        assert found.box(i).density >= found.box(i, paste=False).density


def test_prim_peels_categories_and_dates():
    rng = np.random.default_rng(5)
    n = 6000
    kind = rng.choice(["a", "b", "c", "d"], n)
    date = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    table = pd.DataFrame({"kind": kind, "date": date, "noise": rng.random(n)})
    y = np.isin(kind, ["a", "b"]) & (date < pd.Timestamp("2026-07-01"))
    box = prim(table, y, min_mass=0.05).box()
    assert set(box.limits.loc["kind", "categories"]) == {"a", "b"}
    assert isinstance(box.limits.loc["date", "high"], pd.Timestamp)
    assert abs(box.limits.loc["date", "high"] - pd.Timestamp("2026-07-01")) < pd.Timedelta("25D")
    assert "noise" not in box.limits.index
    assert box.density == 1.0
    # the box applies to another table, whatever categories it holds
    other = table.iloc[:3].assign(kind=["b", "z", "d"], date=pd.Timestamp("2026-02-01"))
    np.testing.assert_array_equal(box.inside(other), [True, False, False])


def test_cart_rules_contain_the_true_box(boxed):
    pytest.importorskip("sklearn")
    table, y = boxed
    tree = cart(table, y, max_depth=3)
    best = tree.leaves.iloc[0]
    limits = tree.limits[int(tree.leaves.index[0])]
    assert set(limits.index) == {"x0", "x1"}
    assert limits.loc["x0", "low"] == pytest.approx(LOW0, abs=0.03)
    assert limits.loc["x0", "high"] == pytest.approx(HIGH0, abs=0.03)
    assert limits.loc["x1", "low"] == pytest.approx(LOW1, abs=0.03)
    assert limits.loc["x1", "high"] == np.inf
    assert best["density"] > 0.9
    assert tree.rules()[0].startswith("x0 > 0.")
    assert tree.leaves["mass"].sum() == pytest.approx(1.0)


def test_cart_without_scikit_learn_says_what_to_install(boxed, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    table, y = boxed
    with pytest.raises(simlab.SimlabError, match=r"pip install 'simlab\[discover\]'"):
        cart(table, y)


def test_rank_measures_match_scipy_and_a_least_squares_fit():
    rng = np.random.default_rng(8)
    n = 2000
    x = rng.random((n, 4))
    x[:, 3] = 0.6 * x[:, 0] + 0.4 * rng.random(n)  # correlated inputs
    y = 3 * x[:, 0] + np.exp(2 * x[:, 1]) - x[:, 2] + 0.3 * rng.standard_normal(n)
    table = pd.DataFrame(x, columns=list("abcd"))
    got = drivers(table, y, methods=["spearman", "srrc", "prcc", "contribution"])
    for j, name in enumerate("abcd"):
        rho = stats.spearmanr(x[:, j], y).statistic
        assert got.loc[name, "spearman"] == pytest.approx(rho, rel=1e-10)
    # SRRC: least squares on standardised ranks
    rx = stats.rankdata(x, axis=0)
    ry = stats.rankdata(y)
    zx = (rx - rx.mean(0)) / rx.std(0)
    zy = (ry - ry.mean()) / ry.std()
    beta, *_ = np.linalg.lstsq(zx, zy, rcond=None)
    np.testing.assert_allclose(got.loc[list("abcd"), "srrc"], beta, rtol=1e-8)
    # PRCC: correlation of the residuals of the ranks regressed on the other ranks
    for j, name in enumerate("abcd"):
        others = np.column_stack([np.ones(n), np.delete(rx, j, axis=1)])
        res_x = rx[:, j] - others @ np.linalg.lstsq(others, rx[:, j], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        assert got.loc[name, "prcc"] == pytest.approx(np.corrcoef(res_x, res_y)[0, 1], rel=1e-8)
    assert got["contribution"].abs().sum() == pytest.approx(1.0)
    assert got.attrs["rank_r2"] == pytest.approx(1 - np.sum((zy - zx @ beta) ** 2) / n)
    assert list(got.index[:2]) == ["a", "b"] or list(got.index[:2]) == ["b", "a"]


def _ishigami(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, (n, 3))
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    return pd.DataFrame(x, columns=["x1", "x2", "x3"]), y


def test_given_data_rankings_on_ishigami():
    # Reference orders: delta x2 > x1 > x3 (Plischke, Borgonovo and Smith 2013, table 2:
    # about 0.39, 0.21, 0.10 at a = 7, b = 0.1); PAWN x2 > x1 > x3 (Pianosi and
    # Wagener 2015, fig. 5); first-order Sobol' S2 = 0.44 > S1 = 0.31 > S3 = 0.
    table, y = _ishigami(8000, 1)
    got = drivers(table, y, methods=["delta", "pawn", "rbd_fast"], given_draws=8000)
    for column in ("delta", "pawn", "rbd_fast"):
        assert list(got[column].sort_values(ascending=False).index) == ["x2", "x1", "x3"], column
    assert got.loc["x2", "rbd_fast"] == pytest.approx(0.442, abs=0.05)
    assert got.loc["x1", "rbd_fast"] == pytest.approx(0.314, abs=0.05)


def test_pawn_matches_salib():
    from SALib.analyze import pawn

    table, y = _ishigami(3000, 2)
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    expected = pawn.analyze(problem, table.to_numpy(), y, S=10)["median"]
    np.testing.assert_allclose(pawn_median(table.to_numpy(), y), expected, rtol=1e-12)


def test_conditional_ranks_the_one_input_that_matters_first():
    rng = np.random.default_rng(4)
    table = pd.DataFrame(rng.normal(size=(5000, 5)), columns=list("abcde"))
    found = conditional(table, table["c"] > 1.0)
    assert found.index[0] == "c"
    assert found.loc["c", "significant"] and found.loc["c", "shift"] > 1.0
    assert not found.drop(index="c")["significant"].any()
    assert (found.drop(index="c")["shift"].abs() < 0.1).all()


def test_outcomes_with_undecided_draws_are_left_out_with_a_warning(boxed):
    table, y = boxed
    partial = y.astype(float)
    partial[:10] = np.nan
    with pytest.warns(SimlabWarning, match="10 of 20000 draws have no outcome"):
        conditional(table, partial)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda t, y: prim(t, np.zeros(len(t))), "the same in all"),
        (lambda t, y: prim(t, y, alpha=0.7), "alpha must be in"),
        (lambda t, y: prim(t, y[:5]), "5 values for 20000 draws"),
        (lambda t, y: prim(t, np.where(y, 2.0, 0.0)), "must be true/false"),
        (lambda t, y: drivers(t, y, methods=["sobol"]), "unknown method 'sobol'"),
        (lambda t, y: prim(t, "some-claim"), "needs a Results"),
        (lambda t, y: prim(t, y).box(999), "the trajectory has boxes"),
    ],
)
def test_bad_input_is_a_scenario_error(boxed, call, match):
    table, y = boxed
    with pytest.raises(ScenarioError, match=match):
        call(table, y)


# ------------------------------------------------------------------ on a run
@pytest.fixture(scope="module")
def run():
    return simlab.run("baseline-2025", draws=1500, seed=3)


def test_discovery_on_a_run_by_claim_and_by_metric(run):
    y = simlab.outcome(run, metric="npv", provider="openai", above=0)
    npv = run.metric("npv", "openai").to_numpy()
    np.testing.assert_array_equal(y, (npv > 0).astype(float))
    negative = simlab.outcome(run, "openai-npv-negative")
    np.testing.assert_array_equal(negative, (npv < 0).astype(float))
    found = simlab.prim(run, "openai-npv-negative")
    box = found.box()
    assert box.density > negative.mean()
    assert set(box.limits.index) <= set(run.inputs.columns)


def test_drivers_of_a_yearly_metric_by_year(run):
    got = simlab.drivers(run, "share", group="closed", methods=["spearman", "pawn"])
    years = sorted({y for y, _ in got.index})
    assert years == [int(y) for y in run.metrics.coords["year"].values]
    assert set(got.attrs["rank_r2"]) == set(years)
    one = simlab.drivers(run, "share", group="closed", year=2030, methods=["spearman", "pawn"])
    pd.testing.assert_frame_equal(got.loc[2030].loc[one.index], one, check_names=False)


def test_delta_matches_salib_calc_delta():
    from SALib.analyze.delta import calc_delta

    from simlab.discover.drivers import delta_index

    table, y = _ishigami(3000, 3)
    x = table.to_numpy()
    n = y.size
    classes = int(
        np.round(min(int(np.ceil(n ** (2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))))), 48))
    )
    m = np.linspace(0, n, classes + 1)
    grid = np.linspace(y.min(), y.max(), 100)
    expected = [calc_delta(y, grid, x[:, j], m) for j in range(3)]
    np.testing.assert_allclose(delta_index(x, y), expected, rtol=1e-10)


def test_ranks_with_and_without_ties_match_scipy():
    from simlab.discover.drivers import _ranks

    rng = np.random.default_rng(1)
    a = np.column_stack([rng.random(500), rng.integers(0, 5, 500).astype(float)])
    np.testing.assert_array_equal(_ranks(a), stats.rankdata(a, axis=0))
