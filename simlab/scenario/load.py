"""Load, validate and edit scenarios.

A :class:`Scenario` is the validated, immutable form of a TOML scenario file. It knows
its parameters by path (``providers.openai.price_in``), which is how sweeps, shocks,
inputs tables and sensitivity analysis address them.
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Union, cast, get_args, get_origin

import numpy as np
from pydantic import BaseModel, ValidationError

from simlab.errors import ScenarioError
from simlab.scenario import catalog
from simlab.scenario.catalog import scenario_path
from simlab.scenario.params import Param, check_bounds, days_to_date, parse_date
from simlab.scenario.schema import (
    CapexEvent,
    EntryEvent,
    ExitEvent,
    PriceEvent,
    ReleaseEvent,
    ScenarioSpec,
    ShockEvent,
    field_vocabulary,
    iter_params,
)
from simlab.scenario.units import param_unit

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SHOCKABLE", "Scenario", "load_scenario"]

#: Parameters a ``shock`` event may change during a run, relative to a segment or provider.
SHOCKABLE = {
    "segments": {
        "potential",
        "growth",
        "growth_halflife",
        "growth_final",
        "bass_p",
        "bass_q",
        "elasticity",
        "beta_quality",
        "beta_price",
        "need",
        "kappa",
        "pref_open",
        "pref_region",
        "pref_provider",
        "switching_time",
        "leakage",
        "intensity_growth",
        "free_share",
    },
    "providers": {
        "quality",
        "cost",
        "cost_decline",
        "capacity",
        "opex",
        "xi",
        "pricing.drift",
        "pricing.markup",
        "pricing.trigger",
        "pricing.cut",
        "pricing.floor",
        "pricing.ratio",
        "pricing.adjust",
    },
}

#: At most this many steps in a horizon (e.g. 96 years of weeks, 416 of months).
MAX_STEPS = 5000
#: Terminal growth must stay this far below the lowest discount rate (1/gap bounds the
#: terminal value's multiple of the last cash flow: 1,000 at 0.001).
MIN_RATE_GAP = 0.001
#: The parameter paths of the terminal value's discount rate and growth.
TV_RATE, TV_GROWTH = "finance.discount_rate", "finance.terminal_growth"

_STEP_DAYS = {"week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4}
_STEP_YEARS = {"week": 7.0 / 365.25, "month": 1.0 / 12.0, "quarter": 0.25}
#: Steps in a year, exactly: a week is 7 of the 365.25 days of an average year.
_PERIODS_PER_YEAR = {"week": 365.25 / 7.0, "month": 12.0, "quarter": 4.0}


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` into ``base``: tables merge, anything else replaces."""
    out = dict(copy.deepcopy(base))
    for key, value in over.items():
        old = out.get(key)
        # A table with 'dist' or 'value' is a leaf, not a table to merge into.
        leaf = isinstance(value, Mapping) and ("dist" in value or "value" in value)
        if isinstance(old, Mapping) and isinstance(value, Mapping) and not leaf:
            out[key] = _merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


#: Limits on a scenario document: its size, how deep tables and arrays nest, and how long
#: a chain of ``extends`` may be (each far above what a scenario needs; they keep a hostile
#: file from exhausting the stack or the memory).
MAX_FILE_BYTES = 10_000_000
MAX_DEPTH = 20
MAX_EXTENDS = 10
_SURROGATE = re.compile("[\ud800-\udfff]")
_CATALOG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: a scenario file must hold at most {MAX_FILE_BYTES:,} bytes, "
                f"got {path.stat().st_size:,}"
            )
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid TOML: nested too deeply") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _plain(value: object, where: str, path: str, depth: int = 0) -> object:
    """Return a document with TOML dates as ISO text, checking depth and text.

    The result is the scenario's JSON form (what workers and results files carry), so a
    document that passes here round-trips through JSON unchanged.
    """
    if depth > MAX_DEPTH:
        raise ScenarioError(f"{where}: {path or '(top level)'}: nested deeper than {MAX_DEPTH}")
    if isinstance(value, Mapping):
        return {
            str(k): _plain(v, where, f"{path}.{k}" if path else str(k), depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_plain(v, where, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, _dt.datetime | _dt.time):
        raise ScenarioError(
            f"{where}: {path}: a date-time or time of day is not allowed, got "
            f"{value.isoformat()!r}; write a date 'YYYY-MM-DD'"
        )
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str) and ("\x00" in value or _SURROGATE.search(value)):
        bad = "a NUL character" if "\x00" in value else "an unpaired surrogate"
        raise ScenarioError(f"{where}: {path}: text holds {bad}")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise ScenarioError(
        f"{where}: {path}: a scenario holds tables, arrays, text, numbers, booleans and "
        f"dates, got {type(value).__name__}"
    )


def _parent_path(name: str, where: str, base_dir: Path | None) -> Path:
    """Where ``extends = name`` points: a catalog name, or a file inside the child's folder.

    Absolute paths and paths that leave the child's folder (after resolving ``..`` and
    links) are refused, so a scenario can only merge files its author shipped with it.
    """
    if len(name) > 200 or "\x00" in name:
        raise ScenarioError(f"{where}: extends: must be a catalog name or a file name")
    relative = Path(name)
    if relative.suffix == ".toml" or len(relative.parts) > 1:
        if relative.is_absolute() or base_dir is None:
            raise ScenarioError(
                f"{where}: extends: {name!r} must be a catalog name or a path relative to "
                "the scenario's own folder"
            )
        folder = base_dir.resolve()
        candidate = (folder / relative).resolve()
        if not candidate.is_relative_to(folder):
            raise ScenarioError(
                f"{where}: extends: {name!r} leaves the scenario's folder {folder}; a "
                "scenario extends a catalog name or a file beside it (or below it)"
            )
        if candidate.suffix == ".toml" and candidate.is_file():
            return candidate
        if len(relative.parts) > 1:
            raise ScenarioError(f"{where}: extends: no such scenario file {name!r}")
    shipped = catalog.catalog_dir() / f"{name}.toml"
    if not _CATALOG_NAME.fullmatch(name) or not shipped.is_file():
        names = catalog.catalog_names()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(
            f"{where}: extends: {name!r} is neither a shipped scenario nor a .toml file in "
            f"the scenario's folder{hint} (shipped: {', '.join(names) or 'none'})"
        )
    return shipped


def _resolve_document(
    doc: Mapping[str, Any], where: str, base_dir: Path | None, seen: tuple[str, ...] = ()
) -> dict[str, Any]:
    parent_name = doc.get("extends")
    if parent_name is None:
        return dict(doc)
    if not isinstance(parent_name, str):
        raise ScenarioError(f"{where}: extends: must be a scenario name, got {parent_name!r}")
    if parent_name in seen:
        raise ScenarioError(f"{where}: extends: cycle through {' -> '.join((*seen, parent_name))}")
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(f"{where}: extends: a chain of more than {MAX_EXTENDS} files")
    parent_path = _parent_path(parent_name, where, base_dir)
    parent = _resolve_document(
        _read_toml(parent_path), str(parent_path), parent_path.parent, (*seen, parent_name)
    )
    child = {k: v for k, v in doc.items() if k != "extends"}
    merged = _merge(parent, child)
    merged["extends"] = parent_name
    # A variant does not inherit its parent's claims' or description's identity silently.
    return merged


def _loc_to_path(loc: Iterable[object]) -> str:
    parts: list[str] = []
    items = list(loc)
    tags = {"entry", "exit", "release", "price", "capex", "shock"}
    for i, item in enumerate(items):
        # pydantic puts the discriminator tag of an event after its id; drop it.
        if i == 2 and items[0] == "events" and item in tags:
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif str(item).startswith("function-") or str(item) in {"str", "list[str]"}:
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _keys_at(loc: Iterable[object]) -> list[str]:
    """Return the keys the schema allows in the table at ``loc`` (a pydantic location)."""
    model: type[BaseModel] | None = ScenarioSpec
    items = [str(x) for x in loc]
    i = 0
    while i < len(items) and model is not None:
        field = model.model_fields.get(items[i])
        if field is None:
            return []
        model, skip = _model_of(field.annotation, items[i + 1 : i + 3])
        i += 1 + skip
    return sorted(model.model_fields) if model is not None else []


def _model_of(annotation: object, following: list[str]) -> tuple[type[BaseModel] | None, int]:
    """Return the model a field holds and how many location items name its entry."""
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, 0
    if origin is Annotated:
        return _model_of(args[0], following)
    if origin in (dict, list):
        inner, skip = _model_of(args[-1], following[1:])
        return inner, 1 + skip
    if origin in (Union, UnionType):
        models = [m for a in args if (m := _model_of(a, following)[0]) is not None]
        if len(models) == 1:
            return models[0], 0
        tagged = [m for m in models if following and _tag(m) == following[0]]
        return (tagged[0], 1) if tagged else (None, 0)
    return None, 0


def _tag(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    args = get_args(field.annotation) if field is not None else ()
    return str(args[0]) if args else None


def _format_validation(exc: ValidationError, where: str) -> ScenarioError:
    errors = exc.errors(include_url=False)
    # An unknown key usually explains a missing one beside it (a typo): report it first.
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    path = _loc_to_path(first["loc"])
    kind = first["type"]
    msg = str(first["msg"]).removeprefix("Value error, ")
    value = first.get("input")
    shown_errors = 1
    if kind == "extra_forbidden":
        key = str(first["loc"][-1])
        allowed = _keys_at(first["loc"][:-1]) or sorted(field_vocabulary())
        parent = tuple(first["loc"][:-1])
        missing = [
            str(e["loc"][-1])
            for e in errors
            if e["type"] == "missing" and tuple(e["loc"][:-1]) == parent
        ]
        close = difflib.get_close_matches(key, missing, n=1, cutoff=0.6) or (
            difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
        )
        hint = f"; did you mean {close[0]!r}?" if close else ""
        if close and close[0] in missing:
            hint += f" ({close[0]!r} is required and missing)"
            shown_errors = 2
        text = f"{where}: {path}: unknown key {key!r}{hint}"
        if not close and allowed:
            text += f" (allowed here: {', '.join(allowed)})"
    elif kind == "missing":
        text = f"{where}: {path}: required key is missing"
    elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
        text = (
            f"{where}: {path}: event type must be one of entry, exit, release, price, "
            f"capex, shock, got {value.get('type') if isinstance(value, Mapping) else value!r}"
        )
    else:
        shown = value if not isinstance(value, Mapping | list) else None
        got = f", got {shown!r}" if shown is not None and "got" not in msg else ""
        text = f"{where}: {path}: {msg}{got}"
    more = len(errors) - shown_errors
    if more > 0:
        text += f" (and {more} more error{'s' if more > 1 else ''})"
    return ScenarioError(text)


def _month_index(day: _dt.date, start: _dt.date) -> int:
    return (day.year - start.year) * 12 + (day.month - start.month)


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated scenario.

    Build one with :func:`load_scenario` (a catalog name or a path) or
    :meth:`Scenario.from_dict`. It is immutable; :meth:`with_values` returns an edited copy.

    Attributes
    ----------
    spec : ScenarioSpec
        The validated document.
    origin : str
        The file it came from, or ``"<dict>"``.
    """

    spec: ScenarioSpec
    origin: str = "<dict>"
    document: Mapping[str, Any] = field(default_factory=dict, repr=False)

    # ----------------------------------------------------------------- building
    @classmethod
    def from_dict(
        cls, doc: Mapping[str, Any], origin: str = "<dict>", base_dir: Path | None = None
    ) -> Scenario:
        """Validate a scenario document (the parsed TOML) into a :class:`Scenario`.

        Parameters
        ----------
        doc : mapping
            The document, as ``tomllib`` would return it.
        origin : str
            Where it came from, for error messages.
        base_dir : pathlib.Path, optional
            Folder against which ``extends = "file.toml"`` is resolved.

        Raises
        ------
        ScenarioError
            Naming the key path, the value and what is allowed.
        """
        if not isinstance(doc, Mapping):
            raise ScenarioError(f"{origin}: a scenario must be a table, got {type(doc).__name__}")
        plain = cast(dict[str, Any], _plain(doc, origin, ""))
        resolved = _resolve_document(plain, origin, base_dir)
        resolved = cast(dict[str, Any], _plain(resolved, origin, ""))  # a parent's dates too
        try:
            spec = ScenarioSpec.model_validate(resolved)
        except ValidationError as exc:
            raise _format_validation(exc, origin) from None
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            raise ScenarioError(f"{origin}: {exc}") from None
        scenario = cls(spec=spec, origin=origin, document=resolved)
        scenario._check_references()
        return scenario

    # ------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.spec.name

    @property
    def title(self) -> str:
        """The scenario's one-line title."""
        return self.spec.title

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the resolved document: the scenario's identity in checkpoints."""
        text = json.dumps(self.document, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.name!r}: {self.spec.start} to {self.spec.end}, "
            f"{len(self.providers)} providers, {len(self.segments)} segments, "
            f"{len(self.uncertain)} uncertain parameters>"
        )

    def _repr_html_(self) -> str:
        """HTML for notebooks: providers, parameters with sources grouped, claims."""
        from simlab._html import scenario_html

        return scenario_html(self)

    # ------------------------------------------------------------------ time
    @cached_property
    def start_date(self) -> _dt.date:
        """The first day of the first step."""
        return parse_date(self.spec.start)

    @cached_property
    def end_date(self) -> _dt.date:
        """The first day after the horizon (``end`` is exclusive)."""
        return parse_date(self.spec.end)

    @property
    def dt(self) -> float:
        """The step length in years."""
        return _STEP_YEARS[self.spec.step]

    @property
    def periods_per_year(self) -> float:
        """Steps in a year, the annualisation of the IRR: 12, 4, or 365.25 / 7 for weeks."""
        return _PERIODS_PER_YEAR[self.spec.step]

    @cached_property
    def n_steps(self) -> int:
        """Number of market clearings from ``start`` up to ``end`` (exclusive)."""
        return int(self.step_of_days(np.array([_days(self.end_date)]))[0])

    @cached_property
    def times(self) -> np.ndarray:
        """The start date of each step, as ``datetime64[D]``."""
        start = np.datetime64(self.start_date, "D")
        if self.spec.step == "month":
            months = np.datetime64(self.spec.start, "M") + np.arange(self.n_steps)
            return months.astype("datetime64[D]")
        if self.spec.step == "quarter":
            months = np.datetime64(self.spec.start, "M") + 3 * np.arange(self.n_steps)
            return months.astype("datetime64[D]")
        return start + 7 * np.arange(self.n_steps)

    def outside_horizon(self, days: np.ndarray) -> np.ndarray:
        """Return which dates (float days since 1970-01-01) fall outside the horizon.

        The horizon is ``start`` to ``end`` (end exclusive); an event or release date
        outside it would silently never happen.
        """
        days = np.asarray(days, dtype=np.float64)
        return np.asarray((days < _days(self.start_date)) | (days >= _days(self.end_date)))

    def past_end_allowed(self, path: str) -> bool:
        """Whether a date parameter may fall past the horizon (its event then does not happen).

        True where the parameter's distribution reaches past the end (``end`` or later):
        the scenario itself then produces draws in which the event does not happen, so an
        inputs table or a sweep may hold such dates too. A date the scenario fixes must
        fall inside the horizon.
        """
        param = self.params.get(path)
        if param is None or param.dist is None:
            return False
        return bool(param.dist.support()[1] >= _days(self.end_date))

    def misplaced_dates(self, path: str, days: np.ndarray) -> np.ndarray:
        """Return which values of a date parameter are not allowed (see :meth:`date_rule`)."""
        days = np.asarray(days, dtype=np.float64)
        before = days < _days(self.start_date)
        if self.past_end_allowed(path):
            return np.asarray(before)
        return np.asarray(before | (days >= _days(self.end_date)))

    def date_rule(self, path: str) -> str:
        """Return the dates a date parameter may take, as text for error messages."""
        horizon = f"the horizon {self.spec.start} to {self.spec.end} (end exclusive)"
        if self.past_end_allowed(path):
            return (
                f"on or after the start {self.spec.start} (a date at or past the end "
                f"{self.spec.end} means the event does not happen in that draw)"
            )
        return (
            f"inside {horizon}; a date past the end is allowed only where the scenario's "
            f"distribution of {path} reaches past the end"
        )

    def step_of_days(self, days: np.ndarray) -> np.ndarray:
        """Map dates (float days since 1970-01-01) to the index of the step containing them.

        A date inside a step takes effect at that step's start (events before clearing).
        """
        days = np.asarray(days, dtype=np.float64)
        start = self.start_date
        if self.spec.step == "week":
            return np.floor((days - _days(start)) / 7.0).astype(np.int64)
        d64 = days.astype("int64").astype("datetime64[D]")
        months = d64.astype("datetime64[M]").astype(np.int64) - (
            (start.year - 1970) * 12 + start.month - 1
        )
        if self.spec.step == "quarter":
            return np.floor_divide(months, 3)
        return months

    # ------------------------------------------------------------ structure
    @property
    def providers(self) -> list[str]:
        """Provider names, in file order."""
        return list(self.spec.providers)

    @property
    def segments(self) -> list[str]:
        """Segment names, in file order."""
        return list(self.spec.segments)

    @property
    def regions(self) -> list[str]:
        """Provider regions, in order of first appearance."""
        return list(dict.fromkeys(p.region for p in self.spec.providers.values()))

    @property
    def groups(self) -> list[str]:
        """Group labels: ``all``, ``open``, ``closed``, then ``region=XX`` per region."""
        return ["all", "open", "closed", *[f"region={r}" for r in self.regions]]

    @cached_property
    def years(self) -> list[int]:
        """The calendar years the horizon's steps fall in, in order."""
        of_steps = self.times.astype("datetime64[Y]").astype(np.int64) + 1970
        return [int(y) for y in np.unique(of_steps)]

    def group_members(self, group: str) -> list[str]:
        """Return the providers of a group (see :attr:`groups`), in file order.

        Raises
        ------
        ScenarioError
            If the group is unknown.
        """
        spec = self.spec.providers
        if group == "all":
            return self.providers
        if group in ("open", "closed"):
            return [name for name, p in spec.items() if p.kind == group]
        if group.startswith("region=") and group in self.groups:
            region = group.split("=", 1)[1]
            return [name for name, p in spec.items() if p.region == region]
        close = difflib.get_close_matches(group, self.groups, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(f"unknown group {group!r}{hint} (groups: {', '.join(self.groups)})")

    def label(self, who: str) -> str:
        """Return how people name a provider (its ``label``, else its key) or a group."""
        provider = self.spec.providers.get(who)
        if provider is not None:
            return provider.label or who
        return who

    @cached_property
    def params(self) -> dict[str, Param]:
        """Every numeric or date parameter by path, in file order."""
        spec = self.spec
        out: dict[str, Param] = {}
        for section in ("market", "quality", "finance"):
            out.update(iter_params(getattr(spec, section), section))
        for section in ("nests", "segments", "providers", "events"):
            for key, obj in getattr(spec, section).items():
                out.update(iter_params(obj, f"{section}.{key}"))
        return out

    @cached_property
    def uncertain(self) -> dict[str, Any]:
        """The distributions of the uncertain parameters, by path."""
        return {path: p.dist for path, p in self.params.items() if p.dist is not None}

    def source_of(self, path: str) -> str:
        """Return the source of a parameter, with reference keys expanded."""
        param = self.params[path]
        if param.source:
            return self.source_of_text(param.source)
        if param.assumption:
            return f"assumption: {param.assumption}"
        return ""

    def unsourced(self) -> list[str]:
        """Return the figures the file writes with neither a ``source`` nor an ``assumption``.

        An event's own ``source`` covers its figures. ``simlab validate`` refuses a
        scenario with such figures (every figure carries its source) unless ``--draft``.
        """
        out = []
        for path, param in self.params.items():
            if param.source or param.assumption or not _written(self.document, path):
                continue
            parts = path.split(".")
            if parts[0] == "events" and self.spec.events[parts[1]].source:
                continue
            out.append(path)
        return out

    def source_of_text(self, source: str | None) -> str:
        """Expand reference keys (``"A3"``, from ``[references]``) in a source text."""
        if not source:
            return ""
        refs = self.spec.references
        return "; ".join(refs.get(part.strip(), part.strip()) for part in source.split(";"))

    def unit_of(self, path: str) -> str:
        """Return a parameter's unit: the one its file states, else its field's.

        The table of units by field is :data:`simlab.scenario.units.UNITS`; a shock's
        value takes the unit of the parameter it sets or adds to (a factor for
        ``multiply``).
        """
        param = self.params[path]
        shocked = None
        parts = path.split(".")
        if parts[0] == "events" and parts[-1] == "value":
            event = self.spec.events[parts[1]]
            if isinstance(event, ShockEvent):
                target = self.params.get(event.path)
                stated = target.unit if target is not None else None
                shocked = "1" if event.op == "multiply" else param_unit(event.path, stated)
        return param_unit(path, param.unit, shocked)

    @property
    def parameters(self) -> pd.DataFrame:
        """Every parameter as a table indexed by path.

        Columns: ``value`` (the point value; dates as ISO text), ``distribution``
        (empty when fixed), ``unit``, ``source``.
        """
        rows = []
        for path, p in self.params.items():
            rows.append(
                {
                    "path": path,
                    "value": p.display() if p.is_date else p.value,
                    "distribution": p.dist.describe() if p.dist is not None else "",
                    "unit": self.unit_of(path),
                    "source": self.source_of(path),
                }
            )
        import pandas as pd  # on first use: loading a scenario does not need it

        return pd.DataFrame(rows).set_index("path")

    # --------------------------------------------------------------- editing
    def with_values(self, values: Mapping[str, object], *, strict: bool = False) -> Scenario:
        """Return a copy with some parameters replaced, by path.

        Parameters
        ----------
        values : mapping of str to number, date text or table
            New values by parameter path, e.g. ``{"providers.openai.price_in": 2.0}``.
            A table (``{"dist": "uniform", ...}``) replaces the distribution.
        strict : bool
            Refuse, rather than warn about, a parameter that a pricing rule overrides
            from the first step (see :mod:`simlab.scenario.overrides`).

        Raises
        ------
        ScenarioError
            If a path is unknown or a value is not allowed there (or, with ``strict``,
            is overridden by a pricing rule).

        Warns
        -----
        DeadParameterWarning
            If a path is overridden by its provider's pricing rule from the first step
            (e.g. a ``cost_plus`` provider's ``price_in``); it names the parameter to
            change instead.
        """
        if not isinstance(values, Mapping):
            raise ScenarioError(
                f"with_values takes a mapping of parameter path to value, e.g. "
                f"{{'providers.openai.price_in': 2.0}}; got a {type(values).__name__}"
            )
        doc = copy.deepcopy(dict(self.document))
        doc.pop("extends", None)
        for path in values:
            if not isinstance(path, str):
                raise ScenarioError(f"a parameter path must be text, got {path!r}")
            self._require_figure(path)
        from simlab.scenario.overrides import check_live

        check_live(self, values, strict=strict)
        for path, value in values.items():
            parts = path.split(".")
            node: dict[str, Any] = doc
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            old = node.get(parts[-1])
            new: object = value.item() if isinstance(value, np.generic) else value
            if isinstance(old, Mapping) and not isinstance(new, Mapping):
                # Keep the source; the value is now fixed.
                kept = {k: old[k] for k in ("source", "assumption", "unit", "note") if k in old}
                new = {"value": new, **kept} if kept else new
            if isinstance(new, _dt.date | np.datetime64):
                new = str(new)
            if isinstance(new, np.generic):
                new = new.item()
            node[parts[-1]] = new
        return Scenario.from_dict(doc, origin=f"{self.origin} (edited)")

    def _require_figure(self, path: str) -> None:
        """Like :meth:`_require_path`, but a setting (a rule, a switch, an event) says how."""
        if path in self.params:
            return
        parts = path.split(".")
        node: object = self.spec
        for part in parts[:-1]:
            if isinstance(node, BaseModel) and part in type(node).model_fields:
                node = getattr(node, part)
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                node = None
                break
        setting = isinstance(node, BaseModel) and parts[-1] in type(node).model_fields
        new_event = parts[0] == "events" and len(parts) >= 3 and parts[1] not in self.spec.events
        if setting or new_event:
            raise ScenarioError(
                f"{self.origin}: {path!r} is not a figure: with_values changes numbers and "
                "dates only (see Scenario.parameters). To change a rule, a switch, a text "
                "or an event, write a scenario file that extends this one "
                f'(extends = "{self.name}") and set it there; see docs/scenario-format.md'
            )
        self._require_path(path)

    def _require_path(self, path: str) -> None:
        if path in self.params:
            return
        close = difflib.get_close_matches(path, list(self.params), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(
            f"{self.origin}: unknown parameter path {path!r}{hint} "
            "(see Scenario.parameters for every path)"
        )

    # ----------------------------------------------------------- validation
    def _fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.origin}: {path}: {message}")

    def _check_date(self, path: str, param: Param) -> None:
        """Refuse a date before the start, or past the end in every draw.

        A distribution that reaches past the end is allowed: in the draws past the end the
        event does not happen (the engine skips it). A date past the end in every draw is
        refused: the event could never happen, which is more likely a typo than intended.
        """
        lo, hi = _days(self.start_date), _days(self.end_date)
        ends = [param.value]
        if param.dist is not None:
            ends.extend(param.dist.support())
        horizon = f"the horizon {self.spec.start} to {self.spec.end} (end exclusive)"
        if min(ends) < lo:
            raise self._fail(
                path,
                f"date {days_to_date(min(ends)).isoformat()} is outside {horizon}: before its "
                "start",
            )
        if min(ends) >= hi:
            raise self._fail(
                path,
                f"date {days_to_date(min(ends)).isoformat()} is outside {horizon} in every "
                "draw, so the event would never happen; remove the event, or give the date a "
                "distribution that reaches into the horizon (a date past the end in some "
                "draws means the event does not happen in those draws)",
            )

    def _check_references(self) -> None:
        spec = self.spec
        if self.end_date <= self.start_date:
            raise self._fail("end", f"must be after start {spec.start!r}, got {spec.end!r}")
        if self.n_steps < 1:
            raise self._fail("end", "the horizon holds no step")
        if self.n_steps > MAX_STEPS:
            raise self._fail(
                "end",
                f"the horizon holds {self.n_steps:,} {spec.step}s; at most {MAX_STEPS:,} "
                "steps are allowed (use a longer step or a shorter horizon)",
            )
        self._check_terminal_growth()
        self._check_quality()
        providers, segments = set(spec.providers), set(spec.segments)
        regions = set(self.regions)

        def known_provider(path: str, name: str) -> None:
            if name not in providers:
                close = difflib.get_close_matches(name, sorted(providers), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise self._fail(
                    path,
                    f"unknown provider {name!r}{hint} (providers: {', '.join(spec.providers)})",
                )

        self._check_nests()
        for seg_name, seg in spec.segments.items():
            base = f"segments.{seg_name}"
            for name in seg.seat_price:
                known_provider(f"{base}.seat_price.{name}", name)
            if seg.billing == "seats":
                if not seg.seat_price:
                    raise self._fail(
                        f"{base}.seat_price",
                        "billing 'seats' needs a seat price (USD per seat-month) for at "
                        "least one provider",
                    )
                if seg.tokens_per_seat is None:
                    raise self._fail(
                        f"{base}.tokens_per_seat",
                        "billing 'seats' needs tokens per seat per month (the cost driver)",
                    )
                if seg.spend_ceiling is not None:
                    raise self._fail(
                        f"{base}.spend_ceiling",
                        f"got {seg.spend_ceiling.value:g}, but a ceiling is only for billing "
                        "= 'tokens' (a seat segment's spend is bounded by its seats and seat "
                        "prices)",
                    )
            else:
                for key in ("seat_price", "tokens_per_seat"):
                    if getattr(seg, key):
                        raise self._fail(
                            f"{base}.{key}",
                            "only for billing = 'seats' (this segment bills per token)",
                        )
            if seg.growth_final is not None and seg.growth_halflife is None:
                raise self._fail(
                    f"{base}.growth_final",
                    f"got {seg.growth_final.value:g} without growth_halflife; a final rate "
                    "needs the years in which growth's excess over it halves (without a "
                    "half-life, growth holds for ever)",
                )
            for name in seg.pref_provider:
                known_provider(f"segments.{seg_name}.pref_provider.{name}", name)
            for name in seg.share0:
                known_provider(f"segments.{seg_name}.share0.{name}", name)
            if seg.share0 and not any(p.value > 0 for p in seg.share0.values()):
                raise self._fail(f"segments.{seg_name}.share0", "needs a share above 0")
            for region in seg.pref_region:
                if region not in regions:
                    raise self._fail(
                        f"segments.{seg_name}.pref_region.{region}",
                        f"unknown region {region!r} (provider regions: {', '.join(self.regions)})",
                    )
        for name, prov in spec.providers.items():
            rule = prov.pricing
            if rule.rule == "follow":
                if rule.target is None:
                    raise self._fail(f"providers.{name}.pricing.target", "rule 'follow' needs one")
                known_provider(f"providers.{name}.pricing.target", rule.target)
                if rule.target == name:
                    raise self._fail(f"providers.{name}.pricing.target", "cannot follow itself")
                self._check_follow_chain(name)
            if prov.releases is not None:
                self._check_date(f"providers.{name}.releases.first", prov.releases.first)
        for key, event in spec.events.items():
            base = f"events.{key}"
            self._check_date(f"{base}.date", event.date)
            if isinstance(event, EntryEvent | ExitEvent):
                for name in event.provider:
                    known_provider(f"{base}.provider", name)
            if isinstance(event, ReleaseEvent | PriceEvent | CapexEvent):
                known_provider(f"{base}.provider", event.provider)
            if isinstance(event, ExitEvent) and event.segments is not None:
                for seg_name in event.segments:
                    if seg_name not in segments:
                        raise self._fail(
                            f"{base}.segments",
                            f"unknown segment {seg_name!r} (segments: {', '.join(segments)})",
                        )
            if isinstance(event, PriceEvent) and event.price_in is None and event.price_out is None:
                raise self._fail(base, "a price event needs price_in, price_out or both")
            if isinstance(event, CapexEvent):
                if spec.providers[event.provider].capacity_cost is None:
                    raise self._fail(
                        f"providers.{event.provider}.capacity_cost",
                        f"needed by capex event {key!r} (USD per token/month of capacity)",
                    )
            if isinstance(event, ShockEvent):
                self._check_shock(base, event)
        for name, prov in spec.providers.items():
            if prov.capacity is not None and prov.capacity_cost is None:
                raise self._fail(
                    f"providers.{name}.capacity_cost",
                    "needed with `capacity` (USD per token/month): the owned capacity is "
                    "replaced at its unit cost in the terminal value",
                )
            if not prov.rent and prov.capacity is None:
                raise self._fail(
                    f"providers.{name}.rent",
                    "false needs `capacity` (owned tokens per month, the hard cap)",
                )
        entries = [e for e in spec.events.values() if isinstance(e, EntryEvent)]
        entered = [n for e in entries for n in e.provider]
        if len(entered) != len(set(entered)):
            raise self._fail("events", "a provider has more than one entry event")
        if set(entered) >= set(spec.providers):
            latest = [
                max([e.date.value, *(e.date.dist.support() if e.date.dist is not None else ())])
                for e in entries
            ]
            if int(self.step_of_days(np.array([min(latest)]))[0]) > 0:
                raise self._fail(
                    "events",
                    "every provider enters after the start (the earliest entry can fall on "
                    f"{days_to_date(min(latest)).isoformat()}); at least one provider must "
                    "be in the market from the first step",
                )
        for corr_i, corr in enumerate(spec.correlations):
            for path in corr.paths:
                if path not in self.params:
                    self._require_path(path)
                if self.params[path].dist is None:
                    raise self._fail(
                        f"correlations[{corr_i}].paths",
                        f"{path!r} is fixed; only uncertain parameters can be correlated",
                    )
        if spec.correlations:
            from simlab.uncertainty.correlation import correlation_matrix

            names = list(self.uncertain)
            pairs = [(c.paths[0], c.paths[1], c.rho) for c in spec.correlations]
            try:
                correlation_matrix(pairs, names)
            except ValueError as exc:
                raise self._fail("correlations", str(exc)) from None
        self._check_sources()
        if spec.claims:
            from simlab.claims import parse_claim

            for key, claim in spec.claims.items():
                try:
                    parse_claim(claim.expr, self)
                except ScenarioError as exc:
                    raise self._fail(f"claims.{key}.expr", str(exc)) from None

    def value_range(self, path: str) -> tuple[float, float]:
        """Return the lowest and highest values a parameter takes in any draw.

        Its point value and, when uncertain, its distribution's support.
        """
        param = self.params[path]
        ends = [param.value, *(param.dist.support() if param.dist is not None else ())]
        return min(ends), max(ends)

    def terminal_value_refused(self, rate: np.ndarray, growth: np.ndarray) -> np.ndarray:
        """Return where a discount rate and a terminal growth give no terminal value.

        The terminal value divides by ``rate - growth``: with the terminal value on
        (``finance.terminal_value``), ``growth`` must stay at least :data:`MIN_RATE_GAP`
        below ``rate``. Always False with the terminal value off.

        Parameters
        ----------
        rate, growth : numpy.ndarray
            Yearly ``finance.discount_rate`` and ``finance.terminal_growth`` values that
            broadcast together (e.g. one pair per draw).

        Returns
        -------
        numpy.ndarray of bool
            The broadcast shape of the two.
        """
        rate, growth = np.broadcast_arrays(np.asarray(rate, float), np.asarray(growth, float))
        if not self.spec.finance.terminal_value:
            return np.zeros(rate.shape, dtype=bool)
        return np.asarray(~(growth + MIN_RATE_GAP <= rate))

    def terminal_value_rule(self) -> str:
        """Return what :meth:`terminal_value_refused` allows, as text for error messages."""
        return (
            f"with the terminal value on, {TV_GROWTH} must stay at least {MIN_RATE_GAP:g} "
            f"below {TV_RATE} in every draw (the terminal value divides by rate - growth); "
            f"lower the growth, raise the rate, or set finance.terminal_value = false"
        )

    def _check_terminal_growth(self) -> None:
        """Terminal growth must stay below every discount rate the scenario can draw."""
        if not self.spec.finance.terminal_value:
            return
        rate_low, rate_high = self.value_range(TV_RATE)
        growth_low, growth_high = self.value_range(TV_GROWTH)
        if self.terminal_value_refused(np.array(rate_low), np.array(growth_high)):

            def shown(low: float, high: float) -> str:
                return f"{low:g}" if low == high else f"{low:g} to {high:g} over its draws"

            raise self._fail(
                TV_GROWTH,
                f"reaches {growth_high:g}, which must stay at least {MIN_RATE_GAP:g} below "
                f"{TV_RATE}, whose lowest value is {rate_low:g} ({TV_GROWTH} = "
                f"{shown(growth_low, growth_high)}, {TV_RATE} = {shown(rate_low, rate_high)}; "
                "the terminal value divides by rate - growth); lower the growth or raise the "
                "rate, or set finance.terminal_value = false",
            )

    def _check_quality(self) -> None:
        """No quality the scenario states can exceed its index's maximum."""
        top = self.spec.quality.max
        paths = ["quality.frontier0"]
        paths += [f"providers.{name}.quality" for name in self.spec.providers]
        paths += [f"events.{key}.quality" for key in self.spec.events]
        for path in paths:
            param = self.params.get(path)
            if param is None:
                continue
            highest = max([param.value, *(param.dist.support() if param.dist else ())])
            if highest > top:
                raise self._fail(
                    path,
                    f"reaches {highest:g}, above the quality index's maximum quality.max = "
                    f"{top:g} ({self.spec.quality.index}); every quality is read on that "
                    "index: lower it, or raise quality.max if the index allows more",
                )

    def _check_follow_chain(self, name: str) -> None:
        """Refuse a ``follow`` chain from ``name`` that never reaches another rule."""
        providers = self.spec.providers
        chain = [name]
        target = providers[name].pricing.target
        while target is not None and providers[target].pricing.rule == "follow":
            if target in chain:
                cycle = " -> ".join([*chain[chain.index(target) :], target])
                raise self._fail(
                    f"providers.{name}.pricing.target",
                    f"'follow' rules form a cycle ({cycle}); one of them needs another rule",
                )
            chain.append(target)
            target = providers[target].pricing.target

    def _check_sources(self) -> None:
        """Every source that reads as a reference key (``A3``) names one in [references]."""
        refs = self.spec.references
        if not refs:
            return
        cited: list[tuple[str, str | None]] = [(p, q.source) for p, q in self.params.items()]
        cited += [(f"events.{k}.source", e.source) for k, e in self.spec.events.items()]
        cited += [(f"claims.{k}.source", c.source) for k, c in self.spec.claims.items()]
        cited += [
            (f"correlations[{i}].source", c.source) for i, c in enumerate(self.spec.correlations)
        ]
        for path, source in cited:
            for part in (source or "").split(";"):
                key = part.strip()
                if _REFERENCE_KEY.match(key) and key not in refs:
                    close = difflib.get_close_matches(key, sorted(refs), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise self._fail(
                        path,
                        f"source {key!r} is not a key of [references]{hint} "
                        f"(keys: {', '.join(refs)}); cite a key, or write the source out "
                        "(publisher, date, title)",
                    )

    def _check_nests(self) -> None:
        spec = self.spec
        seen: dict[str, str] = {}
        for nest_name, nest in spec.nests.items():
            if nest.members is None:
                if nest_name not in ("open", "closed"):
                    raise self._fail(
                        f"nests.{nest_name}.members",
                        "a nest other than 'open' or 'closed' needs a list of providers",
                    )
                members = [p for p, prov in spec.providers.items() if prov.kind == nest_name]
            else:
                members = list(nest.members)
            for name in members:
                if name not in spec.providers:
                    close = difflib.get_close_matches(name, sorted(spec.providers), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise self._fail(
                        f"nests.{nest_name}.members", f"unknown provider {name!r}{hint}"
                    )
                if name in seen:
                    raise self._fail(
                        f"nests.{nest_name}.members",
                        f"provider {name!r} is already in nest {seen[name]!r}; a provider "
                        "belongs to one nest",
                    )
                seen[name] = nest_name
        if spec.nests:
            left = [p for p in spec.providers if p not in seen]
            if left:
                raise self._fail(
                    "nests",
                    f"providers in no nest: {', '.join(left)}; every provider needs one "
                    "(nests 'open' and 'closed' without members take providers by kind)",
                )

    @property
    def nests(self) -> tuple[list[str], list[int]]:
        """Return the nest names and each provider's nest index.

        Without a ``[nests]`` table: ``open`` and ``closed`` (by kind) with λ = 1.
        """
        spec = self.spec
        if not spec.nests:
            names = ["open", "closed"]
            return names, [names.index(p.kind) for p in spec.providers.values()]
        names = list(spec.nests)
        index = {}
        for i, (nest_name, nest) in enumerate(spec.nests.items()):
            members = nest.members
            if members is None:
                members = [p for p, prov in spec.providers.items() if prov.kind == nest_name]
            for name in members:
                index[name] = i
        return names, [index[p] for p in spec.providers]

    def _check_shock(self, base: str, event: ShockEvent) -> None:
        parts = event.path.split(".")
        ok = False
        if len(parts) >= 3 and parts[0] in SHOCKABLE:
            section, owner, rest = parts[0], parts[1], ".".join(parts[2:])
            table = self.spec.segments if section == "segments" else self.spec.providers
            top = rest.split(".")[0] if section == "segments" else rest
            ok = owner in table and top in SHOCKABLE[section]
            if ok and section == "segments" and top == "pref_region":
                ok = len(parts) == 4 and parts[3] in self.regions
            if ok and section == "segments" and top == "pref_provider":
                prefs = self.spec.segments[owner].pref_provider
                ok = len(parts) == 4 and parts[3] in prefs
            if ok and section == "providers" and rest == "capacity":
                ok = self.spec.providers[owner].capacity is not None
            if ok and section == "segments" and top in ("growth_halflife", "growth_final"):
                ok = getattr(self.spec.segments[owner], top) is not None
        if not ok:
            allowed = (
                ", ".join(sorted(SHOCKABLE["segments"]))
                + " | "
                + ", ".join(sorted(SHOCKABLE["providers"]))
            )
            raise self._fail(
                f"{base}.path",
                f"cannot shock {event.path!r}; a shock path is segments.NAME.X or "
                f"providers.NAME.Y with X, Y in: {allowed} (a provider's capacity only if "
                "it has one, a segment's growth_halflife or growth_final only if it states it; "
                "pref_region needs a region, e.g. pref_region.cn; pref_provider "
                "a provider the segment lists)",
            )
        if math.isnan(event.value.value):
            raise self._fail(f"{base}.value", "must be finite")
        target = self.params.get(event.path)
        if target is None:  # a region preference the segment does not state: any value
            return
        value, old = event.value, target.value
        result = {"set": value.value, "multiply": old * value.value, "add": old + value.value}
        bounds = target.bounds
        if not bounds.contains(result[event.op]):
            raise self._fail(
                f"{base}.value",
                f"{event.op} {value.value:g} makes {event.path} {result[event.op]:g} "
                f"(from {old:g}), which must be {bounds.describe()}",
            )
        if event.op == "set" and value.dist is not None:
            check_bounds(value, bounds)


def _written(document: Mapping[str, Any], path: str) -> bool:
    """Whether the document spells out ``path`` (rather than taking a default)."""
    node: object = document
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


#: How a reference key is spelt (``A3``, ``GOOGLE-TOKENS``); other source text is free.
_REFERENCE_KEY = re.compile(r"^[A-Z][A-Z0-9-]*$")


def _days(day: _dt.date) -> float:
    return float((day - _dt.date(1970, 1, 1)).days)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario from the catalog or from a TOML file.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A catalog name (``"baseline-2025"``; see :func:`list_scenarios`) or a file path.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        If the file is missing, is not TOML, or breaks the schema; the message names the
        file, the key path, the value and what is allowed.

    Examples
    --------
    >>> import simlab
    >>> sc = simlab.load_scenario("baseline-2025")
    >>> sc.parameters.loc["providers.openai.price_in", "value"]
    1.25
    """
    path = scenario_path(name_or_path)
    return Scenario.from_dict(_read_toml(path), origin=str(path), base_dir=path.parent)
