"""Distributions for uncertain scenario figures, built on :mod:`scipy.stats`.

Any number or date in a scenario may be a distribution, a TOML table whose ``dist`` key
names the family::

    price_in = {dist = "pert", low = 1.0, mode = 2.0, high = 4.0}

======================  ============================================  ======================
``dist``                keys (``?`` = optional, with its default)      family
======================  ============================================  ======================
``"uniform"``           ``low, high``                                 uniform
``"triangular"``        ``low, mode, high``                           triangular
``"pert"``              ``low, mode, high, shape? = 4``               modified PERT (beta)
``"normal"``            ``mean, sd``                                  normal
``"truncnormal"``       ``mean, sd, low?, high?`` (at least one)      truncated normal
``"lognormal"``         ``median, high, q? = 0.95`` or ``mu, sigma``  lognormal
``"loguniform"``        ``low, high`` (both > 0)                      log-uniform
``"choice"``            ``values, weights?`` (equal weights)          discrete choice
``"uniform_date"``      ``low, high`` (dates, both days included)     uniform whole day
======================  ============================================  ======================

Every distribution is sampled by inverse transform through :meth:`Distribution.ppf`, so
Latin hypercube and Sobol' designs (:mod:`simlab.uncertainty.samplers`) and rank
correlation apply to all of them alike. Dates are handled as float days since 1970-01-01.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simlab.errors import ScenarioError
from simlab.uncertainty._beta import beta_ppf
from simlab.uncertainty.samplers import RngLike, unit_sample

__all__ = [
    "DISTRIBUTIONS",
    "Choice",
    "Distribution",
    "LogNormal",
    "LogUniform",
    "Normal",
    "Pert",
    "Triangular",
    "TruncNormal",
    "Uniform",
    "UniformDate",
    "check_date_range",
    "date_to_days",
    "days_to_date",
    "parse_distribution",
]

FloatArray = NDArray[np.float64]
_EPOCH = _dt.date(1970, 1, 1)
_DATE_PATTERN = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")

#: The largest magnitude a scenario number may have: far above any figure of the model
#: (the catalog's largest is 1e18 tokens a month of "unlimited" capacity), far below where
#: products of figures overflow.
MAX_MAGNITUDE = 1e24
#: The dates a scenario may hold: well inside what ``datetime64[ns]`` can represent
#: (1677-09-21 to 2262-04-11), which inputs tables use.
DATE_RANGE = (_dt.date(1900, 1, 1), _dt.date(2200, 12, 31))


def _stats() -> Any:
    """Return :mod:`scipy.stats`, imported on first use (it takes most of a second)."""
    from scipy import stats

    return stats


def _special() -> Any:
    """Return :mod:`scipy.special`, imported on first use (lighter than scipy.stats)."""
    from scipy import special

    return special


def check_date_range(day: _dt.date) -> _dt.date:
    """Return ``day`` if it lies in :data:`DATE_RANGE`.

    Raises
    ------
    ValueError
        Naming the date and the range allowed.
    """
    low, high = DATE_RANGE
    if not low <= day <= high:
        raise ValueError(
            f"date {day.isoformat()} is outside the dates simlab handles, "
            f"{low.isoformat()} to {high.isoformat()}"
        )
    return day


def date_to_days(day: _dt.date) -> float:
    """Return ``day`` as float days since 1970-01-01 (the unit of date distributions)."""
    return float((day - _EPOCH).days)


def days_to_date(days: float) -> _dt.date:
    """Return the date ``days`` (floored to a whole day) after 1970-01-01."""
    return _EPOCH + _dt.timedelta(days=math.floor(days))


class Distribution(ABC):
    """A validated, immutable distribution of one uncertain scenario figure.

    Subclasses are frozen dataclasses, one per family; build them directly or from a
    scenario table with :func:`parse_distribution`.

    Attributes
    ----------
    name : str
        The ``dist`` key of the family, e.g. ``"pert"``.
    is_date : bool
        Whether values are dates, expressed as float days since 1970-01-01.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[Mapping[str, Any]] = {}
    is_date: ClassVar[bool] = False

    @abstractmethod
    def ppf(self, u: ArrayLike) -> FloatArray:
        """Return the inverse CDF at probabilities ``u``, vectorised.

        Parameters
        ----------
        u : array_like
            Probabilities strictly inside (0, 1).

        Returns
        -------
        numpy.ndarray
            float64, the shape of ``u``.
        """

    @abstractmethod
    def support(self) -> tuple[float, float]:
        """Return the smallest and largest possible values (either may be infinite)."""

    @abstractmethod
    def to_spec(self) -> dict[str, Any]:
        """Return the scenario table that :func:`parse_distribution` turns back into ``self``."""

    def median(self) -> float:
        """Return the median (for dates, float days since 1970-01-01)."""
        return float(self.ppf(np.array([0.5]))[0])

    def rvs(self, n: int, rng: RngLike) -> FloatArray:
        """Draw ``n`` independent values: ``ppf`` of Monte Carlo uniforms from ``rng``."""
        return self.ppf(unit_sample(n, 1, "mc", rng)[:, 0])

    def describe(self) -> str:
        """Return a one-line description, e.g. ``"PERT(low=1, mode=2, high=4)"``."""
        parts = [
            f"{key}={_show(value)}"
            for key, value in self.to_spec().items()
            if key != "dist" and self.defaults.get(key) != value
        ]
        return f"{self.label}({', '.join(parts)})"

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Distribution:
        """Build from a table's keys other than ``dist``, checking that the keys are allowed."""
        _check_keys(cls.name, params, cls.required, cls.optional)
        return cls(**params)


# --- validation helpers -----------------------------------------------------------------


def _error(dist: str, message: str) -> ScenarioError:
    return ScenarioError(f"{dist} distribution: {message}")


def _fmt(x: float) -> str:
    x = float(x)
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, numbers.Real):
        return _fmt(float(value))
    return str(value)


def _did_you_mean(word: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(
    dist: str,
    params: Mapping[str, Any],
    required: Sequence[str],
    optional: Sequence[str],
    listing: str | None = None,
) -> None:
    allowed = [*required, *optional]
    if listing is None:
        listing = ", ".join(required) + (f"; optional: {', '.join(optional)}" if optional else "")
    unknown = [k for k in params if k not in allowed]
    if unknown:
        names = ", ".join(f"{k!r}{_did_you_mean(str(k), allowed)}" for k in unknown)
        raise _error(dist, f"unknown key {names}; allowed keys: {listing}")
    missing = [k for k in required if k not in params]
    if missing:
        names = ", ".join(repr(k) for k in missing)
        raise _error(dist, f"missing key {names}; required: {listing}")


def _real(dist: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _error(dist, f"{key} must be a number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise _error(dist, f"{key} must be a finite number, got {value!r}")
    if abs(x) > MAX_MAGNITUDE:
        raise _error(dist, f"{key} must be within +-{MAX_MAGNITUDE:g}, got {value!r}")
    return x


def _coerce_reals(obj: Distribution, *keys: str) -> None:
    for key in keys:
        value = getattr(obj, key)
        if value is not None:
            object.__setattr__(obj, key, _real(obj.name, key, value))


def _check_less(obj: Distribution, low: str, high: str) -> None:
    a, b = getattr(obj, low), getattr(obj, high)
    if not a < b:
        raise _error(obj.name, f"{low}={_fmt(a)} must be less than {high}={_fmt(b)}")


def _check_positive(obj: Distribution, key: str) -> None:
    value = getattr(obj, key)
    if not value > 0:
        raise _error(obj.name, f"{key} must be > 0, got {_fmt(value)}")


def _check_mode(obj: Triangular | Pert) -> None:
    if not obj.low <= obj.mode <= obj.high:
        raise _error(
            obj.name,
            f"mode={_fmt(obj.mode)} must lie in [low, high] = [{_fmt(obj.low)}, {_fmt(obj.high)}]",
        )


def _as_date(dist: str, key: str, value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        raise _error(dist, f"{key} must be a date without a time of day, got {value!r}")
    if isinstance(value, _dt.date):
        try:
            return check_date_range(value)
        except ValueError as exc:
            raise _error(dist, f"{key}: {exc}") from None
    if isinstance(value, str):
        match = _DATE_PATTERN.fullmatch(value)
        if match:
            year, month, day = match.groups()
            try:
                return check_date_range(_dt.date(int(year), int(month), int(day or 1)))
            except ValueError as exc:
                if "outside" in str(exc):
                    raise _error(dist, f"{key}: {exc}") from None
    raise _error(
        dist, f"{key} must be a date as 'YYYY-MM' or 'YYYY-MM-DD' (or a TOML date), got {value!r}"
    )


def _as_array(u: ArrayLike) -> FloatArray:
    return np.asarray(u, dtype=np.float64)


# --- the families -----------------------------------------------------------------------


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]``."""

    low: float
    high: float

    name = "uniform"
    label = "Uniform"
    required = ("low", "high")

    def __post_init__(self) -> None:
        _coerce_reals(self, "low", "high")
        _check_less(self, "low", "high")

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        return _as_array(_stats().uniform(self.low, self.high - self.low).ppf(u))

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (self.low, self.high)

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        return {"dist": self.name, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    low: float
    mode: float
    high: float

    name = "triangular"
    label = "Triangular"
    required = ("low", "mode", "high")

    def __post_init__(self) -> None:
        _coerce_reals(self, "low", "mode", "high")
        _check_less(self, "low", "high")
        _check_mode(self)

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        width = self.high - self.low
        frozen = _stats().triang((self.mode - self.low) / width, loc=self.low, scale=width)
        return _as_array(frozen.ppf(u))

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (self.low, self.high)

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        return {"dist": self.name, "low": self.low, "mode": self.mode, "high": self.high}


@dataclass(frozen=True)
class Pert(Distribution):
    """Modified PERT: a beta on ``[low, high]`` with mode ``mode``.

    The beta's parameters are ``1 + shape * (mode - low) / (high - low)`` and
    ``1 + shape * (high - mode) / (high - low)``, so the mean is
    ``(low + shape * mode + high) / (shape + 2)``; ``shape = 4`` is classic PERT, larger
    values concentrate the mass around the mode.

    References
    ----------
    Vose, D. (2008). *Risk Analysis: A Quantitative Guide*, 3rd ed., Wiley, section 9.1.
    """

    low: float
    mode: float
    high: float
    shape: float = 4.0

    name = "pert"
    label = "PERT"
    required = ("low", "mode", "high")
    optional = ("shape",)
    defaults: ClassVar[Mapping[str, Any]] = {"shape": 4.0}

    def __post_init__(self) -> None:
        _coerce_reals(self, "low", "mode", "high", "shape")
        _check_less(self, "low", "high")
        _check_mode(self)
        _check_positive(self, "shape")

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        width = self.high - self.low
        a = 1.0 + self.shape * (self.mode - self.low) / width
        b = 1.0 + self.shape * (self.high - self.mode) / width
        # Tabulated exact CDF, inverted (simlab.uncertainty._beta: 50x faster than scipy).
        return _as_array(self.low + width * beta_ppf(np.asarray(u, dtype=np.float64), a, b))

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (self.low, self.high)

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        return {
            "dist": self.name,
            "low": self.low,
            "mode": self.mode,
            "high": self.high,
            "shape": self.shape,
        }


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with mean ``mean`` and standard deviation ``sd``."""

    mean: float
    sd: float

    name = "normal"
    label = "Normal"
    required = ("mean", "sd")

    def __post_init__(self) -> None:
        _coerce_reals(self, "mean", "sd")
        _check_positive(self, "sd")

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        return _as_array(_stats().norm(self.mean, self.sd).ppf(u))

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (-math.inf, math.inf)

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        return {"dist": self.name, "mean": self.mean, "sd": self.sd}


@dataclass(frozen=True)
class TruncNormal(Distribution):
    """A normal(``mean``, ``sd``) restricted to ``[low, high]``; at least one bound is given.

    ``mean`` and ``sd`` are those of the normal before truncation.
    """

    mean: float
    sd: float
    low: float | None = None
    high: float | None = None

    name = "truncnormal"
    label = "TruncNormal"
    required = ("mean", "sd")
    optional = ("low", "high")

    def __post_init__(self) -> None:
        _coerce_reals(self, "mean", "sd", "low", "high")
        _check_positive(self, "sd")
        if self.low is None and self.high is None:
            raise _error(self.name, "give low, high or both (use dist = 'normal' for neither)")
        if self.low is not None and self.high is not None:
            _check_less(self, "low", "high")

    def support(self) -> tuple[float, float]:  # noqa: D102
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return (low, high)

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        low, high = self.support()
        a, b = (low - self.mean) / self.sd, (high - self.mean) / self.sd
        return _as_array(_stats().truncnorm(a, b, loc=self.mean, scale=self.sd).ppf(u))

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        spec: dict[str, Any] = {"dist": self.name, "mean": self.mean, "sd": self.sd}
        if self.low is not None:
            spec["low"] = self.low
        if self.high is not None:
            spec["high"] = self.high
        return spec


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal: ``exp(N(mu, sigma))``.

    In a scenario it is usually given by its median and a high quantile,
    ``{dist = "lognormal", median = 10, high = 40, q = 0.95}`` (``high`` is the
    ``q``-quantile); :meth:`from_quantile` builds that form and :meth:`to_spec` keeps it.
    """

    mu: float
    sigma: float
    quantile_form: tuple[float, float, float] | None = None

    name = "lognormal"
    label = "LogNormal"
    required = ("mu", "sigma")
    defaults: ClassVar[Mapping[str, Any]] = {"q": 0.95}

    def __post_init__(self) -> None:
        _coerce_reals(self, "mu", "sigma")
        _check_positive(self, "sigma")

    @classmethod
    def from_quantile(cls, median: float, high: float, q: float = 0.95) -> LogNormal:
        """Build the lognormal whose median is ``median`` and ``q``-quantile is ``high``.

        Parameters
        ----------
        median : float
            The median, > 0.
        high : float
            The ``q``-quantile, > ``median``.
        q : float, default 0.95
            A probability in (0.5, 1).

        Returns
        -------
        LogNormal
        """
        median = _real(cls.name, "median", median)
        high = _real(cls.name, "high", high)
        q = _real(cls.name, "q", q)
        if not median > 0:
            raise _error(cls.name, f"median must be > 0, got {_fmt(median)}")
        if not high > median:
            raise _error(cls.name, f"high={_fmt(high)} must be greater than median={_fmt(median)}")
        if not 0.5 < q < 1:
            raise _error(cls.name, f"q must lie strictly between 0.5 and 1, got {_fmt(q)}")
        sigma = (math.log(high) - math.log(median)) / float(
            _special().ndtri(q)
        )  # = scipy.stats.norm.ppf, bit for bit
        return cls(math.log(median), sigma, quantile_form=(median, high, q))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Distribution:  # noqa: D102
        listing = "median, high and optional q (default 0.95), or mu and sigma"
        _check_keys(cls.name, params, (), ("median", "high", "q", "mu", "sigma"), listing)
        if any(k in params for k in ("mu", "sigma")):
            if any(k in params for k in ("median", "high", "q")):
                keys = ", ".join(repr(k) for k in params)
                raise _error(cls.name, f"give {listing}, not both forms; got {keys}")
            _check_keys(cls.name, params, ("mu", "sigma"), (), listing)
            return cls(params["mu"], params["sigma"])
        _check_keys(cls.name, params, ("median", "high"), ("q",), listing)
        return cls.from_quantile(params["median"], params["high"], params.get("q", 0.95))

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        return _as_array(_stats().lognorm(self.sigma, scale=math.exp(self.mu)).ppf(u))

    def median(self) -> float:  # noqa: D102
        if self.quantile_form is not None:
            return self.quantile_form[0]
        return math.exp(self.mu)

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (0.0, math.inf)

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        if self.quantile_form is not None:
            median, high, q = self.quantile_form
            return {"dist": self.name, "median": median, "high": high, "q": q}
        return {"dist": self.name, "mu": self.mu, "sigma": self.sigma}


@dataclass(frozen=True)
class LogUniform(Distribution):
    """Log-uniform (reciprocal) on ``[low, high]``, ``0 < low < high``."""

    low: float
    high: float

    name = "loguniform"
    label = "LogUniform"
    required = ("low", "high")

    def __post_init__(self) -> None:
        _coerce_reals(self, "low", "high")
        _check_positive(self, "low")
        _check_less(self, "low", "high")

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        return _as_array(_stats().loguniform(self.low, self.high).ppf(u))

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (self.low, self.high)

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        return {"dist": self.name, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Choice(Distribution):
    """One of ``values`` with probabilities proportional to ``weights`` (equal if omitted)."""

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    name = "choice"
    label = "Choice"
    required = ("values",)
    optional = ("weights",)

    def __post_init__(self) -> None:
        values = self._numbers("values", self.values)
        if not values:
            raise _error(self.name, "values must hold at least one number, got []")
        object.__setattr__(self, "values", values)
        if self.weights is None:
            return
        weights = self._numbers("weights", self.weights)
        if len(weights) != len(values):
            raise _error(
                self.name,
                f"weights must have one entry per value ({len(values)}), got {len(weights)}",
            )
        if any(w < 0 for w in weights) or not sum(weights) > 0:
            raise _error(
                self.name, f"weights must be >= 0 with a positive sum, got {_show(weights)}"
            )
        object.__setattr__(self, "weights", weights)

    def _numbers(self, key: str, seq: Any) -> tuple[float, ...]:
        if isinstance(seq, str | bytes | Mapping) or not isinstance(seq, Sequence | np.ndarray):
            raise _error(self.name, f"{key} must be a list of numbers, got {seq!r}")
        return tuple(_real(self.name, f"{key}[{i}]", v) for i, v in enumerate(seq))

    def probabilities(self) -> FloatArray:
        """Return the normalised weights, in the order of ``values``."""
        weights = np.ones(len(self.values)) if self.weights is None else np.array(self.weights)
        return weights / weights.sum()

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        values = np.array(self.values)
        order = np.argsort(values, kind="stable")
        cumulative = np.cumsum(self.probabilities()[order])
        cumulative[-1] = 1.0  # guard against rounding: every u < 1 must find a value
        index = np.searchsorted(cumulative, _as_array(u), side="left")
        return values[order][np.minimum(index, len(values) - 1)]

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (min(self.values), max(self.values))

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        spec: dict[str, Any] = {"dist": self.name, "values": list(self.values)}
        if self.weights is not None:
            spec["weights"] = list(self.weights)
        return spec


@dataclass(frozen=True)
class UniformDate(Distribution):
    """A whole day drawn uniformly from ``low`` to ``high``, both days included.

    Values are float days since 1970-01-01 (``datetime64[D]`` as float). ``low`` and
    ``high`` may be ``datetime.date`` or strings ``"YYYY-MM-DD"`` or ``"YYYY-MM"`` (the
    first of the month).
    """

    low: _dt.date
    high: _dt.date

    name = "uniform_date"
    label = "UniformDate"
    required = ("low", "high")
    is_date = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _as_date(self.name, "low", self.low))
        object.__setattr__(self, "high", _as_date(self.name, "high", self.high))
        if not self.low < self.high:
            raise _error(
                self.name,
                f"low={self.low.isoformat()} must be earlier than high={self.high.isoformat()}",
            )

    def ppf(self, u: ArrayLike) -> FloatArray:  # noqa: D102
        low, high = self.support()
        days = np.floor(_stats().uniform(0.0, high - low + 1.0).ppf(u))
        # u just below 1 can round up to one day past ``high``.
        return np.minimum(low + days, high)

    def support(self) -> tuple[float, float]:  # noqa: D102
        return (date_to_days(self.low), date_to_days(self.high))

    def to_spec(self) -> dict[str, Any]:  # noqa: D102
        return {"dist": self.name, "low": self.low.isoformat(), "high": self.high.isoformat()}


DISTRIBUTIONS: Mapping[str, type[Distribution]] = {
    cls.name: cls
    for cls in (
        Uniform,
        Triangular,
        Pert,
        Normal,
        TruncNormal,
        LogNormal,
        LogUniform,
        Choice,
        UniformDate,
    )
}
"""The families by their ``dist`` name, in the order error messages list them."""


def parse_distribution(spec: Mapping[str, Any]) -> Distribution:
    """Validate a scenario's distribution table and build the :class:`Distribution`.

    Parameters
    ----------
    spec : Mapping
        The table, ``dist`` key included, e.g.
        ``{"dist": "pert", "low": 1, "mode": 2, "high": 4}``. Metadata keys such as
        ``source`` or ``unit`` must have been removed by the caller.

    Returns
    -------
    Distribution

    Raises
    ------
    ScenarioError
        If ``dist`` is missing or unknown (with a did-you-mean hint), a key is unknown or
        missing, a value is not a finite number (or a date, for ``uniform_date``), or the
        values are inconsistent (``low >= high``, ``mode`` outside ``[low, high]``,
        ``sd <= 0``, ...). The message says what is wrong and what is allowed; it does not
        name the file or the key path, which the caller adds.

    Examples
    --------
    >>> parse_distribution({"dist": "pert", "low": 1, "mode": 2, "high": 4}).describe()
    'PERT(low=1, mode=2, high=4)'
    """
    allowed = ", ".join(DISTRIBUTIONS)
    if not isinstance(spec, Mapping):
        raise ScenarioError(
            f"a distribution must be a table such as "
            f'{{dist = "pert", low = 1, mode = 2, high = 4}}, got {spec!r}'
        )
    if "dist" not in spec:
        raise ScenarioError(
            f"a distribution table needs a 'dist' key naming its family, one of: {allowed}"
        )
    name = spec["dist"]
    if not isinstance(name, str) or name not in DISTRIBUTIONS:
        hint = _did_you_mean(str(name).lower(), list(DISTRIBUTIONS))
        raise ScenarioError(f"unknown distribution {name!r}{hint}; allowed: {allowed}")
    params = {key: value for key, value in spec.items() if key != "dist"}
    return DISTRIBUTIONS[name].from_params(params)
