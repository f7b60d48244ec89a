"""The discover and drivers commands, and simlab run --until."""

from __future__ import annotations

import pytest

import simlab
from simlab.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "results.nc"
    simlab.run("baseline-2025", draws=600, seed=2).to_netcdf(path)
    return path


def test_discover_a_claim_writes_the_trajectory_and_the_box(saved, tmp_path, capsys):
    code = main(["discover", str(saved), "--claim", "openai-npv-negative", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "openai-npv-negative: holds in" in out and "coverage" in out
    for name in ("trajectory.csv", "box.csv", "trajectory.png", "box.png"):
        assert (tmp_path / name).is_file(), name


def test_discover_a_rare_outcome_restricts_inputs_with_quasi_p_values(saved, tmp_path, capsys):
    # OpenAI's NPV above 0 is the rarer outcome in baseline-2025: its box restricts inputs.
    args = ["discover", str(saved), "--metric", "npv", "--provider", "openai", "--above", "0"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "npv: holds in" in out and "qp" in out


def test_discover_a_metric_threshold_with_cart(saved, tmp_path, capsys):
    pytest.importorskip("sklearn")
    args = ["discover", str(saved), "--metric", "npv", "--provider", "openai", "--above", "0"]
    code = main([*args, "--method", "cart", "--out", str(tmp_path)])
    assert code == 0
    assert "rule" in capsys.readouterr().out
    assert (tmp_path / "leaves.csv").is_file()


def test_drivers_prints_the_ranking_and_writes_csv_and_figure(saved, tmp_path, capsys):
    code = main(
        ["drivers", str(saved), "--metric", "npv", "--provider", "openai", "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "spearman" in out and "rank regression R2" in out
    assert (tmp_path / "drivers.csv").is_file() and (tmp_path / "drivers.png").is_file()


def test_run_until_says_why_it_stopped(tmp_path, capsys):
    args = ["run", "baseline-2025", "--draws", "2000", "--block-size", "256", "--seed", "1"]
    code = main(
        [*args, "--until", "0.05", "--until-claim", "openai-npv-negative", "--out", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "until se of P(openai-npv-negative) <= 0.05: target reached" in out


def test_run_until_a_quantile(tmp_path, capsys):
    args = ["run", "baseline-2025", "--draws", "2000", "--block-size", "256", "--seed", "1"]
    code = main(
        [*args, "--until", "2e11", "--until-quantile", "npv,openai,0.5", "--out", str(tmp_path)]
    )
    assert code == 0
    assert "until se of q0.5 of npv[openai] <= 2e+11" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["discover", "{saved}", "--metric", "npv"], "--metric needs --below"),
        (["discover", "{saved}", "--claim", "nope"], "unknown claim 'nope'"),
        (
            ["discover", "{saved}", "--claim", "openai-npv-negative", "--above", "1"],
            "go with --metric",
        ),
        (["drivers", "{saved}", "--metric", "npv", "--methods", "sobol"], "unknown method 'sobol'"),
        (["run", "baseline-2025", "--until-claim", "x"], "need --until SE"),
        (["run", "baseline-2025", "--until", "1", "--until-quantile", "npv,2"], "METRIC,WHO,Q"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(saved, tmp_path, capsys, argv, message):
    argv = [a.replace("{saved}", str(saved)) for a in argv] + ["--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
