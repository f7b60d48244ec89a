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
    assert "without a value" in fig.axes[0].get_title()


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
