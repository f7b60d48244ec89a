"""Quality on a bounded index with a shared frontier (issue 11, part 2; docs/model.md, "Quality").

Each test can fail: quality above the index's maximum in any draw, a gap that closes
without catch-up, labs' qualities uncorrelated through the frontier, a gap that can only
close.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

import simlab
from simlab.errors import ScenarioError
from simlab.market import frontier_trend, release_quality
from simlab.scenario import catalog
from simlab.scenario.load import Scenario

# ------------------------------------------------------------------ pure functions


def test_frontier_trend_closed_form_and_ceiling():
    # M - (M - F0) e^{-rt}: 100 - 27 e^{-0.3 * 10} = 98.65577...
    got = frontier_trend(100.0, 73.0, 0.3, 10.0)
    assert float(got) == pytest.approx(100.0 - 27.0 * np.exp(-3.0), rel=1e-12)
    rates = np.array([0.0, 0.1, 1.0, 10.0])
    for t in (0.0, 1.0, 50.0, 1e4):
        f = frontier_trend(100.0, 73.0, rates, t)
        assert (f <= 100.0).all() and (f >= 73.0).all()
    assert float(frontier_trend(100.0, 73.0, 0.0, 30.0)) == 73.0  # no trend: stays


@settings(max_examples=200, deadline=None)
@given(
    mode=st.sampled_from(["step", "catch_up", "frontier", "lead"]),
    q=st.floats(0, 100),
    amount=st.floats(-1, 1),
    scale=st.floats(0, 100),
    best_closed=st.floats(0, 100),
    best_open=st.floats(0, 100),
    frontier=st.floats(0, 100),
    gap=st.one_of(st.none(), st.floats(0, 100)),
)
def test_no_release_goes_above_the_frontier(
    mode, q, amount, scale, best_closed, best_open, frontier, gap
):
    f = max(frontier, q, best_closed, best_open)  # the frontier is at least the best model
    a = amount * scale if mode in ("step", "frontier") else amount
    a = abs(a) if mode == "step" else a
    r = release_quality(mode, q, a, best_closed, best_open, f, gap)
    assert 0.0 <= float(r.quality) <= f
    if mode in ("catch_up", "frontier"):
        assert float(r.quality) >= q  # a release never lowers the lab's own quality
        assert float(r.gap) >= 0.0


def test_a_negative_change_widens_the_gap():
    # frontier: +3 points of gap; the lab keeps its model when the new one falls short.
    r = release_quality("frontier", 70.0, 3.0, 75.0, 70.0, frontier=75.0, gap=5.0)
    assert float(r.gap) == 8.0 and float(r.quality) == 70.0
    # catch_up: a fraction of -0.5 makes a gap of 10 to the best closed one of 15.
    r = release_quality("catch_up", 60.0, -0.5, 80.0, 60.0, frontier=80.0, gap=10.0)
    assert float(r.gap) == 15.0 and float(r.quality) == 65.0


# ------------------------------------------------------------------ scenarios


def market(spread: float = 0.5, **quality: object) -> dict:
    """Two closed labs and two open labs, all tracking the frontier (mode 'frontier').

    Each lab's gap changes by a uniform draw in ``[-spread, spread]`` points a release.
    """

    def lab(kind: str, q: float, change: object, first: str) -> dict:
        return {
            "kind": kind,
            "region": "us" if kind == "closed" else "cn",
            "quality": q,
            "price_in": 2.0 if kind == "closed" else 0.3,
            "price_out": 8.0 if kind == "closed" else 1.0,
            "cost": 1.0 if kind == "closed" else 0.2,
            "releases": {"mode": "frontier", "first": first, "cadence": 0.5,
                         "gap_change": change},
        }  # fmt: skip

    change = {"dist": "uniform", "low": -spread, "high": spread}
    return {
        "name": "frontier-market",
        "title": "Four labs on one frontier",
        "start": "2026-01",
        "end": "2036-01",
        "quality": {"index": "test index", "max": 100, "frontier0": 73,
                    "frontier_rate": {"dist": "uniform", "low": 0.02, "high": 0.6},
                    **quality},
        "segments": {
            "api": {"potential": 1e14, "adoption0": 0.5, "beta_quality": 0.2,
                    "beta_price": 2.0, "need": 150}
        },
        "providers": {
            "alpha": lab("closed", 73, dict(change), "2026-06"),
            "beta": lab("closed", 68, dict(change), "2026-04"),
            "gamma": lab("open", 65, dict(change), "2026-03"),
            "delta": lab("open", 60, dict(change), "2026-05"),
        },
    }  # fmt: skip


def test_quality_never_exceeds_the_maximum_in_any_catalog_scenario():
    for name in catalog.catalog_names():
        sc = simlab.load_scenario(name)
        res = simlab.run(sc, draws=64, seed=11, paths=True)
        top = sc.spec.quality.max
        assert float(res.paths.quality.max()) <= top, name
        assert float(res.metrics.quality_final.max()) <= top, name


_modes = st.sampled_from(["step", "catch_up", "frontier", "lead"])


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    modes=st.lists(_modes, min_size=4, max_size=4),
    amounts=st.lists(st.floats(0, 1), min_size=4, max_size=4),
    top=st.floats(50, 200),
    start=st.floats(0, 1),
    rate=st.floats(0, 3),
    cadence=st.floats(0.1, 1.0),
)
def test_random_scenarios_stay_on_the_index(modes, amounts, top, start, rate, cadence):
    doc = market(
        max=top,
        frontier0=top * (0.75 + 0.25 * start),
        frontier_rate={"dist": "uniform", "low": 0.0, "high": rate + 0.01},
    )
    value = {  # each mode's parameter across its whole range
        "step": lambda a: a * top / 5,
        "catch_up": lambda a: 2 * a - 1,
        "frontier": lambda a: (a - 0.5) * top / 5,
        "lead": lambda a: 2 * a - 0.5,
    }
    key = {"step": "step", "catch_up": "catch_up", "frontier": "gap_change", "lead": "lead"}
    for prov, mode, a in zip(doc["providers"].values(), modes, amounts, strict=True):
        prov["quality"] = round(min(prov["quality"], 0.7 * top), 6)
        prov["releases"] = {"mode": mode, "first": "2026-02", "cadence": cadence,
                            key[mode]: round(value[mode](a), 6)}  # fmt: skip
    res = simlab.run(Scenario.from_dict(doc), draws=8, seed=1, paths=True)
    assert float(res.paths.quality.max()) <= float(np.float32(top))  # paths are float32
    assert float(res.metrics.quality_final.max()) <= top
    assert float(res.paths.quality.min()) >= 0.0


def test_without_catch_up_the_open_closed_gap_does_not_close():
    doc = market()
    for prov in doc["providers"].values():
        prov["releases"]["gap_change"] = 0.0
    res = simlab.run(Scenario.from_dict(doc), draws=200, seed=3)
    q = res.metrics.quality_final
    closed = q.sel(provider=["alpha", "beta"]).max("provider")
    open_ = q.sel(provider=["gamma", "delta"]).max("provider")
    gap = (closed - open_).to_numpy()
    # 73 - 65 = 8 points at the start; each lab keeps its distance to the frontier, so
    # the gap stays within what the frontier moves between two labs' releases.
    assert np.median(gap) >= 8.0 - 1.0
    assert (gap > 0).all()
    # ...whereas catching up by 40 % a release closes it (the test can tell them apart).
    for name in ("gamma", "delta"):
        doc["providers"][name]["releases"] = {
            "mode": "catch_up", "first": "2026-03", "cadence": 0.5, "catch_up": 0.4
        }  # fmt: skip
    res = simlab.run(Scenario.from_dict(doc), draws=200, seed=3)
    q = res.metrics.quality_final
    closed = q.sel(provider=["alpha", "beta"]).max("provider")
    caught = (closed - q.sel(provider=["gamma", "delta"]).max("provider")).to_numpy()
    assert np.median(caught) < 1.0


def test_the_frontier_is_shared_labs_qualities_move_together():
    # Gaps that move up to 0.2 points a release (4 over the run) against a frontier
    # that ends anywhere from 78 to 100 across draws.
    sc = Scenario.from_dict(market(spread=0.2))
    res = simlab.run(sc, draws=400, seed=5)
    q = res.metrics.quality_final
    a = q.sel(provider="beta").to_numpy()
    b = q.sel(provider="delta").to_numpy()
    rho = spearmanr(a, b).statistic
    assert rho > 0.5  # a closed and an open lab, with independent gap draws
    # Through the frontier draw: with its rate fixed, the labs are independent.
    fixed = Scenario.from_dict(market(spread=0.2, frontier_rate=0.3))
    q = simlab.run(fixed, draws=400, seed=5).metrics.quality_final
    rho_fixed = spearmanr(q.sel(provider="beta"), q.sel(provider="delta")).statistic
    assert abs(rho_fixed) < 0.15


def test_a_labs_gap_can_widen():
    sc = Scenario.from_dict(market())
    res = simlab.run(sc, draws=400, seed=9)
    change = res.inputs["providers.delta.releases.gap_change"].to_numpy()
    rate = res.inputs["quality.frontier_rate"].to_numpy()
    years = (sc.n_steps - 1) * sc.dt
    q = res.metrics.quality_final
    frontier = np.maximum(frontier_trend(100.0, 73.0, rate, years), q.max("provider"))
    gap = (frontier - q.sel(provider="delta")).to_numpy()
    widening = change > 0.1
    assert widening.sum() > 50  # some draws widen the gap...
    assert (gap[widening] > 73.0 - 60.0).all()  # ...and delta ends further behind
    closing = change < -0.1
    assert (gap[closing] < 73.0 - 60.0).all()


def test_a_quality_above_the_index_maximum_is_refused():
    doc = market()
    doc["providers"]["alpha"]["quality"] = {"dist": "uniform", "low": 90, "high": 101}
    with pytest.raises(ScenarioError, match=r"providers\.alpha\.quality: reaches 101.*max"):
        Scenario.from_dict(doc)
    doc = market(max=80)
    doc["quality"]["frontier0"] = 85
    with pytest.raises(ScenarioError, match=r"quality\.frontier0: reaches 85"):
        Scenario.from_dict(doc)


def test_a_scenario_without_a_quality_table_is_bounded_at_100():
    doc = market()
    del doc["quality"]
    for prov in doc["providers"].values():
        prov["releases"] = {"mode": "step", "first": "2026-02", "cadence": 0.25, "step": 5.0}
    sc = Scenario.from_dict(doc)
    assert sc.spec.quality.max == 100.0
    q = simlab.simulate(sc, paths=True).paths.quality
    assert float(q.max()) == 100.0  # 73 + 5 a quarter reaches the maximum and stays
    assert float(q.sel(provider="delta").isel(draw=0, time=4)) == pytest.approx(70.0)


def test_the_gap_path_reads_off_one_frontier_for_every_lab():
    sc = simlab.load_scenario("baseline-2025")
    paths = simlab.run(sc, draws=16, seed=2, paths=True).paths
    frontier = (paths.quality + paths.gap).to_numpy().astype(np.float64)  # (draw, time, P)
    assert (paths.gap.to_numpy() >= 0).all()
    spread = frontier.max(axis=2) - frontier.min(axis=2)
    assert spread.max() < 1e-3  # float32 paths: one frontier, whoever reads it
    assert (frontier <= 100.0 + 1e-3).all()
    # From its 73 at the start it only rises (the trend and the best model never fall).
    assert (np.diff(frontier[:, :, 0], axis=1) >= -1e-3).all()
    assert np.allclose(frontier[:, 0, 0], 73.0, atol=1e-3)


def test_a_negative_catch_up_widens_the_gap_to_the_best_closed_model():
    doc = market()
    for name, fraction in (("gamma", -0.2), ("delta", 0.3)):
        doc["providers"][name]["releases"] = {
            "mode": "catch_up", "first": "2026-03", "cadence": 0.5, "catch_up": fraction
        }  # fmt: skip
    res = simlab.run(Scenario.from_dict(doc), draws=100, seed=4)
    q = res.metrics.quality_final
    closed = q.sel(provider=["alpha", "beta"]).max("provider")
    behind = (closed - q.sel(provider="gamma")).to_numpy()
    caught = (closed - q.sel(provider="delta")).to_numpy()
    assert (behind > 73.0 - 65.0).all()  # gamma started 8 behind and ends further back
    assert (caught < 73.0 - 60.0).all()  # delta, catching up 30 % a release, closes in
