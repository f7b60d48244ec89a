"""Sensitivity from a run's own draws, and conditional scenario analysis.

Every measure here reads the inputs table and one per-draw value of a run that already
exists: no extra engine runs (unlike :func:`~simlab.tornado` or :func:`~simlab.sobol`,
which build designs of their own).

:func:`drivers` ranks the inputs by

- ``spearman``: Spearman's rank correlation with the metric;
- ``srrc``: the standardised rank regression coefficient (the metric's ranks regressed on
  all the inputs' ranks at once; meaningful where the regression's R², kept in
  ``attrs["rank_r2"]``, is high);
- ``prcc``: the partial rank correlation (each input's rank correlation with the metric
  once the other inputs' linear rank effects are taken out);
- ``contribution``: contribution to variance as Crystal Ball reports it, the squared rank
  correlations scaled to sum to 1, with the correlation's sign;
- the given-data estimators, on at most ``given_draws`` draws picked at random (seeded):
  ``delta``, Borgonovo's moment-independent measure by Plischke, Borgonovo and Smith's
  (2013) estimator (as SALib's ``calc_delta``, computed here about 30 times
  faster; SALib's bootstrap, which also seeds numpy's global random state, is left
  out); ``pawn``, the median over 10 slices of the
  input of the Kolmogorov-Smirnov distance between the metric's conditional and
  unconditional distributions (Pianosi and Wagener 2015; as SALib's ``pawn.analyze``,
  computed here for all slices at once, which is about 20 times faster and gives the
  same numbers); ``rbd_fast``, the first-order index by random balance designs
  (Tarantola et al. 2006, Plischke 2010; SALib's ``rbd_fast.analyze``, with
  ``rbd_fast_conf`` the half-width of its 95 % interval from 10 bootstrap resamples).

:func:`conditional` is @RISK's scenario analysis: for the draws where an outcome holds,
how far each input's median moved, in standard deviations of that input.

References
----------
Borgonovo, E. (2007). A new uncertainty importance measure. Reliability Engineering &
System Safety 92(6), 771-784. doi:10.1016/j.ress.2006.04.015.

Plischke, E., Borgonovo, E. and Smith, C. L. (2013). Global sensitivity measures from
given data. European Journal of Operational Research 226(3), 536-550.
doi:10.1016/j.ejor.2012.11.047.

Pianosi, F. and Wagener, T. (2015). A simple and efficient method for global sensitivity
analysis based on cumulative distribution functions. Environmental Modelling & Software
67, 1-11. doi:10.1016/j.envsoft.2015.01.004.

Plischke, E. (2010). An effective algorithm for computing global sensitivity indices
(EASI). Reliability Engineering & System Safety 95(4), 354-360.
doi:10.1016/j.ress.2009.11.005.

Iman, R. L. and Conover, W. J. (1979). The use of the rank transform in regression.
Technometrics 21(4), 499-509. doi:10.1080/00401706.1979.10489819.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simlab.discover._data import encode_inputs, inputs_and_outcome
from simlab.errors import ScenarioError, SimlabWarning

if TYPE_CHECKING:
    from simlab.results import Results

__all__ = ["GIVEN_DATA", "RANK_METHODS", "conditional", "drivers"]

#: Measures computed from ranks over every draw.
RANK_METHODS = ("spearman", "srrc", "prcc", "contribution")
#: Given-data estimators, computed on at most ``given_draws`` draws.
GIVEN_DATA = ("delta", "pawn", "rbd_fast")


def _ranks(a: np.ndarray) -> np.ndarray:
    """Average ranks down each column (ties share their mean rank), as float64.

    One argsort per column (ranks without ties do not depend on how a sort breaks
    them); only columns with ties go through scipy's ``rankdata`` (continuous inputs
    have none), which is about three times as slow.
    """
    from scipy.stats import rankdata

    n, k = a.shape
    order = np.argsort(a, axis=0)
    ranked = np.take_along_axis(a, order, axis=0)
    out = np.empty((n, k), dtype=np.float64)
    positions = np.arange(1, n + 1, dtype=np.float64)
    tied = (ranked[1:] == ranked[:-1]).any(axis=0) if n > 1 else np.zeros(k, dtype=bool)
    for j in range(k):
        if tied[j]:
            out[:, j] = rankdata(a[:, j])
        else:
            out[order[:, j], j] = positions
    return out


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the block on one BLAS thread, when threadpoolctl is there to say so.

    The rank correlations are one product of the (draws x inputs) ranks with themselves:
    0.1 s on one OpenBLAS thread for 100,000 x 91, but 1.7 to 6.3 s on two threads of
    a 2-core machine that other processes also use (threads that wait for each other
    spin). threadpoolctl comes with scikit-learn (``simlab[discover]``); without it the
    product runs as numpy is set up.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _rank_measures(x: np.ndarray, y: np.ndarray) -> tuple[dict[str, np.ndarray], float]:
    """Spearman, SRRC, PRCC and contribution to variance of each column of ``x``."""
    k = x.shape[1]
    z = np.column_stack([_ranks(x), _ranks(y[:, None])])
    z -= z.mean(axis=0)
    sd = z.std(axis=0)
    live = sd > 0
    out = {name: np.full(k, np.nan) for name in RANK_METHODS}
    if not live[-1]:
        return out, float("nan")
    cols = np.flatnonzero(live[:-1])
    zs = z[:, [*cols, k]] / sd[[*cols, k]]
    with _one_blas_thread():
        corr = zs.T @ zs / zs.shape[0]
    rho = corr[:-1, -1]
    out["spearman"][cols] = rho
    beta, *_ = np.linalg.lstsq(corr[:-1, :-1], rho, rcond=None)
    out["srrc"][cols] = beta
    r2 = float(beta @ rho)
    precision = np.linalg.pinv(corr)
    out["prcc"][cols] = -precision[:-1, -1] / np.sqrt(
        precision[:-1, :-1].diagonal() * precision[-1, -1]
    )
    out["contribution"][cols] = np.sign(rho) * rho**2 / np.sum(rho**2)
    return out, r2


def pawn_median(x: np.ndarray, y: np.ndarray, slices: int = 10) -> np.ndarray:
    """PAWN's median Kolmogorov-Smirnov distance for each column of ``x``.

    The same slices and statistic as SALib's ``pawn.analyze(problem, X, Y, S=slices)``
    (slice ``s`` holds the draws with the input in ``[q_s, q_{s+1})`` of its quantiles;
    the distance is scipy's two-sample KS statistic between the slice's metric and all
    of it), for all slices of a column at once: the empirical CDFs are read at the sorted
    metric values from cumulative counts.
    """
    n, k = x.shape
    order = np.argsort(y, kind="stable")
    ys = y[order]
    last = np.r_[ys[1:] != ys[:-1], True]  # the last draw of each run of equal values
    f_all = (np.arange(1, n + 1) / n)[last]
    edges_at = np.arange(0, 1 + 1 / slices, 1 / slices)
    out = np.full(k, np.nan)
    for j in range(k):
        xj = x[:, j]
        edges = np.nanquantile(xj, edges_at)
        label = np.searchsorted(edges, xj, side="right") - 1  # slice s: edges[s] <= x < edges[s+1]
        label[label >= slices] = slices  # the maximum (x == edges[-1]) is in no slice
        onehot = np.zeros((n, slices + 1), dtype=np.int32)
        onehot[np.arange(n), label[order]] = 1
        counts = np.cumsum(onehot[:, :slices], axis=0)[last]
        sizes = counts[-1]
        used = sizes > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.abs(counts[:, used] / sizes[used] - f_all[:, None]).max(axis=0)
        out[j] = np.median(dist) if dist.size else np.nan
    return out


def _kde(sample: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of a 1-D sample on a grid, Silverman's bandwidth.

    The same numbers as ``scipy.stats.gaussian_kde(sample, bw_method="silverman")(grid)``
    without its general d-dimensional machinery (a triangular solve per call).
    """
    n = sample.size
    factor = (n * 3.0 / 4.0) ** (-1.0 / 5.0)
    var = float(np.var(sample, ddof=1)) * factor**2
    z = (grid[None, :] - sample[:, None]) ** 2 / (2.0 * var)
    return np.exp(-z).sum(axis=0) / (n * np.sqrt(2.0 * np.pi * var))


def delta_index(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Borgonovo's delta of each column of ``x`` from given data, without bootstrap.

    Plischke, Borgonovo and Smith's (2013) estimator (their eq. 26) as SALib's
    ``calc_delta`` computes it: the draws are cut into ``M`` classes of equal size by
    the input's (ordinal) ranks, ``M`` by SALib's rule; the metric's density (Gaussian
    kernels, Silverman's bandwidth, 100 grid points) in each class is compared with its
    density over all draws. Written here because SALib's version evaluates the overall
    density again for every input, through scipy's d-dimensional KDE: about 30 times
    slower on 10,000 draws by 90 inputs. A test holds it to SALib's numbers.
    """
    n = y.size
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))  # SALib's number of classes
    classes = int(np.round(min(int(np.ceil(n**exp)), 48)))
    edges = np.linspace(0, n, classes + 1)
    grid = np.linspace(y.min(), y.max(), 100)
    overall = _kde(y, grid)
    positions = np.arange(1, n + 1)  # ordinal ranks of the sorted draws
    bounds = [
        (
            int(np.searchsorted(positions, edges[c], side="right")),
            int(np.searchsorted(positions, edges[c + 1], side="right")),
        )
        for c in range(classes)
    ]
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        if np.ptp(x[:, j]) == 0:
            continue
        ys = y[np.argsort(x[:, j], kind="stable")]
        total = 0.0
        for lo, hi in bounds:
            part = ys[lo:hi]
            if part.size == 0 or np.ptp(part) == 0:
                continue
            gap = np.abs(overall - _kde(part, grid))
            total += part.size / (2.0 * n) * np.trapezoid(gap, grid)
        out[j] = total
    return out


def _rbd_fast(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    from SALib.analyze import rbd_fast

    k = x.shape[1]
    problem = {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}
    found = rbd_fast.analyze(problem, x, y, M=10, num_resamples=10, seed=rng)
    return np.asarray(found["S1"], dtype=float), np.asarray(found["S1_conf"], dtype=float)


def drivers(
    data: Results | pd.DataFrame,
    metric: str | Sequence[float] | np.ndarray,
    *,
    provider: str | None = None,
    group: str | None = None,
    year: int | None = None,
    methods: Sequence[str] = (*RANK_METHODS, *GIVEN_DATA),
    given_draws: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Rank a run's inputs by how much they drive a metric, from the run's own draws.

    Parameters
    ----------
    data : Results or pandas.DataFrame
        A run, or an inputs table (then ``metric`` is an array).
    metric : str or array-like
        A metric name (read as ``Results.metric(metric, who, year)``), or one value per
        draw. Draws where it is NaN are left out, with a warning.
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    year : int, optional
        The calendar year of a yearly metric; when omitted for one, every year.
    methods : sequence of str
        Any of ``spearman``, ``srrc``, ``prcc``, ``contribution``, ``delta``, ``pawn``,
        ``rbd_fast``.
    given_draws : int
        The given-data estimators use at most this many draws (picked at random).
    seed : int
        Seeds that pick and RBD-FAST's bootstrap.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``input`` (by ``year`` and ``input`` for a yearly metric over every
        year); one column per method (with ``rbd_fast_conf``), sorted by the absolute
        rank correlation. ``attrs`` hold ``rank_r2`` (the rank regression's R², one per
        year for every year), ``draws`` and ``given_draws``.

    Raises
    ------
    ScenarioError
        For an unknown metric or method, or a metric that is not one value per draw.

    Examples
    --------
    >>> table = simlab.drivers(res, "npv", provider="openai")  # doctest: +SKIP
    >>> table.head(5)  # doctest: +SKIP
    """
    from simlab.results import Results

    methods = list(methods)
    for name in methods:
        if name not in (*RANK_METHODS, *GIVEN_DATA):
            raise ScenarioError(
                f"drivers: unknown method {name!r}; allowed: "
                f"{', '.join((*RANK_METHODS, *GIVEN_DATA))}"
            )
    if isinstance(given_draws, bool) or not isinstance(given_draws, int) or given_draws < 100:
        raise ScenarioError(f"drivers: given_draws must be an integer >= 100, got {given_draws!r}")
    if isinstance(data, Results):
        table = data.inputs
    elif isinstance(data, pd.DataFrame):
        table = data
    else:
        raise ScenarioError(
            f"drivers: data must be a Results or an inputs DataFrame, got {type(data).__name__}"
        )
    if isinstance(metric, str):
        if not isinstance(data, Results):
            raise ScenarioError(f"drivers: a metric name ({metric!r}) needs a Results")
        from simlab.claims import YEARLY_METRICS
        from simlab.sensitivity._common import _target

        if metric in YEARLY_METRICS and year is None:
            years = [int(v) for v in data.metrics.coords["year"].values]
            parts, r2_by_year = [], {}
            for y_ in years:
                part = drivers(
                    data,
                    metric,
                    provider=provider,
                    group=group,
                    year=y_,
                    methods=methods,
                    given_draws=given_draws,
                    seed=seed,
                )
                r2_by_year[y_] = part.attrs["rank_r2"]
                parts.append(part.assign(year=y_).reset_index().set_index(["year", "input"]))
            out = pd.concat(parts)
            out.attrs = {"rank_r2": r2_by_year, "draws": data.draws, "given_draws": given_draws}
            return out
        target = _target(data.scenario, metric, provider, group, year)
        values = data.metric(target.metric, target.who, target.year).to_numpy()
    else:
        values = np.asarray(metric, dtype=np.float64).reshape(-1)
    values = np.asarray(values, dtype=np.float64)
    if values.shape[0] != len(table):
        raise ScenarioError(
            f"drivers: the metric has {values.shape[0]} values for {len(table)} draws"
        )
    inputs = encode_inputs(table)
    keep = np.isfinite(values)
    if not keep.all():
        warnings.warn(
            f"drivers: {int((~keep).sum())} of {values.size} draws have no finite value and "
            "are left out",
            SimlabWarning,
            stacklevel=2,
        )
    x, y = inputs.x[keep], values[keep]
    if y.size < 10:
        raise ScenarioError(f"drivers: {y.size} draws with a value; at least 10 are needed")
    columns: dict[str, np.ndarray] = {}
    rank, r2 = _rank_measures(x, y)
    for name in RANK_METHODS:
        if name in methods:
            columns[name] = rank[name]
    given = [m for m in methods if m in GIVEN_DATA]
    if given:
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        rows = (
            np.sort(rng.choice(y.size, size=given_draws, replace=False))
            if y.size > given_draws
            else slice(None)
        )
        xs, ys = x[rows], y[rows]
        if np.ptp(ys) == 0:
            for name in given:
                columns[name] = np.full(x.shape[1], np.nan)
        else:
            if "delta" in given:
                columns["delta"] = delta_index(xs, ys)
            if "pawn" in given:
                columns["pawn"] = pawn_median(xs, ys)
            if "rbd_fast" in given:
                columns["rbd_fast"], columns["rbd_fast_conf"] = _rbd_fast(xs, ys, rng)
    out = pd.DataFrame(columns, index=pd.Index(inputs.names, name="input"))
    order = np.argsort(-np.nan_to_num(np.abs(rank["spearman"]), nan=-1.0), kind="stable")
    out = out.iloc[order]
    out.attrs = {"rank_r2": r2, "draws": int(y.size), "given_draws": int(min(y.size, given_draws))}
    return out


def conditional(
    data: Results | pd.DataFrame,
    outcome: str | Sequence[Any] | np.ndarray,
    *,
    threshold: float = 0.5,
) -> pd.DataFrame:
    """Which inputs move where an outcome holds: @RISK's scenario analysis.

    For each input: its median over the draws where the outcome holds, minus its median
    over all draws, in standard deviations of the input over all draws. Inputs are ranked
    by the size of that shift; those at least ``threshold`` standard deviations away are
    ``significant`` (@RISK's default is 0.5).

    Parameters
    ----------
    data : Results or pandas.DataFrame
        A run or an inputs table, as for :func:`prim`.
    outcome : str or array-like
        A claim of the run's scenario, or one value per draw (booleans, 1/0, NaN).
    threshold : float
        The shift, in standard deviations, from which an input counts as significant.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``input``, largest shift first: ``median_all``, ``median_given``,
        ``std``, ``shift`` (signed, in standard deviations) and ``significant``. Dates are
        compared in nanoseconds and shown as dates; categorical inputs by their codes.

    Examples
    --------
    >>> simlab.conditional(res, "openai-npv-negative").head()  # doctest: +SKIP
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise ScenarioError(f"conditional: threshold must be a number >= 0, got {threshold!r}")
    inputs, y = inputs_and_outcome(data, outcome, "conditional")
    held = y > 0
    if not held.any():
        raise ScenarioError("conditional: the outcome holds in no draw")
    x = inputs.x
    median_all = np.median(x, axis=0)
    median_given = np.median(x[held], axis=0)
    std = x.std(axis=0, ddof=1) if y.size > 1 else np.zeros(x.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(std > 0, (median_given - median_all) / std, 0.0)
    out = pd.DataFrame(
        {
            "median_all": [inputs.value(j, v) for j, v in enumerate(median_all)],
            "median_given": [inputs.value(j, v) for j, v in enumerate(median_given)],
            "std": std,
            "shift": shift,
            "significant": np.abs(shift) >= threshold,
        },
        index=pd.Index(inputs.names, name="input"),
    )
    out = out.iloc[np.argsort(-np.abs(shift), kind="stable")]
    out.attrs = {"threshold": float(threshold), "draws": int(y.size), "held": int(held.sum())}
    return out
