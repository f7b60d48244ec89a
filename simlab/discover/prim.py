"""PRIM, the Patient Rule Induction Method: boxes of inputs where an outcome is frequent.

Friedman and Fisher's (1999) bump hunting as scenario discovery uses it (Bryant and
Lempert 2010; Kwakkel and Jaxa-Rozen 2016): start from the box that holds every draw and
*peel*: each step removes the thin slice of the box (a fraction ``alpha`` of its draws at
the low or high end of one input, or one category of a categorical input) whose removal
raises the share of draws where the outcome holds the most per draw removed. The
sequence of boxes is the *peeling trajectory*: coverage (the share of all the draws
where the outcome holds that the box keeps) falls as density (the share of the box's
draws where it holds) rises. The analyst picks a box on it; *pasting* then widens that
box again wherever that raises its density. Each restricted input carries a quasi-p-value
(Bryant and Lempert 2010): the one-sided binomial probability of a density at least as
high as the box's if that restriction were dropped, so a restriction that only fits the
noise shows a large value.

Why written here and not taken from the package index: the package named ``prim``
(PRIM 1.0.0, 2024, a standalone copy of EMA Workbench's PRIM) is licensed GPL-3, which
simlab's MIT licence cannot take on as a dependency, requires ``mplcursors``, has one
release, and works on numpy record arrays one input at a time. EMA Workbench itself is a
large framework. The method is short; this version peels all inputs at once with
``numpy.partition`` on the box's draws, so 100,000 draws by 90 inputs take about a
second.

References
----------
Friedman, J. H. and Fisher, N. I. (1999). Bump hunting in high-dimensional data.
Statistics and Computing 9, 123-143. doi:10.1023/A:1008894516817.

Bryant, B. P. and Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting and Social
Change 77(1), 34-49. doi:10.1016/j.techfore.2009.08.002.

Kwakkel, J. H. and Jaxa-Rozen, M. (2016). Improving scenario discovery for handling
heterogeneous uncertainties and multinomial classified outcomes. Environmental Modelling
& Software 79, 311-321. doi:10.1016/j.envsoft.2015.11.020.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from simlab.discover._data import CATEGORY, Inputs, inputs_and_outcome
from simlab.errors import ScenarioError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simlab.results import Results

__all__ = ["Box", "Prim", "prim"]


@dataclasses.dataclass(frozen=True)
class _Limits:
    """A box: per input, [low, high] (numbers, dates as ns) or a set of allowed codes."""

    low: np.ndarray
    high: np.ndarray
    allowed: dict[int, frozenset[int]]

    def one(self, x: np.ndarray, j: int) -> np.ndarray:
        """Whether each row of ``x`` lies within the box's limits on input ``j``."""
        if j in self.allowed:
            return np.isin(x[:, j], list(self.allowed[j]))
        return (x[:, j] >= self.low[j]) & (x[:, j] <= self.high[j])

    def inside(self, x: np.ndarray) -> np.ndarray:
        """Whether each row of ``x`` lies in the box."""
        keep = np.ones(x.shape[0], dtype=bool)
        for j in range(x.shape[1]):
            keep &= self.one(x, j)
        return keep


@dataclasses.dataclass(frozen=True)
class Box:
    """One box of a PRIM run: its limits and how well it describes the outcome.

    Attributes
    ----------
    limits : pandas.DataFrame
        One row per *restricted* input: ``low`` and ``high`` (numbers, or dates for date
        inputs; NaN for categorical inputs), ``categories`` (the categories kept, for
        categorical inputs), ``qp`` (quasi-p-value of the restriction) and ``full_low``
        and ``full_high`` (the input's range over all draws).
    coverage : float
        Share of the draws where the outcome holds that fall in the box.
    density : float
        Share of the box's draws where the outcome holds.
    mass : float
        Share of all draws in the box.
    draws : int
        Draws in the box.
    index : int
        The box's step on the peeling trajectory (0: every draw).
    pasted : bool
        Whether the box was widened by pasting.
    dropped : tuple of str
        The inputs whose restriction was lifted for its quasi-p-value.
    """

    limits: pd.DataFrame
    coverage: float
    density: float
    mass: float
    draws: int
    index: int
    pasted: bool
    dropped: tuple[str, ...]
    _bounds: _Limits = dataclasses.field(repr=False)
    _inputs: Inputs = dataclasses.field(repr=False)

    def inside(self, data: Results | pd.DataFrame) -> np.ndarray:
        """Return, per draw of a run or inputs table, whether it lies in the box.

        The table must have the columns of the one the box was found on.
        """
        from simlab.discover._data import encode_inputs
        from simlab.results import Results

        table = data.inputs if isinstance(data, Results) else data
        if [str(c) for c in table.columns] != self._inputs.names:
            raise ScenarioError("the inputs table's columns are not those the box was found on")
        x = encode_inputs(table, like=self._inputs).x
        return self._bounds.inside(x)

    def __str__(self) -> str:
        lines = [
            f"box {self.index}{' (pasted)' if self.pasted else ''}: coverage "
            f"{self.coverage:.1%}, density {self.density:.1%}, mass {self.mass:.1%} "
            f"({self.draws} draws)"
        ]
        for name, row in self.limits.iterrows():
            if isinstance(row["categories"], tuple):
                what = "in {" + ", ".join(map(str, row["categories"])) + "}"
            else:
                what = f"{_fmt(row['low'])} to {_fmt(row['high'])}"
            lines.append(
                f"  {name}: {what} (of {_fmt(row['full_low'])} to {_fmt(row['full_high'])}; "
                f"qp {row['qp']:.2g})"
            )
        if self.dropped:
            lines.append(
                f"  (restrictions lifted for their quasi-p-value: {', '.join(self.dropped)})"
            )
        return "\n".join(lines)

    def plot(self, ax: Any = None) -> Figure:
        """Draw the box's restricted inputs as bars over their full ranges (scaled 0-1)."""
        from simlab.discover.plots import box_limits

        return box_limits(self, ax=ax)


def _fmt(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and np.isfinite(value):
        return f"{value:.4g}"
    return str(value)


class Prim:
    """The result of :func:`prim`: the peeling trajectory and its boxes.

    Attributes
    ----------
    trajectory : pandas.DataFrame
        One row per box of the peeling trajectory (row 0 holds every draw): ``coverage``,
        ``density``, ``mass``, ``draws``, ``restricted`` (how many inputs the box
        restricts) and ``qp_max`` (the largest quasi-p-value of its restrictions).
    names : list of str
        The inputs.
    """

    def __init__(
        self, inputs: Inputs, y: np.ndarray, boxes: list[_Limits], paste_alpha: float
    ) -> None:
        self._inputs = inputs
        self._y = y
        self._boxes = boxes
        self._paste_alpha = paste_alpha
        self.names = inputs.names
        rows = []
        for limits in boxes:
            restricted = self._restricted(limits)
            inside, qps = self._masks(limits, restricted)
            rows.append(
                {
                    **_stats(inside, y),
                    "restricted": len(restricted),
                    "qp_max": max(qps.values(), default=0.0),
                }
            )
        self.trajectory = pd.DataFrame(rows).rename_axis("box")

    def _restricted(self, limits: _Limits) -> list[int]:
        first = self._boxes[0]
        out = []
        for j in range(len(self.names)):
            if j in limits.allowed:
                if limits.allowed[j] != first.allowed[j]:
                    out.append(j)
            elif limits.low[j] > first.low[j] or limits.high[j] < first.high[j]:
                out.append(j)
        return out

    def _masks(self, limits: _Limits, restricted: list[int]) -> tuple[np.ndarray, dict[int, float]]:
        """Return the box's draws, and the quasi-p-value of each restricted input."""
        x, y = self._inputs.x, self._y
        # how many of its restrictions each draw breaks: the box holds the draws that
        # break none; the box without restriction j adds those that break only j
        broken = np.zeros(y.size, dtype=np.int16)
        masks = {}
        for j in restricted:
            masks[j] = limits.one(x, j)
            broken += ~masks[j]
        inside = broken == 0
        once = broken == 1
        k, n = int(y[inside].sum()), int(inside.sum())
        qps = {}
        for j in restricted:
            without = inside | (once & ~masks[j])
            p_without = float(y[without].mean())
            qps[j] = float(stats.binom.sf(k - 1, n, p_without)) if n else float("nan")
        return inside, qps

    def choose(self, min_coverage: float = 0.5) -> int:
        """Return the largest box about as dense as the densest that keeps ``min_coverage``.

        Among the boxes of the trajectory whose coverage is at least ``min_coverage``,
        the densest has density ``d`` over ``n`` draws; every box whose density is within
        one binomial standard error ``sqrt(d (1 - d) / n)`` of it is as good as far as
        the draws can tell, and the first of them (the largest, with the highest
        coverage) is chosen: peeling on from there mostly fits the noise. Box 0 (every
        draw) when no box keeps ``min_coverage``.
        """
        if (
            isinstance(min_coverage, bool)
            or not isinstance(min_coverage, int | float)
            or not 0.0 <= min_coverage <= 1.0
        ):
            raise ScenarioError(f"min_coverage must be in [0, 1], got {min_coverage!r}")
        t = self.trajectory
        ok = t[t["coverage"] >= min_coverage]
        if ok.empty:
            return 0
        top = int(np.argmax(ok["density"].to_numpy()))
        d, n = float(ok["density"].iloc[top]), float(ok["draws"].iloc[top])
        good = ok[ok["density"] >= d - np.sqrt(d * (1.0 - d) / n)]
        return int(good.index[0])

    def box(
        self,
        i: int | None = None,
        *,
        paste: bool = True,
        max_qp: float | None = 0.05,
        min_coverage: float = 0.5,
    ) -> Box:
        """Return a box of the trajectory, its noise restrictions dropped, then pasted.

        Parameters
        ----------
        i : int, optional
            The box's row in :attr:`trajectory`; by default :meth:`choose`'s.
        paste : bool
            Widen the box where that raises its density (Friedman and Fisher's pasting).
        max_qp : float or None
            Drop, one at a time and worst first, the restrictions whose quasi-p-value is
            above this (they fit the noise: the box is about as dense without them), as an
            analyst does when inspecting a box (Bryant and Lempert 2010). None keeps every
            restriction.
        min_coverage : float
            When ``i`` is not given: the coverage the chosen box keeps at least.

        Returns
        -------
        Box
        """
        if i is None:
            i = self.choose(min_coverage)
        if (
            isinstance(i, bool)
            or not isinstance(i, int | np.integer)
            or not 0 <= i < len(self._boxes)
        ):
            raise ScenarioError(f"box {i!r}: the trajectory has boxes 0 to {len(self._boxes) - 1}")
        if max_qp is not None and not 0.0 < max_qp <= 1.0:
            raise ScenarioError(f"max_qp must be in (0, 1] or None, got {max_qp!r}")
        limits = self._boxes[int(i)]
        dropped: list[str] = []
        if max_qp is not None:
            limits, dropped = self._drop(limits, max_qp)
        pasted = False
        if paste:
            widened = _paste(
                self._inputs.x, self._y, limits, self._restricted(limits), self._paste_alpha
            )
            pasted = widened is not limits
            limits = widened
        return self._make_box(limits, int(i), pasted, tuple(dropped))

    def _drop(self, limits: _Limits, max_qp: float) -> tuple[_Limits, list[str]]:
        """Lift the restriction with the largest quasi-p-value while it is above max_qp."""
        first = self._boxes[0]
        dropped: list[str] = []
        while True:
            restricted = self._restricted(limits)
            _, qps = self._masks(limits, restricted)
            if not qps:
                return limits, dropped
            worst = max(qps, key=lambda j: qps[j])
            if not qps[worst] > max_qp:
                return limits, dropped
            low, high, allowed = limits.low.copy(), limits.high.copy(), dict(limits.allowed)
            low[worst], high[worst] = first.low[worst], first.high[worst]
            if worst in allowed:
                allowed[worst] = first.allowed[worst]
            limits = _Limits(low, high, allowed)
            dropped.append(self.names[worst])

    def _make_box(self, limits: _Limits, index: int, pasted: bool, dropped: tuple[str, ...]) -> Box:
        y, inputs = self._y, self._inputs
        restricted = self._restricted(limits)
        inside, qps = self._masks(limits, restricted)
        s = _stats(inside, y)
        first = self._boxes[0]
        rows = []
        for j in restricted:
            qp = qps[j]
            if j in limits.allowed:
                cats = inputs.categories[j]
                row = {
                    "low": np.nan,
                    "high": np.nan,
                    "categories": tuple(cats[c] for c in sorted(limits.allowed[j])),
                    "full_low": np.nan,
                    "full_high": np.nan,
                }
            else:
                row = {
                    "low": inputs.value(j, limits.low[j]),
                    "high": inputs.value(j, limits.high[j]),
                    "categories": None,
                    "full_low": inputs.value(j, first.low[j]),
                    "full_high": inputs.value(j, first.high[j]),
                }
            rows.append({"input": self.names[j], **row, "qp": qp})
        columns = ["input", "low", "high", "categories", "qp", "full_low", "full_high"]
        table = pd.DataFrame(rows, columns=columns).set_index("input")
        return Box(
            limits=table,
            coverage=s["coverage"],
            density=s["density"],
            mass=s["mass"],
            draws=s["draws"],
            index=index,
            pasted=pasted,
            dropped=dropped,
            _bounds=limits,
            _inputs=inputs,
        )

    def plot(self, ax: Any = None, chosen: int | None = None) -> Figure:
        """Draw the peeling trajectory: density against coverage, coloured by restrictions."""
        from simlab.discover.plots import trajectory

        return trajectory(self, ax=ax, chosen=chosen)

    def __repr__(self) -> str:
        return (
            f"<Prim: {len(self._boxes)} boxes over {len(self.names)} inputs, "
            f"{self._y.size} draws, outcome in {self._y.mean():.1%}>"
        )


def _stats(inside: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    n = int(inside.sum())
    hits = float(y[inside].sum())
    total = float(y.sum())
    return {
        "coverage": hits / total if total else float("nan"),
        "density": hits / n if n else float("nan"),
        "mass": n / y.size,
        "draws": n,
    }


def prim(
    data: Results | pd.DataFrame,
    outcome: str | Sequence[Any] | np.ndarray,
    *,
    alpha: float = 0.05,
    paste_alpha: float = 0.05,
    min_mass: float = 0.05,
) -> Prim:
    """Find boxes of inputs where an outcome is frequent, by PRIM (peeling and pasting).

    Parameters
    ----------
    data : Results or pandas.DataFrame
        A run (its inputs table is used) or an inputs table: numbers, dates, booleans,
        text or categoricals.
    outcome : str or array-like
        A claim of the run's scenario, or one value per draw: booleans or 1/0 (NaN for
        undecided draws, which are left out with a warning); see :func:`outcome` for a
        metric below or above a threshold.
    alpha : float
        Share of the box's draws removed by each peel, in (0, 0.5).
    paste_alpha : float
        Share of the box's draws added by each paste, in (0, 0.5).
    min_mass : float
        Peeling stops before the box holds fewer than this share of all draws.

    Returns
    -------
    Prim
        The trajectory (:attr:`Prim.trajectory`), and :meth:`Prim.box` for any box.

    Raises
    ------
    ScenarioError
        For a bad argument, an outcome that never or always holds, or a table with no
        column.

    Examples
    --------
    >>> res = simlab.run("baseline-2025", draws=5000, seed=7)  # doctest: +SKIP
    >>> pays_back = simlab.outcome(res, metric="npv", provider="openai", above=0)  # doctest: +SKIP
    >>> found = simlab.prim(res, pays_back)  # doctest: +SKIP
    >>> print(found.box())  # doctest: +SKIP
    """
    for name, value, high in (
        ("alpha", alpha, 0.5),
        ("paste_alpha", paste_alpha, 0.5),
        ("min_mass", min_mass, 1.0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < high:
            raise ScenarioError(f"prim: {name} must be in (0, {high}), got {value!r}")
    inputs, y = inputs_and_outcome(data, outcome, "prim")
    if y.size == 0 or y.min() == y.max():
        raise ScenarioError(
            f"prim: the outcome is the same in all {y.size} draws; there is nothing to find"
        )
    return Prim(inputs, y, _peel_all(inputs, y, alpha, min_mass), paste_alpha)


def _initial(inputs: Inputs) -> _Limits:
    x = inputs.x
    allowed = {
        j: frozenset(range(len(inputs.categories[j])))
        for j, kind in enumerate(inputs.kinds)
        if kind == CATEGORY
    }
    return _Limits(x.min(axis=0), x.max(axis=0), allowed)


def _peel_all(inputs: Inputs, y: np.ndarray, alpha: float, min_mass: float) -> list[_Limits]:
    """Return the peeling trajectory: each box is the best single peel of the one before."""
    x = inputs.x
    n_all = y.size
    numeric = np.array([k != CATEGORY for k in inputs.kinds])
    num_cols = np.flatnonzero(numeric)
    # Peels are chosen on a float32 copy: selecting and comparing 4-byte numbers is
    # about three times faster. Rounding to float32 keeps the order (it may only make
    # neighbours equal), so the draws a peel removes are all below (above) those it
    # keeps in float64 too, and the box's float64 limits, the nearest kept values, hold
    # exactly the kept draws.
    big = np.abs(x).max() if x.size else 0.0
    fast = x.astype(np.float32) if big < 1e37 else x
    boxes = [_initial(inputs)]
    rows = np.arange(n_all)  # the draws in the current box
    while True:
        box = boxes[-1]
        n = rows.size
        yb = y[rows]
        hits = yb.sum()
        density = hits / n
        if density >= 1.0:
            break
        best: tuple[float, int, str, float, np.ndarray] | None = None  # score, j, side, limit, keep
        m = max(1, int(np.ceil(alpha * n)))
        if num_cols.size:
            xb = fast[rows] if num_cols.size == x.shape[1] else fast[np.ix_(rows, num_cols)]
            xb_hits = xb[yb > 0]
            lows = np.partition(xb, m - 1, axis=0)[m - 1]
            highs = np.partition(xb, n - m, axis=0)[n - m]
            # remove x <= lows (at least m draws; more where values tie) or x >= highs
            for side, limit, op in (
                ("low", lows, np.less_equal),
                ("high", highs, np.greater_equal),
            ):
                mask = op(xb, limit)
                removed = np.count_nonzero(mask, axis=0)
                removed_hits = np.count_nonzero(op(xb_hits, limit), axis=0)
                left = n - removed
                ok = (left > 0) & (left >= min_mass * n_all) & (removed > 0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    gain = ((hits - removed_hits) / left - density) / (removed / n_all)
                gain = np.where(ok, gain, -np.inf)
                c = int(np.argmax(gain))
                if np.isfinite(gain[c]) and (best is None or gain[c] > best[0]):
                    best = (float(gain[c]), int(num_cols[c]), side, 0.0, ~mask[:, c])
        for j, cats in box.allowed.items():
            if len(cats) < 2:
                continue
            codes = x[rows, j].astype(np.int64)
            k = len(inputs.categories[j])
            count = np.bincount(codes, minlength=k)
            count_hits = np.bincount(codes, weights=yb, minlength=k)
            for c in cats:
                left = n - count[c]
                if count[c] == 0 or left <= 0 or left < min_mass * n_all:
                    continue
                gain = ((hits - count_hits[c]) / left - density) / (count[c] / n_all)
                if best is None or gain > best[0]:
                    best = (float(gain), j, f"drop:{c}", float(c), codes != c)
        if best is None:
            break
        _, j, side, limit, keep = best
        rows = rows[keep]
        low, high, allowed = box.low.copy(), box.high.copy(), dict(box.allowed)
        if side.startswith("drop:"):
            allowed[j] = box.allowed[j] - {int(limit)}
        else:
            # the new limit is the nearest value still in the box
            if side == "low":
                low[j] = x[rows, j].min()
            else:
                high[j] = x[rows, j].max()
        boxes.append(_Limits(low, high, allowed))
    return boxes


def _paste(
    x: np.ndarray, y: np.ndarray, box: _Limits, restricted: list[int], alpha: float
) -> _Limits:
    """Widen a box one input at a time while that raises its density (Friedman-Fisher).

    Only the restricted inputs can be widened; the others already span every draw.
    """

    def inside(b: _Limits, skip: int | None = None) -> np.ndarray:
        keep = np.ones(y.size, dtype=bool)
        for j in restricted:
            if j != skip:
                keep &= b.one(x, j)
        return keep

    current = inside(box)
    n, hits = int(current.sum()), float(y[current].sum())
    while True:
        best: tuple[float, _Limits, np.ndarray] | None = None
        m = max(1, int(np.ceil(alpha * n)))
        for j in restricted:
            others = inside(box, skip=j)
            outside = others & ~current
            if not outside.any():
                continue
            candidates: list[_Limits] = []
            if j in box.allowed:
                for c in sorted(set(np.unique(x[outside, j]).astype(int)) - box.allowed[j]):
                    allowed = dict(box.allowed)
                    allowed[j] = box.allowed[j] | {c}
                    candidates.append(_Limits(box.low, box.high, allowed))
            else:
                values = x[outside, j]
                lower = np.sort(values[values < box.low[j]])[::-1]
                upper = np.sort(values[values > box.high[j]])
                if lower.size:
                    low = box.low.copy()
                    low[j] = lower[min(m, lower.size) - 1]
                    candidates.append(_Limits(low, box.high, box.allowed))
                if upper.size:
                    high = box.high.copy()
                    high[j] = upper[min(m, upper.size) - 1]
                    candidates.append(_Limits(box.low, high, box.allowed))
            for cand in candidates:
                added = others & cand.one(x, j)
                density_new = float(y[added].sum()) / int(added.sum())
                if density_new > hits / n and (best is None or density_new > best[0]):
                    best = (density_new, cand, added)
        if best is None:
            return box
        _, box, current = best
        n, hits = int(current.sum()), float(y[current].sum())
