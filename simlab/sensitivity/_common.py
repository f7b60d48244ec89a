"""Shared machinery of the sensitivity methods: targets, evaluation, statistics, tables."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from simlab._args import names_arg
from simlab._hints import did_you_mean
from simlab.errors import ScenarioError, SimlabWarning, SimulationError
from simlab.executors import resolve_executor
from simlab.metrics import YEARLY_METRICS, metric_names, suggest_metric
from simlab.progress import progress_bar
from simlab.resources import MAX_SEED
from simlab.scenario.load import Scenario, load_scenario
from simlab.scenario.overrides import check_live

__all__ = ["IN_FLIGHT", "MAX_ROWS", "Rows", "param_units"]

#: Rows per batched :func:`~simlab.simulate` call; a sweep of more rows runs in chunks,
#: each built only when it runs. On the ten-year baseline a sweep of any size then peaks
#: near 0.8 GB (the engine's records and a chunk's Results), against 1 GB at 32,768.
MAX_ROWS = 16_384

#: Chunks submitted to an executor and not yet collected, at most (bounds the memory of
#: the tables waiting in its queue; plenty to keep a few dozen workers busy).
IN_FLIGHT = 64

_STAT_RE = re.compile(r"^q(\d{1,3}(?:\.\d+)?)$")
# Probabilities are kept strictly inside (0, 1), as simlab.uncertainty's samplers do.
_LOWEST = 2.0**-54
_HIGHEST = 1.0 - 2.0**-53


class _HasPpf(Protocol):
    def ppf(self, q: Any) -> Any: ...  # the inverse CDF


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


def _target(
    scenario: Scenario,
    metric: object,
    provider: object,
    group: object,
    year: object,
) -> _Target:
    names = metric_names()
    if not isinstance(metric, str) or metric not in names:
        hint = suggest_metric(metric, names) if isinstance(metric, str) else ""
        raise ScenarioError(f"unknown metric {metric!r}{hint}; allowed: {', '.join(names)}")
    if provider is not None and group is not None:
        raise ScenarioError(
            f"give provider or group, not both (got provider={provider!r}, group={group!r})"
        )
    if provider is not None:
        if provider not in scenario.providers:
            named = {scenario.label(p): p for p in scenario.providers}
            hint = did_you_mean(str(provider), scenario.providers, named)
            raise ScenarioError(
                f"{scenario.origin}: unknown provider {provider!r}{hint} "
                f"(providers: {', '.join(scenario.providers)})"
            )
        who = str(provider)
    else:
        groups = scenario.groups
        who = "all" if group is None else str(group)
        if who not in groups:
            raise ScenarioError(
                f"{scenario.origin}: unknown group {group!r}{did_you_mean(who, groups)} "
                f"(groups: {', '.join(groups)})"
            )
    if metric in YEARLY_METRICS:
        years = scenario.years
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
    if value > MAX_SEED:
        raise ScenarioError(f"{name} must be at most 2**63 - 1, got {value!r}")
    return int(value)


@dataclasses.dataclass(frozen=True)
class _Chunk:
    """Rows of an inputs table to run in a worker: plain data, the scenario as JSON."""

    document: str
    origin: str
    scenario_hash: str
    table: pd.DataFrame
    target: _Target
    block_size: int
    ranked: bool = False


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
    return _simulate_values(
        scenario, chunk.table, chunk.target, chunk.block_size, ranked=chunk.ranked
    )[0]


def _simulate_values(
    scenario: Scenario,
    table: pd.DataFrame,
    target: _Target,
    block_size: int,
    ranked: bool = False,
) -> tuple[np.ndarray, str]:
    """Run a table's rows; return the target metric per row and its units.

    With ``ranked``, a missing IRR is -inf or +inf where its rank is known (the flows never
    pay back or the NPV is negative; or not), as in summaries (:func:`simlab.tables.irr_ranks`).
    """
    from simlab.experiment import simulate

    inputs = table if table.shape[1] else None
    res = simulate(scenario, inputs, block_size=block_size)
    data = res.metric(target.metric, target.who, target.year)
    values = data.to_numpy().astype(np.float64)
    if ranked and target.metric == "irr":
        from simlab.tables import irr_ranks

        values = irr_ranks(res, target.who)[0]
    if inputs is None:  # no column: one run of the point values stands for every row
        values = np.repeat(values, len(table))
    return values, str(data.attrs.get("units", ""))


def _evaluate(
    scenario: Scenario,
    rows: Rows | pd.DataFrame,
    target: _Target,
    block_size: int,
    executor: object,
    ranked: bool = False,
) -> tuple[np.ndarray, str]:
    """Run every row and return the target metric per row, and its units.

    ``ranked``: a missing IRR as -inf/+inf where its rank is known (see
    :func:`_simulate_values`); for statistics over draws, not for variance estimators.

    In this process: batched :func:`~simlab.simulate` calls of up to :data:`MAX_ROWS`
    rows, each chunk of the table built only when it runs. With an executor: chunks of
    ``block_size`` rows submitted to it (at most :data:`IN_FLIGHT` at a time), put back
    in row order (bit-identical numbers either way).
    """
    executor = resolve_executor(executor)  # the pool of a simlab.pool() block
    source = rows if isinstance(rows, Rows) else Rows(rows, [{}])
    n = len(source)
    desc = f"{scenario.name}: {target.metric}[{target.who}]"
    with progress_bar(None, n, desc, "run") as bar:
        if executor is None:
            # Smaller chunks when a bar shows, so it moves; rows are independent, so the
            # numbers are the same whatever the chunking.
            size = MAX_ROWS if bar.disable else max(block_size, min(MAX_ROWS, n // 20 or 1))
            parts, units = [], ""
            for start in range(0, n, size):
                chunk = source.take(start, min(n, start + size))
                values, units = _simulate_values(scenario, chunk, target, block_size, ranked)
                parts.append(values)
                bar.update(len(chunk))
            return np.concatenate(parts), units
        return _evaluate_on(scenario, source, target, block_size, executor, bar, ranked)


def _evaluate_on(
    scenario: Scenario,
    source: Rows,
    target: _Target,
    block_size: int,
    executor: object,
    bar: Any,
    ranked: bool = False,
) -> tuple[np.ndarray, str]:
    """:func:`_evaluate` with an executor: chunks of ``block_size`` rows, in row order."""
    n = len(source)
    from simlab.results import scenario_to_json

    pool, owned = _executor(executor)
    document = scenario_to_json(scenario)
    starts = iter(range(0, n, block_size))
    pending: collections.deque[Any] = collections.deque()
    parts = []
    try:
        while True:
            while len(pending) < IN_FLIGHT and (begin := next(starts, None)) is not None:
                chunk = source.take(begin, min(n, begin + block_size))
                job = _Chunk(
                    document, scenario.origin, scenario.hash, chunk, target, block_size, ranked
                )
                pending.append(pool.submit(_run_chunk, job))
            if not pending:
                break
            parts.append(np.asarray(pending.popleft().result(), dtype=np.float64))
            bar.update(len(parts[-1]))
    finally:
        for future in pending:
            future.cancel()
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)
    # The units come from one tiny run here (workers send back only numbers).
    _, units = _simulate_values(scenario, source.take(0, 1), target, block_size)
    return np.concatenate(parts), units


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
    """Apply a statistic over the last axis, leaving NaN draws out.

    Draws at -inf or +inf (a missing IRR with a known rank) count in the median, the
    quantiles and ``p_negative``, as in summaries; a point with any has no mean or std
    (NaN).
    """
    finite = np.isfinite(values)
    if np.isinf(values).any() and name not in ("mean", "std"):
        from simlab.tables import quantiles_of

        rows = values.reshape(-1, values.shape[-1])
        if name == "p_negative":
            counted = ~np.isnan(rows)
            below = (np.where(counted, rows, 0.0) < 0).sum(axis=-1)
            out = np.where(
                counted.any(axis=-1), below / np.maximum(counted.sum(axis=-1), 1), np.nan
            )
        else:
            q = 0.5 if name == "median" else float(name[1:]) / 100.0
            out = np.array([quantiles_of(row, [q])[0] for row in rows])
        return out.reshape(values.shape[:-1])
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a point with no finite draw: NaN
        if name == "mean":
            return np.where(
                np.isinf(values).any(axis=-1),
                np.nan,
                np.nanmean(np.where(finite, values, np.nan), axis=-1),
            )
        if name == "median":
            return np.nanmedian(np.where(finite, values, np.nan), axis=-1)
        if name == "std":
            return np.where(
                np.isinf(values).any(axis=-1),
                np.nan,
                np.nanstd(np.where(finite, values, np.nan), axis=-1, ddof=1),
            )
        if name == "p_negative":
            kept = finite.sum(axis=-1)
            below = (np.where(finite, values, 0.0) < 0).sum(axis=-1)
            return np.where(kept > 0, below / np.maximum(kept, 1), np.nan)
        q = float(name[1:]) / 100.0
        return np.nanquantile(np.where(finite, values, np.nan), q, axis=-1)


def _evaluate_points(
    scenario: Scenario,
    base: pd.DataFrame,
    points: list[dict[str, Any]],
    target: _Target,
    block_size: int,
    executor: object,
    how: str,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Run the same base draws at every point (common random numbers).

    Returns the target metric as (points, draws), the number of NaN draws per point, and
    the units; warns (``how`` says what is done with them) if any draw is NaN.
    """
    values, units = _evaluate(
        scenario, Rows(base, points), target, block_size, executor, ranked=True
    )
    values = values.reshape(len(points), len(base))
    missing = (~np.isfinite(values)).sum(axis=1)
    if target.metric == "irr":  # ranked, not left out: say so
        how = (
            "each ranks below every rate where the flows never pay back or the NPV < 0, above "
            "where not, in the median, quantiles and p_negative (no mean or std where any)"
        )
    _warn_nan(target, int(missing.sum()), values.size, how)
    return values, missing, units


def _warn_nan(target: _Target, missing: int, total: int, how: str) -> None:
    if missing:
        warnings.warn(
            f"{target.metric}[{target.who}]: {missing} of {total} draws have no value (NaN, "
            f"e.g. no IRR or no payback in the horizon); {how}",
            SimlabWarning,
            stacklevel=3,
        )


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


class Rows:
    """An inputs table too big to hold: ``base`` repeated once per point, with overrides.

    Row ``i`` is base row ``i % len(base)`` of point ``i // len(base)``, with the point's
    columns set to its values (common random numbers: every point sees the same base
    draws). :meth:`take` builds any slice of rows, so memory holds one chunk at a time.

    Parameters
    ----------
    base : pandas.DataFrame
        The base inputs table (it may have no column).
    points : sequence of mapping
        Per point, the columns it sets and their values (``{}`` keeps the base row).
    """

    def __init__(self, base: pd.DataFrame, points: Sequence[Mapping[str, Any]]) -> None:
        self.base = base
        self.points = list(points)
        self._columns = {c: base[c].to_numpy() for c in base.columns}
        self._over: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for column in dict.fromkeys(c for point in self.points for c in point):
            sets = np.array([column in point for point in self.points])
            if column not in self._columns and not sets.all():
                raise SimulationError(f"internal: column {column!r} has no base value")
            filler = next(point[column] for point in self.points if column in point)
            values = np.array([point.get(column, filler) for point in self.points])
            self._over[column] = (sets, values)

    def __len__(self) -> int:
        return len(self.base) * len(self.points)

    def take(self, start: int, stop: int) -> pd.DataFrame:
        """Return rows ``start:stop`` as an inputs table (index ``draw`` from 0)."""
        point, row = np.divmod(np.arange(start, stop), len(self.base))
        out = {c: values[row] for c, values in self._columns.items()}
        for column, (sets, values) in self._over.items():
            chosen = values[point]
            out[column] = np.where(sets[point], chosen, out[column]) if column in out else chosen
        return pd.DataFrame(out, index=pd.RangeIndex(stop - start, name="draw"))


def _require_uncertain(scenario: Scenario, what: str) -> None:
    if not scenario.uncertain:
        raise ScenarioError(
            f"{scenario.origin}: {what} needs uncertain parameters, and scenario "
            f"{scenario.name!r} has none (give a figure a distribution, e.g. "
            '{dist = "pert", low = ..., mode = ..., high = ...}, or use Scenario.with_values)'
        )


def _parameters(
    scenario: Scenario, parameters: Sequence[str] | None, what: str, strict: bool = False
) -> list[str]:
    """Return the uncertain parameters an analysis varies; flag those a pricing rule overrides."""
    chosen = _chosen_parameters(scenario, parameters, what)
    check_live(scenario, chosen, strict=strict, stacklevel=5)
    return chosen


def _chosen_parameters(
    scenario: Scenario, parameters: Sequence[str] | None, what: str
) -> list[str]:
    _require_uncertain(scenario, what)
    names = list(scenario.uncertain)
    if parameters is None:
        return names
    parameters = names_arg(parameters, "parameters")
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


def param_units(scenario: Scenario, path: str) -> str:
    """Return a parameter's unit (:meth:`Scenario.unit_of <simlab.scenario.load.Scenario.unit_of>`).

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
    if path not in scenario.params:
        from simlab.scenario.units import param_unit

        return param_unit(path)
    return scenario.unit_of(path)
