"""Claims: parsing against a scenario, three-valued evaluation, probabilities."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simlab.claims import Term, parse_claim
from simlab.errors import ScenarioError
from simlab.experiment import simulate
from simlab.scenario.load import load_scenario

FULL = Path(__file__).parent / "data" / "full.toml"


@pytest.fixture(scope="module")
def sc():
    return load_scenario(FULL)


def lookup(values):
    return lambda term: np.asarray(values[(term.metric, term.who, term.year)], dtype=float)


def test_parse_terms(sc):
    claim = parse_claim("model_roi[region=cn] / model_roi[region = us] > 100", sc)
    assert claim.terms == (
        Term("model_roi", "region=cn", True),
        Term("model_roi", "region=us", True),
    )
    yearly = parse_claim("share[closed, 2026] < 0.5", sc)
    assert yearly.terms == (Term("share", "closed", True, 2026),)


def test_evaluate_is_three_valued(sc):
    claim = parse_claim("npv[openco] / capex[closedco] > 1 and share_final[open] >= 0.5", sc)
    values = {
        ("npv", "openco", None): [2.0, 2.0, np.nan, 0.0],
        ("capex", "closedco", None): [1.0, 1.0, 1.0, 1.0],
        ("share_final", "open", None): [0.6, 0.4, 0.9, np.nan],
    }
    held = claim.evaluate(lookup(values))
    np.testing.assert_array_equal(held, [1.0, 0.0, np.nan, 0.0])  # false beats undecided


@pytest.mark.parametrize(
    "expr",
    [
        "npv[openco]",
        "npv[openco] == 0",
        "open(1) < 2",
        "npv[openco] < 'a'",
        "npv[openco] ** 2 < 1",
        "x < 1",
    ],
)
def test_rejects_what_is_not_a_comparison_of_terms(sc, expr):
    with pytest.raises(ScenarioError):
        parse_claim(expr, sc)


def test_claim_probabilities_with_standard_error(sc):
    rng = np.random.default_rng(0)
    n = 40
    inputs = pd.DataFrame({"segments.consumer.pref_open": rng.uniform(-3.0, 3.0, n)})
    res = simulate(sc, inputs)
    table = res.claims()
    share = res.metric("share_final", "closed").to_numpy()
    p = float((share < 0.5).mean())
    assert table.loc["closed-lose", "probability"] == pytest.approx(p)
    assert table.loc["closed-lose", "se"] == pytest.approx(np.sqrt(p * (1 - p) / n))
    assert 0 < p < 1  # the preference range makes the claim uncertain
    prob, se = res.probability("share_final", "<", 0.5, provider="closed")
    assert prob == pytest.approx(p) and se == pytest.approx(np.sqrt(p * (1 - p) / n))


def test_a_payback_that_never_comes_counts_as_infinite(sc):
    res = simulate(sc)
    pay = res.metric("payback_years", "closedco").to_numpy()
    assert np.isnan(pay).all()  # closedco never pays back in the test scenario
    p, se = res.probability("payback_years", "<", 100.0, provider="closedco")
    assert (p, se) == (0.0, 0.0)  # false, not left out
    p, _ = res.probability("payback_years", ">", 100.0, provider="closedco")
    assert p == 1.0
