"""Observations as data: dated, sourced figures of the market with a tolerance.

An observations file is TOML, shipped beside the scenarios (``scenarios/observations/``).
Each ``[observations.ID]`` table states one figure::

    [observations.openai-revenue-2024]
    metric = "revenue"          # one of OBSERVABLES
    who = "openai"              # a provider or a group (all, open, closed, region=XX)
    period = "2024"             # a calendar year, or ["2025-01", "2025-06"] (months, inclusive)
    # at = "2025-11"            # ... or one month (flows are then rates: see OBSERVABLES)
    value = 3.7e9
    tolerance = 0.15
    kind = "relative"           # relative (+-15 %), factor (x/ 2), absolute (+- 0.05), range
    source = "NYT-OPENAI"       # keys of [references], "; "-separated
    primary = false             # true: the company's (or the data owner's) own statement

``kind = "range"`` takes ``low`` and ``high`` instead of ``value`` and ``tolerance``.
Every observation becomes a tolerance interval ``[low, high]`` and a scale on which
distances are measured: logarithmic for ``relative`` and ``factor`` (revenue, tokens),
linear for ``absolute`` and ``range`` (shares). The interval is read as two standard
deviations of the observation's error either side of it (see :func:`distance`).

:func:`observe` turns a run's per-step paths into each observation's model value, per draw.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from simlab._hints import did_you_mean
from simlab.errors import ScenarioError

if TYPE_CHECKING:
    from simlab.results import Results
    from simlab.scenario.load import Scenario

__all__ = [
    "KINDS",
    "OBSERVABLES",
    "Observable",
    "Observation",
    "Observations",
    "distance",
    "load_observations",
    "observations_dir",
    "observe",
]

Kind = Literal["relative", "factor", "absolute", "range"]
#: How a tolerance reads: +- a fraction, x/ a factor, +- an amount, or an interval.
KINDS: tuple[str, ...] = ("relative", "factor", "absolute", "range")


@dataclass(frozen=True)
class Observable:
    """A quantity of a run that an observation can name.

    Attributes
    ----------
    name : str
        The ``metric`` an observation names.
    path : str
        The per-step path of :attr:`simlab.Results.paths` it is read from.
    how : str
        ``"flow"`` (summed over a period; a rate at a month), ``"level"`` (mean over a
        period; the value at a month), ``"ratio"`` (the who's share of the market's sum of
        the path), or ``"decline"`` (the price at constant capability, see
        :func:`observe`).
    unit : str
        Unit over a period, then at a month.
    description : str
        One line.
    """

    name: str
    path: str
    how: Literal["flow", "level", "ratio", "decline"]
    unit: str
    description: str


_ROWS = (
    Observable("revenue", "revenue", "flow", "USD over the period; USD per year at a month",
               "revenue; at a month annualised (its revenue x 12), as run-rates are quoted"),
    Observable("paid_tokens", "paid", "flow", "tokens over the period; tokens per month at a month",
               "paid API tokens (billed per token)"),
    Observable("served_tokens", "served", "flow",
               "tokens over the period; tokens per month at a month",
               "tokens the provider serves itself (API and chat users, free ones included)"),
    Observable("seats", "seats", "level", "seats", "paying seats (subscriptions)"),
    Observable("price", "price", "level", "USD per million tokens",
               "blended list price (a provider only)"),
    Observable("quality", "quality", "level", "index points", "quality index (a provider only)"),
    Observable("paid_share", "paid", "ratio", "share",
               "share of paid API tokens: the who's sum over the market's"),
    Observable("revenue_share", "revenue", "ratio", "share",
               "share of revenue: the who's sum over the market's"),
    Observable("price_decline", "price", "decline", "factor per year",
               "how many times a year the cheapest price among available providers at or above "
               "`threshold` quality falls over the period (needs a period and a threshold)"),
)  # fmt: skip

#: Every quantity an observation may name, by name.
OBSERVABLES: dict[str, Observable] = {o.name: o for o in _ROWS}

#: Keys an observation table may hold.
_KEYS = (
    "metric",
    "who",
    "at",
    "period",
    "value",
    "tolerance",
    "kind",
    "low",
    "high",
    "threshold",
    "source",
    "primary",
    "note",
)
#: Keys of the file's top level.
_TOP = ("name", "title", "description", "scenario", "references", "calibration", "observations")
#: Keys of the ``[calibration]`` table: the file's defaults for :func:`simlab.calibrate`.
_CALIBRATION = ("skip", "discrepancy", "note")


@dataclass(frozen=True)
class Observation:
    """One dated, sourced observation with its tolerance interval.

    Attributes
    ----------
    id : str
        Its key in the file.
    metric : str
        A name in :data:`OBSERVABLES`.
    who : str
        A provider or a group label.
    start, end : str
        The first and last month it covers (``YYYY-MM``, both included); equal for an
        observation at a month.
    at_month : bool
        Whether it is a value at a month (flows are then rates) rather than over a period.
    value : float
        The observed value (the middle of the interval for a range).
    low, high : float
        The tolerance interval.
    kind : str
        One of :data:`KINDS`.
    tolerance : float
        As written (NaN for a range).
    source : str
        The source, reference keys resolved to their text.
    primary : bool
        Whether the source is the company's (or the data owner's) own statement.
    threshold : float
        The quality threshold of ``price_decline`` (NaN otherwise).
    note : str
        Free text.
    """

    id: str
    metric: str
    who: str
    start: str
    end: str
    at_month: bool
    value: float
    low: float
    high: float
    kind: str
    tolerance: float
    source: str
    primary: bool
    threshold: float = math.nan
    note: str = ""

    @property
    def log_scale(self) -> bool:
        """Whether distances are measured on a log scale (relative and factor tolerances)."""
        return self.kind in ("relative", "factor")

    @property
    def when(self) -> str:
        """The month, the year, or ``start..end``, as people read it."""
        if self.at_month:
            return self.start
        if (
            self.start.endswith("-01")
            and self.end.endswith("-12")
            and self.start[:4] == self.end[:4]
        ):
            return self.start[:4]
        return f"{self.start}..{self.end}"

    @property
    def sigma(self) -> float:
        """The observation's standard error on its scale: a quarter of the interval."""
        if self.log_scale:
            return (math.log(self.high) - math.log(self.low)) / 4.0
        return (self.high - self.low) / 4.0

    @property
    def centre(self) -> float:
        """The observed value on the distance scale."""
        return math.log(self.value) if self.log_scale else self.value


def distance(obs: Observation, model: np.ndarray, discrepancy: float = 0.0) -> np.ndarray:
    """Return the standardised distance of model values from an observation.

    ``|g(model) - g(value)| / sqrt(sigma^2 + delta^2)`` with ``g`` the log for relative
    and factor tolerances (the identity otherwise), ``sigma`` a quarter of the tolerance
    interval on that scale (a value at the interval's edge is 2 standard errors away) and
    ``delta`` the model discrepancy: ``discrepancy`` on the log scale (a relative error),
    ``discrepancy * |value|`` on the linear scale. Non-positive model values on a log
    scale, and NaN, are infinitely far.

    Parameters
    ----------
    obs : Observation
    model : numpy.ndarray
        Model values, any shape.
    discrepancy : float
        The model discrepancy's standard deviation, relative to the observed value
        (Vernon, Goldstein & Bower 2010): what the model's structure cannot represent.

    Returns
    -------
    numpy.ndarray
        Same shape, non-negative, ``inf`` where the value cannot be compared.

    Examples
    --------
    >>> obs = Observations.from_dict(
    ...     {"observations": {"x": {"metric": "revenue", "who": "all", "at": "2024-01",
    ...      "value": 100.0, "tolerance": 2.0, "kind": "factor", "source": "me, 2024",
    ...      "primary": False}}}
    ... )["x"]
    >>> distance(obs, np.array([100.0, 200.0, 400.0])).round(2).tolist()
    [0.0, 2.0, 4.0]
    """
    x = np.asarray(model, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if obs.log_scale:
            g = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
        else:
            g = x
        delta = discrepancy if obs.log_scale else discrepancy * abs(obs.value)
        d = np.abs(g - obs.centre) / math.sqrt(obs.sigma**2 + delta**2)
    return np.where(np.isfinite(d), d, np.inf)


class Observations(Mapping[str, Observation]):
    """The observations of a file, by id, in file order.

    Attributes
    ----------
    name : str
        The file's ``name``.
    scenario : str or None
        The hindcast scenario the observations are for (a catalog name or path).
    origin : str
        The file they came from (or ``"<dict>"``).
    references : dict of str to str
        The file's references.
    skip : tuple of str
        Observations the file's ``[calibration]`` table leaves out of the matching by
        default (the model cannot represent them; still scored).
    discrepancy : float
        The file's default relative model discrepancy for :func:`simlab.calibrate`.
    """

    def __init__(
        self,
        items: Sequence[Observation],
        name: str = "observations",
        scenario: str | None = None,
        origin: str = "<dict>",
        references: Mapping[str, str] | None = None,
        title: str = "",
        skip: Sequence[str] = (),
        discrepancy: float = 0.0,
    ) -> None:
        self._items = {o.id: o for o in items}
        self.name = name
        self.scenario = scenario
        self.origin = origin
        self.references = dict(references or {})
        self.title = title
        self.skip = tuple(k for k in skip if k in self._items)
        self.discrepancy = discrepancy

    def __getitem__(self, key: str) -> Observation:
        try:
            return self._items[key]
        except KeyError:
            hint = did_you_mean(key, self._items)
            raise KeyError(f"no observation {key!r}{hint}") from None

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Observations {self.name!r}: {len(self)} from {self.origin}>"

    def subset(self, ids: Sequence[str]) -> Observations:
        """Return the observations named, in the order given."""
        return Observations(
            [self[i] for i in ids],
            self.name,
            self.scenario,
            self.origin,
            self.references,
            self.title,
            self.skip,
            self.discrepancy,
        )

    def table(self) -> Any:
        """Return the observations as a pandas DataFrame (one row each)."""
        import pandas as pd

        rows = [
            {
                "observation": o.id,
                "metric": o.metric,
                "who": o.who,
                "when": o.when,
                "value": o.value,
                "low": o.low,
                "high": o.high,
                "kind": o.kind,
                "primary": o.primary,
                "source": o.source,
            }
            for o in self.values()
        ]
        return pd.DataFrame(rows).set_index("observation")

    @classmethod
    def from_dict(
        cls,
        document: Mapping[str, Any],
        origin: str = "<dict>",
        scenario: Scenario | None = None,
    ) -> Observations:
        """Validate an observations document (the TOML file's content as a dict).

        Parameters
        ----------
        document : Mapping
            ``{"observations": {ID: {...}}, "references": {...}, ...}``.
        origin : str
            Named in error messages (the file).
        scenario : Scenario, optional
            When given, every ``who`` must be one of its providers or groups and every
            date inside its horizon.

        Raises
        ------
        ScenarioError
            For the first thing wrong, naming the file, the key, the value and what is
            allowed.
        """
        return _parse(document, origin, scenario)


# --------------------------------------------------------------------------- parsing
def _fail(origin: str, key: str, message: str) -> ScenarioError:
    return ScenarioError(f"{origin}: {key}: {message}")


def _month(origin: str, key: str, raw: object) -> str:
    if isinstance(raw, _dt.date):
        return f"{raw.year:04d}-{raw.month:02d}"
    if isinstance(raw, str):
        parts = raw.split("-")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            year, month = int(parts[0]), int(parts[1])
            if 1900 <= year <= 2200 and 1 <= month <= 12:
                return f"{year:04d}-{month:02d}"
    raise _fail(origin, key, f"must be a month 'YYYY-MM', got {raw!r}")


def _number(origin: str, key: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise _fail(origin, key, f"must be a finite number, got {raw!r}")
    return float(raw)


def _period(origin: str, key: str, raw: object) -> tuple[str, str]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, str) and raw.isdigit() and len(raw) == 4:
        return f"{raw}-01", f"{raw}-12"
    if isinstance(raw, list) and len(raw) == 2:
        start, end = _month(origin, key, raw[0]), _month(origin, key, raw[1])
        if end < start:
            raise _fail(origin, key, f"ends before it starts: {raw!r}")
        return start, end
    raise _fail(
        origin, key, f"must be a year ('2024') or two months ['2025-01', '2025-06'], got {raw!r}"
    )


def _interval(
    origin: str, key: str, table: Mapping[str, Any]
) -> tuple[float, float, float, str, float]:
    """Return (value, low, high, kind, tolerance) of an observation table."""
    kind = table.get("kind", "relative")
    if kind not in KINDS:
        raise _fail(origin, f"{key}.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "range":
        for extra in ("value", "tolerance"):
            if extra in table:
                raise _fail(
                    origin, f"{key}.{extra}", "a range takes low and high, not value or tolerance"
                )
        if "low" not in table or "high" not in table:
            raise _fail(origin, key, "a range needs low and high")
        low = _number(origin, f"{key}.low", table["low"])
        high = _number(origin, f"{key}.high", table["high"])
        if not high > low:
            raise _fail(origin, f"{key}.high", f"must be above low ({low!r}), got {high!r}")
        return (low + high) / 2.0, low, high, kind, math.nan
    for extra in ("low", "high"):
        if extra in table:
            raise _fail(
                origin, f"{key}.{extra}", f"only kind = 'range' takes low and high, not {kind!r}"
            )
    if "value" not in table:
        raise _fail(origin, key, "missing value (the observed figure)")
    if "tolerance" not in table:
        raise _fail(origin, key, f"missing tolerance (kind {kind!r})")
    value = _number(origin, f"{key}.value", table["value"])
    tol = _number(origin, f"{key}.tolerance", table["tolerance"])
    if kind == "relative":
        if not 0.0 < tol < 1.0:
            raise _fail(
                origin, f"{key}.tolerance", f"a relative tolerance must be in (0, 1), got {tol!r}"
            )
        low, high = value * (1.0 - tol), value * (1.0 + tol)
    elif kind == "factor":
        if not tol > 1.0:
            raise _fail(origin, f"{key}.tolerance", f"a factor must be > 1, got {tol!r}")
        low, high = value / tol, value * tol
    else:
        if not tol > 0.0:
            raise _fail(origin, f"{key}.tolerance", f"must be > 0, got {tol!r}")
        low, high = value - tol, value + tol
    if kind in ("relative", "factor") and not value > 0.0:
        raise _fail(origin, f"{key}.value", f"a {kind} tolerance needs a value > 0, got {value!r}")
    return value, low, high, kind, tol


def _source(origin: str, key: str, raw: object, references: Mapping[str, str]) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(
            origin,
            f"{key}.source",
            "every observation names its source: a key of [references] or a citation "
            "(publisher, date, title)",
        )
    parts = [p.strip() for p in raw.split(";")]
    texts = [references.get(p, p) for p in parts if p]
    return "; ".join(texts)


def _parse(document: Mapping[str, Any], origin: str, scenario: Scenario | None) -> Observations:
    if not isinstance(document, Mapping):
        raise ScenarioError(f"{origin}: an observations file is a TOML table")
    for key in document:
        if key not in _TOP:
            raise _fail(
                origin, key, f"unknown key{did_you_mean(key, _TOP)} (allowed: {', '.join(_TOP)})"
            )
    references = document.get("references", {})
    if not isinstance(references, Mapping) or not all(
        isinstance(v, str) for v in references.values()
    ):
        raise _fail(origin, "references", 'must be a table of key = "citation"')
    table = document.get("observations")
    if not isinstance(table, Mapping) or not table:
        raise _fail(origin, "observations", "missing or empty: add [observations.ID] tables")
    items = []
    for oid, raw in table.items():
        key = f"observations.{oid}"
        if not isinstance(raw, Mapping):
            raise _fail(origin, key, f"must be a table, got {raw!r}")
        for k in raw:
            if k not in _KEYS:
                raise _fail(origin, f"{key}.{k}", f"unknown key{did_you_mean(k, _KEYS)}")
        metric = raw.get("metric")
        if metric not in OBSERVABLES:
            raise _fail(
                origin,
                f"{key}.metric",
                f"unknown metric {metric!r}{did_you_mean(str(metric), OBSERVABLES)} "
                f"(allowed: {', '.join(OBSERVABLES)})",
            )
        who = raw.get("who", "all")
        if not isinstance(who, str) or not who:
            raise _fail(origin, f"{key}.who", f"must be a provider or a group, got {who!r}")
        if ("at" in raw) == ("period" in raw):
            raise _fail(origin, key, "give either at (a month) or period (a year or two months)")
        if "at" in raw:
            start = end = _month(origin, f"{key}.at", raw["at"])
        else:
            start, end = _period(origin, f"{key}.period", raw["period"])
        value, low, high, kind, tol = _interval(origin, key, raw)
        primary = raw.get("primary")
        if not isinstance(primary, bool):
            raise _fail(
                origin,
                f"{key}.primary",
                f"must be true (the company's own figure) or false, got {primary!r}",
            )
        threshold = math.nan
        observable = OBSERVABLES[metric]
        if observable.how == "decline":
            if "threshold" not in raw:
                raise _fail(origin, key, f"{metric} needs a threshold (quality index points)")
            threshold = _number(origin, f"{key}.threshold", raw["threshold"])
            if start == end:
                raise _fail(origin, key, f"{metric} is measured over a period, not at a month")
        elif "threshold" in raw:
            raise _fail(
                origin, f"{key}.threshold", f"only price_decline takes a threshold, not {metric}"
            )
        if (
            observable.how == "level"
            and metric in ("price", "quality")
            and who in ("all", "open", "closed")
        ):
            raise _fail(
                origin, f"{key}.who", f"{metric} is a provider's: name a provider, got {who!r}"
            )
        note = raw.get("note", "")
        items.append(
            Observation(
                id=str(oid),
                metric=metric,
                who=who,
                start=start,
                end=end,
                at_month="at" in raw,
                value=value,
                low=low,
                high=high,
                kind=kind,
                tolerance=tol,
                source=_source(origin, key, raw.get("source"), references),
                primary=primary,
                threshold=threshold,
                note=str(note),
            )
        )
    target = document.get("scenario")
    if target is not None and not isinstance(target, str):
        raise _fail(origin, "scenario", f"must be a scenario name or path, got {target!r}")
    skip, discrepancy = _calibration_defaults(origin, document.get("calibration", {}), items)
    obs = Observations(
        items,
        name=str(document.get("name", Path(origin).stem)),
        scenario=target,
        origin=origin,
        references=references,
        title=str(document.get("title", "")),
        skip=skip,
        discrepancy=discrepancy,
    )
    if scenario is not None:
        check_against(obs, scenario)
    return obs


def _calibration_defaults(
    origin: str, table: object, items: Sequence[Observation]
) -> tuple[tuple[str, ...], float]:
    """Validate the ``[calibration]`` table: ``skip`` (ids) and ``discrepancy``."""
    if not isinstance(table, Mapping):
        raise _fail(origin, "calibration", f"must be a table, got {table!r}")
    for k in table:
        if k not in _CALIBRATION:
            raise _fail(
                origin,
                f"calibration.{k}",
                f"unknown key{did_you_mean(k, _CALIBRATION)} (allowed: {', '.join(_CALIBRATION)})",
            )
    skip = table.get("skip", [])
    ids = [o.id for o in items]
    if not isinstance(skip, list) or not all(isinstance(k, str) for k in skip):
        raise _fail(origin, "calibration.skip", f"must be a list of observation ids, got {skip!r}")
    for k in skip:
        if k not in ids:
            raise _fail(origin, "calibration.skip", f"no observation {k!r}{did_you_mean(k, ids)}")
    discrepancy = _number(origin, "calibration.discrepancy", table.get("discrepancy", 0.0))
    if not 0.0 <= discrepancy < 10.0:
        raise _fail(origin, "calibration.discrepancy", f"must be in [0, 10), got {discrepancy!r}")
    return tuple(skip), discrepancy


def check_against(observations: Observations, scenario: Scenario) -> None:
    """Check that every observation can be read off a run of ``scenario``.

    Raises
    ------
    ScenarioError
        If an observation names a provider or group the scenario does not have, or a
        month outside its horizon.
    """
    first = f"{scenario.start_date.year:04d}-{scenario.start_date.month:02d}"
    last_day = scenario.end_date - _dt.timedelta(days=1)
    last = f"{last_day.year:04d}-{last_day.month:02d}"
    known = [*scenario.providers, *scenario.groups]
    for o in observations.values():
        key = f"observations.{o.id}"
        if o.who not in known:
            raise _fail(
                observations.origin,
                f"{key}.who",
                f"{o.who!r} is not a provider or group of {scenario.name!r}"
                f"{did_you_mean(o.who, known)} (allowed: {', '.join(known)})",
            )
        if o.start < first or o.end > last:
            raise _fail(
                observations.origin,
                f"{key}.{'at' if o.at_month else 'period'}",
                f"{o.when} is outside the horizon of {scenario.name!r} ({first} to {last})",
            )


def observations_dir() -> Path:
    """Return the folder of the shipped observation files (``scenarios/observations``)."""
    from simlab.scenario.catalog import catalog_dir

    return catalog_dir() / "observations"


def load_observations(
    name_or_path: str | os.PathLike[str], scenario: Scenario | None = None
) -> Observations:
    """Load and validate an observations file.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A shipped file's name (e.g. ``"history-2023"``) or a path to a TOML file.
    scenario : Scenario, optional
        Check the observations against this scenario (providers, groups, horizon); by
        default against the scenario the file names, if any.

    Returns
    -------
    Observations

    Raises
    ------
    ScenarioError
        If the file does not exist, is not TOML, or an observation is invalid (the
        message names the file, the key, the value and what is allowed).

    Examples
    --------
    >>> obs = load_observations("history-2023")
    >>> obs["openai-revenue-2024"].value
    3700000000.0
    """
    text = str(name_or_path)
    path = Path(text)
    if not (path.suffix == ".toml" or path.parent != Path(".")):
        path = observations_dir() / f"{text}.toml"
    if not path.is_file():
        shipped = sorted(p.stem for p in observations_dir().glob("*.toml"))
        raise ScenarioError(
            f"{text}: no such observations file (shipped: {', '.join(shipped) or 'none'})"
        )
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not a valid TOML file: {exc}") from None
    obs = _parse(document, str(path), None)
    if scenario is None and obs.scenario is not None:
        from simlab.scenario.load import load_scenario

        scenario = load_scenario(obs.scenario)
    if scenario is not None:
        check_against(obs, scenario)
    return obs


# --------------------------------------------------------------------------- observing
def _month_index(times: np.ndarray, month: str) -> int:
    stamp = np.datetime64(f"{month}-01", "ns")
    found = np.flatnonzero(times.astype("datetime64[M]") == stamp.astype("datetime64[M]"))
    if not found.size:
        raise ScenarioError(f"month {month} is not a step of the run")
    return int(found[0])


def observe(results: Results, observations: Observations) -> np.ndarray:
    """Return each observation's model value in each draw of a run.

    Read from the run's per-step paths (``run(..., paths=True)``):

    - ``flow`` (revenue, tokens): the sum over the period's steps (tokens: rate per month
      times months per step); at a month, the rate (revenue per year, tokens per month);
    - ``level`` (seats, price, quality): the mean over the period's steps, or the value;
    - ``ratio`` (shares): the who's sum of the path over the market's sum;
    - ``decline`` (``price_decline``): with ``c(t)`` the cheapest price among the who's
      providers that are on the market (a share above 0) at quality ``>= threshold``,
      ``(c(start) / c(end)) ** (1 / years)``; NaN when none is at the threshold at the start.

    Parameters
    ----------
    results : Results
        A run with paths of the scenario the observations are for.
    observations : Observations

    Returns
    -------
    numpy.ndarray
        ``(draws, observations)``, float64.

    Raises
    ------
    ScenarioError
        If the run has no paths, or an observation does not fit its scenario.
    """
    paths = results.paths
    if paths is None:
        raise ScenarioError(
            "observe: the run has no per-step paths; run it with paths=True "
            "(simlab.run(..., paths=True))"
        )
    sc = results.scenario
    check_against(observations, sc)
    times = paths["time"].to_numpy()
    dt = sc.dt
    cache: dict[str, np.ndarray] = {}

    def path(name: str) -> np.ndarray:  # (draw, time, provider), float64
        if name not in cache:
            cache[name] = paths[name].to_numpy().astype(np.float64)
        return cache[name]

    provider_index = {p: i for i, p in enumerate(sc.providers)}
    out = np.empty((results.draws, len(observations)), dtype=np.float64)
    for j, o in enumerate(observations.values()):
        spec = OBSERVABLES[o.metric]
        members = (
            [provider_index[p] for p in sc.group_members(o.who)]
            if o.who in sc.groups
            else [provider_index[o.who]]
        )
        a, b = _month_index(times, o.start), _month_index(times, o.end) + 1
        data = path(spec.path)
        if spec.how == "flow":
            series = data[:, a:b, :][:, :, members].sum(axis=2)
            if o.at_month:
                per_year = 1.0 / dt if spec.path == "revenue" else 1.0
                out[:, j] = series[:, 0] * per_year
            else:
                months = 1.0 if spec.path == "revenue" else dt * 12.0
                out[:, j] = series.sum(axis=1) * months
        elif spec.how == "level":
            out[:, j] = data[:, a:b, :][:, :, members].sum(axis=2).mean(axis=1)
        elif spec.how == "ratio":
            part = data[:, a:b, :][:, :, members].sum(axis=(1, 2))
            total = data[:, a:b, :].sum(axis=(1, 2))
            with np.errstate(divide="ignore", invalid="ignore"):
                out[:, j] = np.where(total > 0, part / np.where(total > 0, total, 1.0), np.nan)
        else:
            out[:, j] = _decline(
                path("price"), path("quality"), path("share"), members, a, b - 1, o, dt
            )
    return out


def _decline(
    price: np.ndarray,
    quality: np.ndarray,
    share: np.ndarray,
    members: list[int],
    a: int,
    z: int,
    o: Observation,
    dt: float,
) -> np.ndarray:
    def cheapest(t: int) -> np.ndarray:
        p, q, s = price[:, t, members], quality[:, t, members], share[:, t, members]
        # Paths are float32: a model exactly at the threshold must count as at it.
        ok = (q >= o.threshold * (1.0 - 1e-6)) & (s > 0)
        return np.where(ok, p, np.inf).min(axis=1)

    first, last = cheapest(a), cheapest(z)
    years = (z - a) * dt
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (first / last) ** (1.0 / years)
    return np.where(np.isfinite(factor), factor, np.nan)
