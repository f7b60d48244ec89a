"""Summaries and comparisons that cannot mislead (issue 14)."""

from __future__ import annotations

import copy

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
    # The provider with the most draws without an IRR (xAI in this catalog).
    who = max(res.scenario.providers, key=lambda p: np.isnan(res.metric("irr", p).values).sum())
    irr = res.metric("irr", who).values
    npv = res.metric("npv", who).values
    missing = np.isnan(irr)
    # Many of its draws never earn their cost (under model 2 no provider has a majority).
    assert missing.mean() > 0.3
    table = res.summary(metrics=["irr"], by="provider")
    row = table.loc[("irr", who)]
    # the old summary took the median of the draws that have an IRR: a higher-looking rate
    assert np.nanmedian(irr) > row["q50"]
    assert row["q05"] == -np.inf  # over all draws: the lowest draws have no IRR and NPV < 0
    assert row["nan"] == missing.sum()
    k = int((missing & (npv < 0)).sum())
    assert row["note"].startswith(f"{missing.sum()} of 200 draws (")
    assert f"; {k} ranked below every rate (never pay back or NPV < 0)" in row["note"]
    assert np.isnan(row["mean"])


def test_payback_never_ranks_last():
    values = np.array([1.0, 2.0, np.inf, np.inf, np.inf])
    assert quantiles_of(values, [0.5, 0.05]) == [np.inf, 1.2]
    assert cell("payback_years", np.inf) == "never"
    assert cell("irr", -np.inf) == "none, NPV < 0"


def test_summary_drops_repeated_groups_with_a_note(sc):
    # Without its US and European open-weight labs the catalog's US providers are all
    # closed: region=us repeats closed and shares its row.
    doc = copy.deepcopy(dict(sc.document))
    for name in ("llama", "gpt-oss", "mistral"):
        del doc["providers"][name]
    closed_us = simlab.Scenario.from_dict(doc)
    assert closed_us.group_members("region=us") == closed_us.group_members("closed")
    res = simlab.run(closed_us, draws=32, seed=7, progress=False)
    table = res.summary(metrics=["npv", "share_final"])
    whos = set(table.index.get_level_values("who"))
    assert "region=us" not in whos
    assert "closed" in whos
    assert ("share_final", "all") not in table.index
    notes = table.attrs["notes"]
    assert (
        "region=us has the providers of closed: one row for both, labelled closed = region=us"
        in notes
    )
    assert table.loc[("npv", "closed"), "same_as"] == "region=us"
    human = res.summary(metrics=["npv"], human=True)
    assert "closed = region=us" in set(human.index.get_level_values("who"))
    assert "share_final[all] is left out: the shares of all providers sum to 1" in notes


def test_open_is_not_china_in_the_catalog(sc, res):
    # Issue 11 #5: Llama, gpt-oss (US) and Mistral (EU) are open-weight too, so open,
    # region=cn and region=us are different groups and each keeps its summary row.
    assert set(sc.group_members("open")) - set(sc.group_members("region=cn")) == {
        "llama",
        "mistral",
        "gpt-oss",
    }
    assert set(sc.group_members("region=us")) - set(sc.group_members("closed")) == {
        "llama",
        "gpt-oss",
    }
    whos = set(res.summary(metrics=["npv"]).index.get_level_values("who"))
    assert {"open", "closed", "region=us", "region=cn", "region=eu"} <= whos
    open_share = res.metric("share_final", "open").to_numpy()
    cn_share = res.metric("share_final", "region=cn").to_numpy()
    assert (open_share > cn_share).all()


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
    assert "note: share_final[all] is left out" in out
    assert "region=us" in out  # US providers are not all closed (Llama, gpt-oss are open)


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


# --- issue 11: an IRR row never hides the draws without an IRR ---------------------------
SIXTY_IRR = [0.05, 0.10, 0.15, 0.20, *[np.nan] * 6]  # the median of the rest: 12.5 %
SIXTY_CODES = [0, 0, 0, 0, 2, 2, 2, 2, 3, 3]  # 4 never pay back, 2 have no root
SIXTY_NOTE = (
    "6 of 10 draws (60 %) have no IRR: 4 never pay back (every flow <= 0), 2 have no root "
    "(no rate from -99.99 % to +10,000 % a year zeroes the NPV); 6 ranked below every rate"
)


@pytest.fixture(scope="module")
def sixty():
    """Ten draws of full.toml in which closedco has no IRR in six (60 %), with a hurdle claim."""
    import copy
    from pathlib import Path

    from simlab.scenario.load import Scenario

    doc = copy.deepcopy(simlab.load_scenario(Path(__file__).parent / "data" / "full.toml").document)
    doc["claims"]["irr-hurdle"] = {
        "text": "closedco earns more than an 8 % hurdle",
        "expr": "irr[closedco] > 0.08",
    }
    sc = Scenario.from_dict(doc, origin="sixty.toml")
    res = simlab.simulate(
        sc, pd.DataFrame({"providers.openco.price_in": np.linspace(0.2, 0.4, 10)})
    )
    where = {"provider": "closedco"}
    res.metrics["irr"].loc[where] = SIXTY_IRR
    res.metrics["irr_reason"].loc[where] = SIXTY_CODES
    res.metrics["npv"].loc[where] = [1e9, 2e9, 3e9, 4e9, *[-5e9] * 6]
    group = {"group": "closed"}  # the same for the closed group, which the report lists
    res.metrics["irr_by_group"].loc[group] = SIXTY_IRR
    res.metrics["irr_reason_by_group"].loc[group] = SIXTY_CODES
    res.metrics["npv_by_group"].loc[group] = [1e9, 2e9, 3e9, 4e9, *[-5e9] * 6]
    return res


def test_an_irr_summary_counts_the_draws_without_an_irr_and_says_why(sixty):
    for human in (False, True):
        row = sixty.summary(metrics=["irr"], by="provider", human=human).xs("closedco", level=1)
        row = row.iloc[0]
        assert row["q50"] == -np.inf  # the median draw has none, not 12.5 % over the rest
        # q95 interpolates the two best draws (15 % and 20 %): 0.95 x 9 = 8.55
        assert row["q05"] == -np.inf and row["q95"] == pytest.approx(
            0.1775 * (100 if human else 1), rel=1e-2
        )
        assert row["nan"] == 6
        assert row["note"].startswith(SIXTY_NOTE)
        assert np.isnan(row["mean"])


def test_the_cli_table_and_the_report_show_the_count_beside_the_irr_quantiles(sixty, capsys):
    from simlab._html import headline_rows
    from simlab.cli import _print_summary

    _print_summary(sixty.summary(metrics=["irr"], by="provider", human=True), sixty.draws)
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("  closedco"))
    assert line.count("none, NPV < 0") == 2 and line.endswith("6 (60 %)")
    assert "12.5" not in out
    assert f"note: irr[closedco]: {SIXTY_NOTE}" in out
    headers, rows, notes = headline_rows(sixty)
    closed = sixty.scenario.label("closed")
    row = next(r for r in rows if r[0].startswith("irr") and r[1] == closed)
    assert headers[-1] == "draws with no value" and row[-1] == "6 (60 %)"
    assert row[headers.index("q50")] == "none, NPV < 0"
    assert any(n.startswith(f"irr[closed]: {SIXTY_NOTE}") for n in notes)


def test_irr_figures_count_every_draw(sixty):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simlab import plot

    fig = plot.distribution(sixty, metric="irr", who="closedco")
    title = fig.axes[0].get_title()
    assert "10 draws" in title
    assert "6 (60 %) have no IRR: 4 never pay back, 2 have no root; ranked 6 below" in title
    plt.close(fig)
    fig = plot.compare(sixty, sixty, metric="irr", who="closedco")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert all("median none, NPV < 0; 6 of 10 draws with no value" in t for t in labels)
    plt.close(fig)


def test_an_irr_hurdle_claim_counts_the_draws_that_never_pay_back_as_below_it(sixty):
    p, _ = sixty.probability("irr", ">", 0.08, "closedco")
    assert p == pytest.approx(0.3)  # 3 of 10, not 3 of the 4 draws with an IRR
    claims = sixty.claims()
    assert claims.loc["irr-hurdle", "probability"] == pytest.approx(0.3)
    assert claims.loc["irr-hurdle", "undecided"] == 0
    assert claims.loc["irr-hurdle", "note"].startswith(f"irr[closedco]: {SIXTY_NOTE}")


def test_an_irr_outcome_for_discovery_counts_every_draw(sixty):
    held = simlab.outcome(sixty, metric="irr", provider="closedco", above=0.08)
    np.testing.assert_array_equal(held, [0, 1, 1, 1, 0, 0, 0, 0, 0, 0])  # none undecided


def test_irr_reasons_survive_a_save_and_load(sixty, tmp_path):
    sixty.to_netcdf(tmp_path / "r.nc")
    back = simlab.load_results(tmp_path / "r.nc")
    np.testing.assert_array_equal(back.metrics.irr_reason, sixty.metrics.irr_reason)
    note = back.summary(metrics=["irr"], by="provider").loc[("irr", "closedco"), "note"]
    assert note.startswith(SIXTY_NOTE)


def test_a_group_with_the_providers_of_another_is_one_row_labelled_with_both(capsys):
    """open == region=cn (newco moved to China): one row, "open = region=cn", everywhere."""
    import copy
    from pathlib import Path

    from simlab._html import headline_rows
    from simlab.cli import _print_summary
    from simlab.scenario.load import Scenario

    doc = copy.deepcopy(simlab.load_scenario(Path(__file__).parent / "data" / "full.toml").document)
    doc["providers"]["newco"]["region"] = "cn"
    sc = Scenario.from_dict(doc, origin="open-is-cn.toml")
    assert sc.group_members("open") == sc.group_members("region=cn")
    res = simlab.simulate(sc)
    table = res.summary(metrics=["npv"])
    # (closedco and plusco are the US labs now: region=us == closed too)
    assert list(table.index.get_level_values("who")) == ["all", "open", "closed"]
    assert table.loc[("npv", "open"), "same_as"] == "region=cn"
    human = res.summary(metrics=["npv"], human=True)
    assert "open = region=cn" in set(human.index.get_level_values("who"))
    _print_summary(human, res.draws)
    out = capsys.readouterr().out
    assert "\n  open = region=cn " in out and "\n  region=cn " not in out
    _, rows, notes = headline_rows(res)
    assert [r[1] for r in rows if r[0].startswith("npv")] == [
        "all",
        "open = region=cn",
        "closed = region=us",
    ]
    assert (
        "region=cn has the providers of open: one row for both, labelled open = region=cn" in notes
    )


def test_the_summary_says_when_an_npv_is_mostly_terminal_value(res):
    table = res.summary(metrics=["npv"])
    (note,) = [n for n in table.attrs["notes"] if n.startswith("npv is mostly terminal value")]
    mostly, over = 0, False
    for who in ("all", "closed", "open", "region=us", "region=cn", "region=eu"):
        tv = np.median(res.metric("terminal_pv", who).values)
        npv = np.median(res.metric("npv", who).values)
        if npv > 0:  # the note gives every positive NPV's terminal share
            assert f"{who} {100 * tv / npv:.0f} %" in note
            mostly += tv / npv > 0.5  # what the note is for
            over |= tv > npv
        else:  # a negative NPV has no share to give
            assert f" {who} " not in f" {note.split(': ', 1)[1]}"
    assert mostly
    # A share over 100 % (negative simulated flows) says so, and only then.
    assert ("over 100 %: the simulated flows are negative" in note) == over
    # npv is the two parts, draw by draw
    parts = res.metric("npv_explicit", "all").values + res.metric("terminal_pv", "all").values
    np.testing.assert_allclose(parts, res.metric("npv", "all").values, rtol=1e-9)
    # Only an npv row carries it, and a run kept without the parts cannot say it.
    assert not [n for n in res.summary(metrics=["revenue"]).attrs["notes"] if "terminal" in n]
    bare = simlab.run(res.scenario, draws=20, seed=7, metrics=["npv"], progress=False)
    assert not [n for n in bare.summary(metrics=["npv"]).attrs["notes"] if "terminal" in n]
