"""Sensitivity analysis: tornado, spider, sweeps, Sobol' indices and Morris screening."""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

import simlab
import simlab.cli
from simlab.errors import ScenarioError, SimlabWarning
from simlab.experiment import run
from simlab.scenario.load import Scenario, load_scenario
from simlab.sensitivity import (
    morris,
    sobol,
    sobol_convergence,
    spider,
    sweep,
    tornado,
)
from simlab.sensitivity.indices import _warn_negative

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sc() -> Scenario:
    """The 'full' test scenario with seven uncertain figures (tests/data/sensitivity.toml)."""
    return load_scenario(DATA / "sensitivity.toml")


@pytest.fixture(scope="module")
def fixed() -> Scenario:
    """A scenario with no uncertain parameter."""
    return load_scenario(DATA / "full.toml")


def ishigami(df: pd.DataFrame) -> np.ndarray:
    x1, x2, x3 = (df[c].to_numpy() for c in ("x1", "x2", "x3"))
    return np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)


ISHIGAMI = {x: st.uniform(-np.pi, 2 * np.pi) for x in ("x1", "x2", "x3")}


# ------------------------------------------------------------------------------ Sobol'


def test_sobol_reproduces_the_ishigami_indices():
    # Analytical indices of the Ishigami function with a = 7, b = 0.1: Sobol' & Levitan
    # (1999), doi:10.1016/S0010-4655(98)00156-8; also in SALib's documentation.
    s1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    st_ = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    df = sobol(ishigami, distributions=ISHIGAMI, n=4096, seed=1)
    assert list(df.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert list(df.index) == ["x1", "x2", "x3"]
    for x in s1:
        assert df.loc[x, "S1"] == pytest.approx(s1[x], abs=0.02)
        assert df.loc[x, "ST"] == pytest.approx(st_[x], abs=0.02)
    assert (df["S1_conf"] > 0).all() and (df["ST_conf"] > 0).all()
    assert df.attrs["evaluations"] == 4096 * 5


def test_sobol_is_reproducible_and_seeded():
    a = sobol(ishigami, distributions=ISHIGAMI, n=256, seed=3)
    b = sobol(ishigami, distributions=ISHIGAMI, n=256, seed=3)
    c = sobol(ishigami, distributions=ISHIGAMI, n=256, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


def test_sobol_convergence_uses_prefixes_of_one_design():
    df = sobol_convergence(ishigami, distributions=ISHIGAMI, ns=(256, 1024), seed=1)
    assert list(df.columns) == ["n", "parameter", "S1", "S1_conf", "ST", "ST_conf", "nan_groups"]
    assert sorted(set(df["n"])) == [256, 1024]
    full = sobol(ishigami, distributions=ISHIGAMI, n=1024, seed=1)
    last = df[df["n"] == 1024].set_index("parameter")
    np.testing.assert_allclose(last["S1"], full["S1"])
    wide = df.pivot(index="parameter", columns="n", values="S1_conf")
    assert (wide[1024] < wide[256]).all()  # intervals narrow as n grows


def test_sobol_of_a_scenario_metric(sc):
    df = sobol(sc, metric="npv", provider="closedco", n=64, seed=0)
    assert list(df.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert sorted(df.index) == sorted(sc.uncertain)
    assert list(df["ST"]) == sorted(df["ST"], reverse=True)  # the most important first
    assert df.attrs["metric"] == "npv" and df.attrs["who"] == "closedco"
    assert df.attrs["units"] == "USD"
    assert df.loc["providers.plusco.cash", "ST"] == 0.0  # cannot matter
    assert df["ST"].idxmax() == "finance.discount_rate"


def test_sobol_on_a_subset_of_parameters(sc):
    chosen = ["finance.discount_rate", "segments.consumer.beta_price"]
    df = sobol(sc, "npv", group="closed", n=32, seed=0, parameters=chosen)
    assert list(df.index) == chosen


def test_negative_index_beyond_its_interval_warns():
    frame = pd.DataFrame(
        {"S1": [-0.2, -0.01], "S1_conf": [0.05, 0.05], "ST": [0.3, 0.1], "ST_conf": [0.1, 0.1]},
        index=pd.Index(["a", "b"], name="parameter"),
    )
    with pytest.warns(SimlabWarning, match=r"S1 of a is -0.200 .*negative beyond its interval"):
        _warn_negative(frame, 64)


def test_sobol_leaves_out_saltelli_groups_with_nan_and_says_so():
    def sometimes_nan(df: pd.DataFrame) -> np.ndarray:
        y = df["a"].to_numpy() + 0.5 * df["b"].to_numpy()
        return np.where(df["a"].to_numpy() > 0.9, np.nan, y)

    dists = {"a": st.uniform(0, 1), "b": st.uniform(0, 1)}
    with pytest.warns(SimlabWarning, match=r"Saltelli groups holding them are left out"):
        df = sobol(sometimes_nan, distributions=dists, n=256, seed=0)
    assert 0 < df.attrs["nan_groups"] < 256
    assert np.isfinite(df["S1"]).all()


# ----------------------------------------------------------------------------- tornado


def test_tornado_is_sorted_by_swing_and_a_parameter_that_cannot_matter_has_none(sc):
    df = tornado(sc, "npv", provider="closedco", draws=64, seed=0)
    columns = ["parameter", "low_value", "high_value", "metric_low", "metric_high", "swing"]
    assert list(df.columns[:6]) == columns and "base" in df.columns
    assert set(df["parameter"]) == set(sc.uncertain)
    assert list(df["swing"]) == sorted(df["swing"], reverse=True)
    swing = df.set_index("parameter")["swing"]
    assert swing["providers.plusco.cash"] == 0.0  # starting cash never enters NPV
    assert swing.index[0] == "finance.discount_rate"
    np.testing.assert_allclose(df["swing"], (df["metric_high"] - df["metric_low"]).abs())
    # The base is the statistic of the inputs of simlab.run(scenario, draws, seed).
    res = run(sc, draws=64, seed=0)
    assert df["base"].iloc[0] == pytest.approx(float(res.metric("npv", "closedco").median()))


def test_tornado_swings_between_the_quantiles(sc):
    df = tornado(sc, "share_final", provider="openco", draws=16, low=0.2, high=0.8)
    row = df.set_index("parameter").loc["segments.consumer.beta_price"]
    dist = sc.uncertain["segments.consumer.beta_price"]
    assert row["low_value"] == pytest.approx(dist.ppf(0.2))
    assert row["high_value"] == pytest.approx(dist.ppf(0.8))
    swing = df.set_index("parameter")["swing"]
    assert swing["finance.discount_rate"] == 0.0  # the discount rate moves no share
    assert df.attrs["low"] == 0.2 and df.attrs["statistic"] == "median"


def test_tornado_with_the_others_at_their_medians(sc):
    df = tornado(sc, "npv", provider="closedco", others="median")
    assert df.attrs["draws"] == 1
    assert df.set_index("parameter").loc["providers.plusco.cash", "swing"] == 0.0


def test_spider_has_a_row_per_parameter_and_quantile(sc):
    quantiles = (0.1, 0.5, 0.9)
    df = spider(sc, "npv", provider="openco", draws=16, quantiles=quantiles)
    assert list(df.columns) == ["parameter", "quantile", "value", "metric", "nan"]
    assert len(df) == len(sc.uncertain) * len(quantiles)
    assert "base" in df.attrs


# ------------------------------------------------------------------------------ sweeps


def test_sweep_dims_coords_and_statistics(sc):
    grid = {"providers.newco.price_in": [0.3, 0.6, 0.9], "providers.newco.quality": [58, 66]}
    da = sweep(sc, grid, "share_final", provider="newco", draws=32)
    assert da.dims == ("providers.newco.price_in", "providers.newco.quality", "statistic")
    assert da.shape == (3, 2, 4)
    assert list(da.coords["statistic"].values) == ["mean", "median", "q05", "q95"]
    np.testing.assert_allclose(da.coords["providers.newco.price_in"], [0.3, 0.6, 0.9])
    assert da.coords["providers.newco.price_in"].attrs["units"] == "USD per million tokens"
    assert da.attrs["metric"] == "share_final" and da.attrs["who"] == "newco"
    assert (da.coords["nan_draws"] == 0).all()
    one = sweep(sc, {"providers.newco.quality": [58, 66]}, "npv", draws=8, statistic="mean")
    assert one.dims == ("providers.newco.quality",)
    assert one.attrs["statistic"] == "mean"


def test_raising_a_providers_own_price_never_raises_its_share(sc):
    prices = np.linspace(0.2, 1.6, 8)
    da = sweep(sc, {"providers.newco.price_in": prices}, "share_final", provider="newco", draws=48)
    for stat in da.coords["statistic"].values:
        assert (np.diff(da.sel(statistic=stat).to_numpy()) <= 1e-12).all(), stat


def test_sweep_points_use_common_random_numbers(sc):
    # The scenario's own value as a one-point grid is exactly the run of the base sample.
    da = sweep(sc, {"providers.newco.price_in": [0.5]}, "npv", provider="newco", draws=40, seed=3)
    res = run(sc, draws=40, seed=3)
    values = res.metric("npv", "newco").to_numpy()
    assert float(da.sel(statistic="mean")[0]) == pytest.approx(values.mean(), rel=1e-12)


def test_sweep_of_a_date_and_of_a_fixed_parameter(sc):
    grid = {"events.newco-entry.date": ["2025-03", "2025-09"], "providers.newco.cost": [0.2, 0.4]}
    da = sweep(sc, grid, "share_final", provider="newco", draws=8, statistic="median")
    assert np.issubdtype(da.coords["events.newco-entry.date"].dtype, np.datetime64)
    early, late = da.isel({"providers.newco.cost": 0}).to_numpy()
    assert early > late  # entering earlier wins more share by the end


def test_sweep_on_an_executor_gives_the_same_numbers(sc):
    grid = {"providers.newco.price_in": [0.3, 0.9]}
    here = sweep(sc, grid, "npv", provider="newco", draws=24, block_size=16)
    with cf.ThreadPoolExecutor(2) as pool:
        there = sweep(sc, grid, "npv", provider="newco", draws=24, block_size=16, executor=pool)
    np.testing.assert_array_equal(here.to_numpy(), there.to_numpy())


def test_sweep_of_a_scenario_without_uncertainty_runs_each_point_once(fixed):
    da = sweep(fixed, {"providers.newco.price_in": [0.3, 0.9]}, "npv", provider="newco")
    assert da.attrs["draws"] == 1
    q05, q95 = da.sel(statistic="q05").to_numpy(), da.sel(statistic="q95").to_numpy()
    np.testing.assert_array_equal(q05, q95)


# ------------------------------------------------------------------------------ Morris


def test_morris_columns_and_screening(sc):
    df = morris(sc, "npv", provider="closedco", trajectories=8, seed=0)
    assert list(df.columns) == ["mu", "mu_star", "sigma", "mu_star_conf"]
    assert set(df.index) == set(sc.uncertain)
    assert list(df["mu_star"]) == sorted(df["mu_star"], reverse=True)
    assert df.index[0] == "finance.discount_rate"
    assert df.loc["providers.plusco.cash", "mu_star"] == 0.0
    assert df.attrs["evaluations"] == 8 * (len(sc.uncertain) + 1)


def test_morris_of_a_function():
    df = morris(ishigami, distributions=ISHIGAMI, trajectories=30, seed=2)
    assert set(df.index) == {"x1", "x2", "x3"}
    assert (df["mu_star"] > 0).all()


# ------------------------------------------------------------------------ missing values


def test_nan_draws_are_counted_and_reported(sc):
    with pytest.warns(SimlabWarning, match=r"payback_years\[plusco\]: \d+ of \d+ draws have no"):
        df = tornado(sc, "payback_years", provider="plusco", draws=32)
    assert (df["nan_low"] + df["nan_high"]).sum() > 0
    assert df.attrs["nan_base"] > 0
    with pytest.warns(SimlabWarning, match="left out of each statistic"):
        da = sweep(
            sc, {"providers.plusco.opex": [0.0, 2e9]}, "payback_years", provider="plusco", draws=16
        )
    none, all_ = da.coords["nan_draws"].to_numpy()
    assert none == 0 and all_ == 16
    assert np.isnan(da.sel(statistic="median")[1])


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "profit"}, "unknown metric 'profit'"),
        ({"metric": "npv", "provider": "opnco"}, "unknown provider 'opnco'"),
        ({"metric": "npv", "group": "region=eu"}, "unknown group 'region=eu'"),
        ({"metric": "npv", "provider": "openco", "group": "all"}, "not both"),
        ({"metric": "share"}, "is yearly: give year="),
        ({"metric": "npv", "year": 2026}, "not yearly"),
        ({"metric": "npv", "statistic": "q200"}, "unknown statistic"),
        ({"metric": "npv", "low": 0.9, "high": 0.1}, "0 < low < high < 1"),
        ({"metric": "npv", "parameters": ["providers.openco.price_in"]}, "is fixed"),
        ({"metric": "npv", "parameters": ["providers.opnco.quality"]}, "did you mean"),
    ],
)
def test_tornado_rejects_bad_arguments(sc, kwargs, message):
    with pytest.raises(ScenarioError, match=message):
        tornado(sc, draws=4, **kwargs)


def test_sweep_rejects_bad_grids(sc):
    with pytest.raises(ScenarioError, match=r"unknown parameter path.*did you mean"):
        sweep(sc, {"providers.newco.price": [1.0]}, "npv")
    with pytest.raises(ScenarioError, match=r"sweep value of .* must be"):
        sweep(sc, {"providers.newco.price_in": [-1.0]}, "npv")
    with pytest.raises(ScenarioError, match="are empty"):
        sweep(sc, {"providers.newco.price_in": []}, "npv")
    with pytest.raises(ScenarioError, match="list of values"):
        sweep(sc, {"providers.newco.price_in": 0.3}, "npv")
    with pytest.raises(ScenarioError, match="grid must map"):
        sweep(sc, {}, "npv")


def test_methods_need_uncertain_parameters(fixed):
    for method in (tornado, spider, sobol, morris):
        with pytest.raises(ScenarioError, match="needs uncertain parameters"):
            method(fixed, "npv")


def test_function_targets_are_checked():
    with pytest.raises(ScenarioError, match="needs distributions="):
        sobol(ishigami)
    with pytest.raises(ScenarioError, match=r"no \.ppf"):
        sobol(ishigami, distributions={"x1": 3.0})
    with pytest.raises(ScenarioError, match="one value per row"):
        sobol(lambda df: np.zeros(3), distributions=ISHIGAMI, n=8)
    with pytest.raises(ScenarioError, match="takes no metric"):
        sobol(ishigami, metric="npv", distributions=ISHIGAMI)
    with pytest.raises(ScenarioError, match="levels must be even"):
        morris(ishigami, distributions=ISHIGAMI, levels=3)


def test_the_public_api_exports_the_methods():
    assert simlab.tornado is tornado
    assert simlab.sweep is sweep
    assert simlab.sobol is sobol
    assert simlab.morris is morris


# ------------------------------------------------------------------------------- the CLI

SENS = str(DATA / "sensitivity.toml")


@pytest.mark.parametrize(
    ("argv", "files"),
    [
        (["tornado", SENS, "--metric", "npv", "--provider", "closedco", "--draws", "8"],
         ["tornado.csv", "tornado.png"]),
        (["sweep", SENS, "--metric", "share_final", "--provider", "newco", "--draws", "4",
          "--param", "providers.newco.price_in=0.2:1.0:3", "--param",
          "providers.newco.quality=55,65"],
         ["sweep.nc", "sweep.csv", "sweep.png"]),
        (["sweep", SENS, "--metric", "npv", "--draws", "4", "--statistic", "mean",
          "--param", "events.newco-entry.date=2025-03-01,2025-09-01"],
         ["sweep.nc", "sweep.csv", "sweep.png"]),
        (["sobol", SENS, "--metric", "npv", "--group", "closed", "--n", "8"],
         ["sobol.csv", "sobol.png"]),
        (["morris", SENS, "--metric", "npv", "--trajectories", "4"],
         ["morris.csv", "morris.png"]),
    ],
)  # fmt: skip
def test_cli_sensitivity_commands_write_their_files(tmp_path, capsys, argv, files):
    out = tmp_path / "out"
    assert simlab.cli.main([*argv, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(files)
    assert f"to {out}" in capsys.readouterr().out


def test_cli_sweep_netcdf_reads_back(tmp_path):
    import xarray as xr

    argv = ["sweep", SENS, "--metric", "npv", "--draws", "4", "--out", str(tmp_path),
            "--param", "providers.newco.price_in=0.2:0.4:2"]  # fmt: skip
    assert simlab.cli.main(argv) == 0
    with xr.open_dataarray(tmp_path / "sweep.nc", engine="h5netcdf") as da:
        assert da.dims == ("providers.newco.price_in", "statistic")
        assert da.attrs["metric"] == "npv"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sweep", SENS, "--metric", "npv", "--param", "providers.newco.price_in=1:2"],
         "expected PATH=LOW:HIGH:N"),
        (["sweep", SENS, "--metric", "npv", "--param", "providers.newco.price_in"],
         "expected PATH=LOW:HIGH:N"),
        (["sweep", SENS, "--metric", "npv", "--param", "providers.newco.price_in=a:b:3"],
         "expected PATH=LOW:HIGH:N"),
        (["sweep", SENS, "--metric", "npv", "--param", "providers.newco.price=1:2:3"],
         "did you mean 'providers.newco.price_in'"),
        (["tornado", SENS, "--metric", "profit"], "unknown metric 'profit'"),
        (["tornado", SENS, "--metric", "npv", "--provider", "a", "--group", "all"],
         "not allowed with argument"),
        (["sobol", str(DATA / "full.toml"), "--metric", "npv"], "needs uncertain parameters"),
    ],
)  # fmt: skip
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    assert simlab.cli.main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("simlab")
    assert "error:" in err
    assert message in err


# --- issue 11: sweeps refuse rate <= growth with the terminal value; dates past the end ----
@pytest.mark.parametrize(
    ("grid", "fragment"),
    [
        (
            {"finance.terminal_growth": [0.0, 0.06]},  # the rate is drawn from 0.06 to 0.14
            r"sweep: the sweep value 0.06 of finance.terminal_growth and "
            r"finance.discount_rate = 0.06 \(the scenario's lowest\) give no terminal value",
        ),
        (
            {"finance.discount_rate": [0.1, 0.02]},  # the growth is fixed at 0.02
            r"finance.terminal_growth = 0.02 \(the scenario's highest\) and the sweep value 0.02",
        ),
        (
            {"finance.discount_rate": [0.05, 0.1], "finance.terminal_growth": [0.0, 0.05]},
            r"the sweep value 0.05 of finance.terminal_growth and the sweep value 0.05 of",
        ),
    ],
)
def test_a_sweep_with_rate_at_or_below_growth_is_refused(sc, grid, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        sweep(sc, grid, "npv", draws=2)


def test_a_sweep_date_past_the_end_where_the_distribution_reaches_there(sc):
    # sensitivity.toml runs to 2028-01; newco's entry is drawn within 2025
    with pytest.raises(ScenarioError, match=r"sweep value 2028-06-01 .* allowed: inside the"):
        sweep(sc, {"events.newco-entry.date": ["2025-06", "2028-06"]}, "revenue", draws=2)
    late = sc.with_values(
        {
            "events.newco-entry.date": {
                "dist": "uniform_date",
                "low": "2025-03",
                "high": "2029-01",
                "assumption": "test",
            }
        }
    )
    da = sweep(late, {"events.newco-entry.date": ["2025-06", "2028-06"]}, "revenue",
               provider="newco", draws=2, statistic="mean")  # fmt: skip
    assert da.to_numpy()[0] > 0
    assert da.to_numpy()[1] == 0  # never enters: no revenue


def test_a_sweep_of_the_irr_ranks_the_draws_without_one_as_summaries_do(sc):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simlab.tables import irr_ranks, quantiles_of

    grid = {"providers.plusco.price_in": [1.0, 2.0]}
    stats = ("median", "q95", "p_negative", "mean")
    with pytest.warns(SimlabWarning, match="each ranks below every rate where the flows never"):
        da = sweep(sc, grid, "irr", provider="plusco", draws=32, statistic=stats)
    table = simlab.sample_inputs(sc, 32, 0)  # the sweep's base draws, by hand
    table["providers.plusco.price_in"] = 1.0
    res = simlab.simulate(sc, table)
    raw = res.metric("irr", "plusco").to_numpy()
    ranked, _ = irr_ranks(res, "plusco")
    assert 0.5 < np.isnan(raw).mean() < 1  # most draws have no IRR ...
    assert np.isfinite(np.nanmedian(raw))  # ... so the median of the rest is a rate
    point = da.sel({"providers.plusco.price_in": 1.0})
    assert point.sel(statistic="median") == quantiles_of(ranked, [0.5])[0] == -np.inf
    assert point.sel(statistic="q95") == pytest.approx(quantiles_of(ranked, [0.95])[0])
    assert point.sel(statistic="p_negative") == pytest.approx(np.mean(ranked < 0))
    assert np.isnan(point.sel(statistic="mean"))  # no mean over ranks
    assert point.coords["nan_draws"] == np.isnan(raw).sum()
    fig = simlab.plot.sweep_line(da)
    assert "values not drawn: their draw has no IRR" in fig.axes[0].get_title()
    plt.close(fig)
