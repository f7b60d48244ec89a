"""Score a run against observations: the model's band, the observed value, the distance.

For each observation, :func:`score` gives the model's median and 90 % interval over the
draws, the observed value and its tolerance interval, and the standardised distance
(implausibility, Craig et al. 1997)

    I = |g(median) - g(z)| / sqrt(sigma_obs^2 + sigma_model^2)

with ``g`` the observation's scale (log for relative and factor tolerances), ``sigma_obs``
a quarter of the tolerance interval and ``sigma_model`` the spread of the draws (their 90 %
interval over 3.29, a robust standard deviation). ``I > 3`` (Pukelsheim's three-sigma
rule) flags the observation as implausible under the run's uncertainty.

References
----------
Craig, P. S., Goldstein, M., Seheult, A. H. & Smith, J. A. (1997). Pressure matching for
hydrocarbon reservoirs: a case study in the use of Bayes linear strategies for large
computer experiments. In *Case Studies in Bayesian Statistics III*, 37-93.
https://doi.org/10.1007/978-1-4612-2290-3_2

Pukelsheim, F. (1994). The three sigma rule. *The American Statistician* 48(2), 88-91.
https://doi.org/10.1080/00031305.1994.10476030
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simlab.calibration.observations import Observations, distance, observe

if TYPE_CHECKING:
    from simlab.results import Results

__all__ = ["CUT", "score", "score_values", "weighted_quantile"]

#: The implausibility above which an observation (or a draw) is ruled out.
CUT = 3.0
#: Width of a normal's central 90 % interval in standard deviations.
_Z90 = 3.2897


def weighted_quantile(
    values: np.ndarray, q: np.ndarray | list[float], weights: np.ndarray | None = None
) -> np.ndarray:
    """Quantiles of ``values`` (NaN dropped) under ``weights`` (equal by default).

    The weighted empirical CDF is interpolated at the mid-points of each value's weight,
    which gives :func:`numpy.quantile`'s default ("linear") for equal weights up to the
    end points.

    Examples
    --------
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), [0.5]).tolist()
    [2.0]
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(x) & (w > 0)
    x, w = x[keep], w[keep]
    qs = np.asarray(q, dtype=np.float64)
    if not x.size:
        return np.full(qs.shape, np.nan)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cum, x)


def score_values(
    observations: Observations, model: np.ndarray, weights: np.ndarray | None = None
) -> pd.DataFrame:
    """Score per-draw model values of each observation (see :func:`score`).

    Parameters
    ----------
    observations : Observations
    model : numpy.ndarray
        ``(draws, observations)``, as :func:`~simlab.calibration.observe` returns.
    weights : numpy.ndarray, optional
        One weight per draw (a calibration's); equal by default.

    Returns
    -------
    pandas.DataFrame
        As :func:`score`.
    """
    rows = []
    for j, o in enumerate(observations.values()):
        q05, median, q95 = weighted_quantile(model[:, j], [0.05, 0.5, 0.95], weights)
        if o.log_scale and q05 > 0:
            spread = (np.log(q95) - np.log(q05)) / _Z90
        elif o.log_scale:
            spread = np.inf
        else:
            spread = (q95 - q05) / _Z90
        gap = distance(o, np.array([median]))[0] * o.sigma
        implausibility = gap / np.sqrt(o.sigma**2 + spread**2) if np.isfinite(gap) else np.inf
        rows.append(
            {
                "observation": o.id,
                "metric": o.metric,
                "who": o.who,
                "when": o.when,
                "observed": o.value,
                "low": o.low,
                "high": o.high,
                "median": median,
                "q05": q05,
                "q95": q95,
                "implausibility": float(implausibility),
                "within_tolerance": bool(o.low <= median <= o.high),
                "in_band": bool(q05 <= o.value <= q95),
                "implausible": bool(implausibility > CUT),
                "missing": int(np.count_nonzero(~np.isfinite(model[:, j]))),
                "primary": o.primary,
                "source": o.source,
            }
        )
    return pd.DataFrame(rows).set_index("observation")


def score(results: Results, observations: Observations) -> pd.DataFrame:
    """Score a run against observations, one row per observation.

    Parameters
    ----------
    results : Results
        A run with per-step paths (``simlab.run(..., paths=True)``) of the scenario the
        observations are for (e.g. ``history-2023``).
    observations : Observations
        From :func:`~simlab.calibration.load_observations`.

    Returns
    -------
    pandas.DataFrame
        Index ``observation``; columns ``metric``, ``who``, ``when``, ``observed``,
        ``low`` and ``high`` (the tolerance interval), the model's ``median``, ``q05`` and
        ``q95`` (its 90 % interval), ``implausibility`` (see the module docs),
        ``within_tolerance`` (the median inside the tolerance interval), ``in_band`` (the
        observed value inside the model's 90 % interval), ``implausible``
        (implausibility above :data:`CUT`), ``missing`` (draws where the value is
        undefined, e.g. no model at a price-decline threshold), ``primary`` and ``source``.

    Raises
    ------
    ScenarioError
        If the run has no paths, or an observation names a provider, group or month the
        run does not have.

    Examples
    --------
    >>> import simlab
    >>> obs = simlab.load_observations("history-2023")
    >>> res = simlab.run("history-2023", draws=64, seed=1, paths=True, progress=False)
    >>> table = simlab.score(res, obs)
    >>> table.loc["openai-revenue-2024", "observed"]
    np.float64(3700000000.0)
    """
    return score_values(observations, observe(results, observations))
