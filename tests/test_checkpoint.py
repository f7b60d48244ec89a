"""Checkpoint folders: the manifest, atomic block files, and refusing what does not fit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simlab.checkpoint import Checkpoint
from simlab.engine.metrics import BlockMetrics
from simlab.errors import ScenarioError
from simlab.experiment import run
from simlab.scenario.load import load_scenario

SC = load_scenario(Path(__file__).parent / "data" / "uncertain.toml")

MANIFEST = {"scenario_hash": "abc", "seed": 1, "sampler": "mc", "draws": 10, "block_size": 4}


def block(n: int, fill: float = 1.0) -> BlockMetrics:
    return BlockMetrics(
        provider={"npv": np.full((n, 3), fill), "irr": np.full((n, 3), np.nan)},
        group={"npv": np.full((n, 2), fill)},
        yearly_provider={"share": np.full((n, 4, 3), fill)},
        yearly_group={"share": np.full((n, 4, 2), fill)},
        draw={"unmet_share": np.arange(n, dtype=float)},
        paths={"share": np.ones((n, 5, 3), dtype=np.float32)},
        irr_missing={"provider": np.ones((n, 3), dtype=bool)},
    )


def test_a_block_round_trips_exactly(tmp_path):
    store = Checkpoint(tmp_path, MANIFEST)
    saved = block(4, fill=0.1)
    store.save(1, 4, 8, saved)
    assert store.done(1) and not store.done(0)
    loaded = Checkpoint(tmp_path, MANIFEST).load(1, 4, 8)
    for field in ("provider", "group", "yearly_provider", "yearly_group", "draw", "paths"):
        mine, theirs = getattr(saved, field), getattr(loaded, field)
        assert mine.keys() == theirs.keys()
        for name in mine:
            np.testing.assert_array_equal(mine[name], theirs[name])
            assert mine[name].dtype == theirs[name].dtype
    assert loaded.irr_missing["provider"].dtype == bool
    assert sorted(p.name for p in tmp_path.iterdir()) == ["block-000001.npz", "manifest.json"]


def test_the_manifest_is_written_once_and_checked(tmp_path):
    Checkpoint(tmp_path, MANIFEST)
    written = json.loads((tmp_path / "manifest.json").read_text())
    assert written == {"format": 2, **MANIFEST}
    with pytest.raises(ScenarioError, match=r"another run: draws is 10 there, 12 here"):
        Checkpoint(tmp_path, {**MANIFEST, "draws": 12})


def test_an_unreadable_manifest_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ScenarioError, match=r"manifest\.json: cannot read the manifest"):
        Checkpoint(tmp_path, MANIFEST)


def test_block_files_without_a_manifest_are_refused(tmp_path):
    (tmp_path / "block-000000.npz").write_bytes(b"")
    with pytest.raises(ScenarioError, match=r"holds block files but no manifest\.json"):
        Checkpoint(tmp_path, MANIFEST)


def test_a_file_is_not_a_checkpoint_folder(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ScenarioError, match="exists and is not a folder"):
        Checkpoint(path, MANIFEST)


def test_a_block_of_another_run_or_length_is_refused(tmp_path):
    other = Checkpoint(tmp_path / "other", {**MANIFEST, "seed": 2})
    other.save(0, 0, 4, block(4))
    store = Checkpoint(tmp_path / "mine", MANIFEST)
    (tmp_path / "other" / "block-000000.npz").replace(store.path(0))
    with pytest.raises(ScenarioError, match=r"block-000000\.npz: run is '[0-9a-f]+', expected"):
        store.load(0, 0, 4)
    store.save(0, 0, 4, block(4))
    with pytest.raises(ScenarioError, match="stop is 4, expected 3"):
        store.load(0, 0, 3)


def test_a_block_with_short_arrays_is_refused(tmp_path):
    store = Checkpoint(tmp_path, MANIFEST)
    bad = block(4)
    bad.group["npv"] = np.zeros((3, 2))
    store.save(0, 0, 4, bad)
    with pytest.raises(ScenarioError, match=r"group.npv has shape \(3, 2\), expected 4 draws"):
        store.load(0, 0, 4)


def test_stale_temporary_files_are_removed_on_reopening(tmp_path):
    Checkpoint(tmp_path, MANIFEST)
    stale = tmp_path / ".block-xyz.tmp"
    stale.write_bytes(b"half a block")
    Checkpoint(tmp_path, MANIFEST)
    assert not stale.exists()


def test_a_pickled_array_is_never_loaded(tmp_path):
    store = Checkpoint(tmp_path, MANIFEST)
    np.savez(
        store.path(0),
        **{"meta.block": np.array(0), "draw.unmet_share": np.array([{"a": 1}], dtype=object)},
    )
    with pytest.raises(ScenarioError, match="damaged or truncated block file"):
        store.load(0, 0, 1)


def test_a_block_rewritten_with_other_values_and_a_valid_zip_is_refused(tmp_path):
    # Issue 16 #9: the file is a valid npz (valid zip CRCs), but one array was changed.
    ck = tmp_path / "ck"
    run(SC, draws=6, seed=1, block_size=3, checkpoint=ck)
    path = ck / "block-000001.npz"
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["provider.npv"] = arrays["provider.npv"] * 2.0
    np.savez(path, **arrays)
    with pytest.raises(ScenarioError, match="do not match their SHA-256 digest"):
        run(SC, draws=6, seed=1, block_size=3, checkpoint=ck)


def test_a_folder_at_a_block_path_and_an_unwritable_checkpoint_are_input_errors(tmp_path):
    ck = tmp_path / "ck"
    run(SC, draws=6, seed=1, block_size=3, checkpoint=ck)
    (ck / "block-000001.npz").unlink()
    (ck / "block-000001.npz").mkdir()
    with pytest.raises(ScenarioError, match="is not a file"):
        run(SC, draws=6, seed=1, block_size=3, checkpoint=ck)
    with pytest.raises(ScenarioError, match="cannot write there"):
        run(SC, draws=3, seed=1, checkpoint="/proc/ck")
