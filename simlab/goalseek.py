"""Goal seek on a probability: where a claim's probability crosses a target.

"Which DeepSeek price makes P(closed labs below half of revenue by 2030) = 0.5?" The
probability is estimated at each trial value on the *same* draws (common random numbers:
one base inputs table, exactly the inputs of ``simlab.run(scenario, draws, seed)``, with
only the sought parameter's column set to the trial value). It is then a deterministic,
step-wise function of the value, and bisection finds where it crosses the target.

The answer carries two intervals:

- ``bracket``: the last pair of trial values on either side of the crossing (the
  numerical precision, down to ``tol``);
- ``low`` and ``high``: where the probability crosses the target minus and plus ``z``
  binomial standard errors of a probability at the target (``z = 1.96``: 95 %), found by
  bisection too. With another seed the crossing would move about that much: it is the
  Monte Carlo uncertainty of the answer.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simlab.errors import ScenarioError
from simlab.scenario.load import TV_GROWTH, TV_RATE

if TYPE_CHECKING:
    from simlab.scenario.load import Scenario

__all__ = ["GoalSeek", "goal_seek"]


@dataclasses.dataclass(frozen=True)
class GoalSeek:
    """The answer of :func:`goal_seek`.

    Attributes
    ----------
    param : str
        The parameter sought.
    claim : str
        The claim.
    target : float
        The probability sought.
    value : float
        The parameter value at which the claim's probability crosses ``target`` (the
        middle of ``bracket``).
    bracket : tuple of float
        The last trial values on either side of the crossing.
    low, high : float
        The crossings of ``target`` minus and plus ``z`` standard errors: the answer's
        Monte Carlo interval (NaN where that level is not reached in the searched range).
    evaluations : pandas.DataFrame
        Every trial: ``value`` and ``probability``, sorted by value.
    draws : int
        Draws per trial.
    """

    param: str
    claim: str
    target: float
    value: float
    bracket: tuple[float, float]
    low: float
    high: float
    evaluations: pd.DataFrame
    draws: int

    def __str__(self) -> str:
        return (
            f"P({self.claim}) = {self.target:g} at {self.param} = {self.value:.4g} "
            f"(interval {self.low:.4g} to {self.high:.4g}; {self.draws} draws, "
            f"{len(self.evaluations)} trials)"
        )


def goal_seek(
    scenario: Scenario | str,
    param: str,
    claim: str,
    target: float = 0.5,
    *,
    low: float,
    high: float,
    draws: int = 1000,
    seed: int = 0,
    tol: float | None = None,
    z: float = 1.96,
    max_trials: int = 60,
) -> GoalSeek:
    """Find the value of one parameter at which a claim's probability equals a target.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a catalog name or path.
    param : str
        A numeric parameter path, e.g. ``"providers.deepseek.price_in"``; uncertain or
        not, it is set to each trial value in every draw.
    claim : str
        A claim of the scenario (its key in ``[claims]``).
    target : float
        The probability sought, in (0, 1).
    low, high : float
        The range searched; the claim's probability must be on either side of
        ``target`` at its ends.
    draws : int
        Draws per trial (the same draws at every trial).
    seed : int
        Seed of those draws, as for :func:`~simlab.run`.
    tol : float, optional
        Stop when the bracket is narrower than this; ``(high - low) / 1000`` by default.
    z : float
        The width of the interval ``low``-``high`` in standard errors.
    max_trials : int
        At most this many trials in all.

    Returns
    -------
    GoalSeek

    Raises
    ------
    ScenarioError
        For an unknown parameter or claim, a value outside the parameter's range (or a
        discount rate or terminal growth that leaves no terminal value), or a target that
        is not bracketed by the probabilities at ``low`` and ``high`` (the
        message gives both).

    Warns
    -----
    DeadParameterWarning
        If a rule of the scenario overrides ``param`` (it cannot move the probability).

    Examples
    --------
    >>> found = simlab.goal_seek(
    ...     "baseline-2025", "finance.discount_rate", "openai-npv-negative",
    ...     target=0.5, low=0.04, high=0.3, draws=500,
    ... )  # doctest: +SKIP
    >>> print(found)  # doctest: +SKIP
    """
    from simlab.discover._data import claim_outcome
    from simlab.experiment import _scenario, sample_inputs, simulate

    sc = _scenario(scenario)
    if not isinstance(param, str) or param not in sc.params:
        if isinstance(param, str):
            sc._require_path(param)
        raise ScenarioError(f"goal_seek: param must be a parameter path, got {param!r}")
    from simlab.scenario.overrides import check_live

    check_live(sc, [param])  # a parameter a rule overrides: warn, naming the live one
    spec = sc.params[param]
    if spec.is_date:
        raise ScenarioError(f"goal_seek: {param!r} is a date; goal seek takes a number")
    if claim not in sc.spec.claims:
        raise ScenarioError(
            f"goal_seek: unknown claim {claim!r} (claims of {sc.name!r}: "
            f"{', '.join(sc.spec.claims) or 'none'})"
        )
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target < 1:
        raise ScenarioError(f"goal_seek: target must be a probability in (0, 1), got {target!r}")
    for name, value in (("low", low), ("high", high)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ScenarioError(f"goal_seek: {name} must be a number, got {value!r}")
        if not spec.bounds.contains(float(value)):
            raise ScenarioError(
                f"goal_seek: {name} = {value!r} is outside {param!r}'s range "
                f"({spec.bounds.describe()})"
            )
    if not low < high:
        raise ScenarioError(f"goal_seek: low must be below high, got {low!r} and {high!r}")
    if param in (TV_RATE, TV_GROWTH):
        # The lowest rate (highest growth) tried meets every drawn value of the other.
        other = TV_GROWTH if param == TV_RATE else TV_RATE
        other_low, other_high = sc.value_range(other)
        rate, growth = (low, other_high) if param == TV_RATE else (other_low, high)
        if sc.terminal_value_refused(np.array(rate), np.array(growth)):
            bound = "low" if param == TV_RATE else "high"
            raise ScenarioError(
                f"goal_seek: {bound} = {float(low if param == TV_RATE else high):g} of {param} "
                f"with {other} reaching {float(growth if param == TV_RATE else rate):g} gives "
                f"no terminal value: {sc.terminal_value_rule()}"
            )
    tol = (high - low) / 1000 if tol is None else float(tol)
    if not tol > 0:
        raise ScenarioError(f"goal_seek: tol must be > 0, got {tol!r}")

    base = sample_inputs(sc, draws, seed)
    seen: dict[float, float] = {}

    def probability(value: float) -> float:
        if value not in seen:
            if len(seen) >= max_trials:
                raise _Budget
            table = base.copy()
            table[param] = float(value)
            held = claim_outcome(simulate(sc, table), claim)
            seen[value] = float(np.nanmean(held)) if (~np.isnan(held)).any() else np.nan
        return seen[value]

    p_low, p_high = probability(float(low)), probability(float(high))
    if not (min(p_low, p_high) <= target <= max(p_low, p_high)) or p_low == p_high:
        raise ScenarioError(
            f"goal_seek: the target {target:g} is not bracketed: P({claim}) is {p_low:.3g} at "
            f"{param} = {low:g} and {p_high:.3g} at {high:g}; widen low/high, or the claim's "
            "probability may not reach the target in this scenario"
        )
    rising = p_high > p_low

    def crossing(level: float) -> tuple[float, float]:
        """Bisect for the first value where the probability passes ``level``."""
        before = [v for v, p in seen.items() if (p < level) == rising]
        b = min(v for v, p in seen.items() if (p < level) != rising)
        a = max(v for v in before if v < b)
        try:
            while b - a > tol:
                mid = 0.5 * (a + b)
                if (probability(mid) < level) == rising:
                    a = mid
                else:
                    b = mid
        except _Budget:
            pass
        return a, b

    bracket = crossing(float(target))
    half = z * math.sqrt(target * (1 - target) / draws)
    ends = []
    for level in (target - half, target + half):
        inside = min(p_low, p_high) <= level <= max(p_low, p_high)
        ends.append(0.5 * sum(crossing(level)) if inside else float("nan"))
    lo, hi = (ends[0], ends[1]) if rising else (ends[1], ends[0])
    evaluations = pd.DataFrame(sorted(seen.items()), columns=["value", "probability"]).reset_index(
        drop=True
    )
    return GoalSeek(
        param=param,
        claim=claim,
        target=float(target),
        value=0.5 * (bracket[0] + bracket[1]),
        bracket=bracket,
        low=lo,
        high=hi,
        evaluations=evaluations,
        draws=len(base),
    )


class _Budget(Exception):
    """Raised inside :func:`goal_seek` when ``max_trials`` trials have been run."""
