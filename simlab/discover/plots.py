"""Figures of scenario discovery: the peeling trajectory, a box, the drivers of a metric.

Each function draws on ``ax`` when one is given (a new figure otherwise) and returns the
Figure; matplotlib is imported inside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simlab.errors import ScenarioError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simlab.discover.prim import Box, Prim

__all__ = ["box_limits", "drivers_bars", "trajectory"]


def _axes(ax: Any, size: tuple[float, float]) -> tuple[Figure, Any]:
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        return fig, ax
    return ax.figure, ax


def trajectory(found: Prim, ax: Any = None, chosen: int | None = None) -> Figure:
    """Draw PRIM's peeling trajectory: density against coverage.

    Each point is a box, coloured by how many inputs it restricts and sized by its mass
    (the share of all draws it holds).

    Parameters
    ----------
    found : Prim
        A result of :func:`simlab.prim`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    chosen : int, optional
        A box to mark; :meth:`Prim.choose`'s by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax, (6.0, 4.5))
    t = found.trajectory
    points = ax.scatter(
        t["coverage"],
        t["density"],
        c=t["restricted"],
        cmap="viridis",
        s=8 + 60 * t["mass"],
        zorder=3,
    )
    ax.plot(t["coverage"], t["density"], color="0.7", lw=0.8, zorder=2)
    fig.colorbar(points, ax=ax, label="inputs restricted")
    i = found.choose() if chosen is None else chosen
    ax.scatter(
        [t.loc[i, "coverage"]],
        [t.loc[i, "density"]],
        s=120,
        facecolors="none",
        edgecolors="crimson",
        lw=1.5,
        zorder=4,
        label=f"box {i}",
    )
    ax.set_xlabel("coverage (share of the outcome's draws in the box)")
    ax.set_ylabel("density (share of the box's draws with the outcome)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    ax.set_title("PRIM peeling trajectory (point size: share of draws in the box)")
    return fig


def box_limits(box: Box, ax: Any = None) -> Figure:
    """Draw a box's restricted inputs as bars over their full ranges (scaled to 0-1).

    Categorical inputs show the share of their categories kept; each bar is labelled with
    its limits and the restriction's quasi-p-value.
    """
    fig, ax = _axes(ax, (7.0, 0.6 + 0.5 * max(1, len(box.limits))))
    names = list(box.limits.index)
    for i, (_, row) in enumerate(box.limits.iterrows()):
        if isinstance(row["categories"], tuple):
            low, high, text = 0.0, 1.0, "{" + ", ".join(map(str, row["categories"])) + "}"
        else:
            lo, hi = _num(row["low"]), _num(row["high"])
            flo, fhi = _num(row["full_low"]), _num(row["full_high"])
            span = (fhi - flo) or 1.0
            low, high = (lo - flo) / span, (hi - flo) / span
            text = f"{_show(row['low'])} to {_show(row['high'])}"
        ax.barh(i, high - low, left=low, color="tab:blue", alpha=0.7)
        ax.barh(i, 1.0, left=0.0, color="none", edgecolor="0.6")
        ax.text(1.02, i, f"{text} (qp {row['qp']:.2g})", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.set_xlabel("share of the input's range over all draws")
    ax.set_title(
        f"box {box.index}: coverage {box.coverage:.0%}, density {box.density:.0%}, "
        f"mass {box.mass:.0%}"
    )
    return fig


def _num(value: Any) -> float:
    if isinstance(value, pd.Timestamp):
        return float(value.value)
    return float(value)


def _show(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return f"{value:.3g}"


def drivers_bars(
    table: pd.DataFrame, column: str = "spearman", top: int = 10, ax: Any = None
) -> Figure:
    """Draw the top ``top`` inputs of a :func:`simlab.drivers` table by one measure.

    Parameters
    ----------
    table : pandas.DataFrame
        A result of :func:`simlab.drivers` (for one year).
    column : str
        The measure shown (a column of ``table``).
    top : int
        How many inputs, by the measure's absolute value.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if column not in table.columns:
        raise ScenarioError(
            f"drivers_bars: no column {column!r} (columns: {', '.join(table.columns)})"
        )
    if isinstance(table.index, pd.MultiIndex):
        raise ScenarioError("drivers_bars: pick one year first, e.g. table.loc[2030]")
    values = table[column].astype(float)
    shown = values.reindex(values.abs().sort_values(ascending=False).index[:top])
    fig, ax = _axes(ax, (7.0, 0.6 + 0.35 * len(shown)))
    colors = np.where(shown.to_numpy() >= 0, "tab:blue", "tab:orange")
    ax.barh(range(len(shown)), shown.to_numpy(), color=colors)
    ax.set_yticks(range(len(shown)), list(shown.index), fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel(column)
    ax.grid(axis="x", alpha=0.3)
    return fig
