"""Results: per-draw metrics, optional paths and the inputs table, as labelled arrays."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from simlab.claims import METRICS, YEARLY_METRICS, Term, group_labels, parse_claim
from simlab.engine.metrics import BlockMetrics, year_matrix
from simlab.errors import ScenarioError, SimlabWarning
from simlab.scenario.load import Scenario

__all__ = ["Results", "assemble"]

_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def assemble(
    scenario: Scenario,
    blocks: Sequence[BlockMetrics],
    inputs: pd.DataFrame,
    attrs: dict[str, Any] | None = None,
) -> Results:
    """Concatenate block metrics (in draw order) into a :class:`Results`."""
    providers = scenario.providers
    groups = group_labels(scenario)
    spec = scenario.spec
    years, _ = year_matrix(scenario)
    n = sum(b.draw["unmet_share"].shape[0] for b in blocks)
    coords = {
        "draw": np.arange(n),
        "provider": providers,
        "group": groups,
        "year": years,
        "kind": ("provider", [spec.providers[p].kind for p in providers]),
        "region": ("provider", [spec.providers[p].region for p in providers]),
    }

    def cat(get: Any) -> np.ndarray:
        return np.concatenate([get(b) for b in blocks], axis=0)

    data: dict[str, Any] = {}
    for name in METRICS:
        if name == "unmet":
            continue
        data[name] = (("draw", "provider"), cat(lambda b, k=name: b.provider[k]))
        data[f"{name}_by_group"] = (("draw", "group"), cat(lambda b, k=name: b.group[k]))
    for name in YEARLY_METRICS:
        data[name] = (("draw", "year", "provider"), cat(lambda b, k=name: b.yearly_provider[k]))
        data[f"{name}_by_group"] = (
            ("draw", "year", "group"),
            cat(lambda b, k=name: b.yearly_group[k]),
        )
    data["unmet_share"] = (("draw",), cat(lambda b: b.draw["unmet_share"]))
    metrics = xr.Dataset(data, coords=coords, attrs=dict(attrs or {}))
    _annotate(metrics)

    paths = None
    if blocks and blocks[0].paths:
        times = scenario.times.astype("datetime64[ns]")
        pdata: dict[str, Any] = {}
        for name in blocks[0].paths:
            array = cat(lambda b, k=name: b.paths[k])
            if array.ndim == 2:
                pdata[name] = (("draw", "time"), array)
            elif name in ("adoption", "volume"):
                pdata[name] = (("draw", "time", "segment"), array)
            else:
                pdata[name] = (("draw", "time", "provider"), array)
        paths = xr.Dataset(
            pdata,
            coords={
                "draw": np.arange(n),
                "time": times,
                "provider": providers,
                "segment": scenario.segments,
                "kind": ("provider", coords["kind"][1]),
                "region": ("provider", coords["region"][1]),
            },
        )
        _annotate(paths)
    return Results(scenario=scenario, metrics=metrics, paths=paths, inputs=inputs)


_UNITS = {
    "revenue": "USD",
    "capex": "USD",
    "training": "USD",
    "fcf": "USD",
    "npv": "USD",
    "valuation": "USD",
    "irr": "1/year",
    "payback_years": "years",
    "roi": "1",
    "capex_coverage": "1",
    "model_roi": "1",
    "share_final": "1",
    "price_final": "USD per million tokens",
    "quality_final": "index points",
    "price_index": "1",
    "share": "1",
    "price": "USD per million tokens",
    "quality": "index points",
    "revenue_year": "USD per year",
    "unmet_share": "1",
    "cost": "USD per million tokens",
    "capacity": "tokens per month",
    "served": "tokens per month",
    "unmet": "tokens per month",
    "cash": "USD",
    "adoption": "1",
    "volume": "tokens per month",
}


def _annotate(ds: xr.Dataset) -> None:
    for name in ds.data_vars:
        unit = _UNITS.get(str(name).removesuffix("_by_group"))
        if unit:
            ds[name].attrs["units"] = unit
    if "revenue" in ds.data_vars and "time" in ds.dims:
        for name in ("revenue", "capex", "fcf"):
            ds[name].attrs["units"] = "USD per step"


class Results:
    """The outcome of a run: metrics by draw, optional paths, and the inputs that made them.

    Attributes
    ----------
    scenario : Scenario
        The scenario that was run.
    metrics : xarray.Dataset
        Per-draw metrics. For each metric ``m``: ``m`` with dims (draw, provider) and
        ``m_by_group`` with dims (draw, group); yearly metrics add a ``year`` dim.
        Coordinates ``kind`` and ``region`` label the providers.
    paths : xarray.Dataset or None
        Per-step paths (float32) when the run asked for them: dims (draw, time,
        provider) or (draw, time, segment).
    inputs : pandas.DataFrame
        The inputs table: one row per draw, one column per uncertain parameter path.
    """

    def __init__(
        self,
        scenario: Scenario,
        metrics: xr.Dataset,
        paths: xr.Dataset | None,
        inputs: pd.DataFrame,
    ) -> None:
        self.scenario = scenario
        self.metrics = metrics
        self.paths = paths
        self.inputs = inputs

    @property
    def draws(self) -> int:
        """Number of draws."""
        return int(self.metrics.sizes["draw"])

    def __repr__(self) -> str:
        return (
            f"<Results {self.scenario.name!r}: {self.draws} draws, "
            f"{len(self.scenario.providers)} providers, paths={'yes' if self.paths else 'no'}>"
        )

    # ------------------------------------------------------------ access
    def metric(self, name: str, who: str = "all", year: int | None = None) -> xr.DataArray:
        """Return one metric's per-draw values for a provider or a group.

        Parameters
        ----------
        name : str
            A metric (see ``simlab.claims.METRICS`` and ``YEARLY_METRICS``).
        who : str
            A provider name or a group label (``all``, ``open``, ``closed``, ``region=cn``).
        year : int, optional
            For yearly metrics, the calendar year.

        Raises
        ------
        ScenarioError
            For an unknown metric, provider, group or year.
        """
        if name not in METRICS and name not in YEARLY_METRICS:
            raise ScenarioError(
                f"unknown metric {name!r} (metrics: {', '.join(METRICS)}; "
                f"yearly: {', '.join(YEARLY_METRICS)})"
            )
        if who in self.scenario.providers:
            data = self.metrics[name].sel(provider=who)
        elif who in self.metrics.coords["group"].values:
            data = self.metrics[f"{name}_by_group"].sel(group=who)
        else:
            raise ScenarioError(
                f"unknown provider or group {who!r} (providers: "
                f"{', '.join(self.scenario.providers)}; groups: "
                f"{', '.join(map(str, self.metrics.coords['group'].values))})"
            )
        if name in YEARLY_METRICS:
            years = self.metrics.coords["year"].values
            if year is None or year not in years:
                raise ScenarioError(
                    f"metric {name!r} needs a year in {years.min()}-{years.max()}, got {year!r}"
                )
            data = data.sel(year=year)
        return data

    def _term(self, term: Term) -> np.ndarray:
        return self.metric(term.metric, term.who, term.year).to_numpy()

    # --------------------------------------------------------- summaries
    def summary(
        self,
        metrics: Sequence[str] = ("revenue", "npv", "irr", "share_final", "price_final"),
        quantiles: Sequence[float] = (0.05, 0.5, 0.95),
        by: str = "group",
    ) -> pd.DataFrame:
        """Return quantiles and the mean of metrics, one row per (metric, provider or group).

        Parameters
        ----------
        metrics : sequence of str
            Metric names.
        quantiles : sequence of float
            Quantiles to report.
        by : {"group", "provider", "both"}
            Rows by group, by provider, or both.

        Returns
        -------
        pandas.DataFrame
            Indexed by (metric, who); columns ``mean``, the quantiles (``q05``, ``q50``,
            ...) and ``nan`` (how many draws had no value, e.g. no IRR).
        """
        if by not in ("group", "provider", "both"):
            raise ScenarioError(f"by must be 'group', 'provider' or 'both', got {by!r}")
        rows = []
        whos: list[str] = []
        if by in ("provider", "both"):
            whos += self.scenario.providers
        if by in ("group", "both"):
            whos += list(map(str, self.metrics.coords["group"].values))
        for name in metrics:
            for who in whos:
                values = self.metric(name, who).to_numpy()
                finite = values[np.isfinite(values)]
                row: dict[str, Any] = {"metric": name, "who": who}
                row["mean"] = float(finite.mean()) if finite.size else np.nan
                qs = np.quantile(finite, quantiles) if finite.size else [np.nan] * len(quantiles)
                for q, value in zip(quantiles, qs, strict=True):
                    row[f"q{round(q * 100):02d}"] = float(value)
                row["nan"] = int(values.size - finite.size)
                rows.append(row)
        return pd.DataFrame(rows).set_index(["metric", "who"])

    def probability(
        self, metric: str, op: str, value: float, provider: str = "all", year: int | None = None
    ) -> tuple[float, float]:
        """Return P(metric op value) over the draws and its Monte Carlo standard error.

        Draws where the metric is NaN (e.g. no IRR exists) are left out of both the
        numerator and the denominator; a :class:`SimlabWarning` says how many.

        Examples
        --------
        >>> p, se = res.probability("npv", "<", 0, provider="openai")  # doctest: +SKIP
        """
        if op not in _OPS:
            raise ScenarioError(f"op must be one of {', '.join(_OPS)}, got {op!r}")
        values = self.metric(metric, provider, year).to_numpy()
        held = np.where(np.isnan(values), np.nan, _OPS[op](values, value).astype(float))
        return _rate(held, f"{metric}[{provider}] {op} {value}")

    def claims(self) -> pd.DataFrame:
        """Return the probability of each of the scenario's claims, with its standard error.

        Returns
        -------
        pandas.DataFrame
            Indexed by claim key; columns ``text``, ``expr``, ``probability``, ``se``
            (binomial Monte Carlo standard error), ``undecided`` (draws where a term was
            NaN) and ``source``.
        """
        rows = []
        for key, claim in self.scenario.spec.claims.items():
            parsed = parse_claim(claim.expr, self.scenario)
            held = parsed.evaluate(self._term)
            held = np.broadcast_to(held, (self.draws,))
            p, se = _rate(held, claim.expr, warn=False)
            rows.append(
                {
                    "claim": key,
                    "text": claim.text,
                    "expr": claim.expr,
                    "probability": p,
                    "se": se,
                    "undecided": int(np.isnan(held).sum()),
                    "source": self.scenario.source_of_text(claim.source),
                }
            )
        columns = ["claim", "text", "expr", "probability", "se", "undecided", "source"]
        return pd.DataFrame(rows, columns=columns).set_index("claim")


def _rate(held: np.ndarray, what: str, warn: bool = True) -> tuple[float, float]:
    decided = held[~np.isnan(held)]
    missing = held.size - decided.size
    if missing and warn:
        warnings.warn(
            f"{what}: {missing} of {held.size} draws have no value (NaN) and are left out",
            SimlabWarning,
            stacklevel=3,
        )
    if decided.size == 0:
        return float("nan"), float("nan")
    p = float(decided.mean())
    return p, float(np.sqrt(p * (1.0 - p) / decided.size))
