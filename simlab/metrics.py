"""The one table of metrics: name, unit, dimensions, aggregation, description, format.

Claims, :class:`~simlab.results.Results`, the figures, the command line and the docs read
this table instead of keeping lists of their own; a new metric is one row here (and its
computation in :mod:`simlab.engine.metrics`).

Examples
--------
>>> from simlab.metrics import METRICS, format_value
>>> METRICS["npv"].unit
'USD'
>>> format_value("npv", -1.556e12)
'USD -1.56 T'
>>> format_value("share_final", 0.4213)
'42.1 %'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CLAIM_METRICS",
    "DRAW_METRICS",
    "HEADLINE",
    "METRICS",
    "PATHS",
    "SEGMENT_PATHS",
    "YEARLY_METRICS",
    "Metric",
    "format_value",
    "human_scale",
    "metric_names",
    "suggest_metric",
]

#: How a metric's values read to people: money, a share or rate (in %), years, a ratio, a
#: price (USD per million tokens), or a plain number.
Format = Literal["usd", "percent", "years", "ratio", "price", "number"]


@dataclass(frozen=True)
class Metric:
    """One row of the metrics table.

    Attributes
    ----------
    name : str
        The metric's name, as claims, :meth:`~simlab.results.Results.metric` and
        ``simlab run --metrics`` spell it.
    unit : str
        Its unit (the ``units`` attribute of its variable in ``Results.metrics``).
    dims : tuple of str
        Its dimensions in ``Results.metrics``: ``("draw", "provider")`` (with a twin
        ``NAME_by_group`` over ``group``), ``("draw", "year", "provider")`` for yearly
        metrics, or ``("draw",)`` for whole-market metrics.
    group : str
        How a group's value (``all``, ``open``, ``closed``, ``region=XX``) is made from its
        members'.
    time : str
        How it aggregates over the steps of the horizon (or of a year).
    description : str
        One line: what it measures.
    format : str
        How it reads to people (see :func:`format_value`).
    headline : bool
        Whether it is one of the headline metrics of summaries, the CLI and the report.
    """

    name: str
    unit: str
    dims: tuple[str, ...]
    group: str
    time: str
    description: str
    format: Format
    headline: bool = False

    @property
    def yearly(self) -> bool:
        """Whether the metric has a value per calendar year."""
        return "year" in self.dims

    @property
    def by_provider(self) -> bool:
        """Whether the metric has a value per provider (and per group)."""
        return "provider" in self.dims


_PG = ("draw", "provider")
_YPG = ("draw", "year", "provider")
_SUMMED = "recomputed from the members' summed flows"

_ROWS = (
    Metric("revenue", "USD", _PG, "sum", "sum over the horizon",
           "revenue: tokens served times the list price", "usd", headline=True),
    Metric("capex", "USD", _PG, "sum", "sum over the horizon",
           "capital expenditure on serving capacity", "usd"),
    Metric("training", "USD", _PG, "sum", "sum over the horizon",
           "training cost of the model served at the start plus training within the horizon",
           "usd"),
    Metric("fcf", "USD", _PG, "sum", "sum over the horizon",
           "free cash flow: gross profit minus opex, training and capex", "usd"),
    Metric("operating_profit", "USD", _PG, "sum", "sum over the horizon",
           "gross profit minus opex, training and depreciation", "usd"),
    Metric("npv", "USD", _PG, "sum", "discounted sum, plus the terminal value if used",
           "net present value of free cash flow at the discount rate", "usd", headline=True),
    Metric("irr", "1/year", _PG, _SUMMED, "rate that zeroes the NPV of the flows",
           "internal rate of return; NaN where none exists (see finance.irr_reason)",
           "percent", headline=True),
    Metric("payback_years", "years", _PG, _SUMMED, "time until cumulative fcf stays >= 0",
           "years until cumulative free cash flow stays non-negative; NaN if never",
           "years"),
    Metric("roi", "1", _PG, _SUMMED, "ratio of sums over the horizon",
           "cumulative fcf per dollar of cumulative capex; NaN without capex", "ratio"),
    Metric("capex_coverage", "1", _PG, _SUMMED, "ratio of sums over the horizon",
           "revenue per dollar of capex", "ratio"),
    Metric("model_roi", "1", _PG, _SUMMED, "ratio of sums over the horizon",
           "revenue per dollar of training", "ratio"),
    Metric("compute_roi", "1", _PG, _SUMMED, "ratio of sums over the horizon",
           "revenue per dollar spent on compute: serving (energy and rent), capex and the "
           "releases' training paid in cash", "ratio"),
    Metric("utilisation", "1", _PG, _SUMMED, "ratio of sums over the horizon",
           "tokens served on owned capacity over owned capacity in service; NaN without "
           "owned capacity", "percent"),
    Metric("rented_share", "1", _PG, _SUMMED, "ratio of sums over the horizon",
           "share of the tokens served that ran on rented capacity", "percent"),
    Metric("compute_cost", "USD per million tokens", _PG, _SUMMED,
           "ratio of sums over the horizon",
           "compute cost per token served: energy and operations on owned capacity, rent, "
           "and the depreciation of inference capex (idle capacity included)", "price"),
    Metric("npv_explicit", "USD", _PG, "sum", "discounted sum over the horizon",
           "net present value of the horizon's free cash flow alone (no terminal value)",
           "usd"),
    Metric("terminal_pv", "USD", _PG, "sum", "discounted from the horizon",
           "present value of the normalised terminal value (0 when the scenario uses none)",
           "usd"),
    Metric("valuation", "USD", _PG, "sum", "discounted sum plus the terminal value, always",
           "PV of fcf plus PV of the terminal value (an enterprise value); NaN where the "
           "discount rate <= terminal growth (allowed only with the terminal value off)",
           "usd"),
    Metric("share_final", "share", _PG, "sum", "value at the last step",
           "share of all tokens at the last step", "percent", headline=True),
    Metric("price_final", "USD per million tokens", _PG, "share-weighted mean",
           "value at the last step", "blended list price at the last step", "price",
           headline=True),
    Metric("quality_final", "index points", _PG, "best member", "value at the last step",
           "quality index at the last step", "number"),
    Metric("price_index", "1", _PG, "share-weighted mean prices, then the ratio",
           "last step over first step", "price at the last step over the price at the first",
           "ratio"),
    Metric("fisher_index", "1", _PG, "chained over the members' prices and paid tokens",
           "chained step to step, last step over first",
           "chained Fisher price index of list prices weighted by paid tokens (a mix shift "
           "alone leaves it at 1)", "ratio"),
    Metric("share", "share", _YPG, "sum", "mean over the calendar year",
           "share of all tokens (self-hosted and free use of its models included), by "
           "calendar year", "percent"),
    Metric("revenue_share", "share", _YPG, "sum", "ratio of sums over the calendar year",
           "share of all providers' revenue, by calendar year (0 where there is none)",
           "percent"),
    Metric("paid_share", "share", _YPG, "sum", "ratio of sums over the calendar year",
           "share of paid API tokens (billed per token), by calendar year (0 where there "
           "are none)", "percent"),
    Metric("served_share", "share", _YPG, "sum", "ratio of sums over the calendar year",
           "share of the tokens providers serve themselves (API and seat users, free "
           "users included), by calendar year", "percent"),
    Metric("paid_tokens", "tokens per year", _YPG, "sum", "sum over the calendar year",
           "paid API tokens (billed per token), by calendar year", "number"),
    Metric("served_tokens", "tokens per year", _YPG, "sum", "sum over the calendar year",
           "tokens the provider serves itself, by calendar year", "number"),
    Metric("seats", "seats", _YPG, "sum", "mean over the calendar year",
           "paying seats (subscriptions), by calendar year", "number"),
    Metric("price", "USD per million tokens", _YPG, "share-weighted mean",
           "share-weighted mean over the calendar year", "blended list price, by calendar year",
           "price"),
    Metric("quality", "index points", _YPG, "best member", "mean over the calendar year",
           "quality index, by calendar year", "number"),
    Metric("revenue_year", "USD per year", _YPG, "sum", "sum over the calendar year",
           "revenue, by calendar year", "usd"),
    Metric("unmet_share", "share", ("draw",), "whole market", "ratio of sums over the horizon",
           "demand no provider could serve, over paid demand", "percent"),
    Metric("outside_share", "share", ("draw",), "whole market", "value at the last step",
           "buyers' share of the outside option (no modelled provider), token-weighted over "
           "segments, at the last step", "percent"),
)  # fmt: skip

#: Every metric by name, in the order of ``Results.metrics``.
METRICS: dict[str, Metric] = {m.name: m for m in _ROWS}

#: Per-draw metrics by provider and group, not yearly (``metric[who]`` in a claim).
CLAIM_METRICS: tuple[str, ...] = tuple(m.name for m in _ROWS if m.by_provider and not m.yearly)
#: Per-draw metrics by calendar year (``metric[who, YEAR]`` in a claim).
YEARLY_METRICS: tuple[str, ...] = tuple(m.name for m in _ROWS if m.yearly)
#: The headline metrics of summaries, ``simlab run`` and the report, in table order.
HEADLINE: tuple[str, ...] = tuple(m.name for m in _ROWS if m.headline)

#: Units of the per-step paths (``simulate(..., paths=True)``), by name.
PATHS: dict[str, str] = {
    "share": "share",
    "price": "USD per million tokens",
    "cost": "USD per million tokens",
    "quality": "index points",
    "gap": "index points",
    "capacity": "tokens per month",
    "owned": "tokens per month",
    "served": "tokens per month",
    "unmet": "tokens per month",
    "revenue": "USD per step",
    "capex": "USD per step",
    "fcf": "USD per step",
    "cash": "USD",
    "adoption": "share",
    "volume": "tokens per month (seats for seat billing)",
    "paid": "tokens per month",
    "seats": "seats",
    "outside": "share",
}
#: Paths by segment rather than by provider.
SEGMENT_PATHS = ("adoption", "volume", "outside")
#: Per-draw metrics of the whole market (dims ``("draw",)``).
DRAW_METRICS: tuple[str, ...] = tuple(m.name for m in _ROWS if m.dims == ("draw",))


def metric_names() -> list[str]:
    """Return every metric a claim, a sensitivity analysis or ``res.metric`` may name."""
    return [*CLAIM_METRICS, *YEARLY_METRICS]


def suggest_metric(name: str, names: Iterable[str] | None = None) -> str:
    """Return ``"; did you mean 'x'?"`` for a misspelt metric name, or ``""``.

    Case is ignored, so ``"NPV"`` suggests ``'npv'``.

    Examples
    --------
    >>> suggest_metric("NPV")
    "; did you mean 'npv'?"
    """
    from simlab._hints import did_you_mean

    return did_you_mean(name, list(names) if names is not None else metric_names())


_USD_SCALES = ((1e12, "T"), (1e9, "bn"), (1e6, "M"), (1e3, "k"))


def human_scale(name: str, values: Sequence[float] | float) -> tuple[float, str]:
    """Return the divisor and the unit label that make a metric's values readable.

    Money is scaled to T, bn, M or k by the largest magnitude among ``values``; shares
    and rates read in %; other metrics keep their unit.

    Parameters
    ----------
    name : str
        A metric in :data:`METRICS`.
    values : float or sequence of float
        The values to be shown with one scale (e.g. a column of a table).

    Returns
    -------
    tuple of (float, str)
        Divide the values by the first; the second is the unit to put in a header.

    Examples
    --------
    >>> human_scale("npv", [-3.2e11, 1.5e12])
    (1000000000000.0, 'USD T')
    >>> human_scale("irr", [0.08])
    (0.01, '% per year')
    """
    metric = METRICS[name]
    if metric.format == "usd":
        finite = [abs(float(v)) for v in _iter(values) if math.isfinite(float(v))]
        biggest = max(finite, default=0.0)
        per_year = " per year" if metric.unit.endswith("per year") else ""
        for factor, label in _USD_SCALES:
            if biggest >= factor:
                return factor, f"USD {label}{per_year}"
        return 1.0, metric.unit
    if metric.format == "percent":
        return 0.01, "% per year" if metric.unit == "1/year" else "%"
    if metric.format == "price":
        return 1.0, "USD per M tokens"
    if metric.format == "ratio":
        return 1.0, "x"
    return 1.0, metric.unit


def _iter(values: Sequence[float] | float) -> list[float]:
    if isinstance(values, int | float):
        return [float(values)]
    return [float(v) for v in values]


def format_value(name: str, value: float, digits: int = 3) -> str:
    """Return one value of a metric as people read it, unit included.

    Parameters
    ----------
    name : str
        A metric in :data:`METRICS`.
    value : float
        The value, in the metric's unit.
    digits : int
        Significant digits.

    Examples
    --------
    >>> format_value("revenue", 2.5e9)
    'USD 2.5 bn'
    >>> format_value("payback_years", 4.25)
    '4.25 years'
    >>> format_value("irr", float("nan"))
    'none'
    """
    value = float(value)
    if math.isnan(value):
        return "none"
    if math.isinf(value):
        return "never" if name == "payback_years" else ("+inf" if value > 0 else "-inf")
    factor, unit = human_scale(name, value)
    number = f"{value / factor:.{digits}g}"
    if unit.startswith("USD"):
        scale = unit.removeprefix("USD").strip()
        return f"USD {number} {scale}".rstrip()
    if unit in ("%", "% per year"):
        return f"{number} {unit}"
    if unit == "x":
        return f"{number}x"
    return f"{number} {unit}"
