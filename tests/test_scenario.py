"""Loading and validating scenarios: clear errors, never a traceback from deep inside."""

import copy
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simlab.errors import ScenarioError
from simlab.scenario.load import Scenario, load_scenario

FULL = Path(__file__).parent / "data" / "full.toml"
DOC = tomllib.loads(FULL.read_text())


def edited(**changes):
    """Return the full test document with dotted-path changes (None deletes)."""
    doc = copy.deepcopy(DOC)
    for path, value in changes.items():
        parts = path.split("__")
        node = doc
        for part in parts[:-1]:
            node = node[part]
        if value is None:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value
    return doc


def load(doc):
    return Scenario.from_dict(doc, origin="x.toml")


def test_the_full_test_scenario_loads_with_paths_for_every_number():
    sc = load_scenario(FULL)
    table = sc.parameters
    assert table.loc["providers.openco.price_in", "value"] == 0.3
    assert table.loc["events.newco-entry.date", "value"] == "2025-06-01"
    assert "providers.closedco.pricing.cut" in table.index
    assert "segments.consumer.pref_region.cn" in table.index
    assert sc.n_steps == 36
    assert str(sc.times[0]) == "2025-01-01" and str(sc.times[-1]) == "2027-12-01"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"providers__openco__price_in": -1},
            r"x.toml: providers.openco.price_in: must be > 0, got -1",
        ),
        (
            {"providers__openco__pricein": 1.0},
            r"providers.openco.pricein: unknown key 'pricein'; did you mean 'price_in'\?",
        ),
        (
            {"providers__openco__price_in": None},
            r"providers.openco.price_in: required key is missing",
        ),
        (
            {"segments__consumer__leakage": 1.5},
            r"segments.consumer.leakage: must be in \[0, 1\], got 1.5",
        ),
        (
            {"segments__consumer__need": -3},
            r"segments.consumer.need: must be in \[0, 1000\], got -3",
        ),
        ({"providers__openco__quality": -1}, r"providers.openco.quality: must be in \[0, 1000\]"),
        ({"providers__openco__price_in": math.nan}, r"price_in: value must be finite"),
        ({"providers__openco__price_in": math.inf}, r"price_in: value must be finite"),
        (
            {"providers__openco__price_in": "cheap"},
            r"price_in: value must be a number, got 'cheap'",
        ),
        (
            {"providers__openco__kind": "semi"},
            r"providers.openco.kind: Input should be 'open' or 'closed'",
        ),
        ({"end": "2024-01"}, r"x.toml: end: must be after start '2025-01', got '2024-01'"),
        ({"start": "2025-13"}, r"start: must be a date 'YYYY-MM'"),
        (
            {"events__newco-entry__provider": "nobody"},
            r"events.newco-entry.provider: unknown provider 'nobody'",
        ),
        (
            {"events__newco-entry__date": "2031-01"},
            r"events.newco-entry.date: date 2031-01-01 is outside the horizon",
        ),
        ({"events__newco-entry__type": "party"}, r"events.newco-entry: event type must be one of"),
        (
            {"events__decoupling__segments": ["enterprize"]},
            r"events.decoupling.segments: unknown segment 'enterprize'",
        ),
        (
            {"events__adoption-shock__path": "providers.openco.capex_life"},
            r"events.adoption-shock.path: cannot shock",
        ),
        (
            {"providers__follower__pricing": {"rule": "follow", "target": "follower"}},
            r"cannot follow itself",
        ),
        ({"segments__consumer__pref_region": {"eu": 1.0}}, r"pref_region.eu: unknown region 'eu'"),
        (
            {"claims__closed-lose__expr": "share_final[closd] < 0.5"},
            r"claims.closed-lose.expr: unknown provider or group 'closd'",
        ),
        ({"claims__closed-lose__expr": "shares[closed] < 0.5"}, r"unknown metric 'shares'"),
        (
            {"claims__closed-lose__expr": "share[closed, 2040] < 0.5"},
            r"year '2040'.*outside the horizon",
        ),
        ({"claims__closed-lose__expr": "__import__('os')"}, r"claims.closed-lose.expr"),
        (
            {"providers__openco__price_in": {"value": 1.0, "sauce": "x"}},
            r"unknown key\(s\) \['sauce'\]",
        ),
    ],
)
def test_bad_documents_raise_clear_errors(changes, message):
    with pytest.raises(ScenarioError, match=message):
        load(edited(**changes))


def test_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(FULL.read_text().replace("price_in = 0.3", "price_in = -0.3"))
    with pytest.raises(ScenarioError, match=r"bad.toml: providers.openco.price_in: must be > 0"):
        load_scenario(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    with pytest.raises(ScenarioError, match=r"broken.toml: not valid TOML"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match=r"neither a shipped scenario nor a file"):
        load_scenario("no-such-scenario")


def test_extends_merges_over_the_parent(tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text(FULL.read_text())
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "parent.toml"\nname = "child"\ntitle = "A variant"\n'
        "[providers.openco]\nprice_in = 0.1\n"
    )
    sc = load_scenario(child)
    assert sc.params["providers.openco.price_in"].value == 0.1
    assert sc.params["providers.openco.price_out"].value == 1.2  # inherited
    assert sc.name == "child" and sc.spec.extends == "parent.toml"


def test_with_values_edits_by_path_and_validates():
    sc = load_scenario(FULL)
    cheaper = sc.with_values(
        {"providers.openco.price_in": 0.1, "events.newco-entry.date": "2026-01"}
    )
    assert cheaper.params["providers.openco.price_in"].value == 0.1
    assert cheaper.parameters.loc["events.newco-entry.date", "value"] == "2026-01-01"
    assert sc.params["providers.openco.price_in"].value == 0.3  # the original is untouched
    with pytest.raises(ScenarioError, match="must be > 0"):
        sc.with_values({"providers.openco.price_in": 0.0})
    with pytest.raises(ScenarioError, match="unknown parameter path"):
        sc.with_values({"providers.openco.prize": 1.0})


# ---------------------------------------------------------------------- fuzzing
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["2025-06", "2099-01", "1900-01", "2025-13", "open", "closed", "pert"]),
    st.dictionaries(
        st.sampled_from(["value", "dist", "low", "high", "mode", "source"]),
        st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.integers()),
        max_size=4,
    ),
)
paths = st.sampled_from(
    [
        "start",
        "end",
        "step",
        "name",
        "market__input_share",
        "finance__discount_rate",
        "finance__terminal_growth",
        "segments__consumer__potential",
        "segments__consumer__adoption0",
        "segments__consumer__bass_p",
        "segments__consumer__kappa",
        "segments__consumer__pref_region",
        "segments__enterprise__need",
        "segments__enterprise__switching_time",
        "providers__openco__price_in",
        "providers__openco__kind",
        "providers__closedco__capacity",
        "providers__closedco__pricing",
        "providers__closedco__releases",
        "providers__follower__pricing",
        "events__newco-entry__date",
        "events__newco-entry__provider",
        "events__closedco-capex__amount",
        "events__adoption-shock__value",
        "events__adoption-shock__path",
        "events__decoupling__segments",
        "claims__cn-roi__expr",
        "segments",
        "providers",
        "events",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(paths, leaf, min_size=1, max_size=4))
def test_fuzzed_documents_load_or_raise_scenario_error(changes):
    doc = copy.deepcopy(DOC)
    for path, value in changes.items():
        parts = path.split("__")
        node = doc
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                break
        else:
            if value is None:
                node.pop(parts[-1], None)
            else:
                node[parts[-1]] = value
    try:
        sc = load(doc)
    except ScenarioError:
        return
    # What loads is usable: its parameters are finite.
    assert all(math.isfinite(p.value) for p in sc.params.values())


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        leaf, lambda inner: st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12
    )
)
def test_arbitrary_documents_raise_scenario_error(doc):
    with pytest.raises(ScenarioError):
        Scenario.from_dict(doc if isinstance(doc, dict) else {"x": doc})


@pytest.mark.parametrize(
    ("op", "value", "message"),
    [
        ("set", -1.0, r"set -1 makes segments.consumer.leakage -1 .* must be in \[0, 1\]"),
        ("multiply", 5.0, r"multiply 5 makes segments.consumer.leakage 1.5 \(from 0.3\)"),
        ("add", 0.8, r"add 0.8 makes segments.consumer.leakage 1.1"),
    ],
)
def test_shock_values_are_checked_against_the_parameters_range(op, value, message):
    doc = edited(
        **{
            "events__adoption-shock__path": "segments.consumer.leakage",
            "events__adoption-shock__op": op,
            "events__adoption-shock__value": value,
        }
    )
    with pytest.raises(ScenarioError, match=message):
        load(doc)


def test_a_sampled_shock_out_of_range_in_some_draw_is_a_simulation_error():
    import pandas as pd

    from simlab.errors import SimulationError
    from simlab.experiment import simulate

    sc = load(
        edited(
            **{
                "events__adoption-shock__path": "segments.consumer.leakage",
                "events__adoption-shock__op": "multiply",
                "events__adoption-shock__value": 2.0,
            }
        )
    )
    inputs = pd.DataFrame({"segments.consumer.leakage": [0.3, 0.7]})
    with pytest.raises(SimulationError, match=r"draw 1: shock segments.consumer.leakage"):
        simulate(sc, inputs)


def test_with_values_takes_numpy_scalars_and_keeps_the_source():
    import numpy as np

    text = FULL.read_text().replace(
        "price_in = 0.3\n", 'price_in = { value = 0.3, source = "S" }\n'
    )
    sc = Scenario.from_dict(tomllib.loads(text))
    edited_sc = sc.with_values({"providers.openco.price_in": np.float32(0.5)})
    assert edited_sc.params["providers.openco.price_in"].value == pytest.approx(0.5)
    assert edited_sc.params["providers.openco.price_in"].source == "S"


# --- issue 11: the terminal value needs rate > growth in every draw; dates past the end ----
TV_REFUSED = r"finance.terminal_growth: reaches .* below finance.discount_rate, whose lowest"


@pytest.mark.parametrize(
    "changes",
    [
        {"finance__discount_rate": 0.02, "finance__terminal_growth": 0.02},  # r = g
        {"finance__discount_rate": 0.03, "finance__terminal_growth": 0.05},  # r < g
        {  # a rate whose distribution reaches the growth
            "finance__discount_rate": {"dist": "uniform", "low": 0.02, "high": 0.12},
            "finance__terminal_growth": 0.03,
        },
        {  # a growth whose distribution reaches the rate
            "finance__terminal_growth": {"dist": "triangular", "low": 0, "mode": 0.02, "high": 0.1},
        },
    ],
)
def test_a_terminal_value_with_rate_at_or_below_growth_is_refused_at_load(changes):
    with pytest.raises(ScenarioError, match=TV_REFUSED) as info:
        load(edited(**changes))
    assert "finance.terminal_value = false" in str(info.value)


def test_the_refusal_names_both_ranges_and_lifts_without_the_terminal_value():
    changes = {
        "finance__discount_rate": {"dist": "uniform", "low": 0.02, "high": 0.12},
        "finance__terminal_growth": 0.03,
    }
    with pytest.raises(ScenarioError, match=r"discount_rate = 0.02 to 0.12 over its draws"):
        load(edited(**changes))
    sc = load(edited(**changes, finance__terminal_value=False))
    assert not sc.terminal_value_refused(0.02, 0.03)


def _uniform_date(low, high):
    return {"dist": "uniform_date", "low": low, "high": high, "assumption": "test"}


def test_a_date_past_the_end_in_some_draws_is_allowed():
    # full.toml runs 2025-01 to 2028-01 (end exclusive).
    sc = load(edited(**{"events__newco-entry__date": _uniform_date("2027-01-01", "2029-12-31")}))
    assert sc.past_end_allowed("events.newco-entry.date")
    # and a release cadence's first date too
    doc = edited()
    doc["providers"]["follower"]["releases"]["first"] = _uniform_date("2026-01-01", "2030-01-01")
    assert load(doc).past_end_allowed("providers.follower.releases.first")


@pytest.mark.parametrize(
    "date",
    ["2028-01", "2031-06", _uniform_date("2028-02-01", "2029-01-01")],
)
def test_a_date_past_the_end_in_every_draw_is_refused(date):
    with pytest.raises(ScenarioError, match=r"newco-entry.date: .* in every draw, so the event"):
        load(edited(**{"events__newco-entry__date": date}))


def test_a_date_before_the_start_is_still_refused():
    date = _uniform_date("2024-06-01", "2025-06-01")
    with pytest.raises(ScenarioError, match=r"outside the horizon .*: before its start"):
        load(edited(**{"events__newco-entry__date": date}))
