"""Results: per-draw metrics, optional paths and the inputs table, as labelled arrays."""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from simlab._args import names_arg, text_arg
from simlab._version import __version__
from simlab.claims import Term, parse_claim
from simlab.engine.metrics import BlockMetrics, year_matrix
from simlab.errors import ScenarioError, SimlabError, SimlabWarning, SimulationError
from simlab.integrity import attrs_digest, dataset_digests, verify_digests
from simlab.metrics import (
    CLAIM_METRICS,
    DRAW_METRICS,
    HEADLINE,
    METRICS,
    PATHS,
    SEGMENT_PATHS,
    YEARLY_METRICS,
    suggest_metric,
)
from simlab.scenario.load import Scenario
from simlab.tables import IRR_REASON, IRR_REASON_ATTRS, irr_ranks, ordered_values, quantiles_of

__all__ = ["Results", "ResultsBuilder", "assemble", "load_results"]

_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def assemble(
    scenario: Scenario,
    blocks: Sequence[BlockMetrics],
    inputs: pd.DataFrame,
    attrs: dict[str, Any] | None = None,
) -> Results:
    """Concatenate block metrics (in draw order) into a :class:`Results`."""
    n = sum(b.draw["unmet_share"].shape[0] for b in blocks)
    builder = ResultsBuilder(scenario, n)
    start = 0
    for block in blocks:
        builder.add(start, block)
        start += block.draw["unmet_share"].shape[0]
    return builder.build(inputs, attrs)


class ResultsBuilder:
    """Collect block metrics into arrays allocated once, in any order of arrival.

    A run adds each block as it finishes and drops it, so memory holds the final arrays
    plus the blocks in flight, never a list of blocks and their concatenation.

    Parameters
    ----------
    scenario : Scenario
        The scenario that was run.
    draws : int
        Number of draws of the whole run.
    """

    _FIELDS = (
        "provider",
        "group",
        "yearly_provider",
        "yearly_group",
        "draw",
        "paths",
        "irr_missing",
    )

    def __init__(self, scenario: Scenario, draws: int) -> None:
        self.scenario = scenario
        self.draws = draws
        self._arrays: dict[tuple[str, str], np.ndarray] = {}
        self._added = 0

    def add(self, start: int, block: BlockMetrics) -> None:
        """Copy a block's arrays into rows ``start:start + len(block)``."""
        keys = {(f, name) for f in self._FIELDS for name in getattr(block, f)}
        if self._arrays and keys != set(self._arrays):
            differ = sorted(".".join(k) for k in keys ^ set(self._arrays))
            raise SimulationError(
                f"the block of draws from {start} holds other metrics than the blocks before "
                f"it ({', '.join(differ)})"
            )
        n = block.draw["unmet_share"].shape[0]
        for f in self._FIELDS:
            for name, array in getattr(block, f).items():
                out = self._arrays.get((f, name))
                if out is None:
                    out = np.empty((self.draws, *array.shape[1:]), dtype=array.dtype)
                    self._arrays[(f, name)] = out
                out[start : start + n] = array
        self._added += n

    def build(self, inputs: pd.DataFrame, attrs: dict[str, Any] | None = None) -> Results:
        """Return the :class:`Results` once every draw has been added."""
        if self._added != self.draws:
            raise SimulationError(f"{self._added} of {self.draws} draws were simulated")
        arrays = self._arrays
        self._arrays = {}
        return _results(self.scenario, arrays, self.draws, inputs, attrs)


def _results(
    scenario: Scenario,
    arrays: dict[tuple[str, str], np.ndarray],
    n: int,
    inputs: pd.DataFrame,
    attrs: dict[str, Any] | None,
) -> Results:
    providers = scenario.providers
    groups = scenario.groups
    spec = scenario.spec
    years, _ = year_matrix(scenario)
    coords = {
        "draw": np.arange(n),
        "provider": providers,
        "group": groups,
        "year": years,
        "kind": ("provider", [spec.providers[p].kind for p in providers]),
        "region": ("provider", [spec.providers[p].region for p in providers]),
    }
    data: dict[str, Any] = {}
    for name in CLAIM_METRICS:
        if ("provider", name) in arrays:  # a run may keep only some (run(metrics=...))
            data[name] = (("draw", "provider"), arrays[("provider", name)])
            data[f"{name}_by_group"] = (("draw", "group"), arrays[("group", name)])
    for name in YEARLY_METRICS:
        if ("yearly_provider", name) in arrays:
            data[name] = (("draw", "year", "provider"), arrays[("yearly_provider", name)])
            data[f"{name}_by_group"] = (
                ("draw", "year", "group"),
                arrays[("yearly_group", name)],
            )
    for name in DRAW_METRICS:
        if ("draw", name) in arrays:
            data[name] = (("draw",), arrays[("draw", name)])
    if ("provider", "irr") in arrays and ("irr_missing", "provider") in arrays:
        # Why a draw has no IRR: 0 where it has one, else a key of finance.IRR_CODES.
        data[IRR_REASON] = (("draw", "provider"), arrays[("irr_missing", "provider")])
        data[f"{IRR_REASON}_by_group"] = (("draw", "group"), arrays[("irr_missing", "group")])
    metrics = xr.Dataset(data, coords=coords, attrs=dict(attrs or {}))
    _annotate(metrics, {name: m.unit for name, m in METRICS.items()})
    for name in (IRR_REASON, f"{IRR_REASON}_by_group"):
        if name in metrics:
            metrics[name].attrs.update(IRR_REASON_ATTRS)

    paths = None
    path_names = [name for (f, name) in arrays if f == "paths"]
    if path_names:
        times = scenario.times.astype("datetime64[ns]")
        pdata: dict[str, Any] = {}
        for name in path_names:
            array = arrays[("paths", name)]
            if array.ndim == 2:
                pdata[name] = (("draw", "time"), array)
            elif name in SEGMENT_PATHS:
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
                "kind": ("provider", [spec.providers[p].kind for p in providers]),
                "region": ("provider", [spec.providers[p].region for p in providers]),
            },
        )
        _annotate(paths, PATHS)
    return Results(scenario=scenario, metrics=metrics, paths=paths, inputs=inputs)


def _annotate(ds: xr.Dataset, units: dict[str, str]) -> None:
    for name in ds.data_vars:
        unit = units.get(str(name).removesuffix("_by_group"))
        if unit:
            ds[name].attrs["units"] = unit


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
        The inputs table: what each draw assumed. One row per draw (the index is the draw
        number, as in ``metrics``), one column per uncertain parameter, named by its path
        (``providers.openai.price_in``, ``events.gpt-6.date``), in the scenario's units;
        dates as ``datetime64``. Row ``i`` with the metrics of draw ``i`` is one scenario
        of the Monte Carlo: ``simulate(scenario, inputs.iloc[[i]])`` replays it alone, and
        :meth:`sources` says where each column's distribution comes from.
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

    def _repr_html_(self) -> str:
        """HTML for notebooks: what was run, the headline metrics and the claims."""
        from simlab._html import results_html

        return results_html(self)

    # ------------------------------------------------------------ access
    def metric(self, name: str, who: str = "all", year: int | None = None) -> xr.DataArray:
        """Return one metric's per-draw values for a provider or a group.

        Parameters
        ----------
        name : str
            A metric of the table :data:`simlab.metrics.METRICS`.
        who : str
            A provider name or a group label (``all``, ``open``, ``closed``, ``region=cn``).
        year : int, optional
            For yearly metrics, the calendar year.

        Raises
        ------
        ScenarioError
            For an unknown metric, provider, group or year.
        """
        text_arg(name, "metric")
        text_arg(who, "who")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int | np.integer)):
            raise ScenarioError(f"year must be a calendar year (an integer), got {year!r}")
        if name not in CLAIM_METRICS and name not in YEARLY_METRICS:
            raise ScenarioError(
                f"unknown metric {name!r}{suggest_metric(name)} (metrics: "
                f"{', '.join(CLAIM_METRICS)}; yearly: {', '.join(YEARLY_METRICS)})"
            )
        if name not in self.metrics.data_vars:
            kept = [m for m in (*CLAIM_METRICS, *YEARLY_METRICS) if m in self.metrics]
            raise ScenarioError(
                f"metric {name!r} was not kept by this run (kept: {', '.join(kept)}); "
                "run again without run(metrics=...) or with it listed"
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
        return self._ranked(term.metric, term.who, term.year)

    def _ranked(self, metric: str, who: str, year: int | None) -> np.ndarray:
        """Per-draw values for a claim: a missing IRR or payback ranked as in summaries.

        A payback that never comes is +inf; a missing IRR is -inf where the flows never
        pay back or the NPV is negative, +inf where not (:func:`simlab.tables.irr_ranks`),
        so ``irr[x] > hurdle`` counts the draws that never pay back as not above it.
        """
        if metric == "irr":
            return irr_ranks(self, who)[0]
        return _never_is_infinite(metric, self.metric(metric, who, year))

    # --------------------------------------------------------- summaries
    def summary(
        self,
        metrics: Sequence[str] | None = None,
        quantiles: Sequence[float] = (0.05, 0.5, 0.95),
        by: str = "group",
        human: bool = False,
    ) -> pd.DataFrame:
        """Return quantiles and the mean of metrics, one row per (metric, provider or group).

        Every draw counts (see :mod:`simlab.tables`): a payback that never comes ranks last,
        a missing IRR ranks below every rate where the flows never pay back or the NPV is
        negative (above where not), and the ``note`` says how many draws have none and
        why; where no rank is known, the ``note`` says how many draws were left out.
        A group with the same providers as an earlier row gets no row of its own: the
        earlier row stands for both (``same_as`` names the other; in human units the row
        is labelled with both, ``closed = region=us``). The sum of all shares is left
        out; ``attrs["notes"]`` of the table says what and why.

        Parameters
        ----------
        metrics : sequence of str, optional
            Metric names; by default the headline metrics of :data:`simlab.metrics.HEADLINE`
            (those of them the run kept).
        quantiles : sequence of float
            Quantiles to report.
        by : {"group", "provider", "both"}
            Rows by group, by provider, or both.
        human : bool
            Values in units for people (USD bn or T, %, ...), three significant digits,
            the unit (and the date of "final") in the metric's label.

        Returns
        -------
        pandas.DataFrame
            Indexed by (metric, who); columns ``mean`` (NaN where a draw has no finite
            value), the quantiles (``q05``, ``q50``, ...; ``-inf``/``inf`` where the
            draws without a value decide them), ``nan`` (how many draws have no value),
            ``note`` (how many and why, ``""`` when none) and ``same_as`` (the other
            groups with the same providers, comma-separated, ``""`` when none).

        Examples
        --------
        >>> res.summary(human=True).loc["npv (USD bn)"]  # doctest: +SKIP
        """
        from simlab.tables import summarize

        if metrics is None:
            metrics = [m for m in HEADLINE if m in self.metrics.data_vars]
        metrics = names_arg(metrics, "metrics")
        return summarize(self, metrics, _check_quantiles(quantiles), by, human)

    def probability(
        self, metric: str, op: str, value: float, provider: str = "all", year: int | None = None
    ) -> tuple[float, float]:
        """Return P(metric op value) over the draws and its Monte Carlo standard error.

        Every draw counts where its rank is known: a payback that never comes is later
        than any time, and a missing IRR is below every rate where the flows never pay
        back or the NPV is negative (above where not), as in :meth:`summary`. Draws with
        no value and no rank (e.g. an ROI without capex) are left out of both the
        numerator and the denominator; a :class:`SimlabWarning` says how many.

        Examples
        --------
        >>> p, se = res.probability("npv", "<", 0, provider="openai")  # doctest: +SKIP
        """
        if not isinstance(op, str) or op not in _OPS:
            raise ScenarioError(f"op must be one of {', '.join(_OPS)}, got {op!r}")
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ScenarioError(f"value must be a number, got {value!r}")
        if np.isnan(value):
            raise ScenarioError("value must be a number, got nan (every comparison with it fails)")
        self.metric(metric, provider, year)  # checks the metric, provider and year
        values = self._ranked(metric, provider, year)
        held = np.where(np.isnan(values), np.nan, _OPS[op](values, value).astype(float))
        return _rate(held, f"{metric}[{provider}] {op} {value}")

    def claims(self) -> pd.DataFrame:
        """Return the probability of each of the scenario's claims, with its standard error.

        Returns
        -------
        pandas.DataFrame
            Indexed by claim key; columns ``text``, ``expr``, ``probability``, ``se``
            (binomial Monte Carlo standard error), ``undecided`` (draws where a term was
            NaN), ``note`` (for each IRR term, how many draws have no IRR and how they
            count; ``""`` when none) and ``source``.

        Notes
        -----
        A draw whose IRR is missing counts as below every rate where its flows never pay
        back or its NPV is negative, and above every rate where not (as in
        :meth:`summary`): ``irr[openai] > 0.08`` is then false in the draws where
        OpenAI's cash never comes back, not left out.
        """
        rows = []
        for key, claim in self.scenario.spec.claims.items():
            parsed = parse_claim(claim.expr, self.scenario)
            held = parsed.evaluate(self._term)
            held = np.broadcast_to(held, (self.draws,))
            p, se = _rate(held, claim.expr, warn=False)
            notes = [
                f"irr[{t.who}]: {irr_ranks(self, t.who)[1]}"
                for t in dict.fromkeys(parsed.terms)
                if t.metric == "irr" and irr_ranks(self, t.who)[1]
            ]
            rows.append(
                {
                    "claim": key,
                    "text": claim.text,
                    "expr": claim.expr,
                    "probability": p,
                    "se": se,
                    "undecided": int(np.isnan(held).sum()),
                    "note": "; ".join(notes),
                    "source": self.scenario.source_of_text(claim.source),
                }
            )
        columns = ["claim", "text", "expr", "probability", "se", "undecided", "note", "source"]
        return pd.DataFrame(rows, columns=columns).set_index("claim")

    # ------------------------------------------------------------ identity
    @property
    def seed(self) -> int | None:
        """The seed the inputs were drawn with (None for :func:`~simlab.simulate`)."""
        seed = self.metrics.attrs.get("seed")
        return None if seed is None else int(seed)

    @property
    def sampler(self) -> str | None:
        """The sampler the inputs were drawn with (None for :func:`~simlab.simulate`)."""
        sampler = self.metrics.attrs.get("sampler")
        return None if sampler is None else str(sampler)

    def sources(self) -> pd.DataFrame:
        """Return where each drawn figure comes from.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``path``, one row per column of the inputs table; columns
            ``distribution`` (as the scenario states it; ``"(inputs table)"`` for a column
            given by hand to :func:`~simlab.simulate`) and ``source`` (the reference, with
            reference keys expanded, or ``"assumption: ..."``).
        """
        uncertain = self.scenario.uncertain
        rows = []
        for column in self.inputs.columns:
            path = str(column)
            dist = uncertain.get(path)
            rows.append(
                {
                    "path": path,
                    "distribution": dist.describe() if dist is not None else "(inputs table)",
                    "source": self.scenario.source_of(path) if path in self.scenario.params else "",
                }
            )
        return pd.DataFrame(rows, columns=["path", "distribution", "source"]).set_index("path")

    def compare(
        self,
        other: Results,
        metrics: Sequence[str] = ("revenue", "npv", "share_final", "price_final"),
        who: str | Sequence[str] = ("all", "open", "closed"),
        quantiles: Sequence[float] = (0.05, 0.5, 0.95),
        year: int | None = None,
    ) -> pd.DataFrame:
        """Compare another run with this one, metric by metric.

        Parameters
        ----------
        other : Results
            The run to compare (e.g. a variant of this scenario).
        metrics : sequence of str
            Metric names; yearly metrics need ``year``.
        who : str or sequence of str
            Providers or groups present in both runs.
        quantiles : sequence of float
            Quantiles shown side by side.
        year : int, optional
            The calendar year of yearly metrics.

        Returns
        -------
        pandas.DataFrame
            Indexed by (metric, who). Columns ``self_qNN`` and ``other_qNN`` (quantiles
            over every draw, ranked as in :meth:`summary`), ``median_diff`` (other's
            median minus this one's; 0 when they agree to within a relative 1e-9) and
            ``p_other_greater``, ``p_other_less`` and ``p_same``: the shares of draws
            where other's value exceeds this one's, falls below it, or equals it to
            within a relative 1e-9 (two runs that differ only by rounding report no
            effect: ``p_same`` = 1), draw by draw. That pairing is meaningful only when
            the draws share their random numbers, i.e. both runs came from
            :func:`~simlab.run` with the same seed, sampler, number of draws and block
            size; otherwise these columns are NaN. Draws where either value is NaN are
            left out of them.

        Examples
        --------
        >>> base = simlab.run("baseline-2025", draws=1000, seed=7)  # doctest: +SKIP
        >>> cheap = simlab.run(sc_cheap, draws=1000, seed=7)  # doctest: +SKIP
        >>> base.compare(cheap, metrics=["npv"], who="openai")  # doctest: +SKIP
        """
        if not isinstance(other, Results):
            raise ScenarioError(f"other must be a Results, got {type(other).__name__}")
        quantiles = _check_quantiles(quantiles)
        whos = names_arg(who, "who")
        metrics = names_arg(metrics, "metrics")
        paired = (
            self.seed is not None
            and self.draws == other.draws
            and self.seed == other.seed
            and self.sampler == other.sampler
            and self.metrics.attrs.get("block_size") == other.metrics.attrs.get("block_size")
        )
        rows = []
        for name in metrics:
            for w in whos:
                mine = self.metric(name, w, year).to_numpy()
                theirs = other.metric(name, w, year).to_numpy()
                row: dict[str, Any] = {"metric": name, "who": w}
                qa = quantiles_of(ordered_values(self, name, w, year)[0], quantiles)
                qb = quantiles_of(ordered_values(other, name, w, year)[0], quantiles)
                for q, a in zip(quantiles, qa, strict=True):
                    row[f"self_q{round(q * 100):02d}"] = a
                for q, b in zip(quantiles, qb, strict=True):
                    row[f"other_q{round(q * 100):02d}"] = b
                med_a = quantiles_of(ordered_values(self, name, w, year)[0], [0.5])[0]
                med_b = quantiles_of(ordered_values(other, name, w, year)[0], [0.5])[0]
                with np.errstate(invalid="ignore"):
                    same = med_a == med_b or abs(med_b - med_a) <= _RTOL * max(
                        abs(med_a), abs(med_b)
                    )
                row["median_diff"] = 0.0 if same else med_b - med_a
                row["p_other_greater"] = row["p_other_less"] = row["p_same"] = np.nan
                if paired:
                    row.update(_paired(mine, theirs))
                rows.append(row)
        return pd.DataFrame(rows).set_index(["metric", "who"])

    # ------------------------------------------------------------ saving
    def to_html(self, path: str | os.PathLike[str], *, drivers: bool = True, top: int = 5) -> Path:
        """Write the run as one self-contained HTML report (see :mod:`simlab.report`).

        The scenario's question and assumptions, the claims with their probabilities,
        standard errors and drivers, the headline metrics, the standard figures
        (embedded) and every parameter with its source; no network is needed to read it.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.html`` file to write.
        drivers : bool
            Rank each claim's drivers over the run's own draws.
        top : int
            Drivers listed per claim.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from simlab.report import write_report

        return write_report(self, path, drivers=drivers, top=top)

    def to_netcdf(self, path: str | os.PathLike[str]) -> None:
        """Save the results as one netCDF-4 file (h5netcdf engine; no pickle).

        The file holds groups ``metrics``, ``paths`` (when the run kept them) and
        ``inputs`` (a 2-D variable ``inputs`` over ``draw`` and ``path`` for numbers,
        ``input_dates`` over ``draw`` and ``date_path`` for dates), and in its root
        attributes the scenario's identity: name, origin, SHA-256 hash and resolved
        document (JSON text), with the seed, sampler, block size and simlab version of
        the run, and a SHA-256 digest of every array and attribute set
        (:mod:`simlab.integrity`). :func:`load_results` reads it back and checks them.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (replaced atomically if it exists).

        Raises
        ------
        ScenarioError
            If the file cannot be written (the folder is missing or read-only, ...).
        """
        _require_h5py()
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        attrs = _clean_attrs(
            {
                **self.metrics.attrs,
                "simlab_results_format": _FORMAT,
                "simlab_version": self.metrics.attrs.get("simlab_version", __version__),
                "scenario_name": self.scenario.name,
                "scenario_origin": self.scenario.origin,
                "scenario_hash": self.scenario.hash,
                "scenario_document": scenario_to_json(self.scenario),
                "has_paths": int(self.paths is not None),
            }
        )
        metrics = self.metrics.copy()
        metrics.attrs = _clean_attrs(dict(metrics.attrs))
        groups = {"metrics": metrics, "inputs": _inputs_dataset(self.inputs)}
        if self.paths is not None:
            groups["paths"] = self.paths
        attrs["simlab_sha256"] = json.dumps(
            {**dataset_digests(groups), "/.attrs": attrs_digest(attrs)}
        )
        try:
            xr.Dataset(attrs=attrs).to_netcdf(tmp, mode="w", engine="h5netcdf")
            for name, ds in groups.items():
                ds.to_netcdf(tmp, mode="a", group=name, engine="h5netcdf")
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ScenarioError(f"{target}: cannot write the results file: {exc}") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


#: Relative difference below which two values of a metric count as the same (rounding).
_RTOL = 1e-9


def _paired(mine: np.ndarray, theirs: np.ndarray) -> dict[str, float]:
    """Shares of paired draws where ``theirs`` is greater, less or the same (to _RTOL)."""
    both = ~(np.isnan(mine) | np.isnan(theirs))
    if not both.any():
        return {"p_other_greater": np.nan, "p_other_less": np.nan, "p_same": np.nan}
    a, b = mine[both].astype(np.float64), theirs[both].astype(np.float64)
    with np.errstate(invalid="ignore"):
        same = (a == b) | (np.abs(b - a) <= _RTOL * np.maximum(np.abs(a), np.abs(b)))
    return {
        "p_other_greater": float(np.mean((b > a) & ~same)),
        "p_other_less": float(np.mean((b < a) & ~same)),
        "p_same": float(np.mean(same)),
    }


def _never_is_infinite(metric: str, data: xr.DataArray) -> np.ndarray:
    """Per-draw values for a claim; a payback that never comes is +inf, not undecided."""
    values = data.to_numpy()
    if metric == "payback_years":
        values = np.where(np.isnan(values), np.inf, values)
    return values


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


def _check_quantiles(quantiles: object) -> list[float]:
    """Return quantiles as floats in [0, 1] whose column labels (``qNN``) are distinct."""
    if isinstance(quantiles, str) or not isinstance(quantiles, Sequence | np.ndarray):
        raise ScenarioError(f"quantiles must be a sequence of numbers, got {quantiles!r}")
    out: list[float] = []
    labels: dict[str, float] = {}
    for q in quantiles:
        if isinstance(q, bool) or not isinstance(q, int | float | np.integer | np.floating):
            raise ScenarioError(f"quantiles must be numbers in [0, 1], got {q!r}")
        if not 0.0 <= float(q) <= 1.0:
            raise ScenarioError(f"quantiles must be in [0, 1], got {q!r}")
        label = f"q{round(float(q) * 100):02d}"
        if label in labels and labels[label] != float(q):
            raise ScenarioError(
                f"quantiles {labels[label]!r} and {q!r} would share the column {label}; "
                "use quantiles that differ by at least 0.01"
            )
        labels[label] = float(q)
        out.append(float(q))
    if not out:
        raise ScenarioError("quantiles must hold at least one quantile")
    return out


# --------------------------------------------------------------------------- files
_FORMAT = 2  # 2: inputs as one 2-D variable; SHA-256 digests of every array


def _require_h5py() -> None:
    """netCDF-4 files are written with h5netcdf, which needs h5py (an extra of h5netcdf)."""
    import importlib.util

    if importlib.util.find_spec("h5py") is None:
        raise SimlabError(
            "saving and loading results needs the h5py package, which h5netcdf uses to "
            "write netCDF-4 files: pip install h5py"
        )


def _clean_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Keep attributes netCDF can hold: text and numbers (bools as 0/1, None dropped)."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, bool | np.bool_):
            value = int(value)
        out[str(key)] = value
    return out


def _inputs_dataset(inputs: pd.DataFrame) -> xr.Dataset:
    """Return the inputs table as (at most) two 2-D variables: numbers and dates.

    One variable per column cost a netCDF variable each (a 3,000-column table took
    minutes to save); ``inputs`` (draw, path) holds the numeric columns as float64 and
    ``input_dates`` (draw, date_path) the date columns as datetime64[ns].
    """
    columns = [str(c) for c in inputs.columns]
    is_date = [pd.api.types.is_datetime64_any_dtype(inputs[c]) for c in inputs.columns]
    numbers = [c for c, d in zip(inputs.columns, is_date, strict=True) if not d]
    dates = [c for c, d in zip(inputs.columns, is_date, strict=True) if d]
    data: dict[str, Any] = {}
    coords: dict[str, Any] = {"draw": np.arange(len(inputs))}
    if numbers:
        values = inputs[numbers].to_numpy(dtype=np.float64)
        data["inputs"] = (("draw", "path"), values)
        coords["path"] = [str(c) for c in numbers]
    if dates:
        stamps = np.stack([inputs[c].to_numpy(dtype="datetime64[ns]") for c in dates], axis=1)
        data["input_dates"] = (("draw", "date_path"), stamps)
        coords["date_path"] = [str(c) for c in dates]
    return xr.Dataset(data, coords=coords, attrs={"columns": json.dumps(columns)})


def _inputs_table(stored: xr.Dataset, file: Path) -> pd.DataFrame:
    """Rebuild the inputs table from :func:`_inputs_dataset` (or format 1's columns)."""
    columns = json.loads(str(stored.attrs.get("columns", "[]")))
    if not isinstance(columns, list):
        raise ScenarioError(f"{file}: the inputs' column list is damaged")
    found: dict[str, np.ndarray] = {}
    if "inputs" in stored:
        for j, c in enumerate(stored["path"].values.tolist()):
            found[str(c)] = stored["inputs"].values[:, j]
    if "input_dates" in stored:
        for j, c in enumerate(stored["date_path"].values.tolist()):
            found[str(c)] = stored["input_dates"].values[:, j]
    for j, c in enumerate(columns):  # format 1: one variable per column
        if f"input_{j:03d}" in stored:
            found[str(c)] = stored[f"input_{j:03d}"].to_numpy()
    if sorted(found) != sorted(str(c) for c in columns):
        raise ScenarioError(f"{file}: the inputs do not match their column list (damaged)")
    return pd.DataFrame(
        {c: found[str(c)] for c in columns},
        index=pd.RangeIndex(stored.sizes.get("draw", 0), name="draw"),
        columns=columns,
    )


def scenario_to_json(scenario: Scenario) -> str:
    """Return a scenario's resolved document as JSON text, keys in file order.

    The order matters (providers and segments keep it); the hash sorts keys itself.
    """
    return json.dumps(scenario.document, default=str)


def scenario_from_json(text: str, origin: str, expected_hash: str | None = None) -> Scenario:
    """Rebuild a scenario from :func:`scenario_to_json` text, validating it again.

    The document is already resolved, so its ``extends`` key is only a label: it is not
    followed (the parent may have changed since), and is kept so the hash is unchanged.

    Raises
    ------
    ScenarioError
        If the text is not a scenario document, or its hash is not ``expected_hash``.
    """
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ScenarioError(f"{origin}: the stored scenario is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(f"{origin}: the stored scenario is not a table")
    parent = doc.pop("extends", None)
    scenario = Scenario.from_dict(doc, origin=origin)
    if parent is not None:
        spec = scenario.spec.model_copy(update={"extends": parent})
        scenario = dataclasses.replace(scenario, spec=spec, document={**doc, "extends": parent})
    if expected_hash is not None and scenario.hash != expected_hash:
        raise ScenarioError(
            f"{origin}: the stored scenario document does not match its hash "
            f"{expected_hash[:12]}... (the file was edited or damaged)"
        )
    return scenario


def load_results(path: str | os.PathLike[str]) -> Results:
    """Load results saved by :meth:`Results.to_netcdf`.

    Only data is read: numeric arrays, text, and the scenario as a JSON document, which is
    validated again with :meth:`Scenario.from_dict`. Nothing is unpickled or executed.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :meth:`Results.to_netcdf`.

    Returns
    -------
    Results
        Equal to the saved one: metrics, paths, inputs (dates as datetime64), scenario,
        seed and sampler.

    Raises
    ------
    ScenarioError
        If the file is missing, is not a simlab results file, or its scenario does not
        match its stored hash.

    Examples
    --------
    >>> res.to_netcdf("results.nc")  # doctest: +SKIP
    >>> again = simlab.load_results("results.nc")  # doctest: +SKIP
    """
    _require_h5py()
    if not isinstance(path, str | os.PathLike):
        raise ScenarioError(f"path must be a file path, got {type(path).__name__}")
    file = Path(path)
    if not file.is_file():
        raise ScenarioError(f"{file}: no such results file")
    try:
        return _load_results(file)
    except SimlabError:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        RuntimeError,
        UnicodeError,
    ) as exc:
        raise ScenarioError(
            f"{file}: not a readable simlab results file ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None


def _load_results(file: Path) -> Results:
    """Read a results file (:func:`load_results` wraps HDF5 and decoding errors)."""

    def group(name: str | None) -> xr.Dataset:
        try:
            with xr.open_dataset(file, group=name, engine="h5netcdf") as ds:
                return ds.load()
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            where = f"group {name!r} of " if name else ""
            raise ScenarioError(
                f"{file}: cannot read {where}a simlab results file: {str(exc)[:200]}"
            ) from None

    root = group(None)
    attrs = root.attrs
    if "simlab_results_format" not in attrs or "scenario_document" not in attrs:
        raise ScenarioError(f"{file}: not a simlab results file (no scenario identity in it)")
    if int(attrs["simlab_results_format"]) > _FORMAT:
        raise ScenarioError(
            f"{file}: results format {attrs['simlab_results_format']} is newer than this "
            f"simlab ({__version__}) reads; upgrade simlab"
        )
    scenario = scenario_from_json(
        str(attrs["scenario_document"]), str(attrs["scenario_origin"]), str(attrs["scenario_hash"])
    )
    metrics = group("metrics")
    paths = group("paths") if int(attrs.get("has_paths", 0)) else None
    stored = group("inputs")
    if int(attrs["simlab_results_format"]) >= 2:
        read = {"metrics": metrics, "inputs": stored}
        if paths is not None:
            read["paths"] = paths
        verify_digests(read, attrs.get("simlab_sha256"), str(file), root=attrs)
    inputs = _inputs_table(stored, file)
    for ds in (metrics, paths):
        if ds is not None:
            for name in ds.variables:
                ds[name].encoding = {}
    return Results(scenario=scenario, metrics=metrics, paths=paths, inputs=inputs)
