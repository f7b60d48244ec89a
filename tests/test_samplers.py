import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simlab.errors import ScenarioError, SimlabWarning
from simlab.uncertainty import (
    SAMPLERS,
    as_generator,
    correlation_matrix,
    parse_distribution,
    point_values,
    sample_table,
    unit_sample,
)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_unit_sample_shape_and_open_interval(sampler):
    u = unit_sample(1024, 3, sampler, np.random.default_rng(0))
    assert u.shape == (1024, 3) and u.dtype == np.float64
    assert (u > 0).all() and (u < 1).all()


def test_mc_maps_an_exact_zero_inside_the_interval():
    class ZeroGenerator(np.random.Generator):
        def random(self, size=None, dtype=np.float64, out=None):
            return np.zeros(size)

    u = unit_sample(4, 2, "mc", ZeroGenerator(np.random.PCG64(0)))
    assert (u > 0).all()
    assert np.isfinite(parse_distribution({"dist": "normal", "mean": 0, "sd": 1}).ppf(u)).all()


@pytest.mark.parametrize("draws", [1, 7, 1000])
def test_lhs_hits_every_stratum_of_every_column_once(draws):
    u = unit_sample(draws, 4, "lhs", np.random.default_rng(5))
    strata = np.floor(u * draws).astype(int)
    for column in strata.T:
        assert np.array_equal(np.sort(column), np.arange(draws))


def test_sobol_power_of_two_is_balanced_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = unit_sample(1024, 2, "sobol", np.random.default_rng(1))
    # a (t, m, s)-net in base 2: each of 1024 equal strata of a column holds one point
    for column in u.T:
        assert np.array_equal(np.sort(np.floor(column * 1024)), np.arange(1024))


def test_sobol_non_power_of_two_warns_once_naming_nearest_powers():
    with pytest.warns(
        SimlabWarning, match=r"power of 2.*1000.*512 \(2\*\*9\).*1024 \(2\*\*10\)"
    ) as record:
        u = unit_sample(1000, 3, "sobol", np.random.default_rng(1))
    assert len(record) == 1
    assert u.shape == (1000, 3)


def test_unknown_sampler_lists_the_allowed_ones():
    with pytest.raises(ScenarioError, match=r"unknown sampler 'halton'; allowed: mc, lhs, sobol"):
        unit_sample(10, 2, "halton", np.random.default_rng(0))


@pytest.mark.parametrize(("draws", "dims"), [(0, 2), (-3, 2), (2.5, 2), (True, 2), (10, -1)])
def test_bad_counts_raise(draws, dims):
    with pytest.raises(ScenarioError, match=r"must be an integer >="):
        unit_sample(draws, dims, "mc", np.random.default_rng(0))


def test_zero_dimensions_give_an_empty_design():
    assert unit_sample(5, 0, "sobol", np.random.default_rng(0)).shape == (5, 0)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_same_seed_same_points_different_seed_different_points(sampler):
    a = unit_sample(256, 3, sampler, np.random.default_rng(42))
    b = unit_sample(256, 3, sampler, np.random.default_rng(42))
    c = unit_sample(256, 3, sampler, np.random.default_rng(43))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(a, unit_sample(256, 3, sampler, 42))  # an int seed is accepted


@pytest.mark.parametrize("bad", [None, -1, 1.5, "7", True])
def test_rng_must_be_a_generator_or_a_seed(bad):
    with pytest.raises(ScenarioError, match=r"rng must be a numpy.random.Generator"):
        as_generator(bad)


# --- the inputs table ------------------------------------------------------------------

DISTS = {
    "providers.openai.price_in": parse_distribution(
        {"dist": "pert", "low": 1, "mode": 2, "high": 5}
    ),
    "segments.enterprise.need": parse_distribution({"dist": "normal", "mean": 0.8, "sd": 0.1}),
    "events.release.date": parse_distribution(
        {"dist": "uniform_date", "low": "2026-01", "high": "2027-06"}
    ),
    "providers.deepseek.quality": parse_distribution({"dist": "choice", "values": [0.9, 1.0]}),
    "segments.consumer.growth": parse_distribution(
        {"dist": "lognormal", "median": 0.3, "high": 0.9}
    ),
}


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_table_layout(sampler):
    table = sample_table(DISTS, 512, np.random.default_rng(0), sampler)
    assert list(table.columns) == list(DISTS)
    assert table.index.name == "draw"
    assert table.index.equals(pd.RangeIndex(512, name="draw"))
    assert table["events.release.date"].dtype == np.dtype("datetime64[ns]")
    assert table["events.release.date"].min() >= pd.Timestamp("2026-01-01")
    assert table["events.release.date"].max() <= pd.Timestamp("2027-06-01")
    assert (table["events.release.date"] == table["events.release.date"].dt.normalize()).all()
    assert table["providers.openai.price_in"].dtype == np.float64


def test_table_columns_are_ppf_of_the_design_columns():
    table = sample_table(DISTS, 256, np.random.default_rng(9), "lhs")
    u = unit_sample(256, len(DISTS), "lhs", np.random.default_rng(9))
    for j, (name, dist) in enumerate(DISTS.items()):
        if not dist.is_date:
            assert np.array_equal(table[name].to_numpy(), dist.ppf(u[:, j]))


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_same_seed_same_table_different_seed_different_table(sampler):
    corr = correlation_matrix(
        [("providers.openai.price_in", "segments.consumer.growth", 0.6)], list(DISTS)
    )
    a = sample_table(DISTS, 256, np.random.default_rng(7), sampler, corr)
    b = sample_table(DISTS, 256, np.random.default_rng(7), sampler, corr)
    c = sample_table(DISTS, 256, np.random.default_rng(8), sampler, corr)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_table_correlations_touch_only_correlated_columns(sampler):
    names = list(DISTS)
    corr = correlation_matrix([(names[0], names[1], 0.7), (names[1], names[4], -0.5)], names)
    plain = sample_table(DISTS, 4096, np.random.default_rng(3), sampler)
    correlated = sample_table(DISTS, 4096, np.random.default_rng(3), sampler, corr)
    rho = stats.spearmanr(correlated[[names[0], names[1], names[4]]]).statistic
    assert rho[0, 1] == pytest.approx(0.7, abs=0.05)
    assert rho[1, 2] == pytest.approx(-0.5, abs=0.05)
    assert rho[0, 2] == pytest.approx(0.0, abs=0.05)
    for name in names:
        assert np.array_equal(np.sort(plain[name].to_numpy()), np.sort(correlated[name].to_numpy()))
    for untouched in (names[2], names[3]):
        pd.testing.assert_series_equal(plain[untouched], correlated[untouched])


def test_table_rejects_a_wrongly_sized_matrix_and_non_distributions():
    with pytest.raises(ScenarioError, match=r"must be 5 x 5"):
        sample_table(DISTS, 10, np.random.default_rng(0), correlations=np.eye(3))
    with pytest.raises(ScenarioError, match=r"x: expected a Distribution"):
        sample_table({"x": 3.0}, 10, np.random.default_rng(0))  # type: ignore[dict-item]


def test_sobol_table_with_odd_draws_warns_once():
    with pytest.warns(SimlabWarning, match="power of 2") as record:
        sample_table(DISTS, 100, np.random.default_rng(0), "sobol")
    assert len(record) == 1


def test_point_values_are_medians():
    points = point_values(DISTS)
    assert list(points) == list(DISTS)
    assert points["segments.enterprise.need"] == pytest.approx(0.8)
    assert points["segments.consumer.growth"] == pytest.approx(0.3)
    assert points["providers.openai.price_in"] == DISTS["providers.openai.price_in"].median()
