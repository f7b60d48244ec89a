"""Monte Carlo runs: the inputs table, seeding, executors, checkpoints and resuming."""

from __future__ import annotations

import concurrent.futures as cf
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from simlab import experiment
from simlab.errors import ScenarioError, SimlabWarning
from simlab.experiment import process_pool, run, sample_inputs
from simlab.scenario.load import Scenario, load_scenario

DATA = Path(__file__).parent / "data"
UNCERTAIN = DATA / "uncertain.toml"
FULL = DATA / "full.toml"


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load_scenario(UNCERTAIN)


@pytest.fixture(scope="module")
def reference(sc):
    """80 draws in blocks of 16, in this process."""
    return run(sc, draws=80, seed=11, block_size=16)


def assert_same(a, b) -> None:
    """Bit-identical metrics and inputs."""
    xr.testing.assert_identical(a.metrics, b.metrics)
    pd.testing.assert_frame_equal(a.inputs, b.inputs)


# --------------------------------------------------------------------------- inputs
def test_inputs_table_has_a_column_per_uncertain_path_in_order(sc):
    table = sample_inputs(sc, draws=50, seed=1, block_size=16)
    assert list(table.columns) == list(sc.uncertain)
    assert table.index.name == "draw" and list(table.index) == list(range(50))
    assert table["events.openco-release.date"].dtype == "datetime64[ns]"
    assert table["finance.discount_rate"].between(0.08, 0.12).all()
    pd.testing.assert_frame_equal(table, sample_inputs(sc, draws=50, seed=1, block_size=16))


def test_mc_block_draws_do_not_depend_on_the_number_of_blocks(sc):
    short = sample_inputs(sc, draws=32, seed=4, block_size=16)
    long = sample_inputs(sc, draws=100, seed=4, block_size=16)
    pd.testing.assert_frame_equal(short, long.iloc[:32])
    # ...and block 1 is not block 0 again.
    assert not np.array_equal(long.iloc[:16].to_numpy(), long.iloc[16:32].to_numpy())


def test_different_seeds_give_different_inputs(sc):
    a = sample_inputs(sc, draws=20, seed=1)
    b = sample_inputs(sc, draws=20, seed=2)
    assert not np.array_equal(a["finance.discount_rate"], b["finance.discount_rate"])


def test_lhs_is_one_design_over_all_draws(sc):
    n = 40
    table = sample_inputs(sc, draws=n, seed=3, sampler="lhs", block_size=8)
    # discount_rate ~ Uniform(0.08, 0.12) is not correlated: one draw in each of n strata.
    strata = np.floor((table["finance.discount_rate"] - 0.08) / 0.04 * n).astype(int)
    assert sorted(strata) == list(range(n))
    # The block size plays no part.
    pd.testing.assert_frame_equal(table, sample_inputs(sc, n, 3, sampler="lhs", block_size=64))


def test_rank_correlation_is_imposed(sc):
    table = sample_inputs(sc, draws=2048, seed=5, block_size=1024)
    rho = stats.spearmanr(
        table["providers.closedco.quality"], table["providers.openco.price_in"]
    ).statistic
    assert rho == pytest.approx(0.5, abs=0.06)


def test_a_scenario_without_uncertainty_gives_a_table_without_columns_and_warns_once():
    full = load_scenario(FULL)
    table = sample_inputs(full, draws=5, seed=0)
    assert table.shape == (5, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run(full, draws=5, seed=0, block_size=2)
    assert [w.category for w in caught] == [SimlabWarning]
    assert "all 5 draws are identical" in str(caught[0].message)
    assert res.draws == 5
    npv = res.metrics.npv.to_numpy()
    np.testing.assert_array_equal(npv, np.broadcast_to(npv[0], npv.shape))


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"draws": 0}, "draws must be an integer >= 1, got 0"),
        ({"draws": 2.5}, "draws must be an integer >= 1"),
        ({"draws": True}, "draws must be an integer >= 1"),
        ({"seed": -1}, "seed must be an integer >= 0, got -1"),
        ({"seed": "7"}, "seed must be an integer >= 0"),
        ({"sampler": "halton"}, "unknown sampler 'halton'; allowed: mc, lhs, sobol"),
        ({"block_size": 0}, "block_size must be a positive integer, got 0"),
        ({"executor": "threads"}, "executor must be None .* got 'threads'"),
        ({"executor": 4}, "executor must be None"),
        ({"paths": "yes"}, "paths must be True or False"),
        ({"progress": "auto"}, "progress must be None, True or False"),
    ],
)
def test_bad_arguments_are_scenario_errors(sc, kwargs, match):
    args = {"draws": 4, "seed": 1, **kwargs}
    with pytest.raises(ScenarioError, match=match):
        run(sc, **args)


def test_an_unknown_scenario_name_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="neither a shipped scenario nor a file"):
        run("no-such-scenario", draws=2, seed=1)


# --------------------------------------------------------------------------- runs
def test_run_takes_a_path_and_records_its_identity(sc, reference):
    res = run(str(UNCERTAIN), draws=80, seed=11, block_size=16)
    assert_same(res, reference)
    pd.testing.assert_frame_equal(res.inputs, sample_inputs(sc, 80, seed=11, block_size=16))
    assert res.seed == 11 and res.sampler == "mc"
    assert res.metrics.attrs["block_size"] == 16
    assert res.metrics.attrs["scenario_hash"] == sc.hash
    assert res.paths is None


def test_different_seeds_give_different_metrics(sc, reference):
    other = run(sc, draws=80, seed=12, block_size=16)
    assert not np.array_equal(other.metrics.npv, reference.metrics.npv)


def test_mc_run_is_the_same_as_simulating_its_inputs_table(sc, reference):
    again = experiment.simulate(sc, reference.inputs, block_size=16)
    np.testing.assert_array_equal(again.metrics.npv, reference.metrics.npv)


@pytest.mark.parametrize(("sampler", "draws"), [("lhs", 24), ("sobol", 32)])
def test_lhs_and_sobol_run(sc, sampler, draws):
    res = run(sc, draws=draws, seed=2, sampler=sampler, block_size=10)
    assert res.draws == draws and res.sampler == sampler
    assert np.isfinite(res.metrics.npv).all()
    assert res.metrics.npv.std("draw").max() > 0


def test_sobol_with_draws_not_a_power_of_two_warns(sc):
    with pytest.warns(SimlabWarning, match="power of 2"):
        run(sc, draws=12, seed=2, sampler="sobol")


def test_paths_are_float32_and_match_the_metrics(sc):
    res = run(sc, draws=6, seed=1, block_size=4, paths=True)
    assert res.paths is not None
    assert res.paths.share.dtype == np.float32
    assert res.paths.sizes["draw"] == 6
    final = res.paths.share.isel(time=-1).to_numpy()
    np.testing.assert_allclose(final, res.metrics.share_final.to_numpy(), rtol=1e-6)


class _ShuffledExecutor(cf.Executor):
    """Threads that finish the blocks in a random order (a different block-to-worker map)."""

    def __init__(self, seed: int) -> None:
        self._pool = cf.ThreadPoolExecutor(max_workers=4)
        self._rng = random.Random(seed)

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        delay = self._rng.uniform(0.0, 0.02)

        def late():
            time.sleep(delay)
            return fn(*args, **kwargs)

        return self._pool.submit(late)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@pytest.mark.parametrize("seed", [0, 1])
def test_any_block_order_gives_the_same_numbers(sc, reference, seed):
    with _ShuffledExecutor(seed) as pool:
        res = run(sc, draws=80, seed=11, block_size=16, executor=pool)
    assert_same(res, reference)


def test_process_pools_give_the_same_numbers(sc, reference):
    # "processes": a spawn pool over all cores, started and shut down by run().
    assert_same(run(sc, draws=80, seed=11, block_size=16, executor="processes"), reference)
    # A pool of one's own (one worker: every block on the same process), reused.
    with process_pool(1) as pool:
        assert_same(run(sc, draws=80, seed=11, block_size=16, executor=pool), reference)
        res = run(sc, draws=80, seed=11, block_size=16, executor=pool, paths=True)
    assert_same(res, reference)
    assert res.paths is not None


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_numbers(sc, reference):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        res = run(sc, draws=80, seed=11, block_size=16, executor=client.get_executor())
    assert_same(res, reference)


def test_progress_bar_can_be_forced(sc, capsys):
    run(sc, draws=4, seed=1, block_size=2, progress=True)
    assert "4/4" in capsys.readouterr().err
    run(sc, draws=4, seed=1, block_size=2)  # stderr is not a terminal here: no bar
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- checkpoints
def _count_blocks(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = experiment.simulate_block

    def counting(scenario, inputs, start, stop, paths, **kw):
        calls.append(kw.get("offset", 0) + start)
        return real(scenario, inputs, start, stop, paths, **kw)

    monkeypatch.setattr(experiment, "simulate_block", counting)
    return calls


def test_a_rerun_skips_finished_blocks(sc, reference, tmp_path, monkeypatch):
    first = run(sc, draws=80, seed=11, block_size=16, checkpoint=tmp_path)
    assert_same(first, reference)
    assert sorted(p.name for p in tmp_path.glob("block-*.npz")) == [
        f"block-{b:06d}.npz" for b in range(5)
    ]
    (tmp_path / "block-000003.npz").unlink()
    calls = _count_blocks(monkeypatch)
    again = run(sc, draws=80, seed=11, block_size=16, checkpoint=tmp_path)
    assert calls == [48]
    assert_same(again, reference)


def test_a_checkpoint_of_another_run_is_refused(sc, tmp_path):
    run(sc, draws=8, seed=1, block_size=4, checkpoint=tmp_path)
    with pytest.raises(ScenarioError, match=r"manifest.json belongs to another run: seed is 1"):
        run(sc, draws=8, seed=2, block_size=4, checkpoint=tmp_path)
    other = sc.with_values({"finance.discount_rate": 0.1})
    with pytest.raises(ScenarioError, match="scenario_hash is"):
        run(other, draws=8, seed=1, block_size=4, checkpoint=tmp_path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "swap"])
def test_a_damaged_block_file_is_refused(sc, tmp_path, damage):
    run(sc, draws=8, seed=1, block_size=4, checkpoint=tmp_path)
    block = tmp_path / "block-000001.npz"
    if damage == "truncate":
        block.write_bytes(block.read_bytes()[:200])
        match = "block-000001.npz: damaged or truncated block file"
    elif damage == "garbage":
        data = bytearray(block.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
        block.write_bytes(bytes(data))
        match = "block-000001.npz: damaged or truncated block file"
    else:
        (tmp_path / "block-000000.npz").replace(block)
        match = "block-000001.npz: block is 0, expected 1"
    with pytest.raises(ScenarioError, match=match):
        run(sc, draws=8, seed=1, block_size=4, checkpoint=tmp_path)


_KILLED_RUN = """
import sys
from simlab.experiment import run

if __name__ == "__main__":
    run(sys.argv[1], draws=int(sys.argv[2]), seed=5, block_size=1, checkpoint=sys.argv[3])
"""


def test_a_killed_run_resumes_to_the_same_numbers(sc, tmp_path, monkeypatch):
    draws = 120  # one draw a block: slow enough to be killed in the middle
    folder = tmp_path / "ckpt"
    script = tmp_path / "slow_run.py"
    script.write_text(textwrap.dedent(_KILLED_RUN), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(UNCERTAIN), str(draws), str(folder)])
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("block-*.npz"))) < 5:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no block file appeared within 60 s"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    saved = len(list(folder.glob("block-*.npz")))
    assert 5 <= saved < draws

    calls = _count_blocks(monkeypatch)
    resumed = run(sc, draws=draws, seed=5, block_size=1, checkpoint=folder)
    assert len(calls) == draws - saved
    monkeypatch.undo()
    whole = run(sc, draws=draws, seed=5, block_size=1)
    assert_same(resumed, whole)


# --------------------------------------------------------------------------- the command
def test_cli_run_prints_the_summary_and_writes_its_files(tmp_path, capsys):
    from simlab import cli
    from simlab.results import load_results

    out = tmp_path / "out"
    argv = ["run", str(UNCERTAIN), "--draws", "8", "--seed", "1", "--block-size", "4"]
    assert cli.main([*argv, "--out", str(out), "--checkpoint", str(tmp_path / "ck")]) == 0
    stdout, stderr = capsys.readouterr()
    assert stderr == ""
    assert stdout.startswith("uncertain: 8 draws, seed 1, sampler mc")
    assert "share_final, " in stdout and "\n  closed " in stdout
    assert "closed-lose  share_final[closed] < 0.5" in stdout
    written = {"results.nc", "summary.csv", "claims.csv", "shares.png", "npv.png"}
    assert written | {"share_fan.png"} == {p.name for p in out.iterdir()}
    res = load_results(out / "results.nc")
    assert (res.draws, res.seed) == (8, 1)
    summary = pd.read_csv(out / "summary.csv", index_col=[0, 1])
    assert list(summary.columns) == ["mean", "q05", "q50", "q95", "nan", "note", "same_as"]
    assert summary.loc[("irr", "all"), "nan"] >= 0
    claims = pd.read_csv(out / "claims.csv", index_col=0)
    assert list(claims.index) == ["closed-lose", "cn-roi"]
    assert len(list((tmp_path / "ck").glob("block-*.npz"))) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sampler", "halton"], "argument --sampler: invalid choice: 'halton'"),
        (["--draws", "0"], "draws must be an integer >= 1, got 0"),
        (["--draws", "ten"], "argument --draws: invalid int value: 'ten'"),
        (["--workers", "0"], "workers must be an integer >= 1, got 0"),
    ],
)
def test_cli_run_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    from simlab import cli

    argv = ["run", str(UNCERTAIN), "--out", str(tmp_path / "out"), *extra]
    assert cli.main(argv) == 2
    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("simlab") and message in stderr
    assert not (tmp_path / "out").exists()
