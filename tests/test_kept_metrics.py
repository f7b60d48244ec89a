"""run(metrics=...): keep only some metrics, for memory; the claims' are always kept."""

from pathlib import Path

import numpy as np
import pytest

from simlab.cli import main
from simlab.errors import ScenarioError
from simlab.experiment import run
from simlab.scenario.load import load_scenario

UNCERTAIN = Path(__file__).parent / "data" / "uncertain.toml"


@pytest.fixture(scope="module")
def sc():
    return load_scenario(UNCERTAIN)


def test_only_the_named_and_claimed_metrics_are_kept(sc):
    full = run(sc, draws=40, seed=3, block_size=16)
    some = run(sc, draws=40, seed=3, block_size=16, metrics=["revenue", "share"])
    claimed = {t for c in sc.spec.claims.values() for t in c.expr.replace("[", " ").split()}
    kept = {m for m in some.metrics.data_vars if not m.endswith("_by_group")} - {"unmet_share"}
    assert kept >= {"revenue", "share"}
    assert "npv" not in kept or "npv" in claimed
    assert some.metrics.nbytes < full.metrics.nbytes
    np.testing.assert_array_equal(some.metrics.revenue, full.metrics.revenue)
    np.testing.assert_array_equal(some.metrics.share_by_group, full.metrics.share_by_group)
    pd_claims = some.claims()
    assert list(pd_claims.probability) == list(full.claims().probability)
    assert not some.summary().empty
    missing = next(m for m in ("capex_coverage", "valuation") if m not in kept)
    with pytest.raises(ScenarioError, match=rf"metric '{missing}' was not kept by this run"):
        some.metric(missing, "all")


def test_unknown_metric_names_are_refused(sc):
    with pytest.raises(ScenarioError, match=r"unknown metric 'revenu'; did you mean 'revenue'"):
        run(sc, draws=4, seed=0, metrics=["revenu"])
    with pytest.raises(ScenarioError, match="a list of metric names"):
        run(sc, draws=4, seed=0, metrics="revenue")


def test_cli_run_keeps_only_the_named_metrics(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(UNCERTAIN), "--draws", "16", "--metrics", "revenue", "--out", str(out)])
    assert code == 0
    assert (out / "results.nc").is_file() and (out / "npv.png").is_file()
    assert "revenue" in capsys.readouterr().out
