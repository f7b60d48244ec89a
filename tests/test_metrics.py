"""The one table of metrics: every part of simlab reads it, and it matches what a run keeps."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import simlab
from simlab import claims
from simlab.errors import ScenarioError
from simlab.metrics import (
    CLAIM_METRICS,
    DRAW_METRICS,
    HEADLINE,
    METRICS,
    PATHS,
    YEARLY_METRICS,
    format_value,
    human_scale,
)
from simlab.scenario.load import load_scenario

FULL = Path(__file__).parent / "data" / "full.toml"


@pytest.fixture(scope="module")
def res():
    return simlab.simulate(load_scenario(FULL), paths=True)


def test_every_kept_metric_has_a_row_with_its_unit_and_dims(res):
    from simlab.tables import IRR_REASON

    for name, var in res.metrics.data_vars.items():
        base = str(name).removesuffix("_by_group")
        if base == IRR_REASON:  # not a metric: why each draw's irr is missing, beside it
            assert var.dtype == np.int8 and var.dims == res.metrics["irr" + name[len(base) :]].dims
            continue
        assert base in METRICS, base
        row = METRICS[base]
        assert var.attrs["units"] == row.unit
        dims = row.dims if base == name else tuple(d.replace("provider", "group") for d in row.dims)
        assert var.dims == dims, name
    kept = {str(n).removesuffix("_by_group") for n in res.metrics.data_vars}
    assert set(METRICS) == kept - {IRR_REASON}


def test_every_path_has_a_unit(res):
    assert set(map(str, res.paths.data_vars)) == set(PATHS)
    for name, var in res.paths.data_vars.items():
        assert var.attrs["units"] == PATHS[str(name)]


def test_claims_results_and_cli_read_the_table():
    assert claims.METRICS == CLAIM_METRICS
    assert claims.YEARLY_METRICS == YEARLY_METRICS
    assert set(CLAIM_METRICS) | set(YEARLY_METRICS) | set(DRAW_METRICS) == set(METRICS)
    assert HEADLINE == ("revenue", "npv", "irr", "share_final", "price_final")


def test_summary_defaults_to_the_headline_metrics(res):
    assert tuple(dict.fromkeys(res.summary().index.get_level_values("metric"))) == HEADLINE


def test_scenario_knows_its_groups_and_years():
    sc = load_scenario(FULL)
    assert sc.groups[:3] == ["all", "open", "closed"]
    assert sc.groups[3:] == [f"region={r}" for r in sc.regions]
    assert claims.group_labels(sc) == sc.groups
    times = sc.times.astype("datetime64[Y]").astype(int) + 1970
    assert sc.years == sorted(set(times.tolist()))


def test_claims_import_no_scenario_module_and_the_reverse():
    # the claims <-> scenario cycle is gone: claims needs the scenario only for types
    source = Path(importlib.import_module("simlab.claims").__file__).read_text()
    assert "from simlab.scenario" not in source.split("if TYPE_CHECKING:")[0]


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("npv", [1.555e12, -3e11], (1e12, "USD T")),
        ("revenue", [4.2e10], (1e9, "USD bn")),
        ("revenue_year", [4.2e10], (1e9, "USD bn per year")),
        ("share_final", [0.3], (0.01, "%")),
        ("irr", [0.08], (0.01, "% per year")),
        ("payback_years", [3.0], (1.0, "years")),
        ("price_final", [1.25], (1.0, "USD per M tokens")),
    ],
)
def test_human_scale(name, values, expected):
    assert human_scale(name, values) == expected


def test_format_value():
    assert format_value("npv", 1.555e12) == "USD 1.55 T"  # 1.555 is 1.55499... in binary
    assert format_value("share_final", 0.4213) == "42.1 %"
    assert format_value("irr", np.nan) == "none"
    assert format_value("payback_years", np.inf) == "never"
    assert format_value("model_roi", 12.0) == "12x"


def test_unknown_metric_says_did_you_mean(res):
    with pytest.raises(ScenarioError, match=r"unknown metric 'NPV'; did you mean 'npv'\?"):
        res.metric("NPV")
    with pytest.raises(ScenarioError, match=r"did you mean 'share_final'\?"):
        res.metric("share_fnal")
