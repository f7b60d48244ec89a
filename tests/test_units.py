"""Parameter units: one table, read by Scenario.parameters, show, sensitivity and docs."""

from __future__ import annotations

import pytest

import simlab
from simlab.errors import ScenarioError
from simlab.scenario import catalog_names
from simlab.scenario.load import load_scenario
from simlab.sensitivity._common import param_units


@pytest.mark.parametrize("name", catalog_names())
def test_every_parameter_of_the_catalog_has_a_unit(name):
    table = load_scenario(name).parameters
    blank = table.index[table["unit"] == ""].tolist()
    assert not blank, f"{name}: parameters without a unit: {blank[:5]}"


def test_units_by_field_and_by_place():
    sc = load_scenario("baseline-2025")
    assert sc.unit_of("providers.openai.price_in") == "USD per million tokens"
    assert sc.parameters.loc["providers.openai.price_in", "unit"] == "USD per million tokens"
    assert sc.unit_of("finance.discount_rate") == "per year"
    assert param_units(sc, "providers.openai.price_in") == sc.unit_of("providers.openai.price_in")


def test_a_stated_unit_wins_and_a_shock_takes_its_target_unit():
    sc = load_scenario("baseline-2025")
    doc = dict(sc.document)
    doc.pop("extends", None)
    doc["market"] = {"input_share": {"value": 0.7, "unit": "share of tokens", "assumption": "x"}}
    start = sc.spec.start
    doc["events"] = {
        "cut": {"type": "shock", "date": f"{start}-01", "path": "providers.openai.cost",
                "op": "add", "value": -0.1},
        "half": {"type": "shock", "date": f"{start}-01", "path": "providers.openai.cost",
                 "op": "multiply", "value": 0.5},
    }  # fmt: skip
    edited = simlab.Scenario.from_dict(doc)
    assert edited.unit_of("market.input_share") == "share of tokens"
    assert edited.unit_of("events.cut.value") == "USD per million tokens"
    assert edited.unit_of("events.half.value") == "1"


def test_tornado_with_a_provider_label_says_did_you_mean():
    with pytest.raises(ScenarioError, match=r"unknown provider 'OpenAI'; did you mean 'openai'\?"):
        simlab.tornado("baseline-2025", metric="npv", provider="OpenAI")
    with pytest.raises(ScenarioError, match=r"unknown metric 'NPV'; did you mean 'npv'\?"):
        simlab.tornado("baseline-2025", metric="NPV", provider="openai")
