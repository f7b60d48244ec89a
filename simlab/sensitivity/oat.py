"""One-at-a-time sensitivity: tornado and spider tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simlab._args import number_arg
from simlab.errors import ScenarioError
from simlab.progress import with_progress
from simlab.scenario.load import Scenario
from simlab.sensitivity._common import (
    _as_column,
    _attrs,
    _base_table,
    _check_statistic,
    _count,
    _evaluate_points,
    _median_table,
    _parameters,
    _scenario,
    _statistic,
    _Target,
    _target,
)
from simlab.sensitivity.table import SensitivityTable

__all__ = ["spider", "tornado"]


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
    strict: bool = False,
) -> tuple[pd.DataFrame, float, int, str]:
    names = _parameters(scenario, parameters, "a one-at-a-time analysis", strict)
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
    values, missing, units = _evaluate_points(
        scenario,
        base,
        points,
        target,
        block_size,
        executor,
        "they are left out of each statistic (see the nan columns)",
    )
    stats = _statistic(values, statistic)
    long = pd.DataFrame(rows)
    long["metric"] = stats[1:]
    long["nan"] = missing[1:]
    return long, float(stats[0]), int(missing[0]), units


@with_progress
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
    strict: bool = False,
    progress: bool | None = None,
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
        Where to run chunks of ``block_size`` rows (this process by default; inside a
        :func:`simlab.pool` block, its pool).
    strict : bool
        Refuse, rather than warn about, a varied parameter that a pricing rule overrides
        from the first step (see :mod:`simlab.scenario.overrides`).
    progress : bool, optional
        Show a progress bar over the model runs; by default in a notebook or a
        terminal (see :mod:`simlab.progress`), never with False.

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
    DeadParameterWarning
        If a varied parameter is overridden by its provider's pricing rule from the
        first step (e.g. a ``cost_plus`` provider's ``price_in``).
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
    low, high = number_arg(low, "low"), number_arg(high, "high")
    if not (0.0 < float(low) < float(high) < 1.0):
        raise ScenarioError(f"need 0 < low < high < 1, got low={low!r}, high={high!r}")
    long, base, nan_base, units = _one_at_a_time(
        sc,
        target,
        (low, high),
        draws,
        seed,
        statistic,
        others,
        parameters,
        block_size,
        executor,
        strict,
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
    return SensitivityTable.of(out, "Tornado")


@with_progress
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
    strict: bool = False,
    progress: bool | None = None,
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
        Where to run chunks of ``block_size`` rows (inside a :func:`simlab.pool` block,
        None means its pool).
    strict : bool
        Refuse, rather than warn about, a varied parameter that a pricing rule overrides
        from the first step (see :mod:`simlab.scenario.overrides`).
    progress : bool, optional
        Show a progress bar over the model runs; by default in a notebook or a
        terminal (see :mod:`simlab.progress`), never with False.

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
        sc,
        target,
        quantiles,
        draws,
        seed,
        statistic,
        others,
        parameters,
        block_size,
        executor,
        strict,
    )
    used = 1 if others == "median" else draws
    long.attrs.update(_attrs(target, statistic, units, used, seed, base=base, nan_base=nan_base))
    return SensitivityTable.of(long, "Spider")
