"""Sensitivity analysis: tornado and spider charts, grid sweeps, Sobol' indices, Morris.

Every method here is a choice of rows of an inputs table (DESIGN.md, principle 2): it
builds one table, runs it through the deterministic engine (:func:`~simlab.simulate`) in
as few batched calls as memory allows, and reads one metric back.

- one at a time: :func:`tornado`, :func:`spider`
- grids: :func:`sweep`
- global: :func:`sobol` (and :func:`sobol_convergence`), :func:`morris`

**Common random numbers.** :func:`tornado`, :func:`spider` and :func:`sweep` draw one
*base* inputs table, exactly the inputs of ``simlab.run(scenario, draws, seed)``
(:func:`~simlab.sample_inputs`), and reuse it for every swing or grid point, overriding
only the columns being varied. The differences between points are then differences of
the model, not of the random draws: a parameter that cannot change the metric has a
swing of exactly 0, and a few hundred draws resolve small effects.

**Metrics.** The target is one per-draw metric of a provider or a group, as
``Results.metric(metric, who, year)`` reads it: ``provider=`` or ``group=`` (the group
``all`` when neither is given), and ``year=`` for the yearly metrics.

**Missing values.** Where a metric has no value for some draws (NaN: an IRR that does
not exist, no payback within the horizon), those draws are left out of each statistic
and counted: a :class:`~simlab.SimlabWarning` says how many, and the results carry the
counts (``nan_*`` columns, a ``nan_draws`` coordinate, or ``attrs``). Sobol' and Morris
designs cannot lose single rows, so there the whole group of rows a missing value
belongs to (a Saltelli group, a Morris trajectory) is left out, and counted.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
import xarray as xr

from simlab.claims import METRICS, YEARLY_METRICS, group_labels
from simlab.errors import ScenarioError, SimlabWarning, SimulationError
from simlab.scenario.load import Scenario, load_scenario

__all__ = ["morris", "sobol", "sobol_convergence", "spider", "sweep", "tornado"]

#: Rows per batched :func:`~simlab.simulate` call; a sweep of more rows runs in chunks.
#: The engine's Results hold about 5 kB a draw for a ten-year scenario, so 65,536 rows
#: stay near 300 MB at once.
MAX_ROWS = 65_536

#: Morris levels span the quantiles from MORRIS_SPAN to 1 - MORRIS_SPAN of each
#: distribution (level 0 and level 1 would be infinite for unbounded distributions).
MORRIS_SPAN = 0.01

_STAT_RE = re.compile(r"^q(\d{1,3}(?:\.\d+)?)$")
_LOWEST = 2.0**-54
_HIGHEST = 1.0 - 2.0**-53


class _HasPpf(Protocol):
    def ppf(self, q: Any) -> Any: ...  # the inverse CDF


# --------------------------------------------------------------------------- targets


@dataclasses.dataclass(frozen=True)
class _Target:
    """The metric read back from each run: ``Results.metric(metric, who, year)``."""

    metric: str
    who: str
    year: int | None

    def attrs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": self.metric, "who": self.who}
        if self.year is not None:
            out["year"] = self.year
        return out


def _metric_names() -> list[str]:
    # "unmet" is a per-draw value of the whole market (``unmet_share``), not by provider.
    return [m for m in METRICS if m != "unmet"] + list(YEARLY_METRICS)


def _target(
    scenario: Scenario,
    metric: object,
    provider: object,
    group: object,
    year: object,
) -> _Target:
    names = _metric_names()
    if not isinstance(metric, str) or metric not in names:
        raise ScenarioError(f"unknown metric {metric!r}; allowed: {', '.join(names)}")
    if provider is not None and group is not None:
        raise ScenarioError(
            f"give provider or group, not both (got provider={provider!r}, group={group!r})"
        )
    if provider is not None:
        if provider not in scenario.providers:
            raise ScenarioError(
                f"{scenario.origin}: unknown provider {provider!r} "
                f"(providers: {', '.join(scenario.providers)})"
            )
        who = str(provider)
    else:
        labels = group_labels(scenario)
        who = "all" if group is None else str(group)
        if who not in labels:
            raise ScenarioError(
                f"{scenario.origin}: unknown group {group!r} (groups: {', '.join(labels)})"
            )
    from simlab.engine.metrics import year_matrix

    if metric in YEARLY_METRICS:
        years = [int(y) for y in year_matrix(scenario)[0]]
        if isinstance(year, bool) or not isinstance(year, int | np.integer) or year not in years:
            raise ScenarioError(
                f"metric {metric!r} is yearly: give year= one of {years[0]}..{years[-1]}, "
                f"got {year!r}"
            )
        return _Target(metric, who, int(year))
    if year is not None:
        raise ScenarioError(f"metric {metric!r} is not yearly; leave year out (got {year!r})")
    return _Target(metric, who, None)


def _scenario(scenario: object) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(scenario)  # type: ignore[arg-type]
    raise ScenarioError(
        f"scenario must be a Scenario, a catalog name or a path, got {type(scenario).__name__}"
    )


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ScenarioError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------- evaluation


@dataclasses.dataclass(frozen=True)
class _Chunk:
    """Rows of an inputs table to run in a worker: plain data, the scenario as JSON."""

    document: str
    origin: str
    scenario_hash: str
    table: pd.DataFrame
    target: _Target
    block_size: int


_WORKER_SCENARIOS: dict[str, Scenario] = {}


def _run_chunk(chunk: _Chunk) -> np.ndarray:
    """Simulate a chunk in a worker and return only the target metric (a top-level function)."""
    from simlab.results import scenario_from_json

    scenario = _WORKER_SCENARIOS.get(chunk.scenario_hash)
    if scenario is None:
        if len(_WORKER_SCENARIOS) >= 8:
            _WORKER_SCENARIOS.clear()
        scenario = scenario_from_json(chunk.document, chunk.origin, chunk.scenario_hash)
        _WORKER_SCENARIOS[chunk.scenario_hash] = scenario
    return _simulate_values(scenario, chunk.table, chunk.target, chunk.block_size)[0]


def _simulate_values(
    scenario: Scenario, table: pd.DataFrame, target: _Target, block_size: int
) -> tuple[np.ndarray, str]:
    from simlab.experiment import simulate

    inputs = table if table.shape[1] else None
    res = simulate(scenario, inputs, block_size=block_size)
    data = res.metric(target.metric, target.who, target.year)
    values = data.to_numpy().astype(np.float64)
    if inputs is None:  # no column: one run of the point values stands for every row
        values = np.repeat(values, len(table))
    return values, str(data.attrs.get("units", ""))


def _evaluate(
    scenario: Scenario,
    table: pd.DataFrame,
    target: _Target,
    block_size: int,
    executor: object,
) -> tuple[np.ndarray, str]:
    """Run every row of ``table`` and return the target metric per row, and its units.

    In this process: batched :func:`~simlab.simulate` calls of up to :data:`MAX_ROWS`
    rows. With an executor: chunks of ``block_size`` rows submitted to it, put back in
    row order (bit-identical numbers either way).
    """
    n = len(table)
    if executor is None:
        parts, units = [], ""
        for start in range(0, n, MAX_ROWS):
            values, units = _simulate_values(
                scenario, table.iloc[start : start + MAX_ROWS], target, block_size
            )
            parts.append(values)
        return np.concatenate(parts), units
    from simlab.results import scenario_to_json

    pool, owned = _executor(executor)
    document = scenario_to_json(scenario)
    try:
        futures = [
            pool.submit(
                _run_chunk,
                _Chunk(
                    document,
                    scenario.origin,
                    scenario.hash,
                    table.iloc[start : start + block_size],
                    target,
                    block_size,
                ),
            )
            for start in range(0, n, block_size)
        ]
        values = np.concatenate([np.asarray(f.result(), dtype=np.float64) for f in futures])
    finally:
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)
    # The units come from one tiny run here (workers send back only numbers).
    _, units = _simulate_values(scenario, table.iloc[:1], target, block_size)
    return values, units


def _executor(executor: object) -> tuple[Any, bool]:
    if executor == "processes":
        from simlab.experiment import process_pool

        return process_pool(), True
    if isinstance(executor, cf.Executor) or callable(getattr(executor, "submit", None)):
        return executor, False
    raise ScenarioError(
        "executor must be None (this process), 'processes' (a pool over all cores) or a "
        "concurrent.futures.Executor (e.g. dask.distributed Client(...).get_executor()), "
        f"got {executor!r}"
    )


# ----------------------------------------------------------------------- statistics


def _check_statistic(name: object) -> str:
    if isinstance(name, str):
        if name in ("mean", "median", "std", "p_negative"):
            return name
        m = _STAT_RE.match(name)
        if m and 0 <= float(m.group(1)) <= 100:
            return name
    raise ScenarioError(
        f"unknown statistic {name!r}; allowed: mean, median, std, p_negative (share of "
        "draws below 0) or qNN (a percentile, e.g. q05, q95)"
    )


def _statistic(values: np.ndarray, name: str) -> np.ndarray:
    """Apply a statistic over the last axis, leaving NaN draws out."""
    finite = np.isfinite(values)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a point with no finite draw: NaN
        if name == "mean":
            return np.nanmean(np.where(finite, values, np.nan), axis=-1)
        if name == "median":
            return np.nanmedian(np.where(finite, values, np.nan), axis=-1)
        if name == "std":
            return np.nanstd(np.where(finite, values, np.nan), axis=-1, ddof=1)
        if name == "p_negative":
            kept = finite.sum(axis=-1)
            below = (np.where(finite, values, 0.0) < 0).sum(axis=-1)
            return np.where(kept > 0, below / np.maximum(kept, 1), np.nan)
        q = float(name[1:]) / 100.0
        return np.nanquantile(np.where(finite, values, np.nan), q, axis=-1)


def _warn_nan(target: _Target, missing: int, total: int, how: str) -> None:
    if missing:
        warnings.warn(
            f"{target.metric}[{target.who}]: {missing} of {total} draws have no value (NaN, "
            f"e.g. no IRR or no payback in the horizon); {how}",
            SimlabWarning,
            stacklevel=3,
        )


# ------------------------------------------------------------------ inputs tables


def _as_column(dist: _HasPpf, is_date: bool, u: np.ndarray) -> np.ndarray:
    """Map probabilities through a distribution; dates as datetime64 like sample_table."""
    values = np.asarray(dist.ppf(np.clip(u, _LOWEST, _HIGHEST)), dtype=np.float64)
    if is_date:
        return values.astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    return values


def _base_table(scenario: Scenario, draws: int, seed: int) -> pd.DataFrame:
    from simlab.experiment import sample_inputs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimlabWarning)  # no uncertain parameter: checked by callers
        return sample_inputs(scenario, draws, seed)


def _median_table(scenario: Scenario) -> pd.DataFrame:
    cols = {
        path: _as_column(dist, dist.is_date, np.array([0.5]))
        for path, dist in scenario.uncertain.items()
    }
    return pd.DataFrame(cols, index=pd.RangeIndex(1, name="draw"))


def _stack(base: pd.DataFrame, overrides: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Repeat ``base`` once per override (a mapping of column to one value) and set them."""
    n = len(base)
    table = pd.concat([base] * len(overrides), ignore_index=True)
    columns = {c for o in overrides for c in o}
    for column in columns:
        values = [o.get(column) for o in overrides]
        if column in table.columns:
            col = table[column].to_numpy().copy()
        else:
            col = None
        filled = []
        for i, value in enumerate(values):
            if value is None:
                if col is None:
                    raise SimulationError(f"internal: column {column!r} has no base value")
                filled.append(col[i * n : (i + 1) * n])
            else:
                filled.append(np.repeat(np.asarray([value]), n))
        table[column] = np.concatenate(filled)
    table.index = pd.RangeIndex(len(table), name="draw")
    return table


def _require_uncertain(scenario: Scenario, what: str) -> None:
    if not scenario.uncertain:
        raise ScenarioError(
            f"{scenario.origin}: {what} needs uncertain parameters, and scenario "
            f"{scenario.name!r} has none (give a figure a distribution, e.g. "
            '{dist = "pert", low = ..., mode = ..., high = ...}, or use Scenario.with_values)'
        )


def _parameters(scenario: Scenario, parameters: Sequence[str] | None, what: str) -> list[str]:
    _require_uncertain(scenario, what)
    names = list(scenario.uncertain)
    if parameters is None:
        return names
    if isinstance(parameters, str):
        parameters = [parameters]
    chosen = []
    for path in parameters:
        if path not in scenario.params:
            scenario._require_path(path)
        if path not in scenario.uncertain:
            raise ScenarioError(
                f"{scenario.origin}: {path!r} is fixed; {what} varies only uncertain "
                f"parameters (uncertain: {', '.join(names)})"
            )
        chosen.append(path)
    if not chosen:
        raise ScenarioError(f"{what}: parameters is empty")
    return list(dict.fromkeys(chosen))


# --------------------------------------------------------------- one at a time


def _one_at_a_time(
    scenario: Scenario,
    target: _Target,
    quantiles: Sequence[float],
    draws: int,
    seed: int,
    statistic: str,
    others: str,
    parameters: Sequence[str] | None,
    block_size: int,
    executor: object,
) -> tuple[pd.DataFrame, float, int, str]:
    names = _parameters(scenario, parameters, "a one-at-a-time analysis")
    if others == "sample":
        base = _base_table(scenario, draws, seed)
    elif others == "median":
        base = _median_table(scenario)
    else:
        raise ScenarioError(f"others must be 'sample' or 'median', got {others!r}")
    qs = [float(q) for q in quantiles]
    for q in qs:
        if not 0.0 < q < 1.0:
            raise ScenarioError(f"quantiles must be strictly between 0 and 1, got {q!r}")
    points: list[dict[str, Any]] = [{}]
    rows = []
    for path in names:
        dist = scenario.uncertain[path]
        for q in qs:
            value = _as_column(dist, dist.is_date, np.array([q]))[0]
            points.append({path: value})
            rows.append({"parameter": path, "quantile": q, "value": value})
    table = _stack(base, points)
    values, units = _evaluate(scenario, table, target, block_size, executor)
    values = values.reshape(len(points), len(base))
    missing = (~np.isfinite(values)).sum(axis=1)
    _warn_nan(
        target,
        int(missing.sum()),
        values.size,
        "they are left out of each statistic (see the nan columns)",
    )
    stats = _statistic(values, statistic)
    long = pd.DataFrame(rows)
    long["metric"] = stats[1:]
    long["nan"] = missing[1:]
    return long, float(stats[0]), int(missing[0]), units


def _attrs(
    target: _Target, statistic: str, units: str, draws: int, seed: int, **extra: Any
) -> dict[str, Any]:
    return {
        **target.attrs(),
        "statistic": statistic,
        "units": units,
        "draws": draws,
        "seed": seed,
        **extra,
    }


def tornado(
    scenario: Scenario | str,
    metric: str,
    provider: str | None = None,
    group: str | None = None,
    draws: int = 200,
    seed: int = 0,
    low: float = 0.1,
    high: float = 0.9,
    statistic: str = "median",
    *,
    year: int | None = None,
    others: str = "sample",
    parameters: Sequence[str] | None = None,
    block_size: int = 1024,
    executor: object = None,
) -> pd.DataFrame:
    """Swing each uncertain parameter between two quantiles, one at a time.

    Each parameter in turn is set to its ``low`` quantile (``dist.ppf(low)``), then to
    its ``high`` quantile, **in every draw**, while the other uncertain parameters keep
    their values from one base sample of ``draws`` rows: the inputs of
    ``simlab.run(scenario, draws, seed)``, the same rows for every swing (common random
    numbers). ``metric_low`` and ``metric_high`` are the ``statistic`` of the metric over
    those draws; ``base`` is the statistic over the base sample itself, nothing fixed. So
    a swing is the change of, e.g., the median NPV that the parameter's uncertainty
    alone can make, averaged over the other uncertainties rather than at one point of
    them; a parameter that cannot change the metric swings by exactly 0. With
    ``others="median"`` the other parameters sit at their medians instead (one draw per
    swing: the classic deterministic tornado).

    Parameters
    ----------
    scenario : Scenario or str
        A scenario with uncertain parameters, or a catalog name or path.
    metric : str
        A per-draw metric (``npv``, ``share_final``, ``irr``, ...) or a yearly one with
        ``year``.
    provider, group : str, optional
        Whose metric: a provider, or a group (``all``, ``open``, ``closed``,
        ``region=XX``); the group ``all`` when neither is given.
    draws : int
        Rows of the base sample.
    seed : int
        Seed of the base sample (as in :func:`~simlab.run`).
    low, high : float
        The quantiles swung between, ``0 < low < high < 1``.
    statistic : str
        ``median``, ``mean``, ``std``, ``p_negative`` (share of draws below 0) or a
        percentile ``qNN``.
    year : int, optional
        The calendar year of a yearly metric.
    others : {"sample", "median"}
        Where the other parameters sit: the base sample, or their medians.
    parameters : sequence of str, optional
        Swing only these uncertain parameters (all by default).
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows (this process by default).

    Returns
    -------
    pandas.DataFrame
        One row per parameter, sorted by ``swing`` (largest first): ``parameter``,
        ``low_value``, ``high_value`` (the parameter's values; dates as datetime64),
        ``metric_low``, ``metric_high``, ``swing`` (``|metric_high - metric_low|``),
        ``base``, and ``nan_low``/``nan_high`` (draws without a value). ``attrs`` hold
        the metric, who, statistic, units, draws, seed, low, high and ``nan_base``.

    Raises
    ------
    ScenarioError
        For an unknown metric, provider, group or parameter, quantiles out of order, or a
        scenario with no uncertain parameter.

    Warns
    -----
    SimlabWarning
        If the metric is NaN for some draws (left out of each statistic, and counted).

    Examples
    --------
    >>> df = simlab.tornado("baseline-2025", "npv", provider="openai")  # doctest: +SKIP
    >>> simlab.plot.tornado(df)  # doctest: +SKIP
    """
    sc = _scenario(scenario)
    target = _target(sc, metric, provider, group, year)
    draws, seed = _count("draws", draws, 1), _count("seed", seed, 0)
    statistic = _check_statistic(statistic)
    if not (0.0 < float(low) < float(high) < 1.0):
        raise ScenarioError(f"need 0 < low < high < 1, got low={low!r}, high={high!r}")
    long, base, nan_base, units = _one_at_a_time(
        sc, target, (low, high), draws, seed, statistic, others, parameters, block_size, executor
    )
    lo = long[long["quantile"] == float(low)].set_index("parameter")
    hi = long[long["quantile"] == float(high)].set_index("parameter")
    out = pd.DataFrame(
        {
            "parameter": lo.index,
            "low_value": lo["value"].to_numpy(),
            "high_value": hi["value"].to_numpy(),
            "metric_low": lo["metric"].to_numpy(),
            "metric_high": hi["metric"].to_numpy(),
        }
    )
    out["swing"] = (out["metric_high"] - out["metric_low"]).abs()
    out["base"] = base
    out["nan_low"] = lo["nan"].to_numpy()
    out["nan_high"] = hi["nan"].to_numpy()
    out = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    used = 1 if others == "median" else draws
    out.attrs.update(
        _attrs(
            target,
            statistic,
            units,
            used,
            seed,
            low=float(low),
            high=float(high),
            nan_base=nan_base,
        )
    )
    return out


def spider(
    scenario: Scenario | str,
    metric: str,
    provider: str | None = None,
    group: str | None = None,
    draws: int = 200,
    seed: int = 0,
    quantiles: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9),
    statistic: str = "median",
    *,
    year: int | None = None,
    others: str = "sample",
    parameters: Sequence[str] | None = None,
    block_size: int = 1024,
    executor: object = None,
) -> pd.DataFrame:
    """Move each uncertain parameter through several quantiles, one at a time.

    The same design as :func:`tornado` (common random numbers: one base sample, each
    parameter fixed in turn at each quantile in every draw), at more than two points.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario with uncertain parameters, or a catalog name or path.
    metric : str
        A per-draw metric, or a yearly one with ``year``.
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    draws, seed : int
        The base sample (as in :func:`~simlab.run`).
    quantiles : sequence of float
        The quantiles each parameter is set to, strictly between 0 and 1.
    statistic : str
        ``median``, ``mean``, ``std``, ``p_negative`` or ``qNN``.
    year : int, optional
        The calendar year of a yearly metric.
    others : {"sample", "median"}
        Where the other parameters sit: the base sample, or their medians.
    parameters : sequence of str, optional
        Only these uncertain parameters.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per (parameter, quantile): ``parameter``, ``quantile``,
        ``value`` (the parameter's value there), ``metric`` (the statistic), ``nan``.
        ``attrs`` as :func:`tornado`'s, with ``base``.

    Raises
    ------
    ScenarioError
        As :func:`tornado`.
    """
    sc = _scenario(scenario)
    target = _target(sc, metric, provider, group, year)
    draws, seed = _count("draws", draws, 1), _count("seed", seed, 0)
    statistic = _check_statistic(statistic)
    if isinstance(quantiles, str) or len(quantiles) == 0:
        raise ScenarioError(f"quantiles must be a non-empty sequence, got {quantiles!r}")
    long, base, nan_base, units = _one_at_a_time(
        sc, target, quantiles, draws, seed, statistic, others, parameters, block_size, executor
    )
    used = 1 if others == "median" else draws
    long.attrs.update(_attrs(target, statistic, units, used, seed, base=base, nan_base=nan_base))
    return long


# --------------------------------------------------------------------------- sweeps


#: Units by a parameter's last key, for axes (docs/model.md, "Units"), where the scenario
#: file gives none.
_UNITS = {
    "price_in": "USD per million tokens",
    "price_out": "USD per million tokens",
    "cost": "USD per million tokens",
    "quality": "index points",
    "need": "index points",
    "step": "index points",
    "potential": "tokens per month",
    "capacity": "tokens per month",
    "capacity_cost": "USD per token/month",
    "opex": "USD per year",
    "training_cost": "USD",
    "cash": "USD",
    "amount": "USD",
    "growth": "per year",
    "cost_decline": "per year",
    "capacity_cost_decline": "per year",
    "opex_growth": "per year",
    "training_growth": "per year",
    "discount_rate": "per year",
    "terminal_growth": "per year",
    "drift": "per year",
    "bass_p": "per year",
    "bass_q": "per year",
    "switching_time": "years",
    "capex_lead": "years",
    "capex_life": "years",
    "cadence": "years",
    "review": "years",
    "lag": "years",
    "years": "years",
    "date": "date",
    "first": "date",
}


def param_units(scenario: Scenario, path: str) -> str:
    """Return a parameter's unit: the scenario's ``unit``, or the model's unit of its key.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    path : str
        A parameter path.

    Returns
    -------
    str
        The unit, ``"fraction"`` for shares and ratios, or ``""`` where none is known.
    """
    param = scenario.params.get(path)
    if param is not None and param.unit:
        return str(param.unit)
    if param is not None and param.is_date:
        return "date"
    key = path.rsplit(".", 1)[-1]
    if key in _UNITS:
        return _UNITS[key]
    if key in (
        "input_share",
        "adoption0",
        "leakage",
        "markup",
        "trigger",
        "cut",
        "floor",
        "ratio",
        "catch_up",
        "kappa",
    ):
        return "fraction"
    return ""


def _grid_values(scenario: Scenario, path: object, values: object) -> np.ndarray:
    if not isinstance(path, str) or path not in scenario.params:
        if isinstance(path, str):
            scenario._require_path(path)
        raise ScenarioError(f"a sweep path must be a parameter path (text), got {path!r}")
    param = scenario.params[path]
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ScenarioError(f"sweep values of {path!r} must be a list of values, got {values!r}")
    if len(values) == 0:
        raise ScenarioError(f"sweep values of {path!r} are empty")
    if param.is_date:
        try:
            stamps = pd.to_datetime(pd.Series(list(values)))
        except (ValueError, TypeError) as exc:
            raise ScenarioError(f"sweep values of {path!r} must be dates: {exc}") from None
        if stamps.isna().any():
            raise ScenarioError(f"sweep values of {path!r} hold a missing date")
        return stamps.to_numpy(dtype="datetime64[ns]")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        raise ScenarioError(f"sweep values of {path!r} must be numbers, got {values!r}") from None
    if array.ndim != 1:
        raise ScenarioError(f"sweep values of {path!r} must be one-dimensional")
    for value in array:
        if not np.isfinite(value) or not param.bounds.contains(float(value)):
            raise ScenarioError(
                f"sweep value of {path!r} must be {param.bounds.describe()}, got {float(value)!r}"
            )
    return array


def sweep(
    scenario: Scenario | str,
    grid: Mapping[str, Sequence[Any]],
    metric: str,
    provider: str | None = None,
    group: str | None = None,
    draws: int = 500,
    seed: int = 0,
    statistic: str | Sequence[str] = ("mean", "median", "q05", "q95"),
    *,
    year: int | None = None,
    block_size: int = 1024,
    executor: object = None,
) -> xr.DataArray:
    """Run a Monte Carlo experiment at every point of a grid of parameter values.

    Every grid point reuses the same base inputs table (the inputs of
    ``simlab.run(scenario, draws, seed)``: common random numbers), with the swept columns
    set to the point's values; a swept parameter that is uncertain loses its
    distribution. All grid points are stacked into one table and run in as few batched
    calls as memory allows (:data:`MAX_ROWS` rows a call), then reshaped onto the grid.
    A scenario with no uncertain parameter is run once per point.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a catalog name or path.
    grid : mapping of str to sequence
        Parameter path to the values it takes (numbers, or dates for date parameters);
        the grid is their Cartesian product, in the mapping's order.
    metric : str
        A per-draw metric, or a yearly one with ``year``.
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    draws : int
        Draws per grid point.
    seed : int
        Seed of the base sample.
    statistic : str or sequence of str
        ``mean``, ``median``, ``std``, ``p_negative`` (share of draws below 0) or
        ``qNN``. A sequence adds a ``statistic`` dim.
    year : int, optional
        The calendar year of a yearly metric.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows (e.g. a dask
        ``Client(...).get_executor()``); the numbers are the same wherever they run.

    Returns
    -------
    xarray.DataArray
        Dims: the swept paths in the order of ``grid`` (coordinates the values, with their
        ``units``), then ``statistic`` when a sequence was given. A coordinate
        ``nan_draws`` counts the draws without a value at each point. ``attrs`` hold the
        metric, who, units, draws and seed.

    Raises
    ------
    ScenarioError
        For a path that is not a parameter, a value outside its range, an unknown metric,
        provider, group or statistic.

    Warns
    -----
    SimlabWarning
        If the metric is NaN for some draws (left out of each statistic, and counted).

    Examples
    --------
    >>> da = simlab.sweep(  # doctest: +SKIP
    ...     "baseline-2025",
    ...     {"providers.deepseek.price_in": [0.1, 0.3, 0.6]},
    ...     metric="share_final",
    ...     provider="deepseek",
    ... )
    """
    sc = _scenario(scenario)
    target = _target(sc, metric, provider, group, year)
    draws, seed = _count("draws", draws, 1), _count("seed", seed, 0)
    block_size = _count("block_size", block_size, 1)
    names = [_check_statistic(statistic)] if isinstance(statistic, str) else None
    if names is None:
        names = [_check_statistic(s) for s in statistic]
        if not names:
            raise ScenarioError("statistic must name at least one statistic")
    if not isinstance(grid, Mapping) or not grid:
        raise ScenarioError(f"grid must map parameter paths to lists of values, got {grid!r}")
    axes = {path: _grid_values(sc, path, values) for path, values in grid.items()}
    shape = tuple(len(v) for v in axes.values())
    mesh = np.meshgrid(*axes.values(), indexing="ij")
    points = [
        {path: mesh[j].reshape(-1)[i] for j, path in enumerate(axes)}
        for i in range(math.prod(shape))
    ]
    if sc.uncertain:
        base = _base_table(sc, draws, seed)
    else:
        base = pd.DataFrame(index=pd.RangeIndex(1, name="draw"))
    table = _stack(base, points)
    values, units = _evaluate(sc, table, target, block_size, executor)
    values = values.reshape(len(points), len(base))
    missing = (~np.isfinite(values)).sum(axis=1)
    _warn_nan(
        target,
        int(missing.sum()),
        values.size,
        "they are left out of each statistic (coordinate nan_draws counts them per point)",
    )
    stats = np.stack([_statistic(values, s) for s in names], axis=-1).reshape(*shape, len(names))
    coords: dict[str, Any] = {
        path: xr.Variable(path, vals, attrs={"units": param_units(sc, path)})
        for path, vals in axes.items()
    }
    coords["statistic"] = names
    coords["nan_draws"] = (tuple(axes), missing.reshape(shape))
    da = xr.DataArray(
        stats,
        dims=(*axes, "statistic"),
        coords=coords,
        name=target.metric,
        attrs=_attrs(target, "", units, len(base), seed),
    )
    del da.attrs["statistic"]
    if isinstance(statistic, str):
        da = da.sel(statistic=statistic, drop=True)
        da.attrs["statistic"] = statistic
    return da


# ---------------------------------------------------------------- global methods


@dataclasses.dataclass
class _Problem:
    """What a global method varies and how it runs a unit-hypercube design."""

    names: list[str]
    run: Callable[[np.ndarray], np.ndarray]  # (rows, k) probabilities -> (rows,) values
    attrs: dict[str, Any]
    label: str


def _function_problem(func: Callable[[pd.DataFrame], Any], distributions: object) -> _Problem:
    if not isinstance(distributions, Mapping) or not distributions:
        raise ScenarioError(
            "a function target needs distributions=: a mapping of input name to a "
            "distribution with .ppf (e.g. scipy.stats.uniform(-3.14, 6.28))"
        )
    for name, dist in distributions.items():
        if not callable(getattr(dist, "ppf", None)):
            raise ScenarioError(f"distributions[{name!r}] has no .ppf method, got {dist!r}")
    names = [str(n) for n in distributions]

    def run(u: np.ndarray) -> np.ndarray:
        table = pd.DataFrame(
            {
                name: _as_column(dist, bool(getattr(dist, "is_date", False)), u[:, j])
                for j, (name, dist) in enumerate(distributions.items())
            }
        )
        out = np.asarray(func(table), dtype=np.float64).reshape(-1)
        if out.shape != (len(table),):
            raise ScenarioError(
                f"the function must return one value per row ({len(table)}), got shape "
                f"{np.shape(out)}"
            )
        return out

    label = getattr(func, "__name__", "function")
    return _Problem(names, run, {"metric": label}, label)


def _scenario_problem(
    scenario: Scenario,
    target: _Target,
    parameters: Sequence[str] | None,
    what: str,
    block_size: int,
    executor: object,
    units: list[str],
) -> _Problem:
    names = _parameters(scenario, parameters, what)
    if scenario.spec.correlations:
        warnings.warn(
            f"{what} treats the uncertain parameters as independent; the scenario's "
            f"{len(scenario.spec.correlations)} rank correlation(s) are not imposed",
            SimlabWarning,
            stacklevel=3,
        )
    fixed = _median_table(scenario)

    def run(u: np.ndarray) -> np.ndarray:
        table = fixed.iloc[np.zeros(len(u), dtype=np.intp)].reset_index(drop=True)
        for j, path in enumerate(names):
            dist = scenario.uncertain[path]
            table[path] = _as_column(dist, dist.is_date, u[:, j])
        table.index = pd.RangeIndex(len(table), name="draw")
        values, unit = _evaluate(scenario, table, target, block_size, executor)
        units.append(unit)
        return values

    return _Problem(names, run, target.attrs(), f"{target.metric}[{target.who}]")


def _problem(
    target: object,
    metric: object,
    provider: object,
    group: object,
    year: object,
    distributions: object,
    parameters: Sequence[str] | None,
    what: str,
    block_size: int,
    executor: object,
    units: list[str],
) -> _Problem:
    if callable(target) and not isinstance(target, Scenario):
        if metric is not None or provider is not None or group is not None or year is not None:
            raise ScenarioError(f"{what} of a function takes no metric, provider, group or year")
        if parameters is not None:
            raise ScenarioError(f"{what} of a function varies all its distributions")
        return _function_problem(target, distributions)
    if distributions is not None:
        raise ScenarioError(
            f"{what} of a scenario varies its own uncertain parameters; leave distributions "
            "out (use Scenario.with_values to change them)"
        )
    sc = _scenario(target)
    if metric is None:
        raise ScenarioError(f"{what} of a scenario needs metric= (e.g. 'npv')")
    tgt = _target(sc, metric, provider, group, year)
    return _scenario_problem(sc, tgt, parameters, what, block_size, executor, units)


def _salib_seed(seed: int, stream: int) -> int:
    # SALib's sobol.analyze tests `if seed:`, so 0 would fall back to numpy's global
    # random state; derive a non-zero seed per stream from a SeedSequence instead.
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0]) | 1


def _saltelli(problem: _Problem, n: int, seed: int, second: bool) -> tuple[np.ndarray, int]:
    from SALib.sample import sobol as sobol_sample

    k = len(problem.names)
    salib = {"num_vars": k, "names": problem.names, "bounds": [[0.0, 1.0]] * k}
    if n & (n - 1):
        warnings.warn(
            f"Sobol' designs keep their balance properties only when n is a power of 2; "
            f"got n={n} (nearest: {1 << (n.bit_length() - 1)} or {1 << n.bit_length()})",
            SimlabWarning,
            stacklevel=3,
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties", category=UserWarning)
        u = sobol_sample.sample(
            salib, n, calc_second_order=second, scramble=True, seed=_salib_seed(seed, 0)
        )
    return u, (2 * k + 2) if second else (k + 2)


def _sobol_analyze(
    problem: _Problem,
    y: np.ndarray,
    group: int,
    second: bool,
    conf_level: float,
    num_resamples: int,
    seed: int,
    warn: bool,
) -> tuple[pd.DataFrame, int]:
    from SALib.analyze import sobol as sobol_analyze

    k = len(problem.names)
    rows = y.reshape(-1, group)
    keep = np.isfinite(rows).all(axis=1)
    dropped = int((~keep).sum())
    rows = rows[keep]
    nan_cols = ["S1", "S1_conf", "ST", "ST_conf"]
    if len(rows) < 2 or np.ptp(rows) == 0:
        if warn:
            why = (
                "the metric does not vary"
                if len(rows) >= 2
                else "fewer than two Saltelli groups have a value"
            )
            warnings.warn(
                f"Sobol' indices of {problem.label} are undefined: {why}",
                SimlabWarning,
                stacklevel=3,
            )
        frame = pd.DataFrame(
            np.nan, index=pd.Index(problem.names, name="parameter"), columns=nan_cols
        )
        return frame, dropped
    salib = {"num_vars": k, "names": problem.names, "bounds": [[0.0, 1.0]] * k}
    with np.errstate(divide="ignore", invalid="ignore"):
        s = sobol_analyze.analyze(
            salib,
            rows.reshape(-1),
            calc_second_order=second,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=_salib_seed(seed, 1),
        )
    frame = pd.DataFrame(
        {c: np.asarray(s[c], dtype=np.float64) for c in nan_cols},
        index=pd.Index(problem.names, name="parameter"),
    )
    return frame, dropped


def _check_conf(conf_level: object, num_resamples: object) -> tuple[float, int]:
    if isinstance(conf_level, bool) or not isinstance(conf_level, float | int):
        raise ScenarioError(f"conf_level must be a number in (0, 1), got {conf_level!r}")
    if not 0.0 < float(conf_level) < 1.0:
        raise ScenarioError(f"conf_level must be in (0, 1), got {conf_level!r}")
    return float(conf_level), _count("num_resamples", num_resamples, 2)


def sobol(
    target: Scenario | str | Callable[[pd.DataFrame], Any],
    metric: str | None = None,
    provider: str | None = None,
    group: str | None = None,
    n: int = 1024,
    seed: int = 0,
    *,
    year: int | None = None,
    distributions: Mapping[str, Any] | None = None,
    parameters: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 200,
    block_size: int = 1024,
    executor: object = None,
) -> pd.DataFrame:
    """Estimate first-order and total Sobol' indices, with bootstrap intervals.

    The design is Saltelli's cross-sampling of a scrambled Sobol' sequence
    (``SALib.sample.sobol``, ``n * (k + 2)`` evaluations for ``k`` parameters); the
    estimators are Saltelli et al. (2010) for S1 and Jansen's for ST, as in
    ``SALib.analyze.sobol``, with percentile-free normal bootstrap intervals. Points are
    drawn in the unit hypercube and mapped through each distribution's ``ppf``.

    Two kinds of target:

    - a **scenario** (or a catalog name or path) and a ``metric``: the parameters are the
      scenario's uncertain ones (or ``parameters``, a subset, the others fixed at their
      medians), run through simlab's engine in batched calls. Rank correlations are not
      imposed (the indices assume independent inputs; a warning says so).
    - a **function** of an inputs table and ``distributions``: ``func(df)`` gets a
      DataFrame with one column per name and returns one value per row.

    Parameters
    ----------
    target : Scenario, str or callable
        What to analyse.
    metric : str, optional
        The scenario metric (per-draw, or yearly with ``year``).
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    n : int
        Base sample size, a power of 2 (1024 is usually enough for S1 and ST to 0.05).
    seed : int
        Seed of the scrambling and of the bootstrap.
    year : int, optional
        The calendar year of a yearly metric.
    distributions : mapping of str to distribution, optional
        For a function target: each input's distribution (anything with ``ppf``, e.g.
        a frozen ``scipy.stats`` distribution or a simlab Distribution).
    parameters : sequence of str, optional
        For a scenario target: only these uncertain parameters.
    conf_level : float
        Level of the bootstrap intervals.
    num_resamples : int
        Bootstrap resamples.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows (scenario targets).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``parameter``; columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (the
        half-widths of the intervals). ``attrs`` hold n, evaluations, conf_level,
        ``nan_groups`` (Saltelli groups left out because the metric was NaN in one of
        their rows) and, for scenarios, metric, who and units.

    Raises
    ------
    ScenarioError
        For a scenario without uncertain parameters, an unknown metric, provider, group or
        parameter, or a function that does not return one value per row.

    Warns
    -----
    SimlabWarning
        If n is not a power of 2; if the metric is NaN in some rows (their whole Saltelli
        group is left out, and counted); if an index is negative beyond its interval
        (too few samples); if the scenario has rank correlations (not imposed).

    See Also
    --------
    sobol_convergence : the indices at several n, to see whether they have settled.

    References
    ----------
    .. [1] Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical
       models and their Monte Carlo estimates. Mathematics and Computers in Simulation
       55, 271-280. https://doi.org/10.1016/S0378-4754(00)00270-6
    .. [2] Saltelli, A. et al. (2010). Variance based sensitivity analysis of model
       output. Design and estimator for the total sensitivity index. Computer Physics
       Communications 181, 259-270. https://doi.org/10.1016/j.cpc.2009.09.018

    Examples
    --------
    >>> import numpy as np, scipy.stats as st
    >>> def ishigami(df):
    ...     x1, x2, x3 = df["x1"], df["x2"], df["x3"]
    ...     return np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    >>> dists = {x: st.uniform(-np.pi, 2 * np.pi) for x in ("x1", "x2", "x3")}
    >>> df = sobol(ishigami, distributions=dists, n=1024, seed=1)
    >>> round(float(df.loc["x2", "S1"]), 1)
    0.4
    """
    n, seed = _count("n", n, 2), _count("seed", seed, 0)
    conf_level, num_resamples = _check_conf(conf_level, num_resamples)
    units: list[str] = []
    problem = _problem(
        target,
        metric,
        provider,
        group,
        year,
        distributions,
        parameters,
        "sobol",
        block_size,
        executor,
        units,
    )
    u, size = _saltelli(problem, n, seed, second=False)
    y = problem.run(u)
    frame, dropped = _sobol_analyze(problem, y, size, False, conf_level, num_resamples, seed, True)
    _warn_groups(problem, y, dropped, n, "Saltelli groups")
    _warn_negative(frame, n)
    frame.attrs.update(
        {
            **problem.attrs,
            "units": units[0] if units else "",
            "n": n,
            "evaluations": len(y),
            "conf_level": conf_level,
            "seed": seed,
            "nan_groups": dropped,
        }
    )
    return frame


def _warn_negative(frame: pd.DataFrame, n: int) -> None:
    """Warn for each index below zero by more than its interval: too few samples for it."""
    for column in ("S1", "ST"):
        upper = frame[column] + frame[f"{column}_conf"]
        for name in frame.index[upper < 0]:
            warnings.warn(
                f"{column} of {name} is {frame.loc[name, column]:.3f} "
                f"± {frame.loc[name, f'{column}_conf']:.3f}: negative beyond its interval, "
                f"so n={n} is too small for it; increase n (see sobol_convergence)",
                SimlabWarning,
                stacklevel=3,
            )


def _warn_groups(problem: _Problem, y: np.ndarray, dropped: int, total: int, what: str) -> None:
    if dropped:
        warnings.warn(
            f"{problem.label}: {int((~np.isfinite(y)).sum())} of {y.size} evaluations have "
            f"no value (NaN); the {dropped} of {total} {what} holding them are left out of "
            "the estimates",
            SimlabWarning,
            stacklevel=3,
        )


def sobol_convergence(
    target: Scenario | str | Callable[[pd.DataFrame], Any],
    metric: str | None = None,
    provider: str | None = None,
    group: str | None = None,
    ns: Sequence[int] = (128, 256, 512, 1024),
    seed: int = 0,
    *,
    year: int | None = None,
    distributions: Mapping[str, Any] | None = None,
    parameters: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 200,
    block_size: int = 1024,
    executor: object = None,
) -> pd.DataFrame:
    """Return Sobol' indices at several sample sizes, to see whether they have settled.

    One design of ``max(ns)`` base points is run once; the indices at each smaller ``n``
    use its first ``n`` Saltelli groups (a scrambled Sobol' sequence's first ``2**m``
    points are themselves a balanced net). Arguments as :func:`sobol`.

    Parameters
    ----------
    target : Scenario, str or callable
        What to analyse (see :func:`sobol`).
    metric, provider, group : str, optional
        The scenario metric and whose.
    ns : sequence of int
        The sample sizes, powers of 2.
    seed : int
        Seed of the scrambling and of the bootstrap.
    year : int, optional
        The calendar year of a yearly metric.
    distributions : mapping, optional
        For a function target.
    parameters : sequence of str, optional
        For a scenario target.
    conf_level : float
        Level of the bootstrap intervals.
    num_resamples : int
        Bootstrap resamples.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows.

    Returns
    -------
    pandas.DataFrame
        Long format: ``n``, ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``,
        ``nan_groups``.
    """
    sizes = sorted({_count("ns[]", v, 2) for v in ns})
    if not sizes:
        raise ScenarioError("ns must hold at least one sample size")
    seed = _count("seed", seed, 0)
    conf_level, num_resamples = _check_conf(conf_level, num_resamples)
    units: list[str] = []
    problem = _problem(
        target,
        metric,
        provider,
        group,
        year,
        distributions,
        parameters,
        "sobol_convergence",
        block_size,
        executor,
        units,
    )
    u, size = _saltelli(problem, sizes[-1], seed, second=False)
    y = problem.run(u)
    parts = []
    dropped_all = 0
    for n in sizes:
        frame, dropped = _sobol_analyze(
            problem, y[: n * size], size, False, conf_level, num_resamples, seed, n == sizes[-1]
        )
        dropped_all = dropped
        frame = frame.reset_index()
        frame.insert(0, "n", n)
        frame["nan_groups"] = dropped
        parts.append(frame)
    _warn_groups(problem, y, dropped_all, sizes[-1], "Saltelli groups")
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(
        {**problem.attrs, "units": units[0] if units else "", "conf_level": conf_level}
    )
    return out


def morris(
    target: Scenario | str | Callable[[pd.DataFrame], Any],
    metric: str | None = None,
    provider: str | None = None,
    group: str | None = None,
    trajectories: int = 20,
    levels: int = 4,
    seed: int = 0,
    *,
    year: int | None = None,
    distributions: Mapping[str, Any] | None = None,
    parameters: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    block_size: int = 1024,
    executor: object = None,
) -> pd.DataFrame:
    """Screen parameters by Morris' elementary effects (cheap: ``trajectories * (k + 1)`` runs).

    Each trajectory moves one parameter at a time across a grid of ``levels`` values of
    its probability scale; levels span the quantiles :data:`MORRIS_SPAN` to
    ``1 - MORRIS_SPAN`` (1 % to 99 %) of each distribution, so unbounded distributions
    stay finite and every parameter moves through the same share of its uncertainty.
    Effects are per unit of that probability scale: ``mu_star`` is comparable across
    parameters, in the metric's units. Use it to pick the handful of parameters worth a
    :func:`sobol` run. Targets as :func:`sobol` (a scenario and metric, or a function and
    distributions).

    Parameters
    ----------
    target : Scenario, str or callable
        What to analyse (see :func:`sobol`).
    metric : str, optional
        The scenario metric (per-draw, or yearly with ``year``).
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    trajectories : int
        Number of trajectories (10 to 50 is usual).
    levels : int
        Grid levels per parameter (even; 4 is usual).
    seed : int
        Seed of the trajectories and of the bootstrap.
    year : int, optional
        The calendar year of a yearly metric.
    distributions : mapping of str to distribution, optional
        For a function target.
    parameters : sequence of str, optional
        For a scenario target: only these uncertain parameters (the others at medians).
    conf_level : float
        Level of the bootstrap interval of ``mu_star``.
    num_resamples : int
        Bootstrap resamples.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``parameter``, sorted by ``mu_star`` (largest first): ``mu`` (mean
        effect, signed), ``mu_star`` (mean absolute effect: importance), ``sigma`` (spread:
        non-linearity or interactions), ``mu_star_conf``. ``attrs`` hold trajectories,
        levels, evaluations, ``nan_trajectories``, metric, who and units.

    Raises
    ------
    ScenarioError
        As :func:`sobol`, and for fewer than 2 trajectories or an odd number of levels.

    Warns
    -----
    SimlabWarning
        If the metric is NaN in some rows (their whole trajectory is left out, and
        counted).

    References
    ----------
    .. [1] Morris, M. D. (1991). Factorial sampling plans for preliminary computational
       experiments. Technometrics 33, 161-174. https://doi.org/10.1080/00401706.1991.10484804
    .. [2] Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design
       for sensitivity analysis of large models. Environmental Modelling & Software 22,
       1509-1518. https://doi.org/10.1016/j.envsoft.2006.10.004
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    trajectories = _count("trajectories", trajectories, 2)
    levels = _count("levels", levels, 2)
    if levels % 2:
        raise ScenarioError(f"levels must be even (e.g. 4), got {levels}")
    seed = _count("seed", seed, 0)
    conf_level, num_resamples = _check_conf(conf_level, num_resamples)
    units: list[str] = []
    problem = _problem(
        target,
        metric,
        provider,
        group,
        year,
        distributions,
        parameters,
        "morris",
        block_size,
        executor,
        units,
    )
    k = len(problem.names)
    salib = {"num_vars": k, "names": problem.names, "bounds": [[0.0, 1.0]] * k}
    x = morris_sample.sample(
        salib, trajectories, num_levels=levels, seed=np.random.default_rng([seed, 2])
    )
    y = problem.run(MORRIS_SPAN + (1.0 - 2.0 * MORRIS_SPAN) * x)
    rows = y.reshape(trajectories, k + 1)
    keep = np.isfinite(rows).all(axis=1)
    dropped = int((~keep).sum())
    _warn_groups(problem, y, dropped, trajectories, "trajectories")
    columns = ["mu", "mu_star", "sigma", "mu_star_conf"]
    if keep.sum() < 2:
        raise SimulationError(
            f"morris: only {int(keep.sum())} of {trajectories} trajectories have a value of "
            f"{problem.label} in every run; nothing to estimate"
        )
    xs = x.reshape(trajectories, k + 1, k)[keep].reshape(-1, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = morris_analyze.analyze(
            salib,
            xs,
            rows[keep].reshape(-1),
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=levels,
            seed=np.random.default_rng([seed, 3]),
        )
    frame = pd.DataFrame(
        {c: np.asarray(s[c], dtype=np.float64) for c in columns},
        index=pd.Index(problem.names, name="parameter"),
    )
    frame = frame.sort_values("mu_star", ascending=False, kind="stable")
    frame.attrs.update(
        {
            **problem.attrs,
            "units": units[0] if units else "",
            "trajectories": trajectories,
            "levels": levels,
            "evaluations": len(y),
            "seed": seed,
            "nan_trajectories": dropped,
        }
    )
    return frame
