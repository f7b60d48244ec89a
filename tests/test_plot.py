"""Figures: every kind draws, on a new figure or a given axes, with labelled axes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from simlab import plot
from simlab.errors import ScenarioError
from simlab.experiment import run
from simlab.results import Results
from simlab.scenario.load import load_scenario
from simlab.sensitivity import morris, sobol, spider, sweep, tornado

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sc():
    return load_scenario(DATA / "sensitivity.toml")


@pytest.fixture(scope="module")
def with_paths(sc) -> Results:
    return run(sc, draws=40, seed=1, paths=True)


@pytest.fixture(scope="module")
def yearly(sc) -> Results:
    return run(sc, draws=40, seed=1)


def assert_labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    main = fig.axes[0]
    assert main.get_xlabel().strip(), "x axis has no label"
    for ax in fig.axes:
        assert ax.get_ylabel().strip(), f"y axis of {ax} has no label"
        assert ax.has_data() or ax.collections or ax.images or ax.patches or ax.lines


@pytest.mark.parametrize(
    ("var", "by", "who"),
    [
        ("share", "provider", None),
        ("price", "group", ["open", "closed"]),
        ("adoption", "segment", "consumer"),
        ("cash", "provider", "closedco"),
    ],
)
def test_fan_of_paths(with_paths, var, by, who):
    fig = plot.fan(with_paths, var, who=who, by=by)
    assert_labelled(fig)
    assert fig.axes[0].get_xlabel().startswith("Date")


def test_fan_of_yearly_metrics_without_paths(yearly):
    fig = plot.fan(yearly, "revenue_year", who=["openco", "closedco"])
    assert_labelled(fig)
    assert "billion USD per year" in fig.axes[0].get_ylabel()
    assert fig.axes[0].get_xlabel().startswith("Year")
    assert_labelled(plot.fan(yearly, "share", by="group"))


def test_fan_rejects_what_the_run_does_not_hold(yearly, with_paths):
    with pytest.raises(ScenarioError, match="paths=True"):
        plot.fan(yearly, "cash")
    with pytest.raises(ScenarioError, match="unknown provider, group or segment 'acme'"):
        plot.fan(with_paths, "share", who="acme")
    with pytest.raises(ScenarioError, match="by must be"):
        plot.fan(with_paths, "share", by="kind")


def test_shares_stack_closed_then_open(with_paths, yearly):
    fig = plot.shares(with_paths)
    assert_labelled(fig)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[-1].endswith("(closed)") and labels[0].endswith("(open)")
    assert_labelled(plot.shares(yearly))


def test_distribution_marks_the_probability_below_zero(yearly):
    fig = plot.distribution(yearly, "npv", who="closedco")
    assert_labelled(fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("P(NPV < 0) = 1.000") for t in texts)


def test_distribution_counts_draws_without_a_value(yearly):
    fig = plot.distribution(yearly, "payback_years", who="plusco")
    never = int(yearly.metric("payback_years", "plusco").isnull().sum())
    assert never > 0
    assert f"{never} draws never pay back, off the axis" in fig.axes[0].get_title()


def test_compare_two_runs(sc, yearly):
    cheap = run(sc.with_values({"providers.newco.price_in": 0.2}), draws=40, seed=1)
    fig = plot.compare(yearly, cheap, "share_final", "newco")
    assert_labelled(fig)
    assert len(fig.axes[0].get_legend().get_texts()) == 2


def test_draws_on_a_given_axes(yearly):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot.fan(yearly, "share", who="openco", ax=left) is fig
    assert plot.shares(yearly, ax=right) is fig
    assert left.get_ylabel() and right.get_ylabel()


def test_sensitivity_figures(sc):
    assert_labelled(plot.tornado(tornado(sc, "npv", provider="closedco", draws=8)))
    assert_labelled(plot.spider(spider(sc, "share_final", provider="openco", draws=8)))
    grid = {"providers.newco.price_in": [0.2, 0.5, 0.8], "providers.newco.quality": [56, 62, 68]}
    da = sweep(sc, grid, "share_final", provider="newco", draws=8)
    fig = plot.heatmap(da)
    assert_labelled(fig)
    assert "USD per million tokens" in fig.axes[0].get_ylabel()
    assert_labelled(plot.sobol_bars(sobol(sc, "npv", provider="closedco", n=16)))
    assert_labelled(plot.morris(morris(sc, "npv", provider="closedco", trajectories=4)))


def test_sweep_line_of_a_one_parameter_sweep(sc):
    da = sweep(sc, {"providers.newco.price_in": [0.2, 0.5, 0.8]}, "npv", draws=8)
    fig = plot.sweep_line(da)
    assert_labelled(fig)
    assert "USD per million tokens" in fig.axes[0].get_xlabel()
    assert_labelled(plot.sweep_line(da.sel(statistic="mean")))
    with pytest.raises(ScenarioError, match="one parameter"):
        plot.sweep_line(da.expand_dims(extra=[1, 2]))


def test_heatmap_needs_two_swept_dims(sc):
    da = sweep(sc, {"providers.newco.price_in": [0.2, 0.5]}, "npv", draws=4)
    with pytest.raises(ScenarioError, match="exactly two parameters"):
        plot.heatmap(da)
    with pytest.raises(ScenarioError, match="statistic 'q50' not in the sweep"):
        plot.heatmap(da, statistic="q50")


def test_sensitivity_figures_check_their_tables():
    import pandas as pd

    with pytest.raises(ScenarioError, match="missing swing"):
        plot.tornado(
            pd.DataFrame({"parameter": ["a"], "metric_low": [0], "metric_high": [1], "base": [0.5]})
        )
    with pytest.raises(ScenarioError, match="needs a pandas DataFrame"):
        plot.sobol_bars(np.zeros(3))  # type: ignore[arg-type]


def test_importing_simlab_does_not_import_matplotlib():
    code = "import sys, simlab, simlab.plot; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        (["--kind", "fan", "--var", "share", "--by", "group", "--who", "open", "--who", "closed"],
         "fan.png"),
        (["--kind", "shares"], "shares.png"),
        (["--kind", "distribution", "--metric", "npv", "--who", "closedco"], "distribution.png"),
    ],
)  # fmt: skip
def test_cli_plot_draws_saved_results(tmp_path, capsys, with_paths, extra, name):
    from simlab import cli

    saved = tmp_path / "results.nc"
    with_paths.to_netcdf(saved)
    out = tmp_path / "figs" / name
    assert cli.main(["plot", str(saved), *extra, "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert capsys.readouterr().out.strip() == f"wrote {out}"


def test_cli_plot_bad_input_exits_2(tmp_path, capsys, yearly):
    from simlab import cli

    saved = tmp_path / "results.nc"
    yearly.to_netcdf(saved)
    assert cli.main(["plot", str(saved), "--kind", "fan", "--var", "cash"]) == 2
    assert "paths=True" in capsys.readouterr().err
    assert cli.main(["plot", str(tmp_path / "nope.nc")]) == 2
    assert cli.main(["plot", str(saved), "--out", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "must be a .png file" in err


# --------------------------------------------------------------- issue 14: readable figures
def test_distribution_clips_the_axis_to_a_quantile_range_and_says_so(sc):
    import pandas as pd

    yearly = run(sc, draws=400, seed=2)
    values = yearly.metric("npv", "closedco").to_numpy().copy()
    values[0] = np.abs(values).max() * 1e4  # a far tail draw would squeeze the rest into one bar
    forged = Results(
        yearly.scenario,
        yearly.metrics.assign(npv=yearly.metrics.npv.copy(data=np.where(
            yearly.metrics.npv.provider == "closedco", values[:, None], yearly.metrics.npv
        ))),
        None,
        pd.DataFrame(index=range(yearly.draws)),
    )  # fmt: skip
    fig = plot.distribution(forged, "npv", who="closedco")
    ax = fig.axes[0]
    assert "1% to 99% quantile" in ax.get_title() and "draws outside not shown" in ax.get_title()
    right = ax.get_xlim()[1]
    assert right < values[0] * 1e-9 / 10  # the axis is not stretched to the tail draw
    full = plot.distribution(forged, "npv", who="closedco", clip=None)
    assert full.axes[0].get_xlim()[1] >= values[0] * 1e-9
    with pytest.raises(ScenarioError, match="clip must be two quantiles"):
        plot.distribution(forged, "npv", who="closedco", clip=(0.9, 0.1))


def test_figures_name_providers_by_their_label():
    yearly = run("baseline-2025", draws=16, seed=1)
    sc = yearly.scenario
    labelled = [p for p in sc.providers if sc.spec.providers[p].label]
    assert labelled, "the test scenario needs a provider with a label"
    name = labelled[0]
    label = sc.spec.providers[name].label
    texts = [t.get_text() for t in plot.shares(yearly).axes[0].get_legend().get_texts()]
    assert any(t.startswith(f"{label} (") for t in texts)
    fig = plot.distribution(yearly, "revenue", who=name)
    assert label in fig.axes[0].get_xlabel() and label in fig.axes[0].get_title()
    fig = plot.fan(yearly, "share", who=[name])
    assert f"{label}, median" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_fan_legend_states_the_statistic_and_many_members_get_panels(with_paths):
    fig = plot.fan(with_paths, "share", who=["openco", "closedco"])
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "90 % band (5th-95th percentile)" in texts
    assert any(t.endswith(", median") for t in texts)
    providers = with_paths.scenario.providers
    assert len(providers) > 4
    fig = plot.fan(with_paths, "share")
    assert len(fig.axes) == len(providers)  # one panel each, not one tangle
    assert_labelled(fig)


def test_sobol_bars_draws_the_top_parameters_and_says_how_many_are_left(sc):
    df = sobol(sc, "npv", provider="closedco", n=16)
    assert list(df["ST"]) == sorted(df["ST"], reverse=True)  # the most important first
    fig = plot.sobol_bars(df, top=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(df.index[:2])[::-1]
    assert f"top 2 of {len(df)} parameters by ST; the other {len(df) - 2} have ST <=" in (
        ax.get_title()
    )
    assert len(plot.sobol_bars(df, top=None).axes[0].get_yticklabels()) == len(df)


def test_heatmap_ticks_sit_on_the_grid_without_contours(sc):
    grid = {"providers.newco.price_in": [0.1, 0.3, 1.0], "providers.newco.quality": [56, 68]}
    da = sweep(sc, grid, "share_final", provider="newco", draws=8)
    fig = plot.heatmap(da)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["56", "68"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.1", "0.3", "1"]
    assert not [c for c in ax.collections if type(c).__name__ == "QuadContourSet"]
    assert len(ax.texts) == 6  # each cell's value written in it
    assert "median over 8 draws" in ax.get_title()
