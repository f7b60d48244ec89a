"""The catalog refitted from the calibration (issue 12, item 5).

The calibrated entries of the shipped scenarios are what docs/fit_calibrated.py computes
from ``simlab.calibrate`` (so they are never typed in by hand), a PERT fitted to draws
matches their quantiles, the carried correlations are a valid matrix, the pre-calibration
scenario is the catalog as it was, and the decaying growth moves results the way it must.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import simlab
from simlab.calibration import FORWARD, carried_correlations, fit_pert
from simlab.errors import ScenarioError
from simlab.scenario.catalog import catalog_names
from simlab.uncertainty.correlation import correlation_matrix
from simlab.uncertainty.distributions import Pert

REPO = Path(__file__).resolve().parent.parent
Q = np.array([0.05, 0.5, 0.95])


@pytest.fixture(scope="module")
def fit_script():
    sys.path.insert(0, str(REPO / "docs"))
    try:
        spec = importlib.util.spec_from_file_location(
            "fit_calibrated", REPO / "docs" / "fit_calibrated.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(REPO / "docs"))


@pytest.fixture(scope="module")
def cal(fit_script):
    return fit_script.calibrate()


# ------------------------------------------------------------------ fit_pert


@pytest.mark.parametrize(
    ("low", "mode", "high", "shape"),
    [(0.1, 0.4, 1.5, 4.0), (0.2, 4.7, 4.8, 0.6), (-1.0, 0.0, 3.0, 8.0)],
)
def test_fit_pert_recovers_a_known_pert(low, mode, high, shape):
    truth = Pert(low=low, mode=mode, high=high, shape=shape)
    draws = truth.ppf((np.arange(50_000) + 0.5) / 50_000)
    fitted = fit_pert(draws, support=(low, high))
    width = truth.ppf(np.array([0.95]))[0] - truth.ppf(np.array([0.05]))[0]
    np.testing.assert_allclose(fitted.ppf(Q), truth.ppf(Q), atol=2e-3 * width)
    assert low <= fitted.low and fitted.high <= high


def test_fit_pert_uses_the_weights():
    x = np.linspace(0.0, 1.0, 1001)
    heavy_top = fit_pert(x, weights=x / x.sum(), support=(0.0, 1.0))
    even = fit_pert(x, support=(0.0, 1.0))
    assert heavy_top.ppf(np.array([0.5]))[0] > even.ppf(np.array([0.5]))[0] + 0.1


def test_fit_pert_refuses_draws_without_spread():
    with pytest.raises(ScenarioError, match="no width"):
        fit_pert(np.full(10, 0.3))


# ------------------------------------------------------------------ the shipped catalog


@pytest.mark.slow
def test_the_catalogs_calibrated_entries_are_what_the_fit_script_computes(fit_script, cal):
    fits = fit_script.fitted(cal)
    pairs = carried_correlations(cal, together=fit_script.TOGETHER)
    for name in fit_script.TARGETS:
        text = (REPO / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")
        assert fit_script.rewrite(name, text, fits, pairs) == text, (
            f"{name}.toml is not current: run python docs/fit_calibrated.py"
        )
    # And what it writes matches the calibrated quantiles (to the fit's accuracy).
    base = simlab.load_scenario("baseline-2025")
    for source, targets in FORWARD.items():
        lo, mid, hi = fits[source]["calibrated"]
        for target in targets:
            dist = base.uncertain[target]
            got = dist.ppf(Q)
            assert got[1] == pytest.approx(mid, abs=0.1 * (hi - lo)), target
            assert base.params[target].source == fit_script.SOURCE


def test_carried_correlations_are_a_valid_matrix_and_keep_the_strongest(cal):
    pairs = carried_correlations(cal, together=0.8)
    names = sorted({p for a, b, _ in pairs for p in (a, b)})
    matrix = correlation_matrix(pairs, names)
    assert np.linalg.eigvalsh(matrix).min() > 0
    rho = {(a, b): r for a, b, r in pairs}
    # The same tokens are explained by more growth or more price response: history ties
    # a high API growth to a low elasticity.
    assert rho[("segments.developer.elasticity", "segments.developer.growth")] < -0.2
    assert rho[("segments.developer.growth", "segments.enterprise.growth")] == 0.8


@pytest.mark.parametrize("name", [n for n in catalog_names() if n != "history-2023"])
def test_every_forward_scenario_carries_the_calibration(name, fit_script):
    sc = simlab.load_scenario(name)
    cited = [p for p, v in sc.params.items() if v.source == fit_script.SOURCE]
    assert "segments.consumer.bass_q" in cited
    calibrated = [c for c in sc.spec.correlations if c.source == fit_script.SOURCE]
    assert len(calibrated) >= 10, f"{name}: its own [[correlations]] dropped the calibrated"


def test_uncalibrated_baseline_is_the_catalog_before_calibration(fit_script):
    base = simlab.load_scenario("baseline-2025")
    before = fit_script.uncalibrated(base, refit=False)
    assert not [p for p, v in before.params.items() if v.source == fit_script.SOURCE]
    assert before.params["segments.developer.bass_q"].value == 0.38
    assert before.params["segments.developer.growth"].dist.to_spec()["mode"] == 0.4
    assert "segments.developer.growth_halflife" not in before.params
    assert not before.spec.correlations


def test_deepseek_shock_joins_the_baselines_growth_at_2025_11():
    sc = simlab.load_scenario("deepseek-shock-2025")
    base = simlab.load_scenario("baseline-2025")
    for seg in ("developer", "enterprise"):
        shock = sc.params[f"events.{seg}-growth-2026.value"]
        assert shock.dist.to_spec() == base.params[f"segments.{seg}.growth"].dist.to_spec()
        halflife = sc.params[f"events.{seg}-halflife-2026.value"].dist.to_spec()
        assert halflife == base.params[f"segments.{seg}.growth_halflife"].dist.to_spec()


# ------------------------------------------------------------------ the decaying growth


def test_a_longer_halflife_means_more_revenue_draw_by_draw():
    base = simlab.load_scenario("baseline-2025")
    inputs = simlab.sample_inputs(base, 64, 3)
    revenue = []
    for halflife in (0.3, 0.6, 1.2):
        table = inputs.copy()
        for seg in ("developer", "enterprise"):
            table[f"segments.{seg}.growth_halflife"] = halflife
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", simlab.SimlabWarning)
            res = simlab.simulate(base, table)
        revenue.append(res.metric("revenue", "all").to_numpy())
    assert (revenue[1] > revenue[0]).all() and (revenue[2] > revenue[1]).all()


def test_the_calibrated_growth_no_longer_collapses_after_the_start():
    # History: OpenAI about 3.5x in 2025 (OPENAI-FIN, A3). Before calibration the median
    # draw grew the market 1.6x from the run-rate at the start to 2026's revenue, then
    # still 1.4x a year in 2034 (constant growth of 20-80 %/yr).
    base = simlab.load_scenario("baseline-2025")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)
        res = simlab.run(base, draws=256, seed=5, progress=False, paths=True)
    start = float(res.paths.revenue.isel(time=0).sum("provider").median()) * 12
    year_2026 = float(res.metric("revenue_year", "all", year=2026).median())
    later = float(res.metric("revenue_year", "all", year=2034).median())
    year_2033 = float(res.metric("revenue_year", "all", year=2033).median())
    assert year_2026 / start > 2.0  # the boom goes on into 2026
    assert later / year_2033 < 1.25  # and has slowed by the 2030s (before: 1.4)


@pytest.mark.slow
def test_the_growth_halflife_meets_its_anchor():
    # The half-life is fitted so that the median OpenAI revenue in 2030 is the midpoint
    # of OpenAI's own projection (docs/fit_halflife.py); the shipped value must still do so.
    spec = importlib.util.spec_from_file_location("fit_halflife", REPO / "docs" / "fit_halflife.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    sc = simlab.load_scenario("baseline-2025")
    mode = sc.uncertain["segments.developer.growth_halflife"].mode
    assert sc.uncertain["segments.enterprise.growth_halflife"].mode == mode
    got = script.median_revenue(sc, mode)
    assert got == pytest.approx(script.ANCHOR, rel=0.02), "run python docs/fit_halflife.py"
    # Monotone: a shorter half-life (a faster slowdown) leaves OpenAI less revenue.
    assert script.median_revenue(sc, mode / 2) < got < script.median_revenue(sc, 2 * mode)
