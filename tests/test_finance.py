import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from simlab.errors import ScenarioError
from simlab.finance import (
    annual_rate_to_periodic,
    irr,
    irr_reason,
    npv,
    payback,
    terminal_value,
)

NO_ROOT = "no root between -99.99 % and +10,000 % a year"


def _monthly_npv(annual_rate: float, flows: np.ndarray) -> float:
    """Slow scalar NPV of monthly flows, written independently of simlab."""
    return math.fsum(f * (1.0 + annual_rate) ** (-t / 12.0) for t, f in enumerate(flows))


# --------------------------------------------------------------------------- npv


def test_npv_yearly_hand_computed():
    # -100 + 60/1.1 + 60/1.1**2, by hand.
    assert float(npv(0.1, [-100.0, 60.0, 60.0])) == pytest.approx(4.132231404958677, rel=1e-12)


def test_npv_single_future_flow_and_zero_rate():
    assert float(npv(0.05, [0.0, 105.0])) == pytest.approx(100.0, rel=1e-14)
    assert float(npv(0.0, [-3.0, 1.0, 1.0, 1.5])) == pytest.approx(0.5, abs=1e-14)


def test_npv_monthly_times():
    flows = np.r_[-100.0, np.full(12, 10.0)]
    times = np.arange(13) / 12.0
    expected = -100.0 + sum(10.0 / 1.12 ** (k / 12.0) for k in range(1, 13))
    assert float(npv(0.12, flows, times)) == pytest.approx(expected, rel=1e-13)
    # Twelve monthly periods discounted at the annual rate are one year: the last flow
    # is worth 10 / 1.12 today.
    last = np.zeros(13)
    last[-1] = 10.0
    assert float(npv(0.12, last, times)) == pytest.approx(10.0 / 1.12, rel=1e-14)


def test_npv_vectorised_rows_equal_row_by_row():
    rng = np.random.default_rng(1)
    flows = rng.normal(size=(5, 4, 24))
    times = np.arange(24) / 12.0
    got = npv(0.08, flows, times)
    assert got.shape == (5, 4)
    for i in range(5):
        for j in range(4):
            assert got[i, j] == pytest.approx(_monthly_npv(0.08, flows[i, j]), rel=1e-12)


def test_npv_broadcasts_an_array_rate():
    rng = np.random.default_rng(2)
    flows = rng.normal(size=(3, 4, 10))
    rates = np.array([[0.0], [0.05], [0.2]])  # one rate per draw, shared by providers
    got = npv(rates, flows)
    assert got.shape == (3, 4)
    for i in range(3):
        np.testing.assert_allclose(got[i], npv(float(rates[i, 0]), flows[i]), rtol=1e-13)


def test_npv_times_broadcast_to_flows():
    flows = np.array([[-1.0, 2.0], [-1.0, 2.0]])
    times = np.array([[0.0, 1.0], [0.0, 2.0]])
    np.testing.assert_allclose(npv(1.0, flows, times), [0.0, -0.5], atol=1e-15)


def test_npv_rejects_non_finite_flows_with_the_index():
    flows = np.zeros((2, 5))
    flows[1, 3] = np.nan
    with pytest.raises(ScenarioError, match=r"flows contain nan at index \(1, 3\)"):
        npv(0.1, flows)


@pytest.mark.parametrize("rate", [-1.0, -2.5, np.array([0.1, -1.0])])
def test_npv_rejects_rates_at_or_below_minus_one(rate):
    with pytest.raises(ScenarioError, match="rate must be > -1"):
        npv(rate, np.ones((2, 3)))


def test_npv_rejects_bad_shapes():
    with pytest.raises(ScenarioError, match=r"rate has shape \(3,\)"):
        npv(np.array([0.1, 0.2, 0.3]), np.ones((2, 4)))
    with pytest.raises(ScenarioError, match=r"times has shape \(3,\)"):
        npv(0.1, np.ones((2, 4)), times=[0.0, 1.0, 2.0])
    with pytest.raises(ScenarioError, match="time axis"):
        npv(0.1, 5.0)


# --------------------------------------------------------------------------- irr


def test_irr_known_yearly_values():
    assert float(irr([-100.0, 110.0], periods_per_year=1)) == pytest.approx(0.1, abs=1e-12)
    # Positive root of -100 + 60 x + 60 x**2 = 0 with x = 1 / (1 + r):
    # x = (-1 + sqrt(1 + 4 * 100 / 60)) / 2, r = 1 / x - 1 = 0.1306623862918075.
    x = (-1.0 + math.sqrt(1.0 + 4.0 * 100.0 / 60.0)) / 2.0
    assert 1.0 / x - 1.0 == pytest.approx(0.1306623862918075, abs=1e-15)
    assert float(irr([-100.0, 60.0, 60.0], periods_per_year=1)) == pytest.approx(
        0.1306623862918075, abs=1e-12
    )


@pytest.mark.parametrize("annual", [-0.9, -0.3, 0.0, 0.07, 0.25, 2.0, 50.0])
def test_irr_recovers_the_rate_of_a_monthly_annuity(annual):
    # Pay the present value of 119 monthly payments of 1 at `annual`, receive them.
    periodic = (1.0 + annual) ** (1.0 / 12.0) - 1.0
    months = np.arange(1, 120)
    price = np.sum((1.0 + periodic) ** -months.astype(float))
    flows = np.r_[-price, np.ones(119)]
    assert float(irr(flows)) == pytest.approx(annual, abs=1e-10 * (1.0 + annual))
    assert str(irr_reason(flows)) == ""


def test_irr_vectorised_over_leading_axes():
    rng = np.random.default_rng(3)
    flows = rng.uniform(0.5, 1.5, size=(4, 3, 60))
    flows[..., :6] = -rng.uniform(5.0, 10.0, size=(4, 3, 1))
    got = irr(flows)
    assert got.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            assert got[i, j] == pytest.approx(float(irr(flows[i, j])), abs=1e-12)


def test_irr_with_several_roots_returns_the_one_nearest_zero():
    # -100 + 230 x - 132 x**2 = 0 has roots r = 10 % and r = 20 %.
    assert float(irr([-100.0, 230.0, -132.0], periods_per_year=1)) == pytest.approx(0.1)
    assert float(irr([100.0, -230.0, 132.0], periods_per_year=1)) == pytest.approx(0.1)
    # Roots -40 % and +100 %, i.e. x = 1 / (1 + r) = 5/3 and 1/2:
    # 6 (x - 5/3)(x - 1/2) = 5 - 13 x + 6 x**2. |log 0.6| < |log 2|: -40 % is nearer 0.
    assert float(irr([5.0, -13.0, 6.0], periods_per_year=1)) == pytest.approx(-0.4)


def test_irr_nan_and_reasons_without_a_root():
    flows = np.array(
        [
            [10.0, 5.0, 0.0],
            [-10.0, -5.0, 0.0],
            [0.0, 0.0, 0.0],
            [-1.0, 1e-9, 0.0],  # root at a loss of ~100 % a month
            [-1.0, np.inf, 1.0],
            [-1.0, 1.1, 0.0],
        ]
    )
    rates = irr(flows)
    assert np.isnan(rates[:5]).all()
    assert np.isfinite(rates[5])
    assert irr_reason(flows).tolist() == [
        "no sign change in the flows: all non-negative",
        "no sign change in the flows: all non-positive",
        "no sign change in the flows: all non-negative",
        NO_ROOT,
        "non-finite flows",
        "",
    ]


def test_irr_two_close_roots_between_grid_points_are_reported_not_invented():
    # NPV touches 0 without crossing (double root at 10 % a year): no sign change to bracket.
    # (x - 1/1.1)**2 = x**2 - 2/1.1 x + 1/1.21.
    flows = [1.0 / 1.21, -2.0 / 1.1, 1.0]
    rate = float(irr(flows, periods_per_year=1))
    if np.isnan(rate):
        assert str(irr_reason(flows, periods_per_year=1)) == NO_ROOT
    else:  # rounding may split the double root into two nearby simple roots
        assert rate == pytest.approx(0.1, abs=1e-6)


def test_irr_rejects_bad_periods_per_year():
    for bad in (0, -12, -1.5, math.inf, math.nan, True, "12"):
        with pytest.raises(ScenarioError, match="periods_per_year must be a positive number"):
            irr([-1.0, 2.0], periods_per_year=bad)  # type: ignore[arg-type]


WEEKS_A_YEAR = 365.25 / 7  # 52.18: the weekly step of simlab.scenario (7 / 365.25 years)


@pytest.mark.parametrize("annual", [-0.3, 0.0, 0.08, 0.1, 0.5])
@pytest.mark.parametrize("weeks", [1, 52, 104, 261])
def test_weekly_flows_give_back_their_annual_irr(annual, weeks):
    # Closed form: 1 invested at week 0 returns (1 + R)^(t / 52.18) at week t, t years
    # being weeks / (365.25 / 7); the IRR of the weekly stream is R.
    flows = np.zeros(weeks + 1)
    flows[0], flows[-1] = -1.0, (1.0 + annual) ** (weeks / WEEKS_A_YEAR)
    assert float(irr(flows, WEEKS_A_YEAR)) == pytest.approx(annual, abs=1e-10)
    if annual:  # annualised with 52 periods, as before, the rate is off
        assert abs(float(irr(flows, 52)) - annual) > 1e-4 * abs(annual)
    weekly = float(annual_rate_to_periodic(annual, WEEKS_A_YEAR))
    assert weekly == pytest.approx((1.0 + annual) ** (7 / 365.25) - 1.0, rel=1e-12, abs=1e-15)


def test_monthly_irr_is_the_same_with_an_integer_or_a_float_periods_per_year():
    flows = np.array([-100.0, *[3.0] * 47, 90.0])
    np.testing.assert_array_equal(irr(flows, 12), irr(flows, 12.0))


def test_irr_of_empty_inputs():
    assert irr(np.zeros((0, 120))).shape == (0,)
    assert np.isnan(irr(np.zeros((2, 0)))).all()


@settings(max_examples=300, deadline=None)
@given(
    negatives=st.lists(st.floats(0.01, 1000.0), min_size=1, max_size=24),
    positives=st.lists(st.floats(0.0, 1000.0), min_size=1, max_size=96),
)
def test_irr_of_one_sign_change_is_a_root_of_the_monthly_npv(negatives, positives):
    assume(sum(positives) > 0.0)
    flows = np.r_[-np.asarray(negatives), np.asarray(positives)]
    times = np.arange(flows.size) / 12.0
    # One sign change: exactly one root in rate (Descartes), inside the search range iff
    # the NPV changes sign between its ends. Skip cases too close to call at an end.
    at_low, at_high = npv(-0.9999, flows, times), npv(100.0, flows, times)
    assume(abs(at_low) > 1e-6 * npv(-0.9999, np.abs(flows), times))
    assume(abs(at_high) > 1e-6 * npv(100.0, np.abs(flows), times))
    rate = irr(flows)
    if at_low * at_high < 0:
        assert np.isfinite(rate)
        assert str(irr_reason(flows)) == ""
        scale = float(npv(rate, np.abs(flows), times))
        assert abs(float(npv(rate, flows, times))) <= 1e-9 * scale
    else:
        assert np.isnan(rate)
        assert str(irr_reason(flows)) == NO_ROOT


def test_irr_matches_a_scalar_brentq_reference_on_a_large_array():
    rng = np.random.default_rng(12345)
    n_rows, n_months = 10_000, 120
    # Invest for 1-24 months, then earn noisy positive revenue: one sign change per row.
    invest_months = rng.integers(1, 25, size=n_rows)
    month = np.arange(n_months)
    flows = rng.uniform(0.2, 2.0, size=(n_rows, 1)) * rng.uniform(0.5, 1.5, (n_rows, n_months))
    investing = month < invest_months[:, np.newaxis]
    flows[investing] = -rng.uniform(10.0, 40.0, size=int(investing.sum()))
    rates = irr(flows)
    assert rates.shape == (n_rows,)
    assert np.isfinite(rates).all()

    low, high = math.log(1e-4) / 12.0, math.log(101.0) / 12.0
    for i in rng.choice(n_rows, size=50, replace=False):
        row = flows[i]

        def value(g: float, row: np.ndarray = row) -> float:
            return float(np.sum(row * np.exp(-month * g)))

        g = brentq(value, low, high, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        assert rates[i] == pytest.approx(math.expm1(12.0 * g), abs=1e-8)


# --------------------------------------------------------------------------- payback


def test_payback_hand_cases():
    times = np.arange(4.0)
    assert float(payback([-100.0, 50.0, 50.0, 50.0], times)) == 2.0
    # Cumulative -100, -70, -40, +20: crosses 0 two thirds of the way from year 2 to 3.
    assert float(payback([-100.0, 30.0, 30.0, 60.0], times)) == pytest.approx(2.0 + 40.0 / 60.0)
    assert np.isnan(payback([-100.0, 30.0, 30.0, 30.0], times))
    assert float(payback([0.0, 5.0, -5.0, 1.0], times)) == 0.0  # never negative


def test_payback_uses_the_last_recovery_and_the_times_unit():
    months = np.array([0.0, 3.0, 6.0, 9.0, 12.0])
    # Cumulative -10, +5, -5, -1, +3: positive at month 3 but negative again; final
    # recovery between months 9 and 12, a quarter of the way.
    flows = [-10.0, 15.0, -10.0, 4.0, 4.0]
    assert float(payback(flows, months)) == pytest.approx(9.0 + 3.0 * 1.0 / 4.0)


def test_payback_vectorised():
    flows = np.array(
        [
            [[-100.0, 50.0, 50.0, 50.0], [-100.0, 30.0, 30.0, 60.0]],
            [[-100.0, 30.0, 30.0, 30.0], [10.0, 0.0, 0.0, 0.0]],
        ]
    )
    got = payback(flows, np.arange(4.0) + 1.0)
    np.testing.assert_allclose(got, [[3.0, 3.0 + 2.0 / 3.0], [np.nan, 1.0]])
    for idx in np.ndindex(2, 2):
        np.testing.assert_equal(got[idx], payback(flows[idx], np.arange(4.0) + 1.0))


def test_payback_rejects_bad_input():
    with pytest.raises(ScenarioError, match=r"flows contain inf at index \(2,\)"):
        payback([-1.0, 1.0, np.inf], [0.0, 1.0, 2.0])
    with pytest.raises(ScenarioError, match="non-decreasing"):
        payback([-1.0, 1.0, 1.0], [0.0, 2.0, 1.0])
    with pytest.raises(ScenarioError, match="at least one period"):
        payback(np.zeros((3, 0)), np.zeros(0))


# --------------------------------------------------------------------------- terminal value


def test_terminal_value_closed_form():
    # 100 * 1.02 / (0.10 - 0.02) = 1275.
    assert float(terminal_value(100.0, 0.10, 0.02)) == pytest.approx(1275.0, rel=1e-14)
    got = terminal_value(np.array([100.0, -50.0]), np.array([0.10, 0.08]), 0.0)
    np.testing.assert_allclose(got, [1000.0, -625.0], rtol=1e-14)
    # The value of the perpetuity equals its discounted flows, summed far enough.
    t = np.arange(1, 5000)
    assert float(terminal_value(1.0, 0.05, 0.01)) == pytest.approx(
        np.sum(1.01**t / 1.05**t), rel=1e-9
    )


@pytest.mark.parametrize(("rate", "growth"), [(0.02, 0.02), (0.02, 0.05)])
def test_terminal_value_requires_rate_above_growth(rate, growth):
    with pytest.raises(ScenarioError, match="rate > growth"):
        terminal_value(100.0, rate, growth)


def test_terminal_value_names_the_offending_element():
    with pytest.raises(ScenarioError, match=r"rate=0.03, growth=0.04 at index \(1,\)"):
        terminal_value(1.0, np.array([0.1, 0.03]), 0.04)


# --------------------------------------------------------------------------- rates


def test_annual_rate_to_periodic():
    assert float(annual_rate_to_periodic(0.1, 12)) == pytest.approx(1.1 ** (1 / 12) - 1, rel=1e-13)
    rates = np.array([-0.5, 0.0, 0.2])
    periodic = annual_rate_to_periodic(rates, 4)
    np.testing.assert_allclose((1.0 + periodic) ** 4 - 1.0, rates, atol=1e-15)
    with pytest.raises(ScenarioError, match="rate must be > -1"):
        annual_rate_to_periodic(-1.0, 12)
    with pytest.raises(ScenarioError, match="periods_per_year"):
        annual_rate_to_periodic(0.1, 0)
