"""The hindcast figure: the model's bands over time against the observed points.

matplotlib is imported here only, when a figure is drawn.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from simlab.calibration.observations import OBSERVABLES, Observation, Observations, observe
from simlab.calibration.scoring import weighted_quantile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simlab.results import Results

__all__ = ["hindcast"]

#: How each metric's monthly series reads on the axis (divisor, label).
_SCALE = {
    "revenue": (1e9, "USD bn a year (annualised)"),
    "paid_tokens": (1e12, "T tokens a month"),
    "served_tokens": (1e12, "T tokens a month"),
    "seats": (1e6, "M paying seats"),
    "price": (1.0, "USD per M tokens"),
    "quality": (1.0, "index points"),
    "paid_share": (1.0, "share of paid API tokens"),
    "revenue_share": (1.0, "share of revenue"),
}


def _months(results: Results) -> list[str]:
    times = results.paths["time"].to_numpy().astype("datetime64[M]")  # type: ignore[index]
    return [str(t) for t in times]


def _as_rate(obs: Observation) -> tuple[float, float, float]:
    """Return an observation over a period as its mean monthly rate (value, low, high)."""
    if obs.at_month or OBSERVABLES[obs.metric].how != "flow":
        return obs.value, obs.low, obs.high
    y0, m0 = (int(x) for x in obs.start.split("-"))
    y1, m1 = (int(x) for x in obs.end.split("-"))
    months = (y1 - y0) * 12 + (m1 - m0) + 1
    per = 12.0 / months if obs.metric == "revenue" else 1.0 / months
    return obs.value * per, obs.low * per, obs.high * per


def _x(obs: Observation) -> tuple[np.datetime64, float]:
    """Return the date on the axis (the period's middle) and the half-width in days."""
    start = np.datetime64(f"{obs.start}-01", "D")
    end = np.datetime64(f"{obs.end}-01", "D") + np.timedelta64(30, "D")
    half = (end - start) / 2
    return start + half, float(half / np.timedelta64(1, "D")) if not obs.at_month else 0.0


def hindcast(
    results: Results,
    observations: Observations,
    weights: np.ndarray | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the model's median and 90 % band over time against the observed points.

    One panel per metric and provider (or group) observed: the model's monthly series
    (revenue annualised, tokens per month, shares and levels at the month) as a median
    line and a 90 % band over the draws, and each observation as a point with its
    tolerance interval (a figure over a period is drawn as its mean monthly rate, across
    the period). The price decline at constant capability, which has no monthly series,
    gets a panel of its own.

    Parameters
    ----------
    results : Results
        A run with paths of the observations' scenario.
    observations : Observations
    weights : numpy.ndarray, optional
        One weight per draw (e.g. a calibration's resampled draws need none).
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    series: dict[tuple[str, str], list[Observation]] = {}
    declines: list[Observation] = []
    for o in observations.values():
        if OBSERVABLES[o.metric].how == "decline":
            declines.append(o)
        else:
            series.setdefault((o.metric, o.who), []).append(o)
    panels = len(series) + (1 if declines else 0)
    cols = min(3, panels)
    rows = math.ceil(panels / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.2 * rows), squeeze=False)
    months = _months(results)
    dates = np.array([np.datetime64(f"{m}-01", "D") for m in months])
    for ax, ((metric, who), items) in zip(axes.flat, series.items(), strict=False):
        template = items[0]
        monthly = Observations(
            [
                dataclasses.replace(
                    template, id=m, start=m, end=m, at_month=True, value=1.0, low=0.5, high=2.0
                )
                for m in months
            ]
        )
        values = observe(results, monthly)
        scale, unit = _SCALE[metric]
        q = np.array(
            [
                weighted_quantile(values[:, t], [0.05, 0.5, 0.95], weights)
                for t in range(len(months))
            ]
        )
        ax.fill_between(
            dates, q[:, 0] / scale, q[:, 2] / scale, alpha=0.25, color="C0", label="model, 90 %"
        )
        ax.plot(dates, q[:, 1] / scale, color="C0", lw=1.5, label="model, median")
        for o in items:
            value, low, high = _as_rate(o)
            x, half = _x(o)
            style = {"color": "C3" if o.primary else "C1", "capsize": 3, "ms": 5, "fmt": "o"}
            ax.errorbar(
                [x],
                [value / scale],
                yerr=[[(value - low) / scale], [(high - value) / scale]],
                xerr=[[np.timedelta64(int(half), "D")]] if half else None,
                **style,
            )
        if OBSERVABLES[metric].how == "flow":
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.set_title(f"{results.scenario.label(who)}: {metric.replace('_', ' ')}", fontsize=9)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
    if declines:
        ax = axes.flat[len(series)]
        values = observe(results, Observations(declines))
        for i, o in enumerate(declines):
            lo_, mid, hi_ = weighted_quantile(values[:, i], [0.05, 0.5, 0.95], weights)
            ax.plot([i - 0.1, i - 0.1], [lo_, hi_], color="C0", lw=6, alpha=0.3)
            ax.plot([i - 0.1], [mid], "s", color="C0")
            ax.errorbar(
                [i + 0.1],
                [o.value],
                yerr=[[o.value - o.low], [o.high - o.value]],
                fmt="o",
                color="C3" if o.primary else "C1",
                capsize=3,
            )
        ax.set_xticks(
            range(len(declines)),
            [f"{o.start}..{o.end}\nq >= {o.threshold:g}" for o in declines],
            fontsize=7,
        )
        ax.set_xlim(-0.6, len(declines) - 0.4)
        ax.set_yscale("log")
        ax.set_title("price at constant capability: falls x a year", fontsize=9)
        ax.set_ylabel("factor a year", fontsize=8)
    for ax in list(axes.flat)[panels:]:
        ax.set_visible(False)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color="C0", alpha=0.25),
        plt.Line2D([], [], color="C0"),
        plt.Line2D([], [], color="C3", marker="o", ls=""),
        plt.Line2D([], [], color="C1", marker="o", ls=""),
    ]
    labels = ["model, 90 % of draws", "model, median", "observed (primary)", "observed (secondary)"]
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title or f"{results.scenario.name}: model vs observations", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    return fig
