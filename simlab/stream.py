"""Runs too large for memory: each block's metrics streamed to its own netCDF file.

:func:`stream` runs a Monte Carlo experiment as :func:`simlab.run` does (same seed
streams, same blocks, same numbers), but writes each finished block's per-draw metrics
to ``block-NNNNNN.nc`` in a folder and keeps nothing, so memory holds only the blocks
in flight, whatever the number of draws. :func:`open_stream` opens the folder lazily
(``xarray.open_mfdataset``: one dask chunk per block). A stream is its own checkpoint:
running the same call again computes only the blocks whose file is missing.

- ``manifest.json`` names the run (scenario and hash, seed, draws, block size, kept
  metrics, simlab version); a call with other arguments on the same folder is refused.
- Each block file is written to a temporary name and renamed when complete, so it is
  whole or absent, even if the run is killed.
- Only the Monte Carlo sampler (``"mc"``) streams: each block draws its inputs from its
  own seed stream, so blocks are independent. The inputs are not stored; they are
  ``sample_inputs(scenario, draws, seed, block_size=block_size)`` again.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simlab._version import __version__
from simlab.errors import ScenarioError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from simlab.engine.metrics import BlockMetrics
    from simlab.scenario.load import Scenario

__all__ = ["open_stream", "stream"]

MANIFEST = "manifest.json"


def _block_file(folder: Path, block: int) -> Path:
    return folder / f"block-{block:06d}.nc"


def _manifest(folder: Path, identity: dict[str, Any]) -> None:
    """Write the manifest, or check that the folder's is this run's."""
    path = folder / MANIFEST
    if path.exists():
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{path}: not a readable stream manifest ({exc})") from None
        differ = [k for k in identity if found.get(k) != identity[k]]
        if differ:
            what = "; ".join(f"{k}: {found.get(k)!r} there, {identity[k]!r} here" for k in differ)
            raise ScenarioError(
                f"{folder}: the folder holds the stream of another run ({what}); use a new "
                "folder, or the same arguments to resume it"
            )
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(identity, indent=1, sort_keys=True))
    os.replace(tmp, path)


def stream(
    scenario: Scenario | str | os.PathLike[str],
    draws: int,
    seed: int,
    folder: str | os.PathLike[str],
    block_size: int = 1024,
    executor: object = None,
    metrics: Sequence[str] | None = None,
) -> Path:
    """Run a Monte Carlo experiment, writing each block's metrics to its own netCDF file.

    The numbers equal :func:`simlab.run`'s with the same scenario, draws, seed and block
    size (sampler ``"mc"``), in this process or on any executor, and after an
    interrupted stream is resumed by calling :func:`stream` again with the same
    arguments. Memory holds the blocks in flight, not the run.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        A scenario, a catalog name or a TOML path.
    draws : int
        Number of Monte Carlo draws.
    seed : int
        Seed of the run's block streams.
    folder : str or os.PathLike
        Where the manifest and the block files go (created if missing).
    block_size : int
        Draws a block (and a file).
    executor : None, "processes" or concurrent.futures.Executor
        Where blocks run, as in :func:`simlab.run`.
    metrics : sequence of str, optional
        Keep only these metrics (and the claims' ones), as in :func:`simlab.run`.

    Returns
    -------
    pathlib.Path
        The folder; open it with :func:`open_stream`.

    Raises
    ------
    ScenarioError
        For an invalid argument, or a folder that holds the stream of another run.

    Examples
    --------
    >>> from simlab.stream import open_stream, stream
    >>> folder = stream("baseline-2025", 1_000_000, seed=7, folder="big")  # doctest: +SKIP
    >>> open_stream(folder)["npv"].sel(provider="openai").mean().compute()  # doctest: +SKIP
    """
    from simlab.experiment import (
        _blocks,
        _check_block_size,
        _check_count,
        _check_executor,
        _check_seed,
        _Job,
        _kept_metrics,
        _pool,
        _run_on,
        _scenario,
        _simulate_rows,
    )
    from simlab.results import scenario_to_json

    sc = _scenario(scenario)
    draws = _check_count("draws", draws, 1)
    seed = _check_seed(seed)
    block_size = _check_block_size(block_size)
    executor = _check_executor(executor)
    if not isinstance(folder, str | os.PathLike):
        raise ScenarioError(f"folder must be a folder path, got {folder!r}")
    keep = _kept_metrics(sc, metrics)
    out = Path(folder)
    identity = {
        "scenario": sc.name,
        "scenario_hash": sc.hash,
        "seed": seed,
        "sampler": "mc",
        "draws": draws,
        "block_size": block_size,
        "metrics": sorted(keep) if keep is not None else "all",
        "simlab_version": __version__,
    }
    _manifest(out, identity)
    attrs = {k: identity[k] for k in ("seed", "sampler", "block_size", "scenario_hash")}
    attrs["simlab_version"] = __version__

    def finish(
        block: int, start: int, stop: int, inputs: pd.DataFrame, found: BlockMetrics
    ) -> None:
        _write_block(sc, _block_file(out, block), start, stop, inputs, found, keep, attrs)
        # A finished block's objects sit in reference cycles that the cyclic collector
        # frees only now and then: collected after each block, the peak memory stays
        # flat in the draws (benchmarks/bench_stream.py: 370 MB at 2,048 and at 8,192
        # draws, 473 MB at 8,192 without).
        gc.collect()

    todo = [b for b in _blocks(draws, block_size) if not _block_file(out, b[0]).exists()]
    if executor is None:
        for block, start, stop in todo:
            finish(block, start, stop, *_simulate_rows(sc, seed, block, start, stop, False, None))
    elif todo:
        document = scenario_to_json(sc)
        jobs = [_Job(document, sc.origin, sc.hash, seed, b, a, z, False, None) for b, a, z in todo]
        with _pool(executor) as pool:
            _run_on(pool, jobs, finish)
    return out


def _write_block(
    sc: Scenario,
    path: Path,
    start: int,
    stop: int,
    inputs: pd.DataFrame,
    found: BlockMetrics,
    keep: set[str] | None,
    attrs: dict[str, Any],
) -> None:
    """Write one block's metrics (draws ``start .. stop - 1``) atomically."""
    from simlab.experiment import keep_metrics
    from simlab.results import _clean_attrs, assemble

    if keep is not None:
        found = keep_metrics(found, keep)
    ds = assemble(sc, [found], inputs, attrs).metrics
    ds = ds.assign_coords(draw=np.arange(start, stop, dtype=np.int64))
    ds.attrs = _clean_attrs(dict(ds.attrs))
    tmp = path.with_name(f".{path.name}.tmp")
    ds.to_netcdf(tmp, mode="w", engine="h5netcdf")
    os.replace(tmp, path)


def open_stream(folder: str | os.PathLike[str]) -> xr.Dataset:
    """Open a finished stream lazily: the per-draw metrics, one dask chunk per block.

    Parameters
    ----------
    folder : str or os.PathLike
        A folder written by :func:`stream`.

    Returns
    -------
    xarray.Dataset
        The metrics, as :attr:`simlab.Results.metrics` of the same run, backed by dask
        arrays (call ``.compute()`` or ``.load()`` to read them).

    Raises
    ------
    ScenarioError
        If the folder has no manifest, or blocks are missing (run :func:`stream` again
        with the same arguments to finish it).
    """
    import xarray as xr

    out = Path(folder)
    path = out / MANIFEST
    try:
        identity = json.loads(path.read_text())
        draws, block_size = int(identity["draws"]), int(identity["block_size"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"{path}: not a stream manifest ({exc})") from None
    blocks = -(-draws // block_size)
    files = [_block_file(out, b) for b in range(blocks)]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise ScenarioError(
            f"{out}: {len(missing)} of {blocks} blocks missing ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}); run simlab.stream again with the same "
            "arguments to finish the run"
        )
    return xr.open_mfdataset(
        files,
        engine="h5netcdf",
        combine="nested",
        concat_dim="draw",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        join="exact",
    )
