"""Checkpoints of a run: one small ``.npz`` file per finished block and a manifest.

A checkpoint folder lets an interrupted :func:`simlab.run` resume where it stopped:

- ``manifest.json`` names the run (scenario hash, seed, sampler, draws, block size, paths
  flag, simlab version). A rerun with other arguments is refused, never mixed in.
- ``block-NNNNNN.npz`` holds one block's :class:`~simlab.engine.metrics.BlockMetrics`
  arrays, written atomically (a temporary file in the same folder, then ``os.replace``),
  so a file either is complete or does not exist under its final name. It also holds a
  SHA-256 digest of every array (name, dtype, shape and bytes) and of the run's identity,
  checked on load: a block rewritten with other values, even as a valid zip file, is
  refused.

The files hold plain numeric arrays only: they are written with :func:`numpy.savez` and
read with ``allow_pickle=False``, so loading a checkpoint never runs code.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from simlab.engine.metrics import BlockMetrics
from simlab.errors import ScenarioError

__all__ = ["Checkpoint", "digest"]

MANIFEST = "manifest.json"
FORMAT = 2  # 2: blocks carry a SHA-256 digest
_TMP_PREFIX = ".block-"  # temporary files, renamed to block-NNNNNN.npz when complete
_SEP = "."  # npz member names are "<field>.<name>", e.g. "provider.npv"
_META = "meta"


def _block_name(block: int) -> str:
    return f"block-{block:06d}.npz"


def digest(arrays: Mapping[str, np.ndarray], salt: str = "") -> str:
    """Return a SHA-256 over named arrays: each name, dtype, shape and bytes, names sorted.

    Parameters
    ----------
    arrays : mapping of str to numpy.ndarray
        The arrays.
    salt : str
        Text hashed first (e.g. a run's identity), so equal arrays of another run differ.

    Returns
    -------
    str
        The hex digest.
    """
    h = hashlib.sha256(salt.encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        h.update(f"\x00{name}\x00{array.dtype.str}\x00{array.shape}\x00".encode())
        h.update(array.tobytes())
    return h.hexdigest()


class Checkpoint:
    """A checkpoint folder for one run.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder; created if missing. One run at a time may use it.
    manifest : mapping
        What identifies the run (JSON-serialisable). An existing folder must hold the same
        manifest.

    Raises
    ------
    ScenarioError
        If the folder holds a manifest of another run (the message names the fields that
        differ), an unreadable manifest, or block files without a manifest.
    """

    def __init__(self, folder: str | os.PathLike[str], manifest: Mapping[str, Any]) -> None:
        self.folder = Path(folder)
        self.manifest = {"format": FORMAT, **manifest}
        text = json.dumps(self.manifest, sort_keys=True)
        self.run_id = hashlib.sha256(text.encode()).hexdigest()
        self._open()

    # ---------------------------------------------------------------- manifest
    def _open(self) -> None:
        if self.folder.exists() and not self.folder.is_dir():
            raise ScenarioError(f"checkpoint {self.folder}: exists and is not a folder")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = tempfile.TemporaryFile(prefix=_TMP_PREFIX, dir=self.folder)
            probe.close()
        except OSError as exc:
            raise ScenarioError(
                f"checkpoint {self.folder}: cannot write there: {exc.strerror or exc}"
            ) from None
        path = self.folder / MANIFEST
        if not path.exists():
            if any(self.folder.glob("block-*.npz")):
                raise ScenarioError(
                    f"checkpoint {self.folder}: holds block files but no {MANIFEST}; "
                    "use an empty folder (or the one the run was started with)"
                )
            self._write_atomic(path, (json.dumps(self.manifest, indent=2) + "\n").encode())
            return
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"checkpoint {path}: cannot read the manifest: {exc}") from None
        if not isinstance(found, dict):
            raise ScenarioError(f"checkpoint {path}: the manifest is not a JSON object")
        differ = [
            f"{key} is {found.get(key)!r} there, {self.manifest.get(key)!r} here"
            for key in sorted(set(found) | set(self.manifest))
            if found.get(key) != self.manifest.get(key)
        ]
        if differ:
            raise ScenarioError(
                f"checkpoint {path} belongs to another run: {'; '.join(differ)}. "
                "Rerun with the same arguments to resume, or use another checkpoint folder"
            )
        # Left by a run killed while writing; the final names never point at them.
        for stale in self.folder.glob(f"{_TMP_PREFIX}*"):
            stale.unlink(missing_ok=True)

    def _write_atomic(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------ blocks
    def path(self, block: int) -> Path:
        """Return the file of block ``block``."""
        return self.folder / _block_name(block)

    def done(self, block: int) -> bool:
        """Return whether block ``block`` has a file (its content is checked on load).

        Raises
        ------
        ScenarioError
            If something other than a file stands at the block file's path.
        """
        path = self.path(block)
        if path.exists() and not path.is_file():
            raise ScenarioError(
                f"checkpoint {path}: is not a file (a folder?); remove it and rerun"
            )
        return path.is_file()

    def save(self, block: int, start: int, stop: int, metrics: BlockMetrics) -> None:
        """Write one finished block atomically.

        Parameters
        ----------
        block : int
            The block's index in the run.
        start, stop : int
            Its draws, ``start:stop``.
        metrics : BlockMetrics
            What :func:`~simlab.experiment.simulate_block` returned for it.
        """
        arrays: dict[str, np.ndarray] = {
            f"{_META}{_SEP}block": np.array(block),
            f"{_META}{_SEP}start": np.array(start),
            f"{_META}{_SEP}stop": np.array(stop),
            f"{_META}{_SEP}run": np.array(self.run_id),
        }
        for f in fields(BlockMetrics):
            for name, array in getattr(metrics, f.name).items():
                arrays[f"{f.name}{_SEP}{name}"] = np.asarray(array)
        arrays[f"{_META}{_SEP}sha256"] = np.array(digest(arrays, self.run_id))
        try:
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".tmp", dir=self.folder)
        except OSError as exc:
            raise ScenarioError(
                f"checkpoint {self.folder}: cannot write a block file: {exc.strerror or exc}"
            ) from None
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path(block))
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ScenarioError(
                f"checkpoint {self.path(block)}: cannot write the block file: {exc.strerror or exc}"
            ) from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, block: int, start: int, stop: int) -> BlockMetrics:
        """Read one block back, checking that it is whole and belongs to this run.

        Raises
        ------
        ScenarioError
            If the file is damaged or truncated, belongs to another run or block, or
            holds arrays of the wrong length; the message names the file.
        """
        path = self.path(block)
        parts: dict[str, dict[str, np.ndarray]] = {f.name: {} for f in fields(BlockMetrics)}
        meta: dict[str, np.ndarray] = {}
        try:
            with np.load(path, allow_pickle=False) as data:
                for key in data.files:
                    group, _, name = key.partition(_SEP)
                    target = meta if group == _META else parts.get(group)
                    if target is None or not name:
                        raise ValueError(f"unexpected array {key!r}")
                    target[name] = data[key]
        except (
            OSError,
            ValueError,
            EOFError,
            KeyError,
            RuntimeError,
            zipfile.BadZipFile,
            zlib.error,
        ) as exc:
            raise ScenarioError(
                f"checkpoint {path}: damaged or truncated block file ({exc}); "
                "delete it and rerun to compute the block again"
            ) from None
        expected = {"block": block, "start": start, "stop": stop, "run": self.run_id}
        for key, want in expected.items():
            got = meta.get(key)
            if got is None or got.shape != () or got.item() != want:
                shown = got.item() if got is not None and got.shape == () else got
                raise ScenarioError(
                    f"checkpoint {path}: {key} is {shown!r}, expected {want!r}; the file "
                    "does not belong to this block of this run (delete it and rerun)"
                )
        stored = meta.pop("sha256", None)
        found = {f"{_META}{_SEP}{k}": v for k, v in meta.items()}
        for group, arrays in parts.items():
            found.update({f"{group}{_SEP}{name}": a for name, a in arrays.items()})
        if stored is None or stored.shape != () or str(stored.item()) != digest(found, self.run_id):
            raise ScenarioError(
                f"checkpoint {path}: its arrays do not match their SHA-256 digest (the file "
                "was altered or damaged, or comes from another run); delete it and rerun"
            )
        n = stop - start
        for group, arrays in parts.items():
            for name, array in arrays.items():
                if array.ndim == 0 or array.shape[0] != n:
                    raise ScenarioError(
                        f"checkpoint {path}: {group}.{name} has shape {array.shape}, "
                        f"expected {n} draws first (delete the file and rerun)"
                    )
        if not parts["draw"]:
            raise ScenarioError(f"checkpoint {path}: holds no metrics (delete it and rerun)")
        return BlockMetrics(**parts)
