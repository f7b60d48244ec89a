"""The data contract of discovery: a matrix of inputs and a per-draw outcome.

Scenario discovery and the given-data sensitivity measures read two things of a run:
its inputs table (one row per draw, one column per uncertain input) and one value per
draw (a claim's true/false, or a metric). This module turns both into plain arrays:

- numbers stay numbers; dates become nanoseconds since 1970 (and limits are shown as
  dates again); booleans, text and pandas categoricals become integer codes of their
  categories, which PRIM peels one category at a time;
- an outcome is 1.0 where it holds, 0.0 where not and NaN where it is undecided.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simlab.errors import ScenarioError, SimlabWarning

if TYPE_CHECKING:
    from simlab.results import Results

__all__ = ["Inputs", "claim_outcome", "encode_inputs", "outcome"]

NUMERIC, DATE, CATEGORY = "number", "date", "category"


@dataclasses.dataclass(frozen=True)
class Inputs:
    """An inputs table as a float matrix, with what each column was."""

    names: list[str]
    x: np.ndarray  # (draws, inputs) float64; categories as codes 0..k-1
    kinds: list[str]  # NUMERIC, DATE or CATEGORY per column
    categories: dict[int, list[Any]]  # column -> its categories, in code order

    def value(self, j: int, x: float) -> Any:
        """Return a limit of column ``j`` as the user knows it (a number or a date)."""
        if self.kinds[j] == DATE:
            return pd.Timestamp(round(x))
        return float(x)

    def take(self, rows: np.ndarray) -> Inputs:
        """Return the same inputs, only some rows."""
        return dataclasses.replace(self, x=self.x[rows])


def encode_inputs(table: pd.DataFrame, like: Inputs | None = None) -> Inputs:
    """Encode an inputs table (numbers, dates, booleans, text, categoricals) as floats.

    With ``like``, categorical columns are coded by ``like``'s categories (a value not
    among them gets code -1, inside no box), so a box found on one table applies to
    another.

    Raises
    ------
    ScenarioError
        If the table has no column, or a column holds NaN.
    """
    if not isinstance(table, pd.DataFrame):
        raise ScenarioError(f"inputs must be a pandas DataFrame, got {type(table).__name__}")
    if table.shape[1] == 0:
        raise ScenarioError("the inputs table has no column: nothing varies between draws")
    names = [str(c) for c in table.columns]
    x = np.empty(table.shape, dtype=np.float64)
    kinds: list[str] = []
    categories: dict[int, list[Any]] = {}
    for j, name in enumerate(names):
        col = table.iloc[:, j]
        if pd.api.types.is_datetime64_any_dtype(col):
            if col.isna().any():
                raise ScenarioError(f"inputs column {name!r} holds missing dates (NaT)")
            x[:, j] = col.to_numpy(dtype="datetime64[ns]").astype(np.int64)
            kinds.append(DATE)
        elif like is not None and j in like.categories:
            x[:, j] = pd.Index(like.categories[j]).get_indexer(col)
            categories[j] = like.categories[j]
            kinds.append(CATEGORY)
        elif pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            cat = pd.Categorical(col)
            if (cat.codes < 0).any():
                raise ScenarioError(f"inputs column {name!r} holds missing values")
            x[:, j] = cat.codes
            categories[j] = list(cat.categories)
            kinds.append(CATEGORY)
        else:
            values = col.to_numpy(dtype=np.float64)
            if not np.isfinite(values).all():
                raise ScenarioError(f"inputs column {name!r} holds NaN or infinite values")
            x[:, j] = values
            kinds.append(NUMERIC)
    return Inputs(names, x, kinds, categories)


def claim_outcome(results: Results, claim: str) -> np.ndarray:
    """Per draw, whether a claim of the run's scenario holds: 1.0, 0.0 or NaN (undecided).

    Raises
    ------
    ScenarioError
        If the scenario has no such claim.
    """
    from simlab.claims import parse_claim

    claims = results.scenario.spec.claims
    if claim not in claims:
        raise ScenarioError(
            f"unknown claim {claim!r} (claims of {results.scenario.name!r}: "
            f"{', '.join(claims) or 'none'})"
        )
    parsed = parse_claim(claims[claim].expr, results.scenario)
    held = parsed.evaluate(results._term)
    return np.array(np.broadcast_to(held, (results.draws,)), dtype=np.float64)


def outcome(
    results: Results,
    claim: str | None = None,
    *,
    metric: str | None = None,
    provider: str | None = None,
    group: str | None = None,
    year: int | None = None,
    below: float | None = None,
    above: float | None = None,
) -> np.ndarray:
    """Return a per-draw outcome of a run: a claim, or a metric below or above a value.

    Parameters
    ----------
    results : Results
        A run.
    claim : str, optional
        A claim of the run's scenario (its key in ``[claims]``).
    metric : str, optional
        Instead of a claim: a metric, with ``below`` or ``above`` (or both: inside).
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    year : int, optional
        The calendar year of a yearly metric.
    below, above : float, optional
        The outcome holds where ``metric < below`` and/or ``metric > above``.

    Returns
    -------
    numpy.ndarray
        One float per draw: 1.0 where the outcome holds, 0.0 where not, NaN where the
        claim or metric has no value (a payback that never comes counts as infinitely
        late, and a missing IRR below or above every rate, as in claims).

    Raises
    ------
    ScenarioError
        For an unknown claim or metric, or when neither or both of a claim and a metric
        are given, or a metric without a threshold.

    Examples
    --------
    >>> y = simlab.outcome(res, "openai-npv-negative")  # doctest: +SKIP
    >>> y = simlab.outcome(res, metric="npv", provider="openai", above=0)  # doctest: +SKIP
    """
    if (claim is None) == (metric is None):
        raise ScenarioError("give a claim or a metric (with below= and/or above=), not both")
    if claim is not None:
        return claim_outcome(results, claim)
    if below is None and above is None:
        raise ScenarioError(f"metric {metric!r}: give below= and/or above= (a threshold)")
    from simlab.sensitivity._common import _target

    assert metric is not None
    target = _target(results.scenario, metric, provider, group, year)
    results.metric(target.metric, target.who, target.year)  # checks the names
    # A payback that never comes is infinitely late; a missing IRR ranks below every rate
    # where the flows never pay back or the NPV is negative (above where not), as in claims.
    values = np.asarray(results._ranked(target.metric, target.who, target.year), dtype=np.float64)
    held = np.ones(values.shape, dtype=bool)
    if below is not None:
        held &= values < float(below)
    if above is not None:
        held &= values > float(above)
    return np.where(np.isnan(values), np.nan, held.astype(np.float64))


def inputs_and_outcome(
    data: Results | pd.DataFrame, y: str | Sequence[Any] | np.ndarray, what: str
) -> tuple[Inputs, np.ndarray]:
    """Return the encoded inputs and a 0/1 outcome, undecided draws left out.

    ``data`` is a Results (``y`` may then be a claim name) or an inputs table; ``y`` is
    one value per draw: booleans, or 1/0 with NaN for undecided.
    """
    from simlab.results import Results

    if isinstance(data, Results):
        table = data.inputs
        if isinstance(y, str):
            y = claim_outcome(data, y)
    elif isinstance(data, pd.DataFrame):
        table = data
        if isinstance(y, str):
            raise ScenarioError(
                f"{what}: a claim name ({y!r}) needs a Results, not an inputs table"
            )
    else:
        raise ScenarioError(
            f"{what}: data must be a Results or an inputs DataFrame, got {type(data).__name__}"
        )
    values = np.asarray(y, dtype=np.float64).reshape(-1)
    if values.shape[0] != len(table):
        raise ScenarioError(
            f"{what}: the outcome has {values.shape[0]} values for {len(table)} draws"
        )
    known = ~np.isnan(values)
    if not np.isin(values[known], (0.0, 1.0)).all():
        raise ScenarioError(
            f"{what}: the outcome must be true/false (1/0, NaN for undecided); for a "
            "metric use simlab.outcome(res, metric=..., below=... or above=...)"
        )
    inputs = encode_inputs(table)
    if not known.all():
        warnings.warn(
            f"{what}: {int((~known).sum())} of {values.size} draws have no outcome (NaN) "
            "and are left out",
            SimlabWarning,
            stacklevel=3,
        )
        inputs = inputs.take(known)
        values = values[known]
    return inputs, values
