"""Grid sweeps: a Monte Carlo run at every point of a grid, in batched calls."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from simlab._args import names_arg
from simlab.errors import ScenarioError
from simlab.progress import with_progress
from simlab.resources import check_memory
from simlab.scenario.load import TV_GROWTH, TV_RATE, Scenario
from simlab.scenario.overrides import check_live
from simlab.sensitivity._common import (
    _attrs,
    _base_table,
    _check_statistic,
    _count,
    _evaluate_points,
    _scenario,
    _statistic,
    _target,
    param_units,
)

__all__ = ["sweep"]


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
        listed = pd.Series(list(values))
        if listed.dtype.kind in "iufcb":
            raise ScenarioError(
                f"sweep values of {path!r} must be dates ('YYYY-MM-DD' or datetime64), got "
                f"numbers {list(values)[:3]!r}"
            )
        try:
            stamps = pd.to_datetime(listed)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ScenarioError(f"sweep values of {path!r} must be dates: {exc}") from None
        if stamps.isna().any():
            raise ScenarioError(f"sweep values of {path!r} hold a missing date")
        days = stamps.to_numpy(dtype="datetime64[D]").astype(np.int64).astype(np.float64)
        outside = scenario.misplaced_dates(path, days)
        if outside.any():
            raise ScenarioError(
                f"sweep value {str(stamps[int(np.flatnonzero(outside)[0])])[:10]} of {path!r} "
                f"is outside the horizon {scenario.spec.start} to {scenario.spec.end} "
                f"(end exclusive); allowed: {scenario.date_rule(path)}"
            )
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


def _check_terminal_value(scenario: Scenario, axes: Mapping[str, np.ndarray]) -> None:
    """Refuse a grid whose discount rate and terminal growth can give no terminal value.

    Every grid point runs every base draw, so the lowest swept (or drawn) discount rate
    meets the highest swept (or drawn) terminal growth.
    """
    if TV_RATE not in axes and TV_GROWTH not in axes:
        return

    def extreme(path: str, high: bool) -> tuple[float, str]:
        if path in axes:
            value = float(np.max(axes[path]) if high else np.min(axes[path]))
            return value, f"the sweep value {value:g} of {path}"
        low_value, high_value = scenario.value_range(path)
        value = high_value if high else low_value
        return value, f"{path} = {value:g} (the scenario's {'highest' if high else 'lowest'})"

    rate, rate_text = extreme(TV_RATE, high=False)
    growth, growth_text = extreme(TV_GROWTH, high=True)
    if scenario.terminal_value_refused(np.array(rate), np.array(growth)):
        raise ScenarioError(
            f"sweep: {growth_text} and {rate_text} give no terminal value: "
            f"{scenario.terminal_value_rule()}"
        )


@with_progress
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
    strict: bool = False,
    progress: bool | None = None,
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
        Inside a :func:`simlab.pool` block, None and ``"processes"`` mean its pool.
    strict : bool
        Refuse, rather than warn about, a varied parameter that a pricing rule overrides
        from the first step (see :mod:`simlab.scenario.overrides`).
    progress : bool, optional
        Show a progress bar over the model runs; by default in a notebook or a
        terminal (see :mod:`simlab.progress`), never with False.

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
    DeadParameterWarning
        If a varied parameter is overridden by its provider's pricing rule from the
        first step (e.g. a ``cost_plus`` provider's ``price_in``).
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
    names = [_check_statistic(s) for s in names_arg(statistic, "statistic")]
    if not isinstance(grid, Mapping) or not grid:
        raise ScenarioError(f"grid must map parameter paths to lists of values, got {grid!r}")
    axes = {path: _grid_values(sc, path, values) for path, values in grid.items()}
    _check_terminal_value(sc, axes)
    check_live(sc, axes, strict=strict)
    shape = tuple(len(v) for v in axes.values())
    check_memory(
        f"sweep over {math.prod(shape):,} grid points of {draws:,} draws",
        float(math.prod(shape)) * (draws * 8 * 4 + 400),
        "use fewer grid values or draws",
    )
    mesh = np.meshgrid(*axes.values(), indexing="ij")
    points = [
        {path: mesh[j].reshape(-1)[i] for j, path in enumerate(axes)}
        for i in range(math.prod(shape))
    ]
    if sc.uncertain:
        base = _base_table(sc, draws, seed)
    else:
        base = pd.DataFrame(index=pd.RangeIndex(1, name="draw"))
    values, missing, units = _evaluate_points(
        sc,
        base,
        points,
        target,
        block_size,
        executor,
        "they are left out of each statistic (coordinate nan_draws counts them per point)",
    )
    stats = np.stack([_statistic(values, s) for s in names], axis=-1).reshape(*shape, len(names))
    coords: dict[str, Any] = {}
    for path, vals in axes.items():
        # Date coordinates carry no "units": xarray's time encoding owns that attribute.
        meta = {} if sc.params[path].is_date else {"units": param_units(sc, path)}
        coords[path] = xr.Variable(path, vals, attrs=meta)
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
