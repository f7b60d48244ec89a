"""Carry a calibration into a forward scenario's file: distributions fitted to calibrated draws.

:meth:`Calibration.forward_inputs <simlab.calibration.Calibration.forward_inputs>` carries
the calibrated draws themselves into one forward run. A scenario file cannot hold draws, so
here each calibrated parameter becomes a PERT matched to its calibrated median and 90 %
interval (:func:`fit_pert`), and the rank correlations history imposes between the carried
parameters become the file's ``[[correlations]]`` (:func:`carried_correlations`, applied by
Iman-Conover as every scenario's correlations are). ``docs/fit_calibrated.py`` writes them
into the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from simlab.calibration.scoring import weighted_quantile
from simlab.errors import ScenarioError
from simlab.uncertainty.distributions import Pert

if TYPE_CHECKING:
    from simlab.calibration.matching import Calibration

__all__ = ["FORWARD", "carried_correlations", "fit_pert"]

#: The hindcast's parameters that mean the same in 2025-2035 as in 2023-2025 (diffusion
#: speed, the volume's price elasticity, the API potential's growth at the hindcast's end),
#: and the baseline's paths each stands for. Public (sovereign) buyers keep their own
#: elasticity and growth: budgets, not prices or the developer boom, set them.
FORWARD: dict[str, tuple[str, ...]] = {
    "segments.consumer.bass_p": ("segments.consumer.bass_p",),
    "segments.consumer.bass_q": ("segments.consumer.bass_q",),
    "segments.api.bass_q": (
        "segments.developer.bass_q",
        "segments.enterprise.bass_q",
        "segments.public.bass_q",
    ),
    "segments.api.elasticity": ("segments.developer.elasticity", "segments.enterprise.elasticity"),
    "segments.api.growth": ("segments.developer.growth", "segments.enterprise.growth"),
}

#: The quantiles a fitted PERT matches.
QUANTILES = (0.05, 0.5, 0.95)


def fit_pert(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    support: tuple[float, float] = (-np.inf, np.inf),
) -> Pert:
    """Return the PERT whose 5 %, 50 % and 95 % quantiles match those of weighted draws.

    The low, mode, high and shape are fitted by bounded least squares on the three
    quantiles (scaled by the 90 % interval's width), with ``low`` and ``high`` inside
    ``support`` (the prior's: calibrated draws never leave it) and a weak pull of the
    shape toward the classic 4, which picks one of the many exact matches. A shape below
    4 is flatter than the classic PERT, which a calibration that rules out only one end
    of a uniform prior needs.

    Parameters
    ----------
    values : array_like
        The calibrated draws of one parameter.
    weights : array_like, optional
        Their weights (equal if omitted).
    support : (float, float)
        Bounds for ``low`` and ``high``.

    Returns
    -------
    Pert
        The fitted distribution.

    Raises
    ------
    ScenarioError
        If the draws have no spread (a fixed value needs no distribution).

    Examples
    --------
    >>> truth = Pert(low=0.1, mode=0.4, high=1.5)
    >>> draws = truth.ppf((np.arange(20_000) + 0.5) / 20_000)
    >>> fitted = fit_pert(draws, support=(0.0, 3.0))
    >>> q = fitted.ppf(np.array([0.05, 0.5, 0.95])) - truth.ppf(np.array([0.05, 0.5, 0.95]))
    >>> bool(np.abs(q).max() < 1e-3)
    True
    """
    from scipy.optimize import least_squares

    x = np.asarray(values, dtype=np.float64)
    w = np.full(x.size, 1.0 / x.size) if weights is None else np.asarray(weights, float)
    target = np.asarray(weighted_quantile(x, list(QUANTILES), w), dtype=np.float64)
    width = float(target[2] - target[0])
    if not width > 0:
        raise ScenarioError(
            f"fit_pert: the draws' 90 % interval has no width ({target[0]:g} to {target[2]:g}); "
            "a fixed value needs no distribution"
        )
    u = np.array(QUANTILES)
    # Where the support is open, ``low`` and ``high`` stay within ten widths of the draws.
    lo_bound = max(support[0], target[0] - 10.0 * width)
    hi_bound = min(support[1], target[2] + 10.0 * width)

    def unpack(p: np.ndarray) -> Pert:
        low, high, frac, log_shape = (float(v) for v in p)
        return Pert(
            low=low, mode=low + frac * (high - low), high=high, shape=float(np.exp(log_shape))
        )

    def residual(p: np.ndarray) -> np.ndarray:
        fitted = unpack(p)
        misfit = (fitted.ppf(u) - target) / width
        return np.append(misfit, 1e-3 * (p[3] - np.log(4.0)))

    start = np.array(
        [
            max(lo_bound, target[0] - 0.5 * width),
            min(hi_bound, target[2] + 0.5 * width),
            0.5,
            np.log(4.0),
        ]
    )
    lower = [lo_bound, target[2], 1e-3, np.log(0.05)]
    upper = [target[0], hi_bound, 1.0 - 1e-3, np.log(50.0)]
    start = np.clip(start, lower, upper)
    fit = least_squares(residual, start, bounds=(lower, upper), xtol=1e-12, ftol=1e-12)
    return unpack(fit.x)


def carried_correlations(
    cal: Calibration,
    mapping: Mapping[str, Sequence[str]] = FORWARD,
    *,
    together: float = 0.8,
    least: float = 0.1,
) -> list[tuple[str, str, float]]:
    """Return the rank correlations to carry with the fitted distributions.

    Between the forward paths of two calibrated parameters ``i`` and ``j``: ``together``
    times their calibrated (weighted) Spearman correlation; between two forward paths of
    one calibrated parameter (the hindcast's one API segment, the forward's several):
    ``together``. That is the correlation of ``X_a = sqrt(together) Z_i + sqrt(1 -
    together) E_a`` (``Z`` the calibrated parameters, ``E`` independent noise), so the
    matrix is always a valid correlation matrix. Pairs below ``least`` in magnitude are
    left out.

    Parameters
    ----------
    cal : Calibration
        The calibration.
    mapping : mapping of str to sequence of str
        Calibrated path -> the forward paths it stands for.
    together : float
        How closely the forward paths of one calibrated parameter move together, in
        (0, 1).
    least : float
        The smallest correlation kept.

    Returns
    -------
    list of (str, str, float)
        ``(path_a, path_b, rho)``, rho rounded to two decimals.
    """
    from scipy.stats import rankdata

    if not 0.0 < together < 1.0:
        raise ScenarioError(f"carried_correlations: together must be in (0, 1), got {together!r}")
    sources = list(mapping)
    w = cal.weights
    ranks = np.column_stack([rankdata(cal.inputs[s].to_numpy()) for s in sources])
    centred = ranks - (w[:, None] * ranks).sum(axis=0)
    cov = (w[:, None] * centred).T @ centred
    sd = np.sqrt(np.diag(cov))
    rho = cov / np.outer(sd, sd)
    out: list[tuple[str, str, float]] = []
    targets = [(i, t) for i, s in enumerate(sources) for t in mapping[s]]
    for a, (i, ta) in enumerate(targets):
        for j, tb in targets[a + 1 :]:
            r = together if i == j else together * float(rho[i, j])
            if abs(r) >= least:
                out.append((ta, tb, round(r, 2)))
    return out
