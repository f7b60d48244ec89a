"""Compute paid once, the normalised terminal value, rationing and step length (model 2).

Each test is a closed form or a whole-scenario relation an economist would check: renting
at the annuity price of owned capacity is owning; extra capex at unchanged demand costs
less than its present value only by the rent it saves; a steady state valued over a longer
horizon is worth the same; rationed buyers choose again by the conditional logit; training
compute bought as capex is not paid again.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import simlab
from simlab.engine import inputs_to_values, run_block
from simlab.scenario.load import Scenario


def steady(**overrides: object) -> dict:
    """One provider, one segment, constant demand at a fixed price: a steady state."""
    doc = {
        "name": "steady",
        "title": "Steady state",
        "start": "2026-01",
        "end": "2036-01",
        "finance": {"discount_rate": 0.1, "terminal_growth": 0.0, "terminal_value": False},
        "segments": {
            "api": {
                "potential": 1e13,
                "adoption0": 0.5,
                "bass_p": 1e-12,
                "bass_q": 0.0,
                "elasticity": 0.0,
                "beta_quality": 0.0,
                "beta_price": 1.0,
                "need": 100,
            }
        },
        "providers": {
            "solo": {"kind": "closed", "region": "us", "quality": 60, "price_in": 2.0,
                     "price_out": 2.0, "cost": 1.0, "capacity_cost": 1e-4,
                     "capex_life": 4.0, "own_cost_share": 0.0},
        },
    }  # fmt: skip
    for path, value in overrides.items():
        node = doc
        *parents, key = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[key] = value
    return doc


def metrics(doc: dict) -> dict[str, float]:
    res = simlab.simulate(Scenario.from_dict(doc))
    m = res.metrics
    return {name: float(m[name].sel(provider="solo").item()) for name in m.data_vars
            if m[name].dims == ("draw", "provider")}  # fmt: skip


def load_of(doc: dict) -> float:
    """The provider's monthly load at the first step (constant in a steady state)."""
    sc = Scenario.from_dict(doc)
    rec = run_block(sc, inputs_to_values(sc, None, 0, 1), paths=True)
    served = rec.paths["served"][:, 0, 0]
    assert np.ptp(served) < 1e-9 * served[0]  # demand is constant
    return float(served[0])


@pytest.mark.parametrize("own_cost_share", [0.0, 0.3])
def test_renting_at_the_annuity_price_of_owned_capacity_is_owning(own_cost_share):
    r, life, unit = 0.1, 4.0, 1e-4
    doc = steady(**{"providers.solo.own_cost_share": own_cost_share})
    load = load_of(doc)
    dt, months = 1 / 12, 1.0
    n = int(life * 12)
    d = (1 + r) ** -dt
    # Capex paid at the end of its step buys capacity in service from that step for
    # `life`: the rent that has the same present value is an annuity due per token.
    annuity = unit / (months * sum(d**j for j in range(n)))  # USD per token served
    rent = annuity / (1.0 - own_cost_share)  # the owner still pays its energy share
    renter = steady(**{"providers.solo.cost": rent * 1e6})
    owner = steady(
        **{
            "providers.solo.cost": rent * 1e6,
            "providers.solo.own_cost_share": own_cost_share,
            "events.build": {"type": "capex", "provider": "solo", "date": "2026-01",
                             "amount": load * unit, "years": dt, "lead": 0.0, "life": life},
        }
    )  # fmt: skip
    a, b = metrics(renter), metrics(owner)
    assert b["utilisation"] == pytest.approx(1.0, rel=1e-12)  # full utilisation
    assert a["revenue"] == b["revenue"]
    assert b["npv"] == pytest.approx(a["npv"], rel=1e-6)
    # A dearer capacity makes owning worse, a cheaper one better.
    owner["events"]["build"]["amount"] = load * unit * 1.1
    assert metrics(owner)["npv"] < a["npv"]


def test_doubling_capex_at_unchanged_demand_costs_less_than_its_present_value():
    doc = steady(
        **{
            "events.build": {"type": "capex", "provider": "solo", "date": "2026-01",
                             "amount": 2e9, "years": 1.0, "lead": 0.0, "life": 4.0},
        }
    )  # fmt: skip
    base = metrics(doc)
    doubled = copy.deepcopy(doc)
    doubled["events"]["build"]["amount"] = 4e9
    more = metrics(doubled)
    assert base["rented_share"] > 0  # it rents part of its demand
    assert more["revenue"] == base["revenue"]  # capacity buys no demand
    d = 1.1 ** (-(np.arange(12) + 1.0) / 12)
    pv_extra = (2e9 / 12 * d).sum()
    drop = base["npv"] - more["npv"]
    assert 0 < drop < pv_extra  # it saves rent on what it no longer rents
    assert more["utilisation"] < base["utilisation"]


def test_doubling_the_baselines_capex_leaves_revenue_and_costs_less_than_its_pv():
    sc = simlab.load_scenario("baseline-2025")
    first = simlab.run(sc, draws=32, seed=2, progress=False)
    # (32 draws: both renting and not renting occur; with 16 every draw rents since issue 11)
    inputs = first.inputs.copy()
    inputs["events.openai-compute.amount"] *= 2.0
    a = first.metrics
    b = simlab.simulate(sc, inputs).metrics

    def of(m, name):
        return m[name].sel(provider="openai").values

    np.testing.assert_array_equal(of(a, "revenue"), of(b, "revenue"))
    extra = of(b, "capex") - of(a, "capex")
    # The extra capex is spent evenly over its 8 years from the start (steps end-dated).
    rate = inputs["finance.discount_rate"].to_numpy()
    n = round(sc.params["events.openai-compute.years"].value * 12)
    assert "events.openai-compute.years" not in inputs  # the same 8 years in every draw
    pv_extra = np.array([e / n * ((1 + r) ** (-(np.arange(n) + 1.0) / 12)).sum()
                         for e, r in zip(extra, rate, strict=True)])  # fmt: skip
    drop = of(a, "npv_explicit") - of(b, "npv_explicit")
    renting = of(a, "rented_share") > 0
    assert renting.any() and (~renting).any()  # both cases occur in these draws
    # Renting part of its demand, the extra capacity saves rent: it costs less than its PV;
    # not renting, it saves nothing: it costs its PV exactly.
    assert (drop[renting] < pv_extra[renting] * (1 - 1e-6)).all()
    np.testing.assert_allclose(drop[~renting], pv_extra[~renting], rtol=1e-9)


def test_a_steady_state_valued_over_five_more_years_is_worth_the_same():
    # Capacity replaced as it retires (a capex flow over the whole run and beyond); the
    # terminal value nets out that replacement, so the horizon does not matter.
    build = {"type": "capex", "provider": "solo", "date": "2026-01", "amount": 15 * 3e7,
             "years": 15.0, "lead": 0.0, "life": 2.0}  # fmt: skip
    short = steady(
        **{
            "finance.terminal_value": True,
            "finance.terminal_growth": 0.0,
            "events.build": build,
            "providers.solo.own_cost_share": 0.25,
            "providers.solo.capacity_cost": 1e-5,
        }
    )
    long = copy.deepcopy(short)
    long["end"] = "2041-01"
    a, b = metrics(short), metrics(long)
    assert a["utilisation"] > 0.5 and a["rented_share"] < 0.1  # owned, mostly in use
    assert b["npv"] == pytest.approx(a["npv"], rel=0.01)
    assert a["terminal_pv"] > 0.2 * a["npv"] > 0  # the terminal value matters here
    # The explicit part grows with the horizon and the terminal part shrinks to match.
    assert b["npv_explicit"] > a["npv_explicit"] and b["terminal_pv"] < a["terminal_pv"]


def test_rationed_buyers_choose_again_by_the_conditional_logit():
    doc = steady(**{"finance.terminal_value": False})
    doc["providers"] = {
        "capped": {"kind": "closed", "region": "us", "quality": 60, "price_in": 1.0,
                   "price_out": 1.0, "cost": 0.5, "capacity": 1e11, "capacity_cost": 1e-4,
                   "capex_life": 100.0, "rent": False},
        "b": {"kind": "closed", "region": "us", "quality": 60, "price_in": 2.0,
              "price_out": 2.0, "cost": 0.5},
        "c": {"kind": "open", "region": "cn", "quality": 60, "price_in": 4.0,
              "price_out": 4.0, "cost": 0.5},
    }  # fmt: skip
    free = copy.deepcopy(doc)
    free["providers"]["capped"]["rent"] = True
    sc, sc_free = Scenario.from_dict(doc), Scenario.from_dict(free)
    capped = run_block(sc, inputs_to_values(sc, None, 0, 1), paths=True).paths
    open_ = run_block(sc_free, inputs_to_values(sc_free, None, 0, 1), paths=True).paths
    s = open_["share"][0, :, 0]  # plain logit shares without a cap
    load = open_["served"][0, 0, 0]
    kept = capped["capacity"][0, 0, 0] / load
    assert kept < 1
    # Conditional logit: the turned-away share goes to b and c in proportion to theirs.
    expected = s[1:] + s[0] * (1 - kept) * s[1:] / s[1:].sum()
    np.testing.assert_allclose(capped["share"][0, 1:, 0], expected, rtol=1e-9)
    assert capped["served"][0, 0, 0] == pytest.approx(capped["capacity"][0, 0, 0], rel=1e-12)
    assert capped["share"][0, :, 0].sum() == pytest.approx(1.0, rel=1e-12)


def test_training_compute_bought_as_capex_is_not_paid_again():
    releases = {"mode": "step", "first": "2026-07", "cadence": 0.5, "step": 1.0,
                "training_cost": 1e8}  # fmt: skip
    doc = steady(**{"providers.solo.releases": releases})
    train = {"type": "capex", "provider": "solo", "date": "2026-01", "amount": 5e8,
             "years": 1 / 12, "lead": 0.0, "life": 10.0, "inference_share": 0.0}  # fmt: skip
    owner = steady(**{"providers.solo.releases": releases, "events.train": train})
    a, b = metrics(doc), metrics(owner)
    # The same releases and training cost (revenue, model ROI) ...
    assert b["training"] == a["training"]
    assert b["revenue"] == a["revenue"]
    # ... but the first 5 releases' training is paid from the capex, once.
    assert a["training"] > 5e8
    assert b["fcf"] == pytest.approx(a["fcf"], rel=1e-9)  # 5e8 capex replaces 5e8 training
    assert b["npv"] < a["npv"]  # paid up front instead of as the releases come


@pytest.mark.parametrize("step", ["week", "quarter"])
def test_weekly_monthly_and_quarterly_steps_give_the_same_totals(step):
    # The median over draws of each draw's ratio to the monthly run (docs/model.md, "Step
    # length": over 300 draws of the calibrated baseline, weekly 0.998 of revenue and of
    # fcf, quarterly 1.002 and 0.998; capex exactly 1).
    base = simlab.load_scenario("baseline-2025")
    totals = {}
    for length in (step, "month"):
        doc = copy.deepcopy(dict(base.document))
        doc["step"] = length
        m = simlab.run(Scenario.from_dict(doc), draws=100, seed=3, progress=False).metrics
        totals[length] = {k: m[f"{k}_by_group"].sel(group="all").values
                          for k in ("revenue", "capex", "fcf")}  # fmt: skip
    for k in ("revenue", "capex", "fcf"):
        ratio = np.median(totals[step][k] / totals["month"][k])
        assert ratio == pytest.approx(1.0, abs=0.02), k
