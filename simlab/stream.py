"""Runs too large for memory: each block's metrics streamed to disk as it finishes.

:func:`stream` runs a Monte Carlo experiment as :func:`simlab.run` does (same seed
streams, same blocks, same numbers), but writes each finished block's per-draw metrics
to disk and keeps nothing, so memory holds only the blocks in flight, whatever the
number of draws. :func:`open_stream` opens the folder lazily (one dask chunk per
block). A stream is its own checkpoint: running the same call again computes only the
blocks not yet written.

Two formats:

- ``"zarr"`` (the default): one Zarr store, ``metrics.zarr`` (Zarr format 2,
  consolidated metadata), made for every draw when the first block finishes, with
  chunks of one block; each block is written into its own region, then marked done by
  an empty ``block-NNNNNN.done`` file. Blocks own disjoint chunks, so any order of
  blocks and any resume give the same store. Opening reads one metadata file, whatever
  the number of blocks.
- ``"netcdf"``: one ``block-NNNNNN.nc`` file a block, written to a temporary name and
  renamed when complete. :func:`open_stream` opens only the first file and reads each
  block's file when its values are computed (0.5 s for the 98 files of 10^5 draws, where
  ``xarray.open_mfdataset`` took 15 s: ``benchmarks/bench_stream.py``); kept for
  existing streams and netCDF tools.

``manifest.json`` names the run (scenario and hash, seed, draws, block size, kept
metrics, format, simlab version); a call with other arguments on the same folder is
refused. Only the Monte Carlo sampler (``"mc"``) streams: each block draws its inputs
from its own seed stream, so blocks are independent. The inputs are not stored; they
are ``sample_inputs(scenario, draws, seed, block_size=block_size)`` again.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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
STORE = "metrics.zarr"
FORMATS = ("zarr", "netcdf")
#: Zarr format 2: consolidated metadata and fixed-width text coordinates are part of
#: its specification (format 3 warns on both with zarr-python 3.1).
ZARR_FORMAT: Literal[2] = 2


def _block_name(block: int, fmt: str) -> str:
    """Return the file that says a block is written: its netCDF file or its marker."""
    return f"block-{block:06d}.{'nc' if fmt == 'netcdf' else 'done'}"


def _written(folder: Path, fmt: str) -> set[int]:
    """Return the blocks a stream folder holds, from one listing of the folder."""
    suffix = ".nc" if fmt == "netcdf" else ".done"
    try:
        names = [e.name for e in os.scandir(folder)]
    except FileNotFoundError:
        return set()
    found = set()
    for name in names:
        number = name[len("block-") : -len(suffix)]
        if name.startswith("block-") and name.endswith(suffix) and number.isdigit():
            found.add(int(number))
    return found


def _read_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest; a stream written before formats existed is netCDF."""
    found = json.loads(path.read_text())
    if not isinstance(found, dict):
        raise ValueError("not a JSON object")
    found.setdefault("format", "netcdf")
    return found


def _manifest(folder: Path, identity: dict[str, Any]) -> None:
    """Write the manifest, or check that the folder's is this run's."""
    path = folder / MANIFEST
    if path.exists():
        try:
            found = _read_manifest(path)
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
    format: str = "zarr",
) -> Path:
    """Run a Monte Carlo experiment, writing each block's metrics to disk as it finishes.

    The numbers equal :func:`simlab.run`'s with the same scenario, draws, seed and block
    size (sampler ``"mc"``), in this process or on any executor, in any order of blocks,
    and after an interrupted stream is resumed by calling :func:`stream` again with the
    same arguments. Memory holds the blocks in flight, not the run.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        A scenario, a catalog name or a TOML path.
    draws : int
        Number of Monte Carlo draws.
    seed : int
        Seed of the run's block streams.
    folder : str or os.PathLike
        Where the manifest and the metrics go (created if missing).
    block_size : int
        Draws a block (and a Zarr chunk or a netCDF file).
    executor : None, "processes" or concurrent.futures.Executor
        Where blocks run, as in :func:`simlab.run`.
    metrics : sequence of str, optional
        Keep only these metrics (and the claims' ones), as in :func:`simlab.run`.
    format : {"zarr", "netcdf"}
        ``"zarr"``: one Zarr store, a chunk a block, which opens in a fixed time whatever the
        number of blocks; ``"netcdf"``: a netCDF file a block, which opens in a time that
        grows with the number of files (see the module's description).

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
    if format not in FORMATS:
        raise ScenarioError(
            f"format must be one of {', '.join(map(repr, FORMATS))}, got {format!r}"
        )
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
        "format": format,
        "simlab_version": __version__,
    }
    _manifest(out, identity)
    attrs = {k: identity[k] for k in ("seed", "sampler", "block_size", "scenario_hash")}
    attrs["simlab_version"] = __version__
    writer = _ZarrWriter(out, draws, block_size) if format == "zarr" else None

    def finish(
        block: int, start: int, stop: int, inputs: pd.DataFrame, found: BlockMetrics
    ) -> None:
        ds = _block_dataset(sc, start, stop, inputs, found, keep, attrs)
        if writer is None:
            _write_netcdf(ds, out / _block_name(block, format))
        else:
            writer.write(block, start, stop, ds)
        del ds
        # A finished block's objects sit in reference cycles that the cyclic collector
        # frees only now and then: collected after each block, the peak memory stays
        # flat in the draws (benchmarks/bench_stream.py: 370 MB at 2,048 and at 8,192
        # draws, 473 MB at 8,192 without).
        gc.collect()

    written = _written(out, format)
    if format == "zarr" and not (out / STORE).exists():
        written = set()  # markers without their store (deleted): every block again
    todo = [b for b in _blocks(draws, block_size) if b[0] not in written]
    if executor is None:
        for block, start, stop in todo:
            finish(block, start, stop, *_simulate_rows(sc, seed, block, start, stop, False, None))
    elif todo:
        document = scenario_to_json(sc)
        sent_back = tuple(sorted(keep)) if keep is not None else None  # not the others
        jobs = [
            _Job(document, sc.origin, sc.hash, seed, b, a, z, False, None, sent_back)
            for b, a, z in todo
        ]
        with _pool(executor) as pool:
            _run_on(pool, jobs, finish)
    return out


def _block_dataset(
    sc: Scenario,
    start: int,
    stop: int,
    inputs: pd.DataFrame,
    found: BlockMetrics,
    keep: set[str] | None,
    attrs: dict[str, Any],
) -> xr.Dataset:
    """Return one block's metrics (draws ``start .. stop - 1``) as a metrics Dataset."""
    from simlab.experiment import keep_metrics
    from simlab.results import _clean_attrs, assemble

    if keep is not None:
        found = keep_metrics(found, keep)
    ds = assemble(sc, [found], inputs, attrs).metrics
    ds = ds.assign_coords(draw=np.arange(start, stop, dtype=np.int64))
    ds.attrs = _clean_attrs(dict(ds.attrs))
    return ds


def _write_netcdf(ds: xr.Dataset, path: Path) -> None:
    """Write one block's file atomically: to a temporary name, renamed when complete."""
    tmp = path.with_name(f".{path.name}.tmp")
    ds.to_netcdf(tmp, mode="w", engine="h5netcdf")
    os.replace(tmp, path)


class _ZarrWriter:
    """Writes blocks into the stream's Zarr store, made from the first block to finish."""

    def __init__(self, folder: Path, draws: int, block_size: int) -> None:
        self.folder, self.draws, self.block_size = folder, draws, block_size
        self.arrays: dict[str, Any] | None = None

    def _create(self, ds: xr.Dataset) -> None:
        """Make the store for every draw (metadata and coordinates only), atomically."""
        import dask.array as da
        import xarray as xr

        variables = {}
        encoding: dict[str, dict[str, Any]] = {}
        for key, var in ds.data_vars.items():
            name = str(key)
            shape = tuple(self.draws if d == "draw" else n for d, n in var.sizes.items())
            chunks = tuple(self.block_size if d == "draw" else n for d, n in var.sizes.items())
            variables[name] = (var.dims, da.zeros(shape, dtype=var.dtype, chunks=chunks), var.attrs)
            # No fill value: every chunk is written before its block is marked done, and
            # the values are read back as written (no NaN masking).
            encoding[name] = {"chunks": chunks, "_FillValue": None}
        coords = {k: c.variable for k, c in ds.coords.items() if "draw" not in c.dims}
        template = xr.Dataset(variables, coords=coords, attrs=ds.attrs)
        template = template.assign_coords(draw=np.arange(self.draws, dtype=np.int64))
        store, tmp = self.folder / STORE, self.folder / f".{STORE}.tmp"
        template.to_zarr(
            tmp,
            mode="w",
            compute=False,
            encoding=encoding,
            consolidated=True,
            zarr_format=ZARR_FORMAT,
        )
        os.replace(tmp, store)

    def write(self, block: int, start: int, stop: int, ds: xr.Dataset) -> None:
        """Write one block into its region of the store, then mark it done."""
        import zarr

        if self.arrays is None:
            store = self.folder / STORE
            # left by a run killed while making the store
            shutil.rmtree(self.folder / f".{STORE}.tmp", ignore_errors=True)
            if not store.exists():
                self._create(ds)
            group = zarr.open_group(store, mode="r+", zarr_format=ZARR_FORMAT)
            self.arrays = {str(name): group[str(name)] for name in ds.data_vars}
        for name, var in ds.data_vars.items():
            array = self.arrays[str(name)]
            dims = array.attrs["_ARRAY_DIMENSIONS"]
            region = tuple(slice(start, stop) if d == "draw" else slice(None) for d in dims)
            array[region] = var.transpose(*dims).to_numpy()
        (self.folder / _block_name(block, "zarr")).touch()


def open_stream(folder: str | os.PathLike[str]) -> xr.Dataset:
    """Open a finished stream lazily: the per-draw metrics, one dask chunk per block.

    Parameters
    ----------
    folder : str or os.PathLike
        A folder written by :func:`stream` (either format).

    Returns
    -------
    xarray.Dataset
        The metrics, as :attr:`simlab.Results.metrics` of the same run, backed by dask
        arrays (call ``.compute()`` or ``.load()`` to read them). A Zarr stream opens
        its store; a netCDF stream opens its first file and reads each block's file
        when its values are computed.

    Raises
    ------
    ScenarioError
        If the folder has no manifest, its store cannot be read, or blocks are missing
        (run :func:`stream` again with the same arguments to finish it); for a netCDF
        stream, also when a damaged block file is read (it names the file).
    """
    import xarray as xr

    out = Path(folder)
    path = out / MANIFEST
    try:
        identity = _read_manifest(path)
        draws, block_size = int(identity["draws"]), int(identity["block_size"])
        fmt = identity["format"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"{path}: not a stream manifest ({exc})") from None
    if fmt not in FORMATS:
        raise ScenarioError(f"{path}: format {fmt!r} is not one of {', '.join(map(repr, FORMATS))}")
    blocks = -(-draws // block_size)
    written = _written(out, fmt)
    missing = [_block_name(b, fmt) for b in range(blocks) if b not in written]
    if missing:
        raise ScenarioError(
            f"{out}: {len(missing)} of {blocks} blocks missing ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}); run simlab.stream again with the same "
            "arguments to finish the run"
        )
    if fmt == "zarr":
        store = out / STORE
        try:
            return xr.open_zarr(store, chunks={}, consolidated=True, zarr_format=ZARR_FORMAT)
        except (OSError, ValueError, KeyError) as exc:
            raise ScenarioError(f"{store}: not a readable Zarr store ({exc})") from None
    return _open_netcdf([out / _block_name(b, fmt) for b in range(blocks)], draws)


def _open_netcdf(files: list[Path], draws: int) -> xr.Dataset:
    """Open a netCDF stream from its first file, each block's values read when computed.

    The files of a stream hold the same variables, coordinates and dtypes (one run, its
    manifest); only their draws differ, and those follow from the block size. So the
    first file gives the variables and each variable's chunk ``b`` reads the variable
    from file ``b`` (h5py) when computed: no file but the first is opened here, where
    ``xarray.open_mfdataset`` opened every file to read its coordinates (40 s for 977
    files). Values stored with a transformation other than NaN for missing (scale,
    offset, another fill value: not written by :func:`stream`) fall back to
    ``open_mfdataset``.
    """
    import dask.array as da
    import xarray as xr

    with xr.open_dataset(files[0], engine="h5netcdf") as first:
        raw = all(_stored_as_is(var) for var in first.data_vars.values())
        rows = first.sizes["draw"]
        coords = {k: c.variable.load() for k, c in first.coords.items() if k != "draw"}
        attrs = dict(first.attrs)
        found = {
            k: (var.dims, var.sizes, var.dtype, var.attrs) for k, var in first.data_vars.items()
        }
    if not raw:
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
    blocks = tuple(min(rows, draws - start) for start in range(0, draws, rows))
    names = [str(f) for f in files]
    variables = {}
    for key, (dims, sizes, dtype, var_attrs) in found.items():
        data = da.map_blocks(
            _read_block,
            chunks=tuple(blocks if d == "draw" else (sizes[d],) for d in dims),
            dtype=dtype,
            meta=np.empty((0,) * len(dims), dtype),
            files=names,
            variable=str(key),
            axis=dims.index("draw"),
        )
        variables[key] = (dims, data, var_attrs)
    ds = xr.Dataset(variables, coords=coords, attrs=attrs)
    return ds.assign_coords(draw=np.arange(draws, dtype=np.int64))


def _stored_as_is(var: xr.Variable | xr.DataArray) -> bool:
    """Whether a variable's stored values are its values (NaN, if any, as missing)."""
    encoding = var.encoding
    fill = encoding.get("_FillValue")
    return (
        "draw" in var.dims
        and not {"scale_factor", "add_offset", "missing_value"} & encoding.keys()
        and (fill is None or (isinstance(fill, float | np.floating) and np.isnan(fill)))
        and encoding.get("dtype", var.dtype) == var.dtype
    )


def _read_block(
    files: list[str], variable: str, axis: int, block_info: dict[Any, Any] | None = None
) -> np.ndarray:
    """Read one block's values of a variable from its file (a dask chunk).

    Raises
    ------
    ScenarioError
        If the file cannot be read or lacks the variable (damaged, or not this run's).
    """
    import h5py

    assert block_info is not None  # dask passes it
    path = files[block_info[None]["chunk-location"][axis]]
    try:
        with h5py.File(path, "r") as f:
            return np.asarray(f[variable][...])
    except (OSError, KeyError) as exc:
        raise ScenarioError(
            f"{path}: not a readable block of this stream ({exc}); delete it and run "
            "simlab.stream again with the same arguments to write it again"
        ) from None
