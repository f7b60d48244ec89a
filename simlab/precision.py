"""Precision targets for :func:`simlab.run`'s ``until=``: when a run has enough draws.

A precision-targeted run adds blocks of draws until the Monte Carlo standard error of
every statistic it watches is at most a target, or its draw budget is spent. What it
watches is a :class:`Precision`:

- the probability of each of the scenario's claims (or of some of them), with the
  binomial standard error of a proportion; or
- one quantile of a metric, with the distribution-free standard error read off the
  order statistics (half the distance between the quantiles at ``q ± sqrt(q (1 - q) / n)``,
  the one-sigma interval of the binomial count below the quantile).

A claim that has held in none (or all) of the draws so far has a binomial standard error
of 0, which would stop a run after its first block. The stopping rule therefore uses
Laplace's estimate ``(k + 1) / (n + 2)`` in the standard error, which is never 0 and
needs about ``1 / (4 se^2)`` draws to pass for a claim that never holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from simlab.errors import ScenarioError

if TYPE_CHECKING:
    from simlab.results import Results
    from simlab.scenario.load import Scenario

__all__ = ["Precision", "precision_reached"]


@dataclasses.dataclass(frozen=True)
class Precision:
    """The precision a run should reach: a standard error and what it applies to.

    Parameters
    ----------
    se : float
        The target standard error, > 0: of a probability (e.g. 0.005 for half a
        percentage point) or of a quantile, in the metric's units.
    claims : sequence of str, optional
        Claims (keys of the scenario's ``[claims]``) whose probabilities are watched; all
        of them when omitted and no ``metric`` is given.
    metric : str, optional
        Watch a quantile of this metric instead of the claims.
    who : str
        The metric's provider or group (``all`` by default).
    year : int, optional
        The calendar year of a yearly metric.
    quantile : float
        The quantile of ``metric`` watched (0.5: the median).
    min_draws : int
        Draws run before the first look (at least one block).

    Examples
    --------
    Every claim's probability to +- 0.5 percentage points (one standard error), or the
    median of OpenAI's NPV to +- USD 10 B:

    >>> import simlab
    >>> every_claim = simlab.Precision(se=0.005)
    >>> npv_median = simlab.Precision(se=1e10, metric="npv", who="openai", quantile=0.5)
    """

    se: float
    claims: Sequence[str] | None = None
    metric: str | None = None
    who: str = "all"
    year: int | None = None
    quantile: float = 0.5
    min_draws: int = 1000

    def check(self, scenario: Scenario) -> Precision:
        """Validate against a scenario; return the precision with its claims listed.

        Raises
        ------
        ScenarioError
            For a target that is not a positive number, an unknown claim, or a scenario
            with no claim when no metric is given.
        """
        se = self.se
        if (
            isinstance(se, bool)
            or not isinstance(se, int | float)
            or not np.isfinite(se)
            or se <= 0
        ):
            raise ScenarioError(f"until: se must be a positive number, got {se!r}")
        if isinstance(self.min_draws, bool) or not isinstance(self.min_draws, int):
            raise ScenarioError(f"until: min_draws must be an integer, got {self.min_draws!r}")
        if self.metric is not None:
            if self.claims is not None:
                raise ScenarioError("until: give claims or a metric, not both")
            if not 0.0 < self.quantile < 1.0:
                raise ScenarioError(f"until: quantile must be in (0, 1), got {self.quantile!r}")
            return self
        known = list(scenario.spec.claims)
        if self.claims is None:
            if not known:
                raise ScenarioError(
                    f"until: scenario {scenario.name!r} has no claims; give "
                    "Precision(metric=...) to watch a metric's quantile"
                )
            return dataclasses.replace(self, claims=tuple(known))
        if isinstance(self.claims, str):
            raise ScenarioError(f"until: claims must be a list of names, got {self.claims!r}")
        for name in self.claims:
            if name not in known:
                raise ScenarioError(
                    f"until: unknown claim {name!r} (claims of {scenario.name!r}: "
                    f"{', '.join(known) or 'none'})"
                )
        return dataclasses.replace(self, claims=tuple(self.claims))

    def describe(self) -> str:
        """One line: what is watched and the target."""
        if self.metric is not None:
            year = f", {self.year}" if self.year is not None else ""
            return f"se of q{self.quantile:g} of {self.metric}[{self.who}{year}] <= {self.se:g}"
        return f"se of P({', '.join(self.claims or ())}) <= {self.se:g}"


def _laplace_se(held: np.ndarray) -> float:
    decided = held[~np.isnan(held)]
    n = decided.size
    if n == 0:
        return float("inf")
    p = (float(decided.sum()) + 1.0) / (n + 2.0)
    return float(np.sqrt(p * (1.0 - p) / n))


def quantile_se(values: np.ndarray, q: float) -> float:
    """Distribution-free standard error of the ``q`` quantile of finite ``values``.

    Half the distance between the empirical quantiles at ``q - s`` and ``q + s``, with
    ``s = sqrt(q (1 - q) / n)``: the binomial one-sigma interval of the quantile's rank.

    Examples
    --------
    >>> x = np.random.default_rng(1).standard_normal(100_000)
    >>> round(float(quantile_se(x, 0.5) * np.sqrt(x.size)), 1)  # sqrt(pi / 2) = 1.25...
    1.3
    """
    finite = values[np.isfinite(values)]
    n = finite.size
    if n < 2:
        return float("inf")
    s = np.sqrt(q * (1.0 - q) / n)
    low, high = np.quantile(finite, [max(q - s, 0.0), min(q + s, 1.0)])
    return float(high - low) / 2.0


def precision_reached(results: Results, precision: Precision) -> tuple[bool, float]:
    """Whether a run's draws so far meet a (checked) precision; and the largest se.

    Parameters
    ----------
    results : Results
        The draws so far.
    precision : Precision
        A precision returned by :meth:`Precision.check`.

    Returns
    -------
    tuple of (bool, float)
        True when every watched standard error is at most ``precision.se``; the largest
        of them.
    """
    if precision.metric is not None:
        values = results.metric(precision.metric, precision.who, precision.year).to_numpy()
        worst = quantile_se(np.asarray(values, dtype=np.float64), precision.quantile)
    else:
        from simlab.discover._data import claim_outcome

        worst = max(_laplace_se(claim_outcome(results, c)) for c in precision.claims or ())
    return worst <= precision.se, worst
