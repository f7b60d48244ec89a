"""simlab.stream: blocks streamed to netCDF files, opened lazily, resumable, same numbers."""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

import simlab
from simlab.errors import ScenarioError
from simlab.scenario.load import Scenario, load_scenario
from simlab.stream import open_stream, stream

UNCERTAIN = Path(__file__).parent / "data" / "uncertain.toml"


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load_scenario(UNCERTAIN)


@pytest.fixture(scope="module")
def reference(sc):
    return simlab.run(sc, draws=40, seed=9, block_size=16).metrics


def assert_same_numbers(lazy, reference) -> None:
    """Every per-draw variable of the reference, bit for bit, and the draw coordinate."""
    np.testing.assert_array_equal(lazy["draw"].to_numpy(), reference["draw"].to_numpy())
    for name, var in reference.data_vars.items():
        got = lazy[name].transpose(*var.dims).to_numpy()
        np.testing.assert_array_equal(got, var.to_numpy(), err_msg=name)
        assert got.dtype == var.dtype, name


def test_a_stream_equals_the_run_and_opens_lazily(sc, reference, tmp_path):
    folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16)
    assert sorted(p.name for p in folder.glob("block-*.nc")) == [
        "block-000000.nc",
        "block-000001.nc",
        "block-000002.nc",
    ]
    lazy = open_stream(folder)
    assert isinstance(lazy["npv"].data, da.Array)  # nothing read yet
    assert lazy["npv"].data.chunks[0] == (16, 16, 8)  # one chunk per block
    assert_same_numbers(lazy, reference)


def test_a_stream_resumes_only_its_missing_blocks(sc, reference, tmp_path, monkeypatch):
    folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16)
    (folder / "block-000001.nc").unlink()  # as if killed before block 1 was written
    with pytest.raises(ScenarioError, match=r"1 of 3 blocks missing.*block-000001\.nc"):
        open_stream(folder)
    import simlab.experiment as experiment

    ran = []
    simulate_rows = experiment._simulate_rows

    def counted(scenario, seed, block, *args):
        ran.append(block)
        return simulate_rows(scenario, seed, block, *args)

    monkeypatch.setattr(experiment, "_simulate_rows", counted)
    stream(sc, 40, seed=9, folder=folder, block_size=16)
    assert ran == [1]
    assert_same_numbers(open_stream(folder), reference)


def test_a_stream_on_an_executor_and_with_kept_metrics(sc, reference, tmp_path):
    with cf.ThreadPoolExecutor(2) as pool:
        folder = stream(sc, 40, 9, tmp_path / "s", block_size=16, executor=pool, metrics=["npv"])
    lazy = open_stream(folder)
    assert "npv" in lazy and "revenue" not in lazy
    np.testing.assert_array_equal(lazy["npv"].to_numpy(), reference["npv"].to_numpy())


def test_a_folder_of_another_run_is_refused(sc, tmp_path):
    folder = stream(sc, 16, seed=9, folder=tmp_path / "s", block_size=16)
    with pytest.raises(ScenarioError, match=r"another run \(seed: 9 there, 10 here\)"):
        stream(sc, 16, seed=10, folder=folder, block_size=16)
    with pytest.raises(ScenarioError, match="not a stream manifest"):
        open_stream(tmp_path / "nowhere")
    with pytest.raises(ScenarioError, match="folder must be a folder path"):
        stream(sc, 16, seed=9, folder=3, block_size=16)  # type: ignore[arg-type]
