"""Discounting, internal rate of return, payback and terminal value of cash-flow streams.

Pure numpy functions, vectorised over leading axes. Time is always the **last** axis: the
engine passes arrays such as ``(draws, providers, months)`` and gets back one number per
stream, ``flows.shape[:-1]``. Results are always :class:`numpy.ndarray` (0-d for a single
stream; use ``float(...)`` for a Python float).

Rates are fractions (``0.1`` is 10 %). :func:`npv` takes an *annual* rate and times in
years; :func:`irr` returns an *annual* rate from periodic (by default monthly) flows.
"""

from __future__ import annotations

import functools
import math
from numbers import Real

import numpy as np
import numpy.typing as npt

from simlab.errors import ScenarioError

__all__ = [
    "IRR_CODES",
    "annual_rate_to_periodic",
    "irr",
    "irr_and_code",
    "irr_reason",
    "npv",
    "payback",
    "terminal_value",
]

FloatArray = npt.NDArray[np.float64]

#: Annual rates between which :func:`irr` looks for a root (-99.99 % and +10,000 % a year).
IRR_ANNUAL_MIN = -0.9999
IRR_ANNUAL_MAX = 100.0

_REASON_TEXT = (
    "",
    "no sign change in the flows: all non-negative",
    "no sign change in the flows: all non-positive",
    "no root between {low} and {high} a year",
    "non-finite flows",
)
_OK, _ALL_NONNEG, _ALL_NONPOS, _NO_ROOT, _NONFINITE = range(5)

#: Why a stream has no IRR, by the code :func:`irr_and_code` returns (0: it has one), in
#: words for summaries: the flows never turn positive, never turn negative, change sign but
#: no rate in the search range zeroes their NPV, or are not finite.
IRR_CODES: dict[int, str] = {
    _ALL_NONNEG: "no outlay (every flow >= 0)",
    _ALL_NONPOS: "never pays back (every flow <= 0)",
    _NO_ROOT: "no root (no rate from -99.99 % to +10,000 % a year zeroes the NPV)",
    _NONFINITE: "non-finite flows",
}

# Grid of the IRR search: _GRID_POINTS values of a = log(1 + annual rate), spaced evenly in
# u = asinh(a / _GRID_SCALE), so they are dense near 0 % (about 1.6 percentage points apart)
# and sparse near the extremes, where rates are implausible.
_GRID_POINTS = 128
_GRID_SCALE = 0.25
_MAX_ITER = 100
# |exponent| budget of a discount factor relative to its row's largest: exp(-700) is still
# a normal double, so no term of a sum underflows to exactly 0 and loses its sign.
_EXP_BUDGET = 700.0


# --------------------------------------------------------------------------- validation


def _as_flows(flows: npt.ArrayLike, name: str = "flows") -> FloatArray:
    """Convert to a float array with a time axis, or raise ScenarioError."""
    try:
        arr = np.asarray(flows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{name} must be an array of numbers; got {flows!r}") from exc
    if arr.ndim == 0:
        raise ScenarioError(
            f"{name} must have a time axis (the last axis); got the scalar {float(arr)!r}. "
            "Pass a sequence of flows, one per period."
        )
    return arr


def _require_finite(arr: FloatArray, name: str, hint: str = "") -> None:
    """Raise ScenarioError naming the first non-finite element of ``arr``."""
    bad = ~np.isfinite(arr)
    if bad.any():
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), arr.shape))
        where = f" at index {index}" if arr.ndim else ""
        raise ScenarioError(
            f"{name} contain {float(arr[bad].flat[0])!r}{where} ({int(bad.sum())} non-finite "
            f"value(s) in all); every value must be finite.{hint}"
        )


def _require_above(arr: FloatArray, bound: float, name: str, why: str) -> None:
    """Raise ScenarioError naming the first element of ``arr`` that is ``<= bound``."""
    bad = arr <= bound
    if bad.any():
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), arr.shape))
        where = f" at index {index}" if arr.ndim else ""
        raise ScenarioError(
            f"{name} must be > {bound!r} ({why}); got {float(arr[bad].flat[0])!r}{where}"
        )


def _as_rate(rate: npt.ArrayLike, name: str) -> FloatArray:
    """Convert a rate to a float array that is finite and > -1, or raise ScenarioError."""
    try:
        arr = np.asarray(rate, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(
            f"{name} must be a number or an array of numbers; got {rate!r}"
        ) from exc
    _require_finite(arr, name)
    _require_above(arr, -1.0, name, "a rate of -100 % or less has no discount factor")
    return arr


def _check_broadcast(shape: tuple[int, ...], target: tuple[int, ...], name: str, what: str) -> None:
    """Raise ScenarioError unless an array of ``shape`` broadcasts to ``target``."""
    try:
        ok = np.broadcast_shapes(shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        raise ScenarioError(
            f"{name} has shape {shape}, which does not broadcast to {what} {target}"
        )


def _as_times(times: npt.ArrayLike, flows: FloatArray) -> FloatArray:
    """Convert ``times`` to a finite float array that broadcasts to ``flows``."""
    try:
        arr = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"times must be an array of numbers; got {times!r}") from exc
    _check_broadcast(arr.shape, flows.shape, "times", "the shape of flows")
    _require_finite(arr, "times")
    return arr


def _check_periods_per_year(periods_per_year: float) -> float:
    """Return ``periods_per_year`` as a float, or raise ScenarioError."""
    if (
        isinstance(periods_per_year, bool)
        or not isinstance(periods_per_year, Real)
        or not math.isfinite(periods_per_year)
        or periods_per_year <= 0
    ):
        raise ScenarioError(
            f"periods_per_year must be a positive number (12 for monthly flows, 365.25 / 7 "
            f"for weekly, 1 for yearly); got {periods_per_year!r}"
        )
    return float(periods_per_year)


# --------------------------------------------------------------------------- rates


def annual_rate_to_periodic(rate: npt.ArrayLike, periods_per_year: float) -> FloatArray:
    """Convert an annual rate to the equivalent compound rate per period.

    Parameters
    ----------
    rate : float or array_like
        Annual rate(s), each finite and > -1.
    periods_per_year : float
        Periods in a year, e.g. 12 for months, ``365.25 / 7`` for weeks.

    Returns
    -------
    numpy.ndarray
        ``(1 + rate) ** (1 / periods_per_year) - 1``, the shape of ``rate``.

    Raises
    ------
    ScenarioError
        If a rate is non-finite or <= -1, or ``periods_per_year`` is not a positive number.

    Examples
    --------
    >>> round(float(annual_rate_to_periodic(0.1, 12)), 10)
    0.0079741404
    """
    ppy = _check_periods_per_year(periods_per_year)
    arr = _as_rate(rate, "rate")
    return np.expm1(np.log1p(arr) / ppy)


# --------------------------------------------------------------------------- npv


def npv(
    rate: npt.ArrayLike,
    flows: npt.ArrayLike,
    times: npt.ArrayLike | None = None,
) -> FloatArray:
    """Net present value of cash-flow streams at an annual discount rate.

    ``sum_t flows[..., t] * (1 + rate) ** -times[..., t]``.

    Parameters
    ----------
    rate : float or array_like
        Annual discount rate(s), each finite and > -1; an array must broadcast to
        ``flows.shape[:-1]`` (one rate per stream, e.g. shape ``(draws, 1)`` for flows of
        shape ``(draws, providers, months)``).
    flows : array_like
        Cash flows, time on the last axis, all finite.
    times : array_like, optional
        Time of each flow in **years**, shape ``(T,)`` or broadcastable to ``flows``
        (``numpy.arange(T) / 12`` for monthly flows). Default ``numpy.arange(T)``: yearly
        flows, the first undiscounted.

    Returns
    -------
    numpy.ndarray
        The net present values, shape ``flows.shape[:-1]``.

    Raises
    ------
    ScenarioError
        If ``flows``, ``times`` or ``rate`` contain a non-finite value, a rate is <= -1,
        or the shapes do not broadcast as described.

    Examples
    --------
    >>> round(float(npv(0.1, [-100.0, 60.0, 60.0])), 7)
    4.1322314
    """
    f = _as_flows(flows)
    _require_finite(f, "flows", " Use 0.0 for a period with no cash flow.")
    lead = f.shape[:-1]
    r = _as_rate(rate, "rate")
    _check_broadcast(r.shape, lead, "rate", "flows.shape[:-1]")
    t = np.arange(f.shape[-1], dtype=np.float64) if times is None else _as_times(times, f)
    log_growth = np.log1p(r)
    if r.ndim == 0 and t.ndim == 1:
        # The engine's common case: one rate, one time axis -> one matrix-vector product.
        return np.asarray(f @ np.exp(-t * log_growth), dtype=np.float64)
    discount = np.exp(-t * log_growth[..., np.newaxis])
    return np.asarray((f * discount).sum(axis=-1), dtype=np.float64)


# --------------------------------------------------------------------------- irr
#
# Hand-written rather than numpy_financial.irr: numpy-financial is unmaintained, handles
# one stream at a time (a Python loop over 10,000 x 9 streams) and finds roots through the
# eigenvalues of a companion matrix, which is slow and loses accuracy for long series.
#
# Method, with g = log(1 + periodic rate) and p(g) = sum_t flows_t exp(-t g):
# 1. evaluate p for every stream on a fixed grid of g with ONE matrix product
#    D @ flows.T, D[k, t] = exp(-t g_k - c_k) (c_k rescales each grid point so nothing
#    overflows; a positive factor per grid point leaves the signs unchanged);
# 2. take the sign change nearest g = 0 as the bracket of each stream, and the linear
#    interpolation of p inside it as the first guess;
# 3. refine all streams at once with safeguarded Halley steps on g (a step that leaves the
#    bracket, which shrinks at every evaluation, is replaced by bisection) until the
#    error is below 1e-12 / periods_per_year in g: two evaluations for most streams.


def _irr_bounds(n_periods: int, periods_per_year: float) -> tuple[float, float]:
    """Return the search range of g = log(1 + periodic rate).

    -99.99 % to +10,000 % a year, narrowed for very long series (more than about 900
    monthly or 75 yearly periods) so that no discount factor underflows relative to
    another in the same sum (which would make signs unreliable).
    """
    low = float(np.log1p(IRR_ANNUAL_MIN)) / periods_per_year
    high = float(np.log1p(IRR_ANNUAL_MAX)) / periods_per_year
    if n_periods > 1:
        limit = _EXP_BUDGET / (n_periods - 1)
        low, high = max(low, -limit), min(high, limit)
    return low, high


def _no_root_text(n_periods: int, periods_per_year: float) -> str:
    """Return the reason text for a stream with no root in the search range."""
    low, high = _irr_bounds(n_periods, periods_per_year)

    def pct(g: float) -> str:
        text = f"{100.0 * float(np.expm1(periods_per_year * g)):+,.2f}"
        return text.rstrip("0").rstrip(".") + " %"

    return _REASON_TEXT[_NO_ROOT].format(low=pct(low).lstrip("+"), high=pct(high))


@functools.lru_cache(maxsize=32)
def _irr_grid(
    n_periods: int, periods_per_year: float
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.uint8], npt.NDArray[np.intp]]:
    """Return the search grid of g and what the bracket search needs.

    Returns
    -------
    g : numpy.ndarray
        The grid, shape ``(K,)``.
    matrix_t : numpy.ndarray
        ``exp(-t g_k - c_k)``, shape ``(K, T)``, each row scaled so its largest is 1.
    scale : numpy.ndarray
        ``c_k``, shape ``(K,)``.
    priority : numpy.ndarray of uint8
        Priority of each cell ``[g_k, g_k+1]``, shape ``(K - 1,)``: ``K - 1`` for the
        cell whose midpoint is nearest g = 0, down to 1 for the farthest.
    cell_of : numpy.ndarray
        The cell of each priority (``cell_of[priority[k]] == k``; entry 0 unused).
    """
    low, high = _irr_bounds(n_periods, periods_per_year)
    a_low, a_high = low * periods_per_year, high * periods_per_year
    u = np.linspace(np.arcsinh(a_low / _GRID_SCALE), np.arcsinh(a_high / _GRID_SCALE), _GRID_POINTS)
    g = _GRID_SCALE * np.sinh(u) / periods_per_year
    g[0], g[-1] = low, high  # exact end points
    t = np.arange(n_periods, dtype=np.float64)
    exponent = -np.outer(g, t)
    scale = exponent.max(axis=1)  # = max(0, -(T - 1) g_k)
    matrix_t = np.exp(exponent - scale[:, np.newaxis])
    order = np.argsort(np.abs(g[:-1] + g[1:]), kind="stable")
    n_cells = _GRID_POINTS - 1
    priority = np.empty(n_cells, dtype=np.uint8)
    priority[order] = np.arange(n_cells, 0, -1)
    cell_of = np.zeros(n_cells + 1, dtype=np.intp)
    cell_of[priority] = np.arange(n_cells)
    for arr in (g, matrix_t, scale, priority, cell_of):
        arr.flags.writeable = False
    return g, matrix_t, scale, priority, cell_of


def _geometric_rows(start: FloatArray, ratio: FloatArray, n: int) -> FloatArray:
    """Return ``start[:, None] * ratio[:, None] ** arange(n)`` by repeated doubling.

    Cheaper than ``exp`` of an outer product; the relative error grows with log2(n).
    The caller keeps every entry and every ``ratio ** j`` (j < n) within range.
    """
    out = np.empty((start.size, n))
    if n == 0:
        return out
    out[:, 0] = start
    power = ratio.copy()  # ratio ** filled
    filled = 1
    while filled < n:
        k = min(filled, n - filled)
        np.multiply(out[:, :k], power[:, np.newaxis], out=out[:, filled : filled + k])
        filled += k
        if filled < n:
            power *= power
    return out


def _halley_step(flows: FloatArray, g: FloatArray) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Return whether p(g) < 0 and the Halley step 2 p p' / (2 p'^2 - p p'') of each row.

    The discount factors are scaled by exp(-c), c = max(0, -(T - 1) g), so the largest
    is 1 and none overflows; the common factor cancels in the step.
    """
    n = flows.shape[-1]
    t = np.arange(n, dtype=np.float64)
    shift = np.maximum(0.0, -(n - 1) * g)
    weighted = _geometric_rows(np.exp(-shift), np.exp(-g), n)
    weighted *= flows
    # Plain reductions rather than weighted @ [1, t, t**2]: an (N, T) x (T, 3) product is
    # too thin for BLAS threads to pay off, and they stall when the cores are busy.
    s0 = weighted.sum(axis=-1)
    weighted *= t
    s1 = weighted.sum(axis=-1)
    weighted *= t
    s2 = weighted.sum(axis=-1)
    # p = s0, p' = -s1, p'' = s2 (times exp(-c)).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        step = -2.0 * s0 * s1 / (2.0 * s1 * s1 - s0 * s2)
    return s0 < 0, np.where(s0 == 0, 0.0, step)


def _refine(
    flows: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    lo_negative: npt.NDArray[np.bool_],
    g: FloatArray,
    tol: float,
    skip: npt.NDArray[np.bool_],
) -> FloatArray:
    """Refine the root in g of every row inside its bracket ``[lo, hi]``, all rows at once.

    ``lo_negative`` says whether p(lo) < 0 (p(hi) has the other sign, 0 counting as
    non-negative). A row is finished once its estimated error is below ``tol``; rows
    flagged in ``skip`` count as finished from the start (their result is meaningless).
    Finished rows are dropped from the arrays only once they are the majority, since
    copying the flows costs about as much as evaluating them.
    """
    n = flows.shape[-1]
    out = g.copy()
    active = np.arange(g.size)
    finished = skip.copy()
    for _ in range(_MAX_ITER):
        if finished.all():
            break
        negative, step = _halley_step(flows, g)
        same = negative == lo_negative
        lo = np.where(same, g, lo)
        hi = np.where(same, hi, g)
        target = g - step
        bisect = ~((target >= lo) & (target <= hi))  # also catches NaN
        new = np.where(bisect, 0.5 * (lo + hi), target)
        # Error after a Halley step ~ C |step|^3 with C ~ (derivative scale)^2 ~ n^2; the
        # factor 10 is a margin. After bisection, the error is at most the bracket width.
        size = np.abs(step)
        error = np.where(bisect, hi - lo, size * np.minimum(1.0, (10.0 * n * size) ** 2))
        done = (step == 0) | (error <= tol)
        g = np.where(finished, g, new)
        out[active] = g
        finished |= done
        if 2 * np.count_nonzero(finished) > finished.size:
            keep = ~finished
            active, g, lo, hi = active[keep], g[keep], lo[keep], hi[keep]
            lo_negative, finished, flows = lo_negative[keep], finished[keep], flows[keep]
    return out


def _irr_core(
    flows: npt.ArrayLike, periods_per_year: float
) -> tuple[FloatArray, npt.NDArray[np.int8], str]:
    """Return the annual IRR (NaN where none), a reason code per stream, the no-root text."""
    ppy = _check_periods_per_year(periods_per_year)
    f = _as_flows(flows)
    lead, n = f.shape[:-1], f.shape[-1]
    rows = f.reshape(math.prod(lead), n)
    m = rows.shape[0]
    reason = np.zeros(m, dtype=np.int8)
    result = np.full(m, np.nan)

    finite = np.isfinite(rows).all(axis=1)
    nonneg = (rows >= 0).all(axis=1)
    nonpos = (rows <= 0).all(axis=1)
    reason[~finite] = _NONFINITE
    reason[finite & nonneg] = _ALL_NONNEG
    reason[finite & ~nonneg & nonpos] = _ALL_NONPOS
    todo = np.flatnonzero(reason == _OK)
    if todo.size:
        g_grid, matrix_t, scale, priority, cell_of = _irr_grid(n, ppy)
        work = rows if todo.size == m else rows[todo]
        # (K, rows): cells along the first axis, so the reductions below are over
        # contiguous rows of length `rows`, which numpy does fast.
        values = matrix_t @ work.T
        negative = values < 0
        # Sign changes between grid points k and k + 1; the highest-priority one is the
        # bracket of the root nearest 0 %.
        best = ((negative[:-1] != negative[1:]) * priority[:, np.newaxis]).max(axis=0)
        found = best > 0
        reason[todo[~found]] = _NO_ROOT
        # Rows without a bracket ride along in the refinement (cheaper than copying the
        # others) with a dummy bracket, and are dropped afterwards.
        k = cell_of[np.where(found, best, priority.max())]
        lo, hi = g_grid[k], g_grid[k + 1]
        cols = np.arange(todo.size)
        v_lo, v_hi = values[k, cols], values[k + 1, cols]
        # First guess: linear interpolation of the unscaled values.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = (v_hi / v_lo) * np.exp(np.clip(scale[k + 1] - scale[k], -700.0, 700.0))
            guess = lo + (hi - lo) / (1.0 - ratio)
        guess = np.where((guess >= lo) & (guess <= hi), guess, 0.5 * (lo + hi))
        roots = _refine(work, lo, hi, v_lo < 0, guess, tol=1e-12 / ppy, skip=~found)
        result[todo[found]] = np.expm1(ppy * roots[found])
    return result.reshape(lead), reason.reshape(lead), _no_root_text(n, ppy)


def irr(flows: npt.ArrayLike, periods_per_year: float = 12) -> FloatArray:
    """Annual internal rate of return of periodic cash-flow streams.

    The periodic rate ``r`` solves ``sum_t flows[..., t] * (1 + r) ** -t = 0``
    (``t = 0, 1, ...`` in periods); the result is ``(1 + r) ** periods_per_year - 1``.

    Parameters
    ----------
    flows : array_like
        Cash flows, one per period, time on the last axis.
    periods_per_year : float, default 12
        Periods in a year: 12 for monthly flows, 1 for yearly, ``365.25 / 7`` (52.18, not
        52) for weekly; any positive number, so the annualisation is exact for any step.

    Returns
    -------
    numpy.ndarray
        Annual IRR of each stream, shape ``flows.shape[:-1]``; NaN where none exists
        (see :func:`irr_reason` for why).

    Raises
    ------
    ScenarioError
        If ``flows`` is a scalar or ``periods_per_year`` is not a positive number.
        Non-finite flows give NaN, not an error.

    Notes
    -----
    Roots are looked for between -99.99 % and +10,000 % a year (a narrower range for
    series longer than about 900 monthly or 75 yearly periods, so that no discount
    factor underflows; :func:`irr_reason` then names the range). A stream whose flows
    change sign once (outflows, then inflows) has at most one root (Descartes' rule of
    signs). With several sign changes there can be several roots; ``irr`` returns the
    one nearest 0 % (smallest ``|log(1 + r)|``, judged at the resolution of its search
    grid: about 1.6 percentage points a year near 0 %, coarser far from it), which is
    the convention of ``numpy_financial.irr`` (smallest ``|r|``) up to that resolution.
    Two roots closer together than the grid spacing, or a root where the NPV touches 0
    without crossing, can be missed; the stream then gets NaN if no other root exists.

    Roots are found to ``|d log(1 + r)| <= 1e-12`` a period, i.e. an annual rate to
    about ``1e-11 * (1 + irr)``. The time taken grows linearly with the number of
    streams: a (10000, 120) array takes a few tens of milliseconds.

    Examples
    --------
    >>> round(float(irr([-100.0, 110.0], periods_per_year=1)), 12)
    0.1

    Weekly flows: 52 weeks are 52 / 52.18 of a year, so 10 % a year pays back
    ``1.1 ** (52 / 52.18)`` after 52 weeks:

    >>> weekly = 365.25 / 7
    >>> round(float(irr([-1.0, *[0.0] * 51, 1.1 ** (52 / weekly)], weekly)), 12)
    0.1
    >>> float(irr([100.0, 50.0]))
    nan
    """
    return _irr_core(flows, periods_per_year)[0]


def irr_and_code(
    flows: npt.ArrayLike, periods_per_year: float = 12
) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    """Annual IRR of each stream, and the code of why it has none (0 where it has one).

    One search for both (:func:`irr` and :func:`irr_reason` each search again).

    Parameters
    ----------
    flows : array_like
        Cash flows, one per period, time on the last axis.
    periods_per_year : float, default 12
        Periods in a year, as for :func:`irr`.

    Returns
    -------
    rates : numpy.ndarray
        As :func:`irr` returns them.
    codes : numpy.ndarray of int8
        0 where the IRR exists, else a key of :data:`IRR_CODES`; shape
        ``flows.shape[:-1]``.

    Raises
    ------
    ScenarioError
        As for :func:`irr`.

    Examples
    --------
    >>> rates, codes = irr_and_code([[-100.0, 110.0], [-100.0, -10.0]], periods_per_year=1)
    >>> [round(float(r), 12) for r in rates], [IRR_CODES.get(int(c), "") for c in codes]
    ([0.1, nan], ['', 'never pays back (every flow <= 0)'])
    """
    rates, codes, _ = _irr_core(flows, periods_per_year)
    return rates, codes


def irr_reason(flows: npt.ArrayLike, periods_per_year: float = 12) -> npt.NDArray[np.str_]:
    """Why :func:`irr` has no value for each stream ("" where it has one).

    Parameters
    ----------
    flows : array_like
        Cash flows, one per period, time on the last axis.
    periods_per_year : float, default 12
        Periods in a year, as for :func:`irr`.

    Returns
    -------
    numpy.ndarray of str
        Shape ``flows.shape[:-1]``; each element is ``""`` or one of
        ``"non-finite flows"``,
        ``"no sign change in the flows: all non-negative"``,
        ``"no sign change in the flows: all non-positive"``,
        ``"no root between -99.99 % and +10,000 % a year"`` (with the narrower range
        for very long series, see :func:`irr`).

    Raises
    ------
    ScenarioError
        As for :func:`irr`.

    Examples
    --------
    >>> str(irr_reason([100.0, 50.0]))
    'no sign change in the flows: all non-negative'
    """
    _, codes, no_root = _irr_core(flows, periods_per_year)
    texts = np.array([*_REASON_TEXT[:_NO_ROOT], no_root, *_REASON_TEXT[_NO_ROOT + 1 :]])
    return np.asarray(texts[codes])


# --------------------------------------------------------------------------- payback


def payback(flows: npt.ArrayLike, times: npt.ArrayLike) -> FloatArray:
    """Payback time: when the cumulative flows turn non-negative for good.

    With ``C[..., j] = flows[..., :j + 1].sum(-1)`` the cumulative flow at
    ``times[..., j]``, read as a piecewise-linear function of time, the payback time is
    the earliest time after which ``C`` stays >= 0 to the end of the horizon:

    - if ``C`` is never negative: ``times[..., 0]``;
    - if ``C`` is negative at the last time: NaN (never pays back);
    - else, with ``j`` the *last* index where ``C < 0``:
      ``times[j] + (times[j+1] - times[j]) * -C[j] / (C[j+1] - C[j])``.

    A stream that pays back, dips below 0 again and recovers is dated by its final
    recovery.

    Parameters
    ----------
    flows : array_like
        Cash flows, time on the last axis, all finite, at least one period.
    times : array_like
        Time of each flow (any unit; the result is in the same unit), shape ``(T,)`` or
        broadcastable to ``flows``, finite and non-decreasing along the last axis.

    Returns
    -------
    numpy.ndarray
        Payback time of each stream, shape ``flows.shape[:-1]``; NaN where the
        cumulative flows end negative.

    Raises
    ------
    ScenarioError
        If ``flows`` or ``times`` contain a non-finite value, ``flows`` has no period,
        ``times`` does not broadcast to ``flows`` or decreases somewhere.

    Examples
    --------
    >>> float(payback([-100.0, 50.0, 50.0, 50.0], [0.0, 1.0, 2.0, 3.0]))
    2.0
    """
    f = _as_flows(flows)
    if f.shape[-1] == 0:
        raise ScenarioError("flows must have at least one period (the last axis is empty)")
    _require_finite(f, "flows", " Use 0.0 for a period with no cash flow.")
    t = _as_times(times, f)
    if (np.diff(t, axis=-1) < 0).any():
        raise ScenarioError("times must be non-decreasing along the last axis (time order)")
    t = np.broadcast_to(t, f.shape)
    n = f.shape[-1]
    cum = np.cumsum(f, axis=-1)
    negative = cum < 0
    ever_negative = negative.any(axis=-1)
    ends_negative = negative[..., -1]
    last_neg = (n - 1) - np.argmax(negative[..., ::-1], axis=-1)
    # For a stream that is never negative, or ends negative, j is unused (masked below).
    j = np.minimum(last_neg, max(n - 2, 0))[..., np.newaxis]
    j1 = np.minimum(j + 1, n - 1)

    def at(arr: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
        return np.take_along_axis(arr, idx, axis=-1)[..., 0]

    c0, c1 = at(cum, j), at(cum, j1)
    t0, t1 = at(t, j), at(t, j1)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = t0 + (t1 - t0) * (-c0) / (c1 - c0)
    out = np.where(ends_negative, np.nan, np.where(ever_negative, crossing, t[..., 0]))
    return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------- terminal value


def terminal_value(flow: npt.ArrayLike, rate: npt.ArrayLike, growth: npt.ArrayLike) -> FloatArray:
    """Gordon-growth value of a growing perpetuity, at the time of the last flow.

    The perpetuity pays ``flow * (1 + growth)`` one period after the last flow, growing
    by ``growth`` a period, discounted at ``rate`` a period:
    ``flow * (1 + growth) / (rate - growth)``.

    Parameters
    ----------
    flow : float or array_like
        The last period's flow.
    rate : float or array_like
        Discount rate per period (use :func:`annual_rate_to_periodic` for monthly flows),
        finite and > -1.
    growth : float or array_like
        Growth rate per period, finite, > -1 and < ``rate``.

    Returns
    -------
    numpy.ndarray
        Terminal values, the broadcast shape of the three arguments.

    Raises
    ------
    ScenarioError
        If an argument is non-finite, a rate or growth is <= -1, ``rate <= growth``
        anywhere, or the shapes do not broadcast.

    Examples
    --------
    >>> float(terminal_value(100.0, 0.10, 0.02))
    1275.0
    """
    try:
        f = np.asarray(flow, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"flow must be a number or an array of numbers; got {flow!r}") from exc
    _require_finite(f, "flow")
    r = _as_rate(rate, "rate")
    gr = _as_rate(growth, "growth")
    try:
        f, r, gr = np.broadcast_arrays(f, r, gr)
    except ValueError as exc:
        raise ScenarioError(
            f"flow, rate and growth have shapes {f.shape}, {r.shape}, {gr.shape}, "
            "which do not broadcast together"
        ) from exc
    bad = r <= gr
    if bad.any():
        first = int(np.argmax(bad))
        index = tuple(int(i) for i in np.unravel_index(first, bad.shape))
        where = f" at index {index}" if bad.ndim else ""
        raise ScenarioError(
            f"terminal value needs rate > growth (a perpetuity growing at least as fast as "
            f"it is discounted has no finite value); got rate={float(r.flat[first])!r}, "
            f"growth={float(gr.flat[first])!r}{where}. Lower the long-run growth or raise "
            "the discount rate."
        )
    return np.asarray(f * (1.0 + gr) / (r - gr), dtype=np.float64)
