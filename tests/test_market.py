"""The economics against closed forms, hand computations and invariants."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simlab.market import (
    bass_cdf,
    bass_time,
    blend,
    capex_schedule,
    defend,
    logit_shares,
    member_sums,
    potential,
    quality_value,
    switch_rate,
    switch_shares,
    volume,
)

finite = st.floats(-50, 50, allow_nan=False)


def test_bass_cdf_matches_closed_form_and_limits():
    p, q, t = 0.03, 0.38, np.array([0.0, 1.0, 5.0, 100.0])
    e = np.exp(-(p + q) * t)
    expected = (1 - e) / (1 + (q / p) * e)
    np.testing.assert_allclose(bass_cdf(t, p, q), expected, rtol=1e-15)
    assert bass_cdf(0.0, p, q) == 0.0
    assert bass_cdf(200.0, p, q) == pytest.approx(1.0)
    # Pure innovation (q = 0) is the exponential 1 - e^{-pt}.
    assert bass_cdf(2.0, 0.1, 0.0) == pytest.approx(1 - np.exp(-0.2), rel=1e-14)


def test_bass_cdf_slope_is_the_bass_hazard():
    # dF/dt = (p + q F)(1 - F): the defining differential equation.
    p, q, t, h = 0.02, 0.5, 3.0, 1e-6
    f = bass_cdf(t, p, q)
    slope = (bass_cdf(t + h, p, q) - bass_cdf(t - h, p, q)) / (2 * h)
    assert slope == pytest.approx((p + q * f) * (1 - f), rel=1e-7)


@given(
    st.floats(0.001, 0.99),
    st.floats(0.001, 0.2),
    st.floats(0.0, 1.0),
)
def test_bass_time_inverts_bass_cdf(f, p, q):
    assert bass_cdf(bass_time(f, p, q), p, q) == pytest.approx(f, rel=1e-9)


def test_two_provider_logit_share_ratio_is_price_ratio_power():
    beta_p = 1.7
    prices = np.array([0.6, 6.0])
    shares = logit_shares(-beta_p * np.log(prices))
    assert shares[0] / shares[1] == pytest.approx((prices[0] / prices[1]) ** -beta_p, rel=1e-12)


def test_logit_is_stable_at_extreme_utilities_and_masks():
    shares = logit_shares(np.array([[1e6, -1e6, 0.0], [-1e6, -1e6, -1e6]]))
    assert np.isfinite(shares).all()
    np.testing.assert_allclose(shares[0], [1, 0, 0])
    np.testing.assert_allclose(shares[1], [1 / 3] * 3)
    masked = logit_shares(np.array([5.0, 1.0, 2.0]), available=[False, True, True])
    assert masked[0] == 0.0
    assert masked[1:].sum() == pytest.approx(1.0)
    assert (logit_shares(np.ones(3), available=[False] * 3) == 0).all()


@given(arrays(np.float64, (4, 6), elements=finite), arrays(bool, (4, 6)))
def test_logit_shares_sum_to_one_where_anything_is_available(u, avail):
    shares = logit_shares(u, available=avail, axis=1)
    assert (shares >= 0).all()
    sums = shares.sum(axis=1)
    np.testing.assert_allclose(sums[avail.any(axis=1)], 1.0, rtol=1e-12)
    assert (shares[~avail] == 0).all()


@given(
    arrays(np.float64, 5, elements=st.floats(0.01, 100)),
    st.integers(0, 4),
    st.floats(1.0, 10.0),
    st.floats(0.0, 3.0),
)
def test_higher_own_price_never_raises_own_share(prices, who, factor, beta_p):
    base = logit_shares(-beta_p * np.log(prices))
    dearer = prices.copy()
    dearer[who] *= factor
    after = logit_shares(-beta_p * np.log(dearer))
    assert after[who] <= base[who] + 1e-15


def test_quality_value_good_enough():
    q = np.array([40.0, 60.0, 80.0])
    np.testing.assert_allclose(quality_value(q, 60.0, 0.25), [40.0, 60.0, 65.0])


def test_switch_shares_is_the_exact_exponential_approach():
    s = switch_shares(0.2, 0.8, switch_rate(0.5, 0.25))
    assert s == pytest.approx(0.8 - 0.6 * np.exp(-2.0), rel=1e-14)
    # Two half steps equal one whole step (exactness, not Euler).
    rate = switch_rate(0.25, 0.25)
    half = switch_shares(switch_shares(0.2, 0.8, rate), 0.8, rate)
    assert half == pytest.approx(s, rel=1e-14)


def test_potential_and_volume_closed_forms():
    assert potential(1e12, 0.5, 2.0) == pytest.approx(1e12 * 1.5**2, rel=1e-14)
    # Halving the price with elasticity 1.1 multiplies volume by 2^1.1.
    v1 = volume(1e12, 0.4, 2.0, 2.0, 1.1)
    v2 = volume(1e12, 0.4, 1.0, 2.0, 1.1)
    assert v1 == pytest.approx(4e11)
    assert v2 / v1 == pytest.approx(2**1.1, rel=1e-13)


def test_capex_depreciation_sums_to_capex_and_capacity_retires():
    n = 200
    unit = np.full((2, n), 4.0)
    spend, capacity, dep = capex_schedule([120.0, 60.0], [3, 0], [12, 5], [6, 0], [24, 10], unit, n)
    np.testing.assert_allclose(spend.sum(axis=1), [120.0, 60.0])
    np.testing.assert_allclose(dep.sum(axis=1), [120.0, 60.0])
    # Draw 0: 10 USD a step from step 3 to 14, delivered 6 steps later, life 24.
    assert capacity[0, 8] == 0.0 and capacity[0, 9] == pytest.approx(2.5)
    assert capacity[0, 20] == pytest.approx(30.0)  # all 12 tranches in service
    assert capacity[0, 9 + 24 + 11] == 0.0  # all retired
    assert (capacity >= 0).all()


def test_capex_unit_cost_falling_buys_more_capacity():
    n = 40
    t = np.arange(n)
    cheap = np.exp(-0.1 * t)[None, :]
    _, cap_flat, _ = capex_schedule([100.0], [0], [10], [0], [30], np.ones((1, n)), n)
    _, cap_falling, _ = capex_schedule([100.0], [0], [10], [0], [30], cheap, n)
    assert cap_falling[0, 15] == pytest.approx((10.0 / cheap[0, :10]).sum())
    assert cap_falling[0, 15] > cap_flat[0, 15] == pytest.approx(100.0)


def test_blend_and_defend():
    assert blend(1.25, 10.0, 0.75) == pytest.approx(3.4375)
    assert defend(10.0, 5.0, 0.2, 0.1) == pytest.approx(8.0)
    assert defend(10.0, 8.0, 0.5, 0.1) == pytest.approx(8.8)  # floored at cost x 1.1
    assert defend(5.0, 8.0, 0.5, 0.1) == pytest.approx(5.0)  # a cut never raises a price


@given(
    arrays(np.bool_, st.tuples(st.integers(1, 5), st.integers(1, 9))),
    st.integers(0, 2),
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
)
def test_member_sums_add_each_groups_members_in_item_order(members, axis, width, seed):
    # The reference: zeros, then each member added in turn (the order the engine's bits
    # rest on), against arrays with the items on any axis.
    rng = np.random.default_rng(seed)
    shape = [width, 3, width]
    shape[axis] = members.shape[1]
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)
    expected = np.zeros([*shape[:axis], members.shape[0], *shape[axis + 1 :]])
    v, e = np.moveaxis(values, axis, 0), np.moveaxis(expected, axis, 0)
    for g, row in enumerate(members):
        for item in np.flatnonzero(row):
            e[g] = e[g] + v[item]
    np.testing.assert_array_equal(member_sums(members, values, axis=axis), expected)
    as_floats = member_sums(members.astype(float), values, axis=axis - 3)  # a negative axis
    np.testing.assert_array_equal(as_floats, expected)
