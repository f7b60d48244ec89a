"""Integrity of results files: a SHA-256 digest of every stored array, checked on load.

:meth:`Results.to_netcdf <simlab.results.Results.to_netcdf>` records, in the file's root
attributes, one digest per variable and coordinate of each group (``metrics/npv``,
``inputs/inputs``, ...); :func:`~simlab.results.load_results` recomputes them from what it
read and refuses a file whose arrays differ (a flipped bit, values rewritten in place, a
relabelled or resized array), naming the first variable that does not match.

A digest covers the array's shape, a canonical dtype and its bytes; text arrays are
hashed as their JSON text, so the digest does not depend on how a reader represents them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import numpy as np
import xarray as xr

from simlab.errors import ScenarioError

__all__ = ["attrs_digest", "dataset_digests", "verify_digests"]


def _array_digest(values: np.ndarray) -> str:
    array = np.asarray(values)
    h = hashlib.sha256(f"{array.shape}".encode())
    if array.dtype.kind in "USO":
        h.update(b"text")
        h.update(json.dumps([str(x) for x in array.ravel().tolist()]).encode())
    elif array.dtype.kind == "M":
        h.update(b"datetime64[ns]")
        h.update(np.ascontiguousarray(array.astype("datetime64[ns]").view(np.int64)).tobytes())
    elif array.dtype.kind == "b":
        h.update(b"bool")
        h.update(np.ascontiguousarray(array.astype(np.uint8)).tobytes())
    else:
        h.update(array.dtype.str.encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def attrs_digest(attrs: Mapping[str, object]) -> str:
    """Return a SHA-256 of attributes (as text; the digest record itself left out)."""
    shown = {str(k): str(v) for k, v in attrs.items() if k != "simlab_sha256"}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def dataset_digests(groups: Mapping[str, xr.Dataset]) -> dict[str, str]:
    """Return ``{"group/variable": sha256}`` for every variable and coordinate.

    Each group's attributes count too, as ``group/.attrs``.

    Parameters
    ----------
    groups : mapping of str to xarray.Dataset
        The datasets by the group name they are stored under.

    Returns
    -------
    dict of str to str
        Hex digests, keys sorted.
    """
    out: dict[str, str] = {}
    for group, ds in groups.items():
        out[f"{group}/.attrs"] = attrs_digest(ds.attrs)
        for name in ds.variables:
            out[f"{group}/{name}"] = _array_digest(ds.variables[name].values)
    return dict(sorted(out.items()))


def verify_digests(
    groups: Mapping[str, xr.Dataset],
    stored: object,
    file: str,
    root: Mapping[str, object] | None = None,
) -> None:
    """Check datasets read from ``file`` against the digests recorded when it was written.

    Parameters
    ----------
    groups : mapping of str to xarray.Dataset
        What was read, by group.
    stored : object
        The recorded digests (a JSON object as text).
    file : str
        The file, for messages.
    root : mapping, optional
        The file's root attributes, checked as ``/.attrs``.

    Raises
    ------
    ScenarioError
        If the record is missing or unreadable, or any array differs from it.
    """
    try:
        recorded = json.loads(str(stored))
    except ValueError:
        recorded = None
    if not isinstance(recorded, dict):
        raise ScenarioError(f"{file}: its record of array digests is damaged")
    found = dataset_digests(groups)
    if root is not None:
        found["/.attrs"] = attrs_digest(root)
    for key in sorted(set(recorded) | set(found)):
        if key not in found:
            raise ScenarioError(f"{file}: array {key} is missing (the file was altered)")
        if key not in recorded:
            raise ScenarioError(f"{file}: array {key} was not written by simlab (altered file)")
        if recorded[key] != found[key]:
            raise ScenarioError(
                f"{file}: array {key} does not match its SHA-256 digest (the file was "
                "altered or damaged); rerun to write it again"
            )
