"""Observations as data and scoring a run against them (simlab.calibration)."""

from __future__ import annotations

import copy
import math
import tomllib

import numpy as np
import pytest

import simlab
from simlab.calibration import Observations, distance, load_observations, observe, score_values
from simlab.calibration.observations import observations_dir
from simlab.errors import ScenarioError


@pytest.fixture(scope="module")
def hindcast():
    return simlab.load_scenario("history-2023")


@pytest.fixture(scope="module")
def shipped_doc():
    return tomllib.loads((observations_dir() / "history-2023.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def run(hindcast):
    return simlab.run(hindcast, draws=256, seed=3, paths=True, progress=False)


def _one(**fields):
    base = {
        "metric": "revenue",
        "who": "openai",
        "at": "2024-06",
        "value": 3.4e9,
        "tolerance": 0.2,
        "kind": "relative",
        "source": "The Information, 2024-06-12",
        "primary": False,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


# ------------------------------------------------------------------ the shipped file


def test_shipped_observations_load_and_cite_every_figure(shipped_doc):
    obs = load_observations("history-2023")
    assert obs.scenario == "history-2023"
    assert len(obs) == len(shipped_doc["observations"]) >= 10
    for o in obs.values():
        assert o.source and o.source not in obs.references, o.id  # keys resolved to text
        assert o.low < o.value < o.high or o.kind == "range"
    assert any(o.primary for o in obs.values()) and not all(o.primary for o in obs.values())


def test_tolerance_kinds_give_their_intervals():
    obs = Observations.from_dict(
        {
            "observations": {
                "rel": _one(),
                "fac": _one(value=100.0, tolerance=4.0, kind="factor"),
                "abs": _one(value=0.3, tolerance=0.05, kind="absolute", metric="paid_share"),
                "rng": _one(value=None, tolerance=None, low=0.2, high=0.35, kind="range"),
            }
        }
    )
    assert obs["rel"].low == pytest.approx(3.4e9 * 0.8) and obs["rel"].high == pytest.approx(
        3.4e9 * 1.2
    )
    assert (obs["fac"].low, obs["fac"].high) == (25.0, 400.0)
    assert obs["abs"].low == pytest.approx(0.25) and obs["abs"].high == pytest.approx(0.35)
    assert obs["rng"].value == pytest.approx(0.275)
    # The interval's edges are two standard errors away, on the observation's scale.
    assert distance(obs["fac"], np.array([400.0]))[0] == pytest.approx(2.0)
    assert distance(obs["rng"], np.array([0.35]))[0] == pytest.approx(2.0)
    assert distance(obs["fac"], np.array([0.0, np.nan]))[0] == math.inf


# ------------------------------------------------------------------ bad files: one clear error each


def _bad(shipped_doc, oid, **change):
    doc = copy.deepcopy(shipped_doc)
    for key, value in change.items():
        if value is None:
            del doc["observations"][oid][key]
        else:
            doc["observations"][oid][key] = value
    return doc


@pytest.mark.parametrize(
    ("oid", "change", "message"),
    [
        (
            "openai-revenue-2024",
            {"metric": "revnue"},
            r"openai-revenue-2024\.metric: unknown metric 'revnue'; did you mean 'revenue'\?",
        ),
        (
            "openai-runrate-2025-11",
            {"at": "2026-03"},
            r"2025-11\.at: 2026-03 is outside the horizon of 'history-2023' \(2023-03 to 2025-11\)",
        ),
        (
            "openai-revenue-2024",
            {"period": "2022"},
            r"observations\.openai-revenue-2024\.period: 2022 is outside the horizon",
        ),
        (
            "openai-revenue-2024",
            {"tolerance": -0.15},
            r"2024\.tolerance: a relative tolerance must be in \(0, 1\), got -0\.15",
        ),
        (
            "google-tokens-2025-05",
            {"tolerance": 0.5},
            r"google-tokens-2025-05\.tolerance: a factor must be > 1, got 0\.5",
        ),
        (
            "openai-revenue-2024",
            {"source": None},
            r"observations\.openai-revenue-2024\.source: every observation names its source",
        ),
        (
            "openai-revenue-2024",
            {"who": "opneai"},
            r"\.who: 'opneai' is not a provider or group of 'history-2023'; did you mean",
        ),
        (
            "openai-revenue-2024",
            {"primary": "yes"},
            r"\.primary: must be true .* or false, got 'yes'",
        ),
        (
            "open-paid-share-2025",
            {"high": 0.1},
            r"open-paid-share-2025\.high: must be above low \(0\.2\), got 0\.1",
        ),
        ("price-decline-gpt4-level", {"threshold": None}, r"price_decline needs a threshold"),
        (
            "openai-revenue-2024",
            {"tolernce": 0.1},
            r"openai-revenue-2024\.tolernce: unknown key; did you mean 'tolerance'\?",
        ),
    ],
)
def test_a_bad_observation_gives_one_clear_error(shipped_doc, hindcast, oid, change, message):
    doc = _bad(shipped_doc, oid, **change)
    with pytest.raises(ScenarioError, match=message) as info:
        Observations.from_dict(doc, origin="obs.toml", scenario=hindcast)
    assert str(info.value).startswith("obs.toml: ")
    assert "\n" not in str(info.value)


def test_the_calibration_table_gives_defaults_and_is_checked(shipped_doc, hindcast):
    obs = load_observations("history-2023")
    assert obs.discrepancy == 0.1
    assert obs.skip and all(k.startswith("google-tokens") for k in obs.skip)
    doc = copy.deepcopy(shipped_doc)
    doc["calibration"]["skip"] = ["google-tokens-2025-5"]
    with pytest.raises(
        ScenarioError, match=r"calibration\.skip: no observation 'google-tokens-2025-5'"
    ):
        Observations.from_dict(doc, origin="obs.toml", scenario=hindcast)
    doc["calibration"] = {"discrepency": 0.1}
    with pytest.raises(ScenarioError, match=r"calibration\.discrepency: unknown key; did you mean"):
        Observations.from_dict(doc, origin="obs.toml", scenario=hindcast)
    doc["calibration"] = {"discrepancy": -0.1}
    with pytest.raises(ScenarioError, match=r"calibration\.discrepancy: must be in \[0, 10\)"):
        Observations.from_dict(doc, origin="obs.toml", scenario=hindcast)


def test_a_bad_file_names_itself(tmp_path, hindcast):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[observations.x]\nmetric = "revenue"\nwho = "openai"\nat = "2024-01"\n'
        'value = -1.0\ntolerance = 0.1\nkind = "relative"\nsource = "me, 2024"\nprimary = false\n'
    )
    with pytest.raises(
        ScenarioError,
        match=r"mine\.toml: observations\.x\.value: a relative tolerance needs a value > 0",
    ):
        load_observations(path, scenario=hindcast)
    with pytest.raises(ScenarioError, match=r"no such observations file \(shipped: history-2023\)"):
        load_observations("history-2099")


# ------------------------------------------------------------------ observing a run


def test_observe_reads_flows_shares_and_the_price_decline(run, hindcast):
    obs = Observations.from_dict(
        {
            "observations": {
                "year": _one(period="2024", at=None),
                "months": _one(period=["2024-01", "2024-12"], at=None),
                "rate": _one(at="2024-06"),
                "all": _one(
                    who="all",
                    metric="paid_share",
                    period="2025",
                    at=None,
                    value=None,
                    tolerance=None,
                    low=0.9,
                    high=1.1,
                    kind="range",
                ),
                "decline": _one(
                    who="all",
                    metric="price_decline",
                    period=["2023-03", "2025-03"],
                    at=None,
                    threshold=37.6,
                    value=10.0,
                    tolerance=4.0,
                    kind="factor",
                ),
            }
        }
    )
    # 2025 runs past the horizon's end: only checked against a scenario.
    obs = obs.subset(["year", "months", "rate", "decline"])
    x = observe(run, obs)
    revenue = run.paths["revenue"].sel(provider="openai").to_numpy().astype(np.float64)
    times = run.paths["time"].to_numpy().astype("datetime64[M]")
    in_2024 = (times >= np.datetime64("2024-01")) & (times <= np.datetime64("2024-12"))
    np.testing.assert_allclose(x[:, 0], revenue[:, in_2024].sum(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(x[:, 0], x[:, 1])  # a year is its twelve months
    yearly = run.metrics["revenue_year"].sel(provider="openai", year=2024).to_numpy()
    np.testing.assert_allclose(x[:, 0], yearly, rtol=1e-6)  # the yearly metric (float32)
    np.testing.assert_allclose(x[:, 2], revenue[:, times == np.datetime64("2024-06")][:, 0] * 12)
    # Prices are history in the hindcast: GPT-4 at 37.5 blended, DeepSeek-V3-0324 at
    # 0.4775 in March 2025, the cheapest at GPT-4's quality or better: (37.5/0.4775)^(1/2).
    np.testing.assert_allclose(x[:, 3], math.sqrt(37.5 / 0.4775), rtol=1e-5)


# ------------------------------------------------------------------ scoring


def test_score_on_a_synthetic_truth_covers_it(hindcast):
    """Observations made from one draw of the scenario lie in the run's 90 % band.

    The truth is a draw from the same distribution as the run's draws, so each lies in
    their 90 % interval with probability 0.9; over 8 seeds x 15 observations at least
    85 % must.
    """
    obs = load_observations("history-2023")
    inside = []
    for seed in range(8):
        res = simlab.run(hindcast, draws=257, seed=100 + seed, paths=True, progress=False)
        values = observe(res, obs)
        truth, rest = values[0], values[1:]
        table = score_values(obs, rest)
        inside += [
            bool(q05 <= t <= q95)
            for t, q05, q95 in zip(truth, table["q05"], table["q95"], strict=True)
            if np.isfinite(t)
        ]
    assert len(inside) > 100
    assert np.mean(inside) >= 0.85, np.mean(inside)


def test_score_flags_an_observation_moved_far_outside(run):
    obs = load_observations("history-2023")
    table = simlab.score(run, obs)
    row = table.loc["openai-revenue-2024"]
    assert row["q05"] < row["median"] < row["q95"]
    moved = copy.deepcopy(tomllib.loads((observations_dir() / "history-2023.toml").read_text()))
    moved["observations"]["openai-revenue-2024"]["value"] = row["q95"] * 1e4
    far = simlab.score(run, Observations.from_dict(moved, scenario=run.scenario))
    assert far.loc["openai-revenue-2024", "implausible"]
    assert far.loc["openai-revenue-2024", "implausibility"] > 3
    assert not far.loc["openai-revenue-2024", "in_band"]


def test_score_needs_paths(hindcast):
    res = simlab.run(hindcast, draws=4, seed=1, progress=False)
    with pytest.raises(ScenarioError, match="paths=True"):
        simlab.score(res, load_observations("history-2023"))
