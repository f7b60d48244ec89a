"""Calibration by history matching (simlab.calibrate) and the shipped hindcast."""

from __future__ import annotations

import concurrent.futures as cf
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simlab
from simlab.calibration import Observation, Observations, observe
from simlab.errors import ScenarioError

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "calibration.md"
BASS_Q, BETA_PRICE = "segments.consumer.bass_q", "segments.api.beta_price"


@pytest.fixture(scope="module")
def two_unknowns():
    """The hindcast with every uncertain figure at its point value but two."""
    sc = simlab.load_scenario("history-2023")
    fixed = {p: sc.params[p].value for p in sc.uncertain if p not in (BASS_Q, BETA_PRICE)}
    return sc.with_values(fixed)


def _synthetic(sc, truth: dict[str, float]) -> Observations:
    """Observations made from one run of the scenario at known parameter values (+-10 %)."""
    specs = [
        ("revenue", "openai", "2023-12"),
        ("revenue", "openai", "2024-12"),
        ("revenue", "openai", "2025-10"),
        ("seats", "openai", "2024-06"),
        ("seats", "openai", "2025-06"),
        ("paid_tokens", "openai", "2024-06"),
        ("paid_tokens", "deepseek", "2025-06"),
        ("revenue", "anthropic", "2025-06"),
    ]
    template = [
        Observation(f"o{i}", m, w, at, at, True, 1.0, 0.9, 1.1, "relative", 0.1, "test", False)
        for i, (m, w, at) in enumerate(specs)
    ]
    table = pd.DataFrame({k: [v] for k, v in truth.items()})
    values = observe(simlab.simulate(sc, table, paths=True), Observations(template))[0]
    made = [
        Observation(o.id, o.metric, o.who, o.start, o.end, True, float(v), 0.9 * v, 1.1 * v,
                    "relative", 0.1, "synthetic truth", False)
        for o, v in zip(template, values, strict=True)
    ]  # fmt: skip
    return Observations(made, name="synthetic")


@pytest.fixture(scope="module")
def recovered(two_unknowns):
    truth = {BASS_Q: 1.2, BETA_PRICE: 2.2}
    obs = _synthetic(two_unknowns, truth)
    return truth, simlab.calibrate(two_unknowns, obs, draws=3000, seed=4, waves=4)


# ------------------------------------------------------------------ recovering a known truth


def test_calibration_recovers_known_bass_q_and_beta_price(recovered):
    truth, cal = recovered
    assert cal.parameters == [BASS_Q, BETA_PRICE]
    shrink = cal.shrinkage()
    for name, value in truth.items():
        row = shrink.loc[name]
        assert row["q05"] <= value <= row["q95"], (name, value, row.to_dict())
        assert row["q95"] - row["q05"] < row["prior_q95"] - row["prior_q05"]
        assert row["shrinkage"] > 0.5, row.to_dict()
    assert cal.ess > 10
    assert np.isclose(cal.weights.sum(), 1.0)


def test_calibrated_draws_are_all_consistent_and_the_prior_is_not(recovered):
    _, cal = recovered
    from simlab.calibration import implausibility

    assert (implausibility(cal.observations, cal.model) <= cal.cut).all()
    assert (implausibility(cal.observations, cal.prior_model) > cal.cut).any(axis=1).mean() > 0.5
    table = cal.table()
    assert table["within_tolerance"].all(), table
    assert (table["q95"] - table["q05"] <= table["prior_q95"] - table["prior_q05"]).all()


def test_resampled_inputs_replay_the_calibration(recovered, two_unknowns):
    _, cal = recovered
    table = cal.resample(200, seed=9)
    assert list(table.columns) == cal.parameters and len(table) == 200
    kept = set(map(tuple, cal.inputs[cal.parameters].to_numpy()))
    assert set(map(tuple, table.to_numpy())) <= kept
    # Replaying the kept draws gives their recorded observation values, all consistent.
    from simlab.calibration import implausibility

    replay = simlab.simulate(two_unknowns, cal.inputs[cal.parameters], paths=True)
    values = observe(replay, cal.observations)
    np.testing.assert_allclose(values, cal.model, rtol=1e-9)
    assert (implausibility(cal.observations, values) <= cal.cut).all()


# ------------------------------------------------------------------ seeded, bit-identical


def test_calibration_is_seeded_and_identical_on_an_executor(two_unknowns, recovered):
    _, cal = recovered
    obs = cal.observations
    again = simlab.calibrate(two_unknowns, obs, draws=3000, seed=4, waves=4)
    pd.testing.assert_frame_equal(again.inputs, cal.inputs, check_exact=True)
    with cf.ThreadPoolExecutor(2) as pool:
        pooled = simlab.calibrate(two_unknowns, obs, draws=3000, seed=4, waves=4, executor=pool)
    pd.testing.assert_frame_equal(pooled.inputs, cal.inputs, check_exact=True)
    from simlab.experiment import process_pool

    with process_pool(2) as pool:  # blocks cross processes as the scenario's document
        spawned = simlab.calibrate(two_unknowns, obs, draws=3000, seed=4, waves=4, executor=pool)
    pd.testing.assert_frame_equal(spawned.inputs, cal.inputs, check_exact=True)
    np.testing.assert_array_equal(spawned.model, cal.model)
    other = simlab.calibrate(two_unknowns, obs, draws=3000, seed=5, waves=4)
    assert not other.inputs.equals(cal.inputs)


def test_bad_arguments_give_clear_errors(two_unknowns, recovered):
    _, cal = recovered
    obs = cal.observations
    with pytest.raises(ScenarioError, match=r"skip: no observation 'o99'"):
        simlab.calibrate(two_unknowns, obs, draws=100, seed=1, skip=["o99"])
    with pytest.raises(ScenarioError, match=r"draws \(3\) must be at least waves \(4\)"):
        simlab.calibrate(two_unknowns, obs, draws=3, seed=1, waves=4)
    with pytest.raises(ScenarioError, match="discrepancy must be a number"):
        simlab.calibrate(two_unknowns, obs, draws=100, seed=1, discrepancy=-1)
    far = Observations(
        [Observation("x", "revenue", "openai", "2024-01", "2024-01", True, 1e20, 0.9e20,
                     1.1e20, "relative", 0.1, "test", False)]
    )  # fmt: skip
    with pytest.raises(ScenarioError, match=r"none of 100 draws .* most binding: x"):
        simlab.calibrate(two_unknowns, far, draws=100, seed=1, waves=2)


# ------------------------------------------------------------------ the shipped hindcast


def not_matched_on_the_page() -> dict[str, str]:
    """The docs page's list of observations the calibrated hindcast does not match."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Not matched", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `?([a-z0-9-]+)`? \| (.+?) \|$", section, flags=re.M)
    return {oid: reason for oid, reason in rows if oid != "observation"}


@pytest.mark.slow
def test_shipped_hindcast_matches_every_primary_observation_or_the_page_says_why():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_cal", REPO / "docs" / "gen_calibration.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    calibration = gen.CALIBRATION  # the settings the page was built with

    obs = simlab.load_observations("history-2023")
    listed = not_matched_on_the_page()
    assert set(listed) <= set(obs), set(listed) - set(obs)
    assert all(len(reason) > 20 for reason in listed.values())
    with warnings.catch_warnings():  # few kept draws warn; the page states the ESS
        warnings.simplefilter("ignore", simlab.SimlabWarning)
        cal = simlab.calibrate("history-2023", obs, **calibration)
    assert set(cal.skipped) <= set(listed), "a skipped observation is listed with its reason"
    table = cal.table()
    for oid, row in table.iterrows():
        if obs[oid].primary and not row["within_tolerance"]:
            assert oid in listed, f"{oid}: primary, not matched, not listed on the page"
        if not row["within_tolerance"]:
            assert oid in listed, f"{oid}: not matched, not listed on the page"


# ------------------------------------------------------------------ the command line


def test_cli_hindcast_prints_the_table_and_writes_the_figure(tmp_path, capsys):
    from simlab.cli import main

    assert main(["hindcast", "--draws", "64", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "openai-revenue-2024" in out and "implausibility" in out
    table = pd.read_csv(tmp_path / "hindcast.csv", index_col=0)
    assert len(table) == len(simlab.load_observations("history-2023"))
    assert (tmp_path / "hindcast.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "--workers must be >= 1"),
        (["--observations", "nope"], "nope: no such observations file"),
        (["--calibrate", "--skip", "nope", "--calibration-draws", "20"], "skip: no observation"),
        (["--calibrate", "--calibration-draws", "3"], r"draws \(3\) must be at least waves"),
    ],
)
def test_cli_hindcast_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    from simlab.cli import main

    assert main(["hindcast", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert re.search(message, err), err
    assert "\n" not in err


# ------------------------------------------------------------------ forward runs


def test_forward_inputs_carry_the_calibrated_draws_into_a_forward_scenario(recovered):
    _, cal = recovered
    base = simlab.load_scenario("baseline-2025")
    mapping = {BETA_PRICE: ["segments.developer.beta_price"], BASS_Q: "segments.consumer.bass_q"}
    table = cal.forward_inputs(base, 64, seed=3, mapping=mapping)
    prior = simlab.sample_inputs(base, 64, seed=3)
    kept = set(map(tuple, cal.inputs[[BETA_PRICE, BASS_Q]].to_numpy()))
    pairs = table[["segments.developer.beta_price", "segments.consumer.bass_q"]].to_numpy()
    assert set(map(tuple, pairs)) <= kept  # jointly, from the calibrated draws
    others = [c for c in prior.columns if c not in mapping.values()]
    pd.testing.assert_frame_equal(table[others], prior[others])  # the rest: the prior's
    res = simlab.simulate(base, table)
    assert res.draws == 64 and res.claims()["probability"].notna().all()
    with pytest.raises(ScenarioError, match="not a parameter of 'baseline-2025'"):
        cal.forward_inputs(base, 4, seed=1, mapping={BASS_Q: "segments.api.bass_q"})
    with pytest.raises(ScenarioError, match="is not a calibrated parameter"):
        cal.forward_inputs(base, 4, seed=1, mapping={"segments.api.growth": BASS_Q})
