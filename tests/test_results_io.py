"""Results saved as netCDF and loaded back; comparing runs; where the drawn figures come from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from simlab.errors import ScenarioError
from simlab.experiment import run, simulate
from simlab.results import load_results
from simlab.scenario.load import Scenario, load_scenario

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load_scenario(DATA / "uncertain.toml")


@pytest.fixture(scope="module")
def res(sc):
    return run(sc, draws=12, seed=3, block_size=5, paths=True)


@pytest.fixture(scope="module")
def back(res, tmp_path_factory):
    """``res`` saved and loaded again."""
    path = tmp_path_factory.mktemp("saved") / "results.nc"
    res.to_netcdf(path)
    return load_results(path)


def test_netcdf_round_trip_is_exact(res, back):
    xr.testing.assert_identical(back.metrics, res.metrics)
    assert back.paths is not None and res.paths is not None
    xr.testing.assert_identical(back.paths, res.paths)
    assert back.paths.share.dtype == np.float32
    pd.testing.assert_frame_equal(back.inputs, res.inputs)
    assert back.inputs["events.openco-release.date"].dtype == "datetime64[ns]"
    # NaN metrics (no IRR, no capex to cover) survive as NaN.
    assert np.isnan(res.metrics.irr).any()
    np.testing.assert_array_equal(np.isnan(back.metrics.irr), np.isnan(res.metrics.irr))


def test_the_scenario_identity_is_kept(res, back):
    assert back.scenario.name == "uncertain"
    assert back.scenario.origin == res.scenario.origin
    assert back.scenario.hash == res.scenario.hash
    assert back.scenario.providers == res.scenario.providers
    assert back.scenario.spec.extends == "full.toml"
    assert (back.seed, back.sampler) == (3, "mc")
    assert back.metrics.attrs["block_size"] == 5
    assert back.metrics.attrs["simlab_version"] == res.metrics.attrs["simlab_version"]
    pd.testing.assert_frame_equal(back.claims(), res.claims())
    pd.testing.assert_frame_equal(back.summary(), res.summary())


def test_results_without_paths_or_inputs_round_trip(tmp_path):
    plain = simulate(load_scenario(DATA / "full.toml"))
    path = tmp_path / "plain.nc"
    plain.to_netcdf(path)
    back = load_results(path)
    assert back.paths is None and back.seed is None
    assert back.inputs.shape == (1, 0)
    xr.testing.assert_identical(back.metrics, plain.metrics)


def test_saving_replaces_an_existing_file(res, tmp_path):
    path = tmp_path / "results.nc"
    path.write_text("old")
    res.to_netcdf(path)
    assert load_results(path).draws == 12
    assert [p.name for p in tmp_path.iterdir()] == ["results.nc"]


def test_loading_what_is_not_simlab_results_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="no such results file"):
        load_results(tmp_path / "missing.nc")
    other = tmp_path / "other.nc"
    xr.Dataset({"x": ("t", [1.0])}).to_netcdf(other, engine="h5netcdf")
    with pytest.raises(ScenarioError, match="not a simlab results file"):
        load_results(other)
    text = tmp_path / "text.nc"
    text.write_text("hello")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_results(text)


def test_an_edited_scenario_document_is_refused(res, tmp_path):
    path = tmp_path / "results.nc"
    res.to_netcdf(path)
    import h5py

    with h5py.File(path, "a") as fh:
        doc = fh.attrs["scenario_document"]
        doc = doc.decode() if isinstance(doc, bytes) else str(doc)
        fh.attrs["scenario_document"] = doc.replace('"cash": 5000000000.0', '"cash": 6e9')
    with pytest.raises(ScenarioError, match="does not match its hash"):
        load_results(path)


def test_compare_pairs_draws_of_a_common_seed(sc, res):
    cheap = run(
        sc.with_values({"providers.plusco.pricing.markup": 0.2}), draws=12, seed=3, block_size=5
    )
    table = res.compare(cheap, metrics=["revenue", "share_final"], who=["plusco", "closed"])
    assert list(table.index) == [
        ("revenue", "plusco"),
        ("revenue", "closed"),
        ("share_final", "plusco"),
        ("share_final", "closed"),
    ]
    assert list(table.columns) == [
        "self_q05",
        "self_q50",
        "self_q95",
        "other_q05",
        "other_q50",
        "other_q95",
        "median_diff",
        "p_other_greater",
        "p_other_less",
        "p_same",
    ]
    mine = res.metric("share_final", "plusco").to_numpy()
    theirs = cheap.metric("share_final", "plusco").to_numpy()
    row = table.loc[("share_final", "plusco")]
    assert row["p_other_greater"] == np.mean(theirs > mine)
    assert row["p_other_greater"] > 0.5  # a lower price wins share in most draws
    assert row["median_diff"] == pytest.approx(np.median(theirs) - np.median(mine))
    assert row["self_q50"] == pytest.approx(np.median(mine))


def test_compare_does_not_pair_runs_of_other_seeds(sc, res):
    other = run(sc, draws=12, seed=4, block_size=5)
    table = res.compare(other, metrics=["npv"], who="all")
    assert np.isnan(table.loc[("npv", "all"), "p_other_greater"])
    assert np.isfinite(table.loc[("npv", "all"), "median_diff"])
    with pytest.raises(ScenarioError, match="other must be a Results"):
        res.compare("not results")  # type: ignore[arg-type]


def test_sources_name_every_drawn_figure(sc, res):
    table = res.sources()
    assert list(table.index) == list(sc.uncertain)
    assert table.index.name == "path"
    row = table.loc["providers.openco.price_in"]
    assert row["distribution"] == "PERT(low=0.15, mode=0.3, high=0.6)"
    assert row["source"] == "Test reference, 2025-01-01, not a real source"
    assert table.loc["finance.discount_rate", "source"] == "assumption: test range"


def test_sources_of_a_hand_made_inputs_table(sc):
    inputs = pd.DataFrame({"providers.plusco.price_in": [0.8, 1.2]})
    table = simulate(sc, inputs).sources()
    assert table.loc["providers.plusco.price_in", "distribution"] == "(inputs table)"


def test_without_h5py_the_error_says_what_to_install(res, tmp_path, monkeypatch):
    import importlib.util

    from simlab.errors import SimlabError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "h5py" else real(name, *a)
    )
    with pytest.raises(SimlabError, match=r"needs the h5py package.*pip install h5py"):
        res.to_netcdf(tmp_path / "results.nc")
    with pytest.raises(SimlabError, match="pip install h5py"):
        load_results(tmp_path / "results.nc")


def test_bit_flips_are_refused_or_change_nothing(res, tmp_path):
    # Issue 16 #4: of single-bit flips across the file, none may load different numbers.
    from simlab.errors import SimlabError

    path = tmp_path / "r.nc"
    res.to_netcdf(path)
    raw = bytearray(path.read_bytes())
    rng = np.random.default_rng(16)
    silent, refused = 0, 0
    for position in rng.choice(len(raw) * 8, size=24, replace=False):
        flipped = bytearray(raw)
        flipped[position // 8] ^= 1 << int(position % 8)
        bad = tmp_path / "flipped.nc"
        bad.write_bytes(bytes(flipped))
        try:
            back = load_results(bad)
        except SimlabError:
            refused += 1
            continue
        same = back.metrics.equals(res.metrics) and back.inputs.equals(res.inputs)
        silent += not same
    assert silent == 0
    assert refused > 0


def test_numbers_rewritten_in_place_or_a_relabelled_input_are_refused(res, tmp_path):
    import h5py

    path = tmp_path / "r.nc"
    res.to_netcdf(path)
    with h5py.File(path, "r+") as fh:
        fh["metrics/npv"][...] = fh["metrics/npv"][...] * 2
    with pytest.raises(ScenarioError, match=r"array metrics/npv does not match its SHA-256"):
        load_results(path)
    res.to_netcdf(path)
    with h5py.File(path, "r+") as fh:
        fh["inputs"].attrs["columns"] = json.dumps(list(reversed(res.inputs.columns)))
    with pytest.raises(ScenarioError, match=r"inputs/\.attrs does not match"):
        load_results(path)


def test_inputs_are_one_2d_variable_with_a_path_coordinate(res, tmp_path):
    import h5py

    path = tmp_path / "r.nc"
    res.to_netcdf(path)
    with h5py.File(path, "r") as fh:
        names = set(fh["inputs"].keys())
    assert "inputs" in names and not any(n.startswith("input_0") for n in names)
    assert load_results(path).inputs.equals(res.inputs)


@pytest.mark.parametrize("bad", [123, None, ["a.nc"]])
def test_load_results_of_a_non_path_is_a_scenario_error(bad):
    with pytest.raises(ScenarioError, match="path must be a file path"):
        load_results(bad)
