import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from simlab.errors import ScenarioError
from simlab.uncertainty import (
    DISTRIBUTIONS,
    Choice,
    LogNormal,
    Pert,
    UniformDate,
    date_to_days,
    days_to_date,
    parse_distribution,
    unit_sample,
)

# Significance of the goodness-of-fit tests. Seeds are fixed, so each test is deterministic;
# the level only says how unlucky a correct implementation would have to be to fail.
ALPHA = 0.001
DRAWS = {"mc": 5000, "lhs": 5000, "sobol": 4096}

Z90 = stats.norm.ppf(0.9)

# Each family with a reference CDF written out independently from scipy's own
# parametrisation (not through simlab), so a wrong mapping of the spec keys fails the test.
CONTINUOUS = {
    "uniform": ({"dist": "uniform", "low": 2, "high": 5}, stats.uniform(2, 3).cdf),
    "triangular": (
        {"dist": "triangular", "low": 1, "mode": 2, "high": 5},
        stats.triang(0.25, loc=1, scale=4).cdf,
    ),
    # modified PERT: beta(1 + shape (mode-low)/(high-low), 1 + shape (high-mode)/(high-low))
    "pert": (
        {"dist": "pert", "low": 1, "mode": 2, "high": 5},
        stats.beta(2.0, 4.0, loc=1, scale=4).cdf,
    ),
    "pert-shape": (
        {"dist": "pert", "low": 0, "mode": 3, "high": 4, "shape": 8},
        stats.beta(7.0, 3.0, loc=0, scale=4).cdf,
    ),
    "normal": ({"dist": "normal", "mean": 3, "sd": 2}, stats.norm(3, 2).cdf),
    "truncnormal-low": (
        {"dist": "truncnormal", "mean": 1, "sd": 2, "low": 0},
        stats.truncnorm(-0.5, np.inf, loc=1, scale=2).cdf,
    ),
    "truncnormal-both": (
        {"dist": "truncnormal", "mean": 0, "sd": 1, "low": -0.5, "high": 2},
        stats.truncnorm(-0.5, 2, loc=0, scale=1).cdf,
    ),
    "lognormal-quantile": (
        {"dist": "lognormal", "median": 10, "high": 40, "q": 0.9},
        stats.lognorm(math.log(4) / Z90, scale=10).cdf,
    ),
    "lognormal-mu": (
        {"dist": "lognormal", "mu": 1, "sigma": 0.5},
        stats.lognorm(0.5, scale=math.e).cdf,
    ),
    "loguniform": (
        {"dist": "loguniform", "low": 0.1, "high": 100},
        lambda x: (np.log(x) - math.log(0.1)) / (math.log(100) - math.log(0.1)),
    ),
}

ALL_SPECS = [spec for spec, _ in CONTINUOUS.values()] + [
    {"dist": "choice", "values": [3, 1, 2, 10], "weights": [1, 2, 3, 4]},
    {"dist": "choice", "values": [0.5, 1.5]},
    {"dist": "uniform_date", "low": "2026-01", "high": "2027-06-15"},
    {"dist": "uniform_date", "low": dt.date(2025, 3, 2), "high": "2025-04"},
    {"dist": "truncnormal", "mean": 0, "sd": 1, "high": 0.5},
]


def _sample(spec, sampler, seed=20250101):
    dist = parse_distribution(spec)
    u = unit_sample(DRAWS[sampler], 1, sampler, np.random.default_rng(seed))[:, 0]
    return dist, dist.ppf(u)


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
@pytest.mark.parametrize("family", list(CONTINUOUS))
def test_samples_follow_the_family_cdf(family, sampler):
    spec, cdf = CONTINUOUS[family]
    _, x = _sample(spec, sampler)
    assert x.dtype == np.float64
    assert stats.kstest(x, cdf).pvalue > ALPHA


@pytest.mark.parametrize("family", list(CONTINUOUS))
def test_rvs_follows_the_family_cdf(family):
    spec, cdf = CONTINUOUS[family]
    x = parse_distribution(spec).rvs(5000, np.random.default_rng(3))
    assert stats.kstest(x, cdf).pvalue > ALPHA


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_choice_frequencies_match_weights(sampler):
    spec = {"dist": "choice", "values": [3, 1, 2, 10], "weights": [1, 2, 3, 4]}
    _, x = _sample(spec, sampler)
    observed = np.array([(x == v).sum() for v in (3, 1, 2, 10)])
    assert observed.sum() == len(x)
    expected = len(x) * np.array([0.1, 0.2, 0.3, 0.4])
    assert stats.chisquare(observed, expected).pvalue > ALPHA


def test_choice_without_weights_is_equally_likely_and_skips_zero_weights():
    _, x = _sample({"dist": "choice", "values": [5, 6, 7]}, "mc")
    counts = np.array([(x == v).sum() for v in (5, 6, 7)])
    assert stats.chisquare(counts).pvalue > ALPHA
    _, y = _sample({"dist": "choice", "values": [1, 2, 3], "weights": [1, 0, 1]}, "mc")
    assert set(np.unique(y)) == {1.0, 3.0}


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_uniform_date_is_uniform_over_whole_days(sampler):
    spec = {"dist": "uniform_date", "low": "2026-01", "high": "2027-06-15"}
    dist, days = _sample(spec, sampler)
    low, high = date_to_days(dt.date(2026, 1, 1)), date_to_days(dt.date(2027, 6, 15))
    assert dist.support() == (low, high)
    assert np.array_equal(days, np.floor(days))
    assert days.min() >= low and days.max() <= high
    # both end days are included: the day range is [low, high + 1)
    assert stats.kstest(days, stats.uniform(low, high - low + 1).cdf).pvalue > ALPHA


def test_uniform_date_hits_both_end_days():
    dist, days = _sample({"dist": "uniform_date", "low": "2026-01", "high": "2026-02"}, "lhs")
    assert days.min() == date_to_days(dt.date(2026, 1, 1))
    assert days.max() == date_to_days(dt.date(2026, 2, 1))
    assert dist.is_date and not parse_distribution(CONTINUOUS["normal"][0]).is_date


def test_uniform_date_top_probability_stays_in_range():
    dist = UniformDate(dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    top = dist.ppf(np.array([1 - 2**-53]))[0]
    assert days_to_date(top) == dt.date(2100, 1, 1)


@pytest.mark.parametrize("shape", [4.0, 6.0, 2.5])
def test_pert_mean_matches_closed_form(shape):
    low, mode, high = 1.0, 2.0, 7.0
    dist = Pert(low, mode, high, shape)
    x = dist.rvs(20_000, np.random.default_rng(11))
    expected = (low + shape * mode + high) / (shape + 2)
    assert abs(x.mean() - expected) < 4 * x.std() / math.sqrt(len(x))


@pytest.mark.parametrize("q", [0.95, 0.9, 0.99])
def test_lognormal_by_quantile_hits_median_and_high(q):
    dist = parse_distribution({"dist": "lognormal", "median": 12.5, "high": 80, "q": q})
    assert dist.ppf(np.array([q]))[0] == pytest.approx(80, rel=1e-9)
    assert dist.median() == 12.5
    assert dist.ppf(np.array([0.5]))[0] == pytest.approx(12.5, rel=1e-12)


def test_lognormal_default_q_is_095():
    dist = parse_distribution({"dist": "lognormal", "median": 1, "high": 3})
    assert isinstance(dist, LogNormal)
    assert dist.ppf(np.array([0.95]))[0] == pytest.approx(3, rel=1e-9)


@pytest.mark.parametrize(
    ("spec", "median", "support"),
    [
        ({"dist": "uniform", "low": 2, "high": 4}, 3.0, (2.0, 4.0)),
        ({"dist": "normal", "mean": -1, "sd": 3}, -1.0, (-math.inf, math.inf)),
        ({"dist": "lognormal", "mu": 0, "sigma": 1}, 1.0, (0.0, math.inf)),
        ({"dist": "loguniform", "low": 1, "high": 100}, 10.0, (1.0, 100.0)),
        ({"dist": "choice", "values": [3, 1, 2], "weights": [1, 1, 3]}, 2.0, (1.0, 3.0)),
        (
            {"dist": "truncnormal", "mean": 0, "sd": 1, "high": 0},
            stats.norm.ppf(0.25),
            (-math.inf, 0),
        ),
        (
            {"dist": "uniform_date", "low": "2026-01-01", "high": "2026-01-03"},
            date_to_days(dt.date(2026, 1, 2)),
            (date_to_days(dt.date(2026, 1, 1)), date_to_days(dt.date(2026, 1, 3))),
        ),
    ],
)
def test_median_and_support(spec, median, support):
    dist = parse_distribution(spec)
    assert dist.median() == pytest.approx(median, rel=1e-12, abs=1e-12)
    assert dist.support() == support


def test_ppf_is_vectorised_float64():
    dist = parse_distribution({"dist": "choice", "values": [1, 2]})
    out = dist.ppf(np.full((3, 2), 0.75))
    assert out.shape == (3, 2) and out.dtype == np.float64
    assert np.all(out == 2.0)


BAD_SPECS = [
    (
        {"dist": "pret", "low": 1, "mode": 2, "high": 3},
        r"unknown distribution 'pret' \(did you mean 'pert'\?\); allowed: uniform, triangular",
    ),
    ({"dist": "lognormla", "median": 1, "high": 2}, r"did you mean 'lognormal'"),
    ({"dist": 3}, r"unknown distribution 3; allowed"),
    ({"low": 1, "high": 2}, r"needs a 'dist' key.*uniform, triangular, pert"),
    ([1, 2], r"must be a table"),
    ({"dist": "uniform", "low": 3, "high": 3}, r"low=3 must be less than high=3"),
    ({"dist": "uniform", "low": 5, "high": 1}, r"low=5 must be less than high=1"),
    (
        {"dist": "triangular", "low": 1, "mode": 5, "high": 3},
        r"mode=5 must lie in \[low, high\] = \[1, 3\]",
    ),
    ({"dist": "pert", "low": 1, "mode": 0.5, "high": 3}, r"mode=0.5 must lie in \[low, high\]"),
    ({"dist": "pert", "low": 1, "mode": 2, "high": 3, "shape": 0}, r"shape must be > 0, got 0"),
    ({"dist": "normal", "mean": 0, "sd": 0}, r"normal distribution: sd must be > 0, got 0"),
    ({"dist": "normal", "mean": 0, "sd": -1}, r"sd must be > 0, got -1"),
    ({"dist": "truncnormal", "mean": 0, "sd": 1}, r"give low, high or both"),
    (
        {"dist": "truncnormal", "mean": 0, "sd": 1, "low": 2, "high": 1},
        r"low=2 must be less than high=1",
    ),
    ({"dist": "lognormal", "mu": 0, "sigma": 0}, r"sigma must be > 0"),
    ({"dist": "lognormal", "median": 0, "high": 2}, r"median must be > 0"),
    ({"dist": "lognormal", "median": 3, "high": 2}, r"high=2 must be greater than median=3"),
    (
        {"dist": "lognormal", "median": 1, "high": 2, "q": 0.4},
        r"q must lie strictly between 0.5 and 1",
    ),
    ({"dist": "lognormal", "median": 1, "high": 2, "mu": 0}, r"not both forms"),
    ({"dist": "lognormal", "mu": 0}, r"missing key 'sigma'"),
    (
        {"dist": "lognormal", "medain": 1, "high": 2},
        r"unknown key 'medain' \(did you mean 'median'\?\)",
    ),
    ({"dist": "loguniform", "low": 0, "high": 2}, r"low must be > 0, got 0"),
    ({"dist": "loguniform", "low": -1, "high": 2}, r"low must be > 0, got -1"),
    ({"dist": "choice", "values": []}, r"values must hold at least one number"),
    ({"dist": "choice", "values": "abc"}, r"values must be a list of numbers, got 'abc'"),
    ({"dist": "choice", "values": [1, "b"]}, r"values\[1\] must be a number, got 'b'"),
    ({"dist": "choice", "values": [1, 2], "weights": [1]}, r"one entry per value \(2\), got 1"),
    (
        {"dist": "choice", "values": [1, 2], "weights": [1, -1]},
        r"weights must be >= 0 with a positive sum",
    ),
    (
        {"dist": "choice", "values": [1, 2], "weights": [0, 0]},
        r"weights must be >= 0 with a positive sum",
    ),
    (
        {"dist": "pert", "low": 1, "mode": 2, "hgih": 3},
        r"unknown key 'hgih' \(did you mean 'high'\?\); "
        r"allowed keys: low, mode, high; optional: shape",
    ),
    (
        {"dist": "pert", "low": 1, "mode": 2},
        r"pert distribution: missing key 'high'; required: low, mode, high",
    ),
    ({"dist": "uniform", "low": 1, "high": 2, "source": "x"}, r"unknown key 'source'"),
    ({"dist": "uniform", "low": float("nan"), "high": 2}, r"low must be a finite number, got nan"),
    ({"dist": "normal", "mean": 0, "sd": float("inf")}, r"sd must be a finite number, got inf"),
    (
        {"dist": "choice", "values": [1, float("-inf")]},
        r"values\[1\] must be a finite number, got -inf",
    ),
    ({"dist": "uniform", "low": "1", "high": 2}, r"low must be a number, got '1'"),
    ({"dist": "uniform", "low": True, "high": 2}, r"low must be a number, got True"),
    (
        {"dist": "uniform_date", "low": "2026-13", "high": "2027-01"},
        r"low must be a date as 'YYYY-MM' or 'YYYY-MM-DD'.*got '2026-13'",
    ),
    ({"dist": "uniform_date", "low": "2026-02-30", "high": "2027-01"}, r"got '2026-02-30'"),
    ({"dist": "uniform_date", "low": "26-01", "high": "2027-01"}, r"got '26-01'"),
    ({"dist": "uniform_date", "low": "2026-01", "high": 2027}, r"high must be a date.*got 2027"),
    (
        {"dist": "uniform_date", "low": dt.datetime(2026, 1, 1, 12), "high": "2027-01"},
        r"without a time of day",
    ),
    (
        {"dist": "uniform_date", "low": "2026-05", "high": "2026-05-01"},
        r"low=2026-05-01 must be earlier than high=2026-05-01",
    ),
]


@pytest.mark.parametrize(("spec", "match"), BAD_SPECS)
def test_bad_specs_raise_scenario_error(spec, match):
    with pytest.raises(ScenarioError, match=match):
        parse_distribution(spec)


def test_scenario_error_is_a_value_error_and_direct_construction_validates():
    with pytest.raises(ValueError, match="mode=5 must lie"):
        Pert(1, 5, 3)
    with pytest.raises(ScenarioError, match="weights must be >= 0"):
        Choice((1.0, 2.0), (-1.0, 2.0))


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_to_spec_round_trips(spec):
    dist = parse_distribution(spec)
    again = parse_distribution(dist.to_spec())
    assert again == dist
    assert again.to_spec() == dist.to_spec()
    assert type(again) is DISTRIBUTIONS[spec["dist"]]
    u = np.linspace(0.01, 0.99, 7)
    assert np.array_equal(again.ppf(u), dist.ppf(u))


def test_to_spec_normalises_dates_to_iso_days():
    dist = parse_distribution({"dist": "uniform_date", "low": "2026-01", "high": "2027-06"})
    assert dist.to_spec() == {"dist": "uniform_date", "low": "2026-01-01", "high": "2027-06-01"}


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ({"dist": "pert", "low": 1, "mode": 2, "high": 4}, "PERT(low=1, mode=2, high=4)"),
        (
            {"dist": "pert", "low": 1, "mode": 2, "high": 4, "shape": 6},
            "PERT(low=1, mode=2, high=4, shape=6)",
        ),
        ({"dist": "uniform", "low": 0.1, "high": 2.5}, "Uniform(low=0.1, high=2.5)"),
        (
            {"dist": "triangular", "low": -1, "mode": 0, "high": 1e20},
            "Triangular(low=-1, mode=0, high=1e+20)",
        ),
        ({"dist": "normal", "mean": 0, "sd": 1}, "Normal(mean=0, sd=1)"),
        (
            {"dist": "truncnormal", "mean": 0, "sd": 1, "high": 2},
            "TruncNormal(mean=0, sd=1, high=2)",
        ),
        ({"dist": "lognormal", "median": 10, "high": 40}, "LogNormal(median=10, high=40)"),
        (
            {"dist": "lognormal", "median": 10, "high": 40, "q": 0.9},
            "LogNormal(median=10, high=40, q=0.9)",
        ),
        ({"dist": "lognormal", "mu": 1, "sigma": 0.5}, "LogNormal(mu=1, sigma=0.5)"),
        ({"dist": "loguniform", "low": 0.01, "high": 1}, "LogUniform(low=0.01, high=1)"),
        (
            {"dist": "choice", "values": [1, 2.5], "weights": [1, 3]},
            "Choice(values=[1, 2.5], weights=[1, 3])",
        ),
        ({"dist": "choice", "values": [7]}, "Choice(values=[7])"),
        (
            {"dist": "uniform_date", "low": "2026-01", "high": "2027-06"},
            "UniformDate(low=2026-01-01, high=2027-06-01)",
        ),
    ],
)
def test_describe(spec, text):
    assert parse_distribution(spec).describe() == text


@pytest.mark.parametrize(
    ("a", "b"), [(1.0, 5.0), (5.0, 1.0), (1.2, 4.8), (3.0, 3.0), (2.3, 3.7), (1.0, 1.0001)]
)
def test_fast_beta_inverse_matches_scipy_to_2e_8(a, b):
    # simlab.uncertainty._beta tabulates the exact CDF; reference: scipy.special.betaincinv.
    from scipy import special

    from simlab.uncertainty._beta import beta_ppf

    u = np.concatenate(
        [np.logspace(-15, -1, 300), np.linspace(0.0, 1.0, 20001), 1 - np.logspace(-15, -1, 300)]
    )
    np.testing.assert_allclose(beta_ppf(u, a, b), special.betaincinv(a, b, u), rtol=0, atol=2e-8)
