"""Dead parameters: a figure that a pricing rule overrides from the first step is flagged."""

from pathlib import Path

import pytest

import simlab
from simlab.cli import main
from simlab.errors import DeadParameterWarning, ScenarioError
from simlab.scenario.overrides import OVERRIDDEN_BY_RULE, dead_parameters

DATA = Path(__file__).parent / "data"
FULL = DATA / "full.toml"
DEAD_DIST = {"dist": "uniform", "low": 0.2, "high": 0.4}


@pytest.fixture(scope="module")
def baseline():
    return simlab.load_scenario("baseline-2025")


@pytest.fixture(scope="module")
def full():
    return simlab.load_scenario(FULL)


def test_the_table_lists_cost_plus_and_follow_list_prices(full):
    assert set(OVERRIDDEN_BY_RULE) == {"cost_plus", "follow"}
    # plusco (cost_plus) has a price event that sets price_out only: its split is live.
    dead = dead_parameters(full)
    assert sorted(dead) == ["providers.follower.price_in", "providers.follower.price_out"]
    assert dead["providers.follower.price_in"].instead == "providers.follower.pricing.ratio"
    events = {k: v for k, v in full.document["events"].items() if k != "plusco-price"}
    dead = dead_parameters(simlab.Scenario.from_dict({**full.document, "events": events}))
    assert dead["providers.plusco.price_out"].instead == "providers.plusco.pricing.markup"
    assert all(d.instead in full.params for d in dead.values())


@pytest.mark.parametrize(
    ("values", "dead"),
    [
        ({"providers.follower.price_out": 9.0, "providers.follower.price_in": 0.01}, True),
        ({"providers.plusco.price_in": 5.0}, False),  # live: the one-sided price event
    ],
)
def test_what_the_table_calls_dead_changes_nothing(full, values, dead):
    base = simlab.simulate(full).metrics
    if dead:
        with pytest.warns(DeadParameterWarning):
            edited = full.with_values(values)
    else:
        edited = full.with_values(values)
    other = simlab.simulate(edited).metrics
    same = [base[m].equals(other[m]) for m in ("revenue", "npv", "share_final", "price_final")]
    assert all(same) if dead else not any(same[:2])


def test_varying_deepseek_price_in_in_the_baseline_warns(baseline):
    with pytest.warns(DeadParameterWarning, match=r"providers\.deepseek\.price_in.*'cost_plus'"):
        baseline.with_values({"providers.deepseek.price_in": 0.5})
    with pytest.warns(DeadParameterWarning, match=r"vary providers\.deepseek\.pricing\.markup"):
        simlab.sweep(baseline, {"providers.deepseek.price_in": [0.2, 0.4]}, "share_final", draws=2)


def test_strict_refuses_instead(baseline):
    with pytest.raises(ScenarioError, match=r"providers\.deepseek\.price_in is overridden"):
        baseline.with_values({"providers.deepseek.price_in": 0.5}, strict=True)
    with pytest.raises(ScenarioError, match=r"pricing\.markup instead"):
        simlab.sweep(
            baseline, {"providers.deepseek.price_in": [0.2]}, "share_final", draws=2, strict=True
        )


def test_a_live_parameter_is_not_flagged(baseline, recwarn):
    baseline.with_values({"providers.deepseek.pricing.markup": 0.3})
    baseline.with_values({"providers.openai.price_in": 1.0})  # share_defense: live
    assert not [w for w in recwarn if issubclass(w.category, DeadParameterWarning)]


def test_sensitivity_functions_flag_an_uncertain_dead_parameter(full):
    with pytest.warns(DeadParameterWarning):
        varied = full.with_values({"providers.follower.price_in": DEAD_DIST})
    for analysis in (simlab.tornado, simlab.sobol, simlab.morris):
        with pytest.raises(ScenarioError, match=r"follower\.price_in is overridden .*'follow'"):
            analysis(varied, metric="npv", provider="follower", strict=True)
    with pytest.warns(DeadParameterWarning, match="follower.pricing.ratio"):
        simlab.tornado(varied, "npv", provider="follower", draws=2, others="median")


@pytest.mark.filterwarnings("default::simlab.errors.DeadParameterWarning")
def test_validate_warns_about_a_varied_dead_parameter_and_strict_fails(tmp_path, capsys):
    path = tmp_path / "dead.toml"
    path.write_text(
        FULL.read_text().replace(
            "price_in = 0.2\nprice_out = 0.8\ncost = 0.15",
            'price_in = { dist = "uniform", low = 0.1, high = 0.3 }\nprice_out = 0.8\ncost = 0.15',
        )
    )
    assert main(["validate", "--draft", str(path)]) == 0
    captured = capsys.readouterr()
    assert "dead.toml: ok" in captured.out
    assert captured.err.count("\n") == 1
    assert (
        "warning:" in captured.err and "providers.follower.price_in is overridden" in captured.err
    )
    assert main(["validate", "--draft", "--strict", str(path)]) == 2
    assert "vary providers.follower.pricing.ratio instead" in capsys.readouterr().err


@pytest.mark.filterwarnings("default::simlab.errors.DeadParameterWarning")
def test_validate_warns_when_a_variant_sets_a_dead_price(tmp_path, capsys):
    path = tmp_path / "cheap.toml"
    path.write_text(
        'extends = "baseline-2025"\nname = "cheap"\n\n[providers.deepseek]\n'
        'price_in = { value = 0.1, assumption = "a cut" }\n'
    )
    assert main(["validate", str(path)]) == 0
    assert "providers.deepseek.price_in is overridden" in capsys.readouterr().err
    assert main(["validate", "--strict", str(path)]) == 2
