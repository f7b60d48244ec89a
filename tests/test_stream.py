"""simlab.stream: blocks streamed to Zarr or netCDF, opened lazily, resumable, same numbers."""

from __future__ import annotations

import concurrent.futures as cf
import json
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

import simlab
from simlab.errors import ScenarioError
from simlab.scenario.load import Scenario, load_scenario
from simlab.stream import open_stream, stream

UNCERTAIN = Path(__file__).parent / "data" / "uncertain.toml"
FORMATS = ["zarr", "netcdf"]


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load_scenario(UNCERTAIN)


@pytest.fixture(scope="module")
def reference(sc):
    return simlab.run(sc, draws=40, seed=9, block_size=16).metrics


def assert_same_numbers(lazy, reference) -> None:
    """Every per-draw variable of the reference, bit for bit, and the draw coordinate."""
    np.testing.assert_array_equal(lazy["draw"].to_numpy(), reference["draw"].to_numpy())
    assert set(lazy.data_vars) == set(reference.data_vars)
    for name, var in reference.data_vars.items():
        got = lazy[name].transpose(*var.dims).to_numpy()
        np.testing.assert_array_equal(got, var.to_numpy(), err_msg=name)
        assert got.dtype == var.dtype, name
    for name in ("provider", "group", "year", "kind", "region"):
        np.testing.assert_array_equal(lazy[name].to_numpy(), reference[name].to_numpy())


def store_bytes(folder: Path) -> dict[str, bytes]:
    store = folder / "metrics.zarr"
    return {str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*") if p.is_file()}


def marks(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("block-*"))


def test_a_zarr_stream_equals_the_run_and_opens_lazily(sc, reference, tmp_path):
    folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16)
    assert (folder / "metrics.zarr" / ".zmetadata").is_file()  # consolidated metadata
    assert marks(folder) == ["block-000000.done", "block-000001.done", "block-000002.done"]
    assert json.loads((folder / "manifest.json").read_text())["format"] == "zarr"
    lazy = open_stream(folder)
    assert isinstance(lazy["npv"].data, da.Array)  # nothing read yet
    assert lazy["npv"].data.chunks[0] == (16, 16, 8)  # one chunk per block
    assert lazy.attrs["seed"] == 9 and lazy.attrs["scenario_hash"] == sc.hash
    assert_same_numbers(lazy, reference)


def test_a_netcdf_stream_equals_the_run_and_opens_lazily(sc, reference, tmp_path):
    folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16, format="netcdf")
    assert marks(folder) == ["block-000000.nc", "block-000001.nc", "block-000002.nc"]
    lazy = open_stream(folder)
    assert isinstance(lazy["npv"].data, da.Array)
    assert lazy["npv"].data.chunks[0] == (16, 16, 8)
    assert_same_numbers(lazy, reference)


@pytest.mark.parametrize("fmt", FORMATS)
def test_blocks_written_in_any_order_give_the_same_stream(sc, reference, tmp_path, fmt):
    import simlab.experiment as experiment

    blocks = experiment._blocks
    # the last, short block first: the Zarr store is made from it
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(experiment, "_blocks", lambda *a: blocks(*a)[::-1])
        folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16, format=fmt)
    assert_same_numbers(open_stream(folder), reference)
    if fmt == "zarr":  # the same store, byte for byte, as in the blocks' own order
        again = stream(sc, 40, seed=9, folder=tmp_path / "again", block_size=16)
        assert store_bytes(folder) == store_bytes(again)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_interrupted_stream_resumes_only_its_missing_blocks(
    sc, reference, tmp_path, monkeypatch, fmt
):
    import simlab.experiment as experiment

    simulate_rows = experiment._simulate_rows
    ran = []

    def killed_at_block_2(scenario, seed, block, *args):
        if block == 2:
            raise KeyboardInterrupt  # as if the run were stopped after 2 blocks
        ran.append(block)
        return simulate_rows(scenario, seed, block, *args)

    monkeypatch.setattr(experiment, "_simulate_rows", killed_at_block_2)
    with pytest.raises(KeyboardInterrupt):
        stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16, format=fmt)
    folder = tmp_path / "s"
    suffix = "done" if fmt == "zarr" else "nc"
    with pytest.raises(ScenarioError, match=rf"1 of 3 blocks missing \(block-000002\.{suffix}"):
        open_stream(folder)

    def counted(scenario, seed, block, *args):
        ran.append(block)
        return simulate_rows(scenario, seed, block, *args)

    monkeypatch.setattr(experiment, "_simulate_rows", counted)
    stream(sc, 40, seed=9, folder=folder, block_size=16, format=fmt)
    assert ran == [0, 1, 2]  # blocks 0 and 1 not run again
    assert_same_numbers(open_stream(folder), reference)


def test_a_zarr_block_without_its_marker_is_written_again(sc, reference, tmp_path):
    folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16)
    # as if killed while writing block 1 (its chunks half-written, no marker yet), or
    # while making the store
    (folder / "block-000001.done").unlink()
    npv = folder / "metrics.zarr" / "npv"
    for chunk in npv.glob("1.*"):
        chunk.write_bytes(b"garbage")
    (folder / ".metrics.zarr.tmp").mkdir()
    stream(sc, 40, seed=9, folder=folder, block_size=16)
    assert marks(folder)[1] == "block-000001.done"
    assert not (folder / ".metrics.zarr.tmp").exists()
    assert_same_numbers(open_stream(folder), reference)


def test_markers_without_their_store_count_for_nothing(sc, reference, tmp_path):
    import shutil

    folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16)
    shutil.rmtree(folder / "metrics.zarr")
    with pytest.raises(ScenarioError, match=r"metrics\.zarr: not a readable Zarr store"):
        open_stream(folder)
    stream(sc, 40, seed=9, folder=folder, block_size=16)
    assert_same_numbers(open_stream(folder), reference)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_stream_on_an_executor_and_with_kept_metrics(sc, reference, tmp_path, fmt):
    with cf.ThreadPoolExecutor(2) as pool:
        folder = stream(
            sc, 40, 9, tmp_path / "s", block_size=16, executor=pool, metrics=["npv"], format=fmt
        )
    lazy = open_stream(folder)
    assert "npv" in lazy and "revenue" not in lazy
    np.testing.assert_array_equal(lazy["npv"].to_numpy(), reference["npv"].to_numpy())


def test_a_netcdf_stream_from_before_formats_still_opens_and_resumes(sc, reference, tmp_path):
    folder = stream(sc, 40, seed=9, folder=tmp_path / "s", block_size=16, format="netcdf")
    manifest = folder / "manifest.json"
    old = json.loads(manifest.read_text())
    del old["format"]  # manifests written before the Zarr format have no "format"
    manifest.write_text(json.dumps(old))
    (folder / "block-000002.nc").unlink()
    stream(sc, 40, seed=9, folder=folder, block_size=16, format="netcdf")
    assert_same_numbers(open_stream(folder), reference)
    with pytest.raises(ScenarioError, match="format: 'netcdf' there, 'zarr' here"):
        stream(sc, 40, seed=9, folder=folder, block_size=16)


def test_a_folder_of_another_run_is_refused(sc, tmp_path):
    folder = stream(sc, 16, seed=9, folder=tmp_path / "s", block_size=16)
    with pytest.raises(ScenarioError, match=r"another run \(seed: 9 there, 10 here\)"):
        stream(sc, 16, seed=10, folder=folder, block_size=16)
    with pytest.raises(ScenarioError, match=r"nowhere.*not a stream manifest"):
        open_stream(tmp_path / "nowhere")
    with pytest.raises(ScenarioError, match="folder must be a folder path"):
        stream(sc, 16, seed=9, folder=3, block_size=16)  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="format must be one of 'zarr', 'netcdf', got 'hdf'"):
        stream(sc, 16, seed=9, folder=tmp_path / "t", block_size=16, format="hdf")


def test_a_damaged_stream_is_refused_with_its_path(sc, tmp_path):
    folder = stream(sc, 16, seed=9, folder=tmp_path / "s", block_size=16)
    (folder / "metrics.zarr" / ".zmetadata").write_text("{not json")
    with pytest.raises(ScenarioError, match=r"metrics\.zarr: not a readable Zarr store"):
        open_stream(folder)
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": "hdf"}))
    with pytest.raises(ScenarioError, match=r"manifest\.json: format 'hdf' is not one of"):
        open_stream(folder)
    manifest.write_text("[1, 2]")
    with pytest.raises(ScenarioError, match=r"manifest\.json: not a stream manifest"):
        open_stream(folder)


def test_a_damaged_netcdf_block_is_named_when_read(sc, tmp_path):
    folder = stream(sc, 32, seed=9, folder=tmp_path / "s", block_size=16, format="netcdf")
    (folder / "block-000001.nc").write_bytes(b"truncated")
    lazy = open_stream(folder)  # only the first file is opened here
    with pytest.raises(ScenarioError, match=r"block-000001\.nc: not a readable block"):
        lazy["npv"].load()
