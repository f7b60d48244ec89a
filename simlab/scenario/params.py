"""Numeric and date leaves of a scenario: a point value, an optional distribution, a source.

Every number or date in a scenario file can be written three ways::

    price_in = 1.25                                           # a bare number
    price_in = {value = 1.25, source = "A3", unit = "USD/Mtok"}
    price_in = {dist = "pert", low = 1, mode = 1.25, high = 2, source = "A3"}

All three become a :class:`Param`. Its point value (used when nothing is sampled) is
``value`` when given, else the distribution's median. Dates are held as float days since
1970-01-01 so that they can be sampled like any other number.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simlab.uncertainty.distributions import (
    MAX_MAGNITUDE,
    check_date_range,
    date_to_days,
    days_to_date,
)

__all__ = ["Bounds", "Param", "date_to_days", "days_to_date", "parse_date"]

_META_KEYS = ("source", "assumption", "unit", "note")


def parse_date(raw: object) -> _dt.date:
    """Parse ``"YYYY-MM"``, ``"YYYY-MM-DD"`` or a TOML date into a :class:`datetime.date`.

    Raises
    ------
    ValueError
        If the text is not such a date.
    """
    if isinstance(raw, _dt.datetime):
        raise ValueError(f"must be a date without a time of day ('YYYY-MM-DD'), got {raw!r}")
    if isinstance(raw, _dt.date):
        return check_date_range(raw)
    if isinstance(raw, str) and len(raw) <= 32:
        text = raw.strip()
        day = None
        try:
            if len(text) == 7 and text[4] == "-":
                day = _dt.date(int(text[:4]), int(text[5:7]), 1)
            elif len(text) == 10:
                day = _dt.date.fromisoformat(text)
        except ValueError:
            pass
        if day is not None:
            return check_date_range(day)
    shown = raw if not isinstance(raw, str) or len(raw) <= 32 else raw[:32] + "..."
    raise ValueError(f"must be a date 'YYYY-MM' or 'YYYY-MM-DD', got {shown!r}")


@dataclass(frozen=True)
class Bounds:
    """The values a parameter may take: an interval, open or closed at each end."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def contains(self, x: float) -> bool:
        """Return whether ``x`` lies inside the bounds."""
        if self.low_open and not x > self.low:
            return False
        if not self.low_open and not x >= self.low:
            return False
        if self.high_open and not x < self.high:
            return False
        return self.high_open or x <= self.high

    def describe(self) -> str:
        """Return the allowed range in words, e.g. ``"> 0"`` or ``"in [0, 1]"``."""
        lo, hi = self.low, self.high
        if math.isinf(lo) and math.isinf(hi):
            return "finite"
        if math.isinf(hi):
            return f"{'>' if self.low_open else '>='} {lo:g}"
        if math.isinf(lo):
            return f"{'<' if self.high_open else '<='} {hi:g}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{lo:g}, {hi:g}{right}"


@dataclass(frozen=True)
class Param:
    """One number or date of a scenario, with its uncertainty and provenance.

    Attributes
    ----------
    value : float
        The point value (days since 1970-01-01 for a date).
    dist : Distribution or None
        The distribution it is drawn from in a Monte Carlo run, if any.
    source : str or None
        Where the figure comes from (publisher or site, date, title).
    assumption : str or None
        For a figure with no source: one line of reasoning.
    unit : str or None
        The unit, for tables and plots.
    is_date : bool
        Whether the value is a date.
    """

    value: float
    dist: Any = None
    source: str | None = None
    assumption: str | None = None
    unit: str | None = None
    note: str | None = None
    is_date: bool = False
    bounds: Bounds = field(default_factory=lambda: Bounds())

    @property
    def uncertain(self) -> bool:
        """Whether the parameter is drawn from a distribution."""
        return self.dist is not None

    def display(self) -> str:
        """Return the point value as text (a date as ``YYYY-MM-DD``)."""
        if self.is_date:
            return days_to_date(self.value).isoformat()
        return f"{self.value:.6g}"

    def replace_value(self, value: float) -> Param:
        """Return a copy with a new fixed value and no distribution."""
        return Param(
            value=float(value),
            dist=None,
            source=self.source,
            assumption=self.assumption,
            unit=self.unit,
            note=self.note,
            is_date=self.is_date,
            bounds=self.bounds,
        )


def _finite(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        shown = repr(x) if len(repr(x)) <= 60 else repr(x)[:60] + "..."
        raise ValueError(f"{what} must be a number, got {shown}")
    try:
        value = float(x)
    except OverflowError:  # an integer beyond float range
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {x!r}")
    if abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"{what} must be within +-{MAX_MAGNITUDE:g}, got {x!r}")
    return value


def coerce_param(raw: object, *, is_date: bool = False) -> Param:
    """Turn a raw TOML leaf (number, date, or table) into a :class:`Param`.

    Raises
    ------
    ValueError
        With a message that says what is allowed.
    """
    if isinstance(raw, Param):
        return raw
    if isinstance(raw, Mapping):
        table = dict(raw)
        meta = {k: table.pop(k) for k in _META_KEYS if k in table}
        for key, val in meta.items():
            if not isinstance(val, str):
                raise ValueError(f"'{key}' must be text, got {val!r}")
        dist = None
        if "dist" in table:
            from simlab.uncertainty.distributions import parse_distribution

            point = table.pop("value", None)
            dist = parse_distribution(table)
            if bool(getattr(dist, "is_date", False)) != is_date:
                kind = "a date" if is_date else "a number"
                raise ValueError(f"needs {kind} distribution, got dist = {table['dist']!r}")
            if point is None:
                value = float(dist.median())
            elif is_date:
                value = date_to_days(parse_date(point))
            else:
                value = _finite(point, "'value'")
            low, high = dist.support()
            if point is not None and not low <= value <= high:
                shown = days_to_date(value).isoformat() if is_date else f"{value:g}"
                raise ValueError(
                    f"'value' {shown} lies outside its own distribution {dist.describe()}, "
                    "from which Monte Carlo draws come; give a value inside it"
                )
        elif "value" in table:
            point = table.pop("value")
            if table:
                raise ValueError(
                    f"unknown key(s) {sorted(table)} beside 'value' "
                    f"(allowed: value, dist, {', '.join(_META_KEYS)})"
                )
            value = date_to_days(parse_date(point)) if is_date else _finite(point, "value")
        else:
            raise ValueError(
                f"a table here needs 'value' or 'dist' (got keys {sorted(raw)}); "
                "write e.g. {value = 1.0, source = '...'} or {dist = 'pert', low = ..., ...}"
            )
        return Param(value=value, dist=dist, is_date=is_date, **meta)
    if is_date:
        return Param(value=date_to_days(parse_date(raw)), is_date=True)
    return Param(value=_finite(raw, "value"))


def check_bounds(param: Param, bounds: Bounds) -> Param:
    """Check a parameter's point value and its distribution's support against ``bounds``."""
    if not bounds.contains(param.value):
        raise ValueError(f"must be {bounds.describe()}, got {param.value:g}")
    if param.dist is not None:
        lo, hi = param.dist.support()
        for end, name in ((lo, "lowest"), (hi, "highest")):
            inside = bounds.contains(end)
            # An open end of the support (e.g. 0 for a lognormal) is fine at an open bound.
            at_edge = (end == bounds.low and bounds.low_open) or (
                end == bounds.high and bounds.high_open
            )
            if not inside and not at_edge:
                raise ValueError(
                    f"must be {bounds.describe()}, but its distribution "
                    f"{param.dist.describe()} reaches {end:g} ({name} value of its support)"
                )
    return param


def param_validator(bounds: Bounds, *, is_date: bool = False) -> Callable[[object], Param]:
    """Return a pydantic before-validator that builds and checks a :class:`Param`."""

    def validate(raw: object) -> Param:
        param = coerce_param(raw, is_date=is_date)
        if not is_date:
            check_bounds(param, bounds)
        return dataclasses.replace(param, bounds=bounds)

    return validate


def as_array(value: float, n: int) -> np.ndarray:
    """Return ``value`` repeated ``n`` times as float64."""
    return np.full(n, value, dtype=np.float64)
