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


def test_a_worker_sends_back_only_the_kept_metrics(sc):
    # Every metric is ~12 kB a draw of baseline-2025: a run that keeps a few must not ship
    # the rest from its workers (12 GB for 10^6 draws) only to drop them in the parent.
    from concurrent.futures import ThreadPoolExecutor

    import simlab.experiment as experiment

    sent: list = []
    job_runner = experiment._run_job

    def spy(job):
        out = job_runner(job)
        sent.append(out[1])
        return out

    experiment._run_job = spy
    try:
        with ThreadPoolExecutor(1) as pool:
            some = run(sc, draws=40, seed=3, block_size=16, metrics=["revenue"], executor=pool)
    finally:
        experiment._run_job = job_runner
    assert len(sent) == 3  # a job a block
    for block in sent:
        assert "revenue" in block.provider and "capex_coverage" not in block.provider
        assert set(block.provider) == set(some.metrics.data_vars) & set(block.provider)
    full = run(sc, draws=40, seed=3, block_size=16)
    np.testing.assert_array_equal(some.metrics.revenue, full.metrics.revenue)
