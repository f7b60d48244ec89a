"""Sums over members in a fixed order, so that the number of draws never changes a bit."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["member_sums"]

Array = NDArray[np.float64]


def member_sums(members: ArrayLike, values: ArrayLike, axis: int = 0) -> Array:
    """Return, for each row of a 0/1 membership matrix, the sum of its members' values.

    ``members`` is (groups, items); ``values`` has the items along ``axis``; the result
    has the groups there instead. Each group adds its members one after another in item
    order, element by element: unlike a matrix product (BLAS), whose summation order
    depends on the array widths, the result for a draw does not depend on how many draws
    are computed with it (a run's numbers are the same for any block size).

    Examples
    --------
    >>> member_sums([[1, 0, 1], [0, 1, 0]], np.array([1.0, 2.0, 3.0])).tolist()
    [4.0, 2.0]
    """
    m = np.asarray(members, dtype=bool)
    v = np.moveaxis(np.asarray(values, dtype=np.float64), axis, 0)
    out = np.zeros((m.shape[0], *v.shape[1:]))
    for g in range(m.shape[0]):
        for item in np.flatnonzero(m[g]):
            out[g] += v[item]
    return np.moveaxis(out, 0, axis)
