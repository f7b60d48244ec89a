"""CART as a second method of scenario discovery: a classification tree's leaves as boxes.

A classification tree (Breiman et al. 1984) splits the inputs until its leaves are nearly
pure; each leaf is a box of inputs, described by the same coverage, density and mass as a
PRIM box (Lempert et al. 2008 compare the two). The tree is scikit-learn's
:class:`~sklearn.tree.DecisionTreeClassifier`, an optional dependency
(``pip install "simlab[discover]"``). Categorical inputs enter as the integer codes of
their categories, so a split on one keeps codes below a cut; dates enter as nanoseconds
and leave as dates.

References
----------
Breiman, L., Friedman, J., Olshen, R. and Stone, C. (1984). Classification and
Regression Trees. Wadsworth.

Lempert, R. J., Bryant, B. P. and Bankes, S. C. (2008). Comparing algorithms for scenario
discovery. RAND Working Paper WR-557-NSF.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simlab.discover._data import CATEGORY, inputs_and_outcome
from simlab.errors import SimlabError

if TYPE_CHECKING:
    from simlab.results import Results

__all__ = ["Cart", "cart"]


def _tree_class() -> Any:
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        raise SimlabError(
            "simlab.cart needs scikit-learn: pip install 'simlab[discover]' "
            "(or pip install scikit-learn)"
        ) from None
    return DecisionTreeClassifier


@dataclasses.dataclass(frozen=True)
class Cart:
    """The result of :func:`cart`: the tree's leaves as boxes.

    Attributes
    ----------
    leaves : pandas.DataFrame
        One row per leaf, densest first: ``coverage``, ``density``, ``mass``, ``draws``
        and ``rule`` (the leaf's conditions, joined by ``and``).
    limits : dict of int to pandas.DataFrame
        Per leaf (the index of ``leaves``): ``low`` and ``high`` of each input the path
        to it splits (dates as dates; an open side is -inf or +inf).
    """

    leaves: pd.DataFrame
    limits: dict[int, pd.DataFrame]

    def rules(self, min_density: float = 0.5) -> list[str]:
        """Return the rules of the leaves where the outcome holds in ``min_density`` or more."""
        t = self.leaves
        return list(t.loc[t["density"] >= min_density, "rule"])


def cart(
    data: Results | pd.DataFrame,
    outcome: str | Sequence[Any] | np.ndarray,
    *,
    max_depth: int = 4,
    min_mass: float = 0.02,
    seed: int = 0,
) -> Cart:
    """Describe where an outcome holds by the leaves of a classification tree (CART).

    Parameters
    ----------
    data : Results or pandas.DataFrame
        A run or an inputs table, as for :func:`prim`.
    outcome : str or array-like
        A claim of the run's scenario, or one value per draw (booleans, 1/0, NaN).
    max_depth : int
        The tree's depth at most: a leaf's rule has at most this many conditions.
    min_mass : float
        A leaf holds at least this share of the draws.
    seed : int
        Seeds the tree's tie-breaking between equally good splits.

    Returns
    -------
    Cart

    Raises
    ------
    SimlabError
        If scikit-learn is not installed (the message says what to install).
    ScenarioError
        For bad arguments.

    Examples
    --------
    >>> tree = simlab.cart(res, "openai-npv-negative")  # doctest: +SKIP
    >>> tree.rules()  # doctest: +SKIP
    """
    from simlab.errors import ScenarioError

    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 1:
        raise ScenarioError(f"cart: max_depth must be an integer >= 1, got {max_depth!r}")
    if not isinstance(min_mass, int | float) or not 0.0 < min_mass < 0.5:
        raise ScenarioError(f"cart: min_mass must be in (0, 0.5), got {min_mass!r}")
    tree_class = _tree_class()
    inputs, y = inputs_and_outcome(data, outcome, "cart")
    x = inputs.x
    tree = tree_class(
        max_depth=max_depth,
        min_samples_leaf=max(1, int(np.ceil(min_mass * y.size))),
        random_state=seed,
    ).fit(x, y.astype(int))
    t = tree.tree_
    leaf_of = tree.apply(x)
    total = float(y.sum())
    rows = []
    limits: dict[int, pd.DataFrame] = {}

    def walk(node: int, bounds: dict[int, tuple[float, float]]) -> None:
        if t.children_left[node] == t.children_right[node]:  # a leaf
            inside = leaf_of == node
            n = int(inside.sum())
            hits = float(y[inside].sum())
            parts, table = [], []
            for j, (low, high) in sorted(bounds.items()):
                lo = inputs.value(j, low) if np.isfinite(low) else -np.inf
                hi = inputs.value(j, high) if np.isfinite(high) else np.inf
                table.append({"input": inputs.names[j], "low": lo, "high": hi})
                parts.append(_condition(inputs, j, low, high))
            rows.append(
                {
                    "leaf": node,
                    "coverage": hits / total if total else np.nan,
                    "density": hits / n if n else np.nan,
                    "mass": n / y.size,
                    "draws": n,
                    "rule": " and ".join(parts) or "(every draw)",
                }
            )
            limits[node] = pd.DataFrame(table, columns=["input", "low", "high"]).set_index("input")
            return
        j, cut = int(t.feature[node]), float(t.threshold[node])
        low, high = bounds.get(j, (-np.inf, np.inf))
        walk(int(t.children_left[node]), {**bounds, j: (low, min(high, cut))})
        walk(int(t.children_right[node]), {**bounds, j: (max(low, cut), high)})

    walk(0, {})
    leaves = pd.DataFrame(rows).set_index("leaf")
    leaves = leaves.sort_values(["density", "mass"], ascending=[False, False])
    return Cart(leaves=leaves, limits=limits)


def _condition(inputs: Any, j: int, low: float, high: float) -> str:
    """One input's condition on the path to a leaf: x <= high, x > low, or both."""
    name = inputs.names[j]
    if inputs.kinds[j] == CATEGORY:
        cats = inputs.categories[j]
        kept = [str(c) for k, c in enumerate(cats) if low < k <= high]
        return f"{name} in {{{', '.join(kept)}}}"
    parts = []
    if np.isfinite(low):
        parts.append(f"{name} > {_show(inputs.value(j, low))}")
    if np.isfinite(high):
        parts.append(f"{name} <= {_show(inputs.value(j, high))}")
    return " and ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return f"{value:.4g}"
