"""Summaries and comparisons that cannot mislead (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simlab
from simlab.cli import main
from simlab.tables import cell, quantiles_of


@pytest.fixture(scope="module")
def sc():
    return simlab.load_scenario("baseline-2025")


@pytest.fixture(scope="module")
def res(sc):
    return simlab.run(sc, draws=200, seed=7, progress=False)


def test_compare_of_runs_equal_but_for_rounding_reports_no_effect(sc, res):
    # 1.25 * (1 + 1e-15) moves NPVs in their last bits: in 2/3 of the draws "greater"
    nudged = sc.with_values({"providers.openai.price_in": 1.25 * (1 + 1e-15)})
    other = simlab.run(nudged, draws=200, seed=7, progress=False)
    mine, theirs = res.metric("npv", "all").values, other.metric("npv", "all").values
    assert (theirs != mine).any()  # not bit-identical ...
    table = res.compare(other, metrics=["npv", "revenue"], who=["all", "closed"])
    assert (table["p_other_greater"] == 0).all()  # ... but no effect
    assert (table["p_other_less"] == 0).all()
    assert (table["p_same"] == 1).all()
    assert (table["median_diff"] == 0).all()


def test_compare_with_itself_reports_no_effect(res):
    table = res.compare(res)
    assert (table["p_same"] == 1).all()
    assert (table["p_other_greater"] + table["p_other_less"] == 0).all()


def test_irr_quantiles_count_every_draw(res):
    irr = res.metric("irr", "openai").values
    npv = res.metric("npv", "openai").values
    missing = np.isnan(irr)
    assert missing.mean() > 0.5  # most of OpenAI's draws never earn their cost
    table = res.summary(metrics=["irr"], by="provider")
    row = table.loc[("irr", "openai")]
    # the old summary took the median of the draws that have an IRR: a positive-looking rate
    assert np.nanmedian(irr) > -1
    assert row["q50"] == -np.inf  # over all draws: the median draw has no IRR and NPV < 0
    assert row["nan"] == missing.sum()
    k = int((missing & (npv < 0)).sum())
    assert f"{missing.sum()} of 200 draws have no IRR: {k} lose money" in row["note"]
    assert np.isnan(row["mean"])


def test_payback_never_ranks_last():
    values = np.array([1.0, 2.0, np.inf, np.inf, np.inf])
    assert quantiles_of(values, [0.5, 0.05]) == [np.inf, 1.2]
    assert cell("payback_years", np.inf) == "never"
    assert cell("irr", -np.inf) == "none, NPV < 0"


def test_summary_drops_repeated_groups_with_a_note(sc, res):
    table = res.summary(metrics=["npv", "share_final"])
    whos = set(table.index.get_level_values("who"))
    assert "region=us" not in whos  # every US provider is closed in this catalog
    assert "closed" in whos
    assert ("share_final", "all") not in table.index
    notes = table.attrs["notes"]
    assert "region=us is left out: its providers are those of closed" in notes
    assert "share_final[all] is left out: the shares of all providers sum to 1" in notes
    assert sc.group_members("region=us") == sc.group_members("closed")


def test_summary_in_human_units(res):
    table = res.summary(metrics=["revenue", "share_final", "irr", "price_final"], human=True)
    labels = list(dict.fromkeys(table.index.get_level_values("metric")))
    last = pd.Timestamp(res.scenario.times[-1]).strftime("%b %Y")
    assert labels == [
        "revenue (USD T)",
        f"share_final, {last} (%)",
        "irr (% per year)",
        f"price_final, {last} (USD per M tokens)",
    ]
    raw = res.summary(metrics=["revenue"])
    assert table.loc[("revenue (USD T)", "all"), "q50"] == float(
        f"{raw.loc[('revenue', 'all'), 'q50'] / 1e12:.3g}"
    )


def test_cli_run_prints_units_dates_and_notes(tmp_path, capsys):
    code = main(["run", "baseline-2025", "--draws", "64", "--out", str(tmp_path / "o")])
    assert code == 0
    out = capsys.readouterr().out
    assert "Quantiles over all 64 draws" in out
    assert "npv (USD " in out
    assert "irr (% per year)" in out
    assert "share_final, " in out and "(%)" in out
    assert "e+1" not in out  # no raw 1.555e+12
    assert "note: region=us is left out" in out
    assert "\n  region=us " not in out


def test_cli_sensitivity_tables_state_units_in_headers(tmp_path, capsys):
    from pathlib import Path

    scenario = str(Path(__file__).parent / "data" / "sensitivity.toml")
    argv = ["tornado", scenario, "--metric", "npv", "--provider", "closedco", "--draws", "8"]
    assert main([*argv, "--out", str(tmp_path / "t")]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "metric_low (USD " in header and "swing (USD " in header
    argv = ["sweep", scenario, "--param", "providers.newco.price_in=0.2:0.8:2"]
    argv += ["--metric", "share_final", "--group", "open", "--draws", "8"]
    assert main([*argv, "--out", str(tmp_path / "s")]) == 0
    assert "median (%)" in capsys.readouterr().out.splitlines()[0]
