"""Sums over members in a fixed order, so that the number of draws never changes a bit."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["member_sums"]

Array = NDArray[np.float64]


@lru_cache(maxsize=256)
def _members(shape: tuple[int, ...], mask: bytes) -> tuple[tuple[int, ...], ...]:
    """Return each group's items, in order, from a membership matrix's bytes."""
    m = np.frombuffer(mask, dtype=bool).reshape(shape)
    return tuple(tuple(int(i) for i in np.flatnonzero(row)) for row in m)


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
    v = np.asarray(values, dtype=np.float64)
    ax = axis % v.ndim
    lead = (slice(None),) * ax
    out = np.zeros((*v.shape[:ax], m.shape[0], *v.shape[ax + 1 :]))
    for g, items in enumerate(_members(m.shape, m.tobytes())):
        dst = out[(*lead, slice(g, g + 1))]  # a view, also when ``values`` is 1-D
        for item in items:
            dst += v[(*lead, slice(item, item + 1))]
    return out
