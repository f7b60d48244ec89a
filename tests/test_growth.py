"""Decaying potential growth: the closed form, its bound, the engine's path and validation.

docs/model.md, "Demand: how much": with ``growth_halflife`` h the log growth rate
``r(t) = r_f + (r_0 - r_f) e^{-λt}`` (λ = ln 2 / h) decays from ``ln(1 + growth)`` to
``ln(1 + growth_final)``, so ``M(t) = M_0 exp(r_f t + (r_0 - r_f)(1 - e^{-λt}) / λ)``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from simlab.engine import inputs_to_values, run_block
from simlab.errors import ScenarioError
from simlab.market import decay_step, growth_factor, potential
from simlab.scenario.load import Scenario
from tests.test_demand import market


def test_potential_without_a_halflife_is_compound_growth():
    t = np.linspace(0.0, 10.0, 41)
    np.testing.assert_array_equal(potential(3.0, 0.4, t), 3.0 * growth_factor(0.4, t))


def test_potential_is_the_integral_of_the_decaying_log_rate():
    r0, rf, h = np.log1p(3.15), np.log1p(0.1), 1.5
    lam = np.log(2.0) / h
    for t in (0.25, 1.0, 4.0, 10.0):
        integral, _ = quad(lambda s: rf + (r0 - rf) * np.exp(-lam * s), 0.0, t)
        got = potential(2.0, 3.15, t, final=0.1, halflife=h)
        assert float(got) == pytest.approx(2.0 * np.exp(integral), rel=1e-12)
    # After one half-life the rate's excess over the final rate has halved.
    one, two = (potential(1.0, 3.15, x, final=0.1, halflife=h) for x in (h, h + 1e-6))
    rate = np.log(two / one) / 1e-6
    assert float(rate) == pytest.approx(rf + 0.5 * (r0 - rf), rel=1e-5)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-0.5, 9.0),
    st.floats(-0.5, 1.0),
    st.floats(0.1, 20.0),
    st.lists(st.floats(0.0, 30.0), min_size=2, max_size=10),
)
def test_decaying_potential_stays_below_its_ceiling_and_its_rate_moves_toward_final(
    growth, final, halflife, times
):
    t = np.sort(np.array(times))
    m = potential(1.0, growth, t, final=final, halflife=halflife)
    r0, rf, lam = np.log1p(growth), np.log1p(final), np.log(2.0) / halflife
    ceiling = np.exp(rf * t + max(r0 - rf, 0.0) / lam)
    floor = np.exp(rf * t + min(r0 - rf, 0.0) / lam)
    assert (m <= ceiling * (1 + 1e-12)).all() and (m >= floor * (1 - 1e-12)).all()
    # Between the start rate and the final rate, whichever is higher, at every time.
    low, high = sorted((r0, rf))
    assert (np.log(m) >= low * t - 1e-9).all() and (np.log(m) <= high * t + 1e-9).all()


@settings(max_examples=50, deadline=None)
@given(st.floats(-0.5, 5.0), st.floats(0.0, 0.5), st.floats(0.2, 10.0), st.integers(1, 60))
def test_decay_steps_of_any_length_compose_to_the_closed_form(growth, final, halflife, n):
    dt = 10.0 / n
    excess = np.log1p(growth) - np.log1p(final)
    level = 1.0
    for _ in range(n):
        factor, excess = decay_step(excess, final, halflife, dt)
        level *= float(factor)
    expected = float(potential(1.0, growth, 10.0, final=final, halflife=halflife))
    assert level == pytest.approx(expected, rel=1e-10)


def test_decay_step_without_a_halflife_is_growth_factor_to_the_bit():
    g = np.array([0.0, 0.03, 0.4, 3.15])
    factor, excess = decay_step(np.log1p(g), 0.0, np.inf, 1 / 12)
    np.testing.assert_array_equal(factor, growth_factor(g, 1 / 12))
    np.testing.assert_array_equal(excess, np.log1p(g))


def decaying(step: str = "month", **extra) -> dict:
    doc = market(
        **{
            "segments.api.growth": 3.0,
            "segments.api.growth_halflife": 1.5,
            "segments.api.growth_final": 0.1,
            "end": "2036-01",
            "step": step,
        },
        **extra,
    )
    return doc


def level_path(doc: dict) -> tuple[Scenario, np.ndarray]:
    """The potential the engine used each step: volume / adoption (elasticity 0)."""
    sc = Scenario.from_dict(doc)
    paths = run_block(sc, inputs_to_values(sc, None, 0, 1), paths=True).paths
    return sc, paths["volume"][:, 0, 0] / paths["adoption"][:, 0, 0]


@pytest.mark.parametrize("step", ["week", "month", "quarter"])
def test_engine_potential_follows_the_closed_form_at_step_midpoints(step):
    sc, level = level_path(decaying(step))
    t = (np.arange(sc.n_steps) + 0.5) * sc.dt
    expected = potential(1e14, 3.0, t, final=0.1, halflife=1.5)
    np.testing.assert_allclose(level, expected, rtol=1e-9)
    # Ten years at 300 %/yr would be 4^10 ~ 1e6 times; decaying, about exp(0.95 + 2.98).
    assert level[-1] / 1e14 < 60


def test_a_growth_shock_sets_the_rate_from_its_date_and_it_decays_again():
    doc = decaying()
    doc["events"] = {
        "boom": {"type": "shock", "path": "segments.api.growth", "op": "set",
                 "date": "2028-01", "value": 2.0},
    }  # fmt: skip
    sc, level = level_path(doc)
    k = 24  # 2028-01, two years of months in
    t = (np.arange(sc.n_steps) + 0.5) * sc.dt
    before = potential(1e14, 3.0, t[: k + 1], final=0.1, halflife=1.5)
    np.testing.assert_allclose(level[: k + 1], before, rtol=1e-9)
    # From the shock's step on (its midpoint, as every rate a shock sets): the new rate,
    # decaying again.
    after = level[k] * potential(1.0, 2.0, t[k:] - t[k], final=0.1, halflife=1.5)
    np.testing.assert_allclose(level[k:], after, rtol=1e-9)


def test_a_final_rate_shock_keeps_the_current_rate():
    doc = decaying()
    doc["events"] = {
        "slow": {"type": "shock", "path": "segments.api.growth_final", "op": "set",
                 "date": "2028-01", "value": 0.0},
    }  # fmt: skip
    _, level = level_path(doc)
    _, base = level_path(decaying())
    k = 24
    np.testing.assert_allclose(level[: k + 1], base[: k + 1], rtol=1e-12)
    assert (level[k + 2 :] < base[k + 2 :]).all()  # the same rate, then lower
    assert level[k + 1] / level[k] == pytest.approx(base[k + 1] / base[k], rel=0.01)


def test_growth_final_needs_a_halflife():
    doc = market(**{"segments.api.growth_final": 0.1})
    message = r"segments.api.growth_final: got 0.1 without growth_halflife"
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(doc)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_halflife_must_be_positive(bad):
    doc = market(**{"segments.api.growth_halflife": bad})
    with pytest.raises(ScenarioError, match=r"segments.api.growth_halflife: must be > 0"):
        Scenario.from_dict(doc)


def test_a_shock_on_a_halflife_the_segment_does_not_state_is_refused():
    doc = market()
    doc["events"] = {
        "x": {"type": "shock", "path": "segments.api.growth_halflife", "op": "set",
              "date": "2027-01", "value": 2.0},
    }  # fmt: skip
    with pytest.raises(ScenarioError, match=r"growth_halflife or growth_final only if it states"):
        Scenario.from_dict(doc)


# ------------------------------------------------------------------ the spend ceiling


def spend_path(doc: dict) -> np.ndarray:
    """Buyers' spend a year at each step: every model's tokens at its list price."""
    sc = Scenario.from_dict(doc)
    paths = run_block(sc, inputs_to_values(sc, None, 0, 1), paths=True).paths
    volume = paths["volume"][:, 0, 0]  # tokens a month
    shares = paths["share"][:, :, 0]  # of the tokens
    price = paths["price"][:, :, 0]
    return volume * (shares * price).sum(axis=1) * 1.2e-5


@settings(max_examples=25, deadline=None)
@given(st.floats(1e6, 1e11), st.floats(0.0, 3.0), st.floats(0.0, 5.0))
def test_spend_never_exceeds_the_ceiling(ceiling, elasticity, growth):
    doc = market(
        **{
            "segments.api.spend_ceiling": ceiling,
            "segments.api.elasticity": elasticity,
            "segments.api.growth": growth,
            "segments.api.outside": {"utility": -20.0},  # every buyer buys inside
        }
    )
    spend = spend_path(doc)
    assert (spend <= ceiling * (1 + 1e-9)).all()  # to rounding
    sc = Scenario.from_dict(doc)
    assert np.isfinite(run_block(sc, inputs_to_values(sc, None, 0, 1)).fcf).all()


def test_a_ceiling_far_above_the_spend_changes_nothing_and_a_low_one_binds():
    free = spend_path(market(**{"segments.api.growth": 2.0}))
    far = spend_path(
        market(**{"segments.api.growth": 2.0, "segments.api.spend_ceiling": 1e6 * free.max()})
    )
    np.testing.assert_allclose(far, free, rtol=1e-9)
    ceiling = 0.5 * free.max()
    low = spend_path(market(**{"segments.api.growth": 2.0, "segments.api.spend_ceiling": ceiling}))
    assert low.max() <= ceiling and low.max() > 0.85 * ceiling  # it binds, smoothly
    assert low[0] == pytest.approx(free[0], rel=0.02)  # far below it: unchanged to 2 %


def test_a_spend_ceiling_is_for_token_segments_only():
    from tests.test_demand import seat_market

    doc = seat_market(0.9)
    doc["segments"]["apps"]["spend_ceiling"] = 1e9
    message = r"segments.apps.spend_ceiling: got 1e\+09, but a ceiling is only for billing"
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(doc)
