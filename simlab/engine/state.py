"""Per-block parameter arrays: every scenario path resolved to one value per draw.

The engine reads parameters from a :class:`BlockValues`: the scenario's point values,
overridden column by column by an inputs table (one row per draw). Inside the engine,
arrays are laid out with the draw axis LAST, ``(segments, providers, draws)``: the
reductions over the short provider and segment axes then run over contiguous rows,
which measured about twice as fast for the logit step (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simlab.errors import ScenarioError
from simlab.scenario.load import TV_GROWTH, TV_RATE, Scenario
from simlab.scenario.params import Bounds

__all__ = ["BlockValues", "inputs_to_values", "validate_inputs"]


@dataclass(frozen=True)
class BlockValues:
    """Parameter values for a block of draws.

    Attributes
    ----------
    values : dict of str to numpy.ndarray
        Every parameter path to a float64 array of shape ``(draws,)`` (dates as float
        days since 1970-01-01).
    draws : int
        Number of draws in the block.
    offset : int
        Index of the block's first draw in the whole run (for error messages).
    """

    values: Mapping[str, np.ndarray]
    draws: int
    offset: int = 0

    def __getitem__(self, path: str) -> np.ndarray:
        return self.values[path]

    def get(self, path: str) -> np.ndarray | None:
        """Return a path's values, or None when the scenario leaves it unset."""
        return self.values.get(path)

    def row(self, b: int) -> dict[str, float]:
        """Return draw ``b``'s value of every path."""
        return {k: float(v[b]) for k, v in self.values.items()}


def _inside(values: np.ndarray, bounds: Bounds) -> np.ndarray:
    """Vectorised :meth:`Bounds.contains`."""
    low = values > bounds.low if bounds.low_open else values >= bounds.low
    high = values < bounds.high if bounds.high_open else values <= bounds.high
    return np.asarray(low & high)


def validate_inputs(scenario: Scenario, inputs: pd.DataFrame) -> pd.DataFrame:
    """Check an inputs table against a scenario and return it in canonical form.

    Columns must be parameter paths of the scenario; values must be finite and inside
    each parameter's allowed range; date columns may hold datetimes or ISO text.

    Raises
    ------
    ScenarioError
        Naming the column, the row and the value.
    """
    if not isinstance(inputs, pd.DataFrame):
        raise ScenarioError(f"inputs must be a pandas DataFrame, got {type(inputs).__name__}")
    if len(inputs) == 0:
        raise ScenarioError("inputs table has no rows (one row per draw is needed)")
    params = scenario.params
    names = [str(c) for c in inputs.columns]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ScenarioError(f"inputs: column(s) {', '.join(map(repr, twice))} appear twice")
    out: dict[str, np.ndarray] = {}
    for column in inputs.columns:
        path = str(column)
        if path not in params:
            scenario._require_path(path)
        param = params[path]
        series = inputs[column]
        if param.is_date:
            if series.dtype.kind in "iufcb":
                raise ScenarioError(
                    f"inputs[{path!r}]: needs dates (datetime64 or 'YYYY-MM-DD' text), got "
                    f"numbers ({series.dtype})"
                )
            try:
                stamps = pd.to_datetime(series)
            except (ValueError, TypeError, OverflowError) as exc:
                raise ScenarioError(f"inputs[{path!r}]: not dates: {str(exc)[:200]}") from None
            values = stamps.to_numpy(dtype="datetime64[D]").astype(np.int64).astype(np.float64)
            if stamps.isna().any():
                row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
                raise ScenarioError(f"inputs[{path!r}]: row {row}: missing date")
            outside = scenario.misplaced_dates(path, values)
            if outside.any():
                row = int(np.flatnonzero(outside)[0])
                raise ScenarioError(
                    f"inputs[{path!r}]: row {row}: date {str(stamps.iloc[row])[:10]} is outside "
                    f"the horizon {scenario.spec.start} to {scenario.spec.end} (end exclusive); "
                    f"allowed: {scenario.date_rule(path)}"
                )
        else:
            try:
                values = series.to_numpy(dtype=np.float64)
            except (ValueError, TypeError):
                raise ScenarioError(
                    f"inputs[{path!r}]: values must be numbers, got dtype {series.dtype}"
                ) from None
            bad = ~np.isfinite(values)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ScenarioError(
                    f"inputs[{path!r}]: row {row}: must be finite, got {float(values[row])!r}"
                )
            inside = _inside(values, param.bounds)
            if not inside.all():
                row = int(np.flatnonzero(~inside)[0])
                raise ScenarioError(
                    f"inputs[{path!r}]: row {row}: must be {param.bounds.describe()}, "
                    f"got {float(values[row])!r}"
                )
        out[path] = values
    _check_terminal_value(scenario, out)
    return pd.DataFrame(out, index=pd.RangeIndex(len(inputs), name="draw"))


def _check_terminal_value(scenario: Scenario, columns: Mapping[str, np.ndarray]) -> None:
    """Refuse a row whose discount rate and terminal growth give no terminal value."""
    if TV_RATE not in columns and TV_GROWTH not in columns:
        return
    params = scenario.params
    rate = columns.get(TV_RATE, np.asarray(params[TV_RATE].value))
    growth = columns.get(TV_GROWTH, np.asarray(params[TV_GROWTH].value))
    refused = scenario.terminal_value_refused(rate, growth)
    if refused.any():
        row = int(np.flatnonzero(refused)[0])
        rate, growth = np.broadcast_arrays(rate, growth)

        def shown(path: str, value: float) -> str:
            whence = "" if path in columns else " (the scenario's value)"
            return f"{path} = {value:g}{whence}"

        raise ScenarioError(
            f"inputs: row {row}: {shown(TV_GROWTH, float(growth[row]))} and "
            f"{shown(TV_RATE, float(rate[row]))} give no terminal value "
            f"({int(refused.sum())} row(s) in all): {scenario.terminal_value_rule()}"
        )


def inputs_to_values(
    scenario: Scenario, inputs: pd.DataFrame | None, start: int, stop: int
) -> BlockValues:
    """Resolve rows ``start:stop`` of a (validated) inputs table into a :class:`BlockValues`.

    With no inputs, one draw of the point values.
    """
    draws = (stop - start) if inputs is not None else 1
    values: dict[str, np.ndarray] = {}
    for path, param in scenario.params.items():
        if inputs is not None and path in inputs.columns:
            values[path] = np.ascontiguousarray(inputs[path].to_numpy(dtype=np.float64)[start:stop])
        else:
            values[path] = np.full(draws, param.value, dtype=np.float64)
    return BlockValues(values=values, draws=draws, offset=start)
