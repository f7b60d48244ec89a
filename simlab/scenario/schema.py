"""The scenario schema: typed, immutable objects validated from a TOML document.

See ``docs/model.md`` for the meaning and unit of every field. Each numeric or date
field is a :class:`~simlab.scenario.params.Param`, so it can carry a source and be a
distribution.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from simlab.scenario.params import Bounds, Param, param_validator, parse_date

__all__ = [
    "CapexEvent",
    "EntryEvent",
    "Event",
    "ExitEvent",
    "FinanceSpec",
    "MarketSpec",
    "Nest",
    "Outside",
    "PriceEvent",
    "Pricing",
    "Provider",
    "QualitySpec",
    "ReleaseEvent",
    "Releases",
    "ScenarioSpec",
    "Segment",
    "ShockEvent",
]


def _bounded(
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> BeforeValidator:
    return BeforeValidator(param_validator(Bounds(low, high, low_open, high_open)))


Real: TypeAlias = Annotated[Param, _bounded()]
Positive: TypeAlias = Annotated[Param, _bounded(0.0, low_open=True)]
NonNeg: TypeAlias = Annotated[Param, _bounded(0.0)]
#: A quality (capability index points): in [0, 1000] (the indices in use top out at 100).
Quality: TypeAlias = Annotated[Param, _bounded(0.0, 1000.0)]
Fraction: TypeAlias = Annotated[Param, _bounded(0.0, 1.0)]
OpenFraction: TypeAlias = Annotated[Param, _bounded(0.0, 1.0, low_open=True, high_open=True)]
Decline: TypeAlias = Annotated[Param, _bounded(0.0, 1.0, high_open=True)]
#: A yearly growth rate: above -100 % and at most +1,000 % (compounded over decades, more
#: overflows any price or volume).
Growth: TypeAlias = Annotated[Param, _bounded(-1.0, 10.0, low_open=True)]
NestParam: TypeAlias = Annotated[Param, _bounded(0.0, 1.0, low_open=True)]
Date: TypeAlias = Annotated[Param, BeforeValidator(param_validator(Bounds(), is_date=True))]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class MarketSpec(_Model):
    """Market-wide settings."""

    input_share: Fraction = Field(
        default_factory=lambda: Param(0.75, assumption="3:1 input:output token mix")
    )
    """Share of input tokens in the blend of input and output prices."""


class FinanceSpec(_Model):
    """Discounting and terminal value."""

    discount_rate: Annotated[Param, _bounded(0.001, 1.0)] = Field(
        default_factory=lambda: Param(0.10)
    )
    """Yearly discount rate, in [0.1 %, 100 %]."""
    terminal_growth: Annotated[Param, _bounded(-0.5, 0.5)] = Field(
        default_factory=lambda: Param(0.02)
    )
    """Yearly growth after the horizon, in [-50 %, 50 %] and below every discount rate
    the scenario can draw (checked at load)."""
    terminal_value: bool = True


class QualitySpec(_Model):
    """The quality index and its frontier (docs/model.md, "Quality").

    Without a ``[quality]`` table the frontier sits at the index's maximum (no trend):
    projected releases are bounded by the maximum only.
    """

    index: str = Field(default="an unnamed index from 0 to max", max_length=200)
    """The index (and its version) every quality figure of the scenario is read on."""
    max: float = Field(default=100.0, gt=0.0, le=1000.0)
    """The index's maximum: no quality exceeds it (index points, in (0, 1000])."""
    frontier0: Quality | None = None
    """The frontier at the start: the best model's score (index points); none: ``max``."""
    frontier_rate: Annotated[Param, _bounded(0.0, 10.0)] = Field(default_factory=lambda: Param(0.0))
    """Yearly rate at which the frontier's distance to ``max`` shrinks, in [0, 10]: the
    trend is ``max - (max - frontier0) exp(-rate t)``; one draw, shared by every lab."""


class Outside(_Model):
    """The outside option of a segment: buying from no modelled provider.

    Its utility is ``utility + track_open * beta_quality * h(q_best_open) -
    beta_price * ln(hosting_cost)``: self-hosting open weights (or another vendor, or not
    using AI at that price) is a choice buyers make, and it improves with the best open
    model when ``track_open`` > 0.
    """

    utility: Real = Field(default_factory=lambda: Param(0.0))
    track_open: Fraction = Field(default_factory=lambda: Param(0.0))
    """Weight of the best open-weight model's quality in the outside option's utility."""
    hosting_cost: Positive | None = None
    """Cost of the outside option in the segment's price unit (USD per M tokens, or per
    seat-month for seat billing); none: no price term."""
    cost_decline: Decline = Field(default_factory=lambda: Param(0.0))
    """Yearly decline of the hosting cost (hardware and software get cheaper)."""


class Nest(_Model):
    """A nest of the nested logit: providers that substitute for each other more closely."""

    lam: NestParam = Field(default_factory=lambda: Param(1.0))
    """The nest parameter λ in (0, 1]: 1 is the plain logit, near 0 perfect substitutes."""
    members: list[str] | None = None
    """Providers in the nest; none for the nests named ``open`` and ``closed``: the
    providers of that kind."""


class Segment(_Model):
    """A demand segment (consumer, developer, enterprise, public, ...)."""

    billing: Literal["tokens", "seats"] = "tokens"
    """How buyers pay: per token (USD per M tokens) or per seat (USD per seat-month)."""
    potential: Positive
    """Potential volume at the start: tokens per month (tokens billing) or seats (users)
    (seats billing)."""
    intensity_growth: Growth = Field(default_factory=lambda: Param(0.0))
    """Yearly growth of the tokens used per adopter (tokens billing) or per seat (seats)."""
    seat_price: dict[str, Positive] = Field(default_factory=dict)
    """Seats billing: USD per seat-month by provider; providers not listed do not sell
    seats in this segment."""
    free_share: Fraction = Field(default_factory=lambda: Param(0.0))
    """Seats billing: share of users who pay nothing (they cost tokens, earn nothing)."""
    tokens_per_seat: Positive | None = None
    """Seats billing: tokens per seat per month at the start (the cost driver)."""
    outside: Outside | None = None
    """The outside option; none: every buyer buys from a modelled provider."""
    growth: Growth = Field(default_factory=lambda: Param(0.0))
    """Yearly growth rate of the potential volume (at the start, with a half-life)."""
    growth_halflife: Positive | None = None
    """Half-life in years of the potential's log growth rate above ``growth_final``
    (none: ``growth`` holds for the whole horizon)."""
    growth_final: Growth | None = None
    """The yearly growth rate the potential's growth decays to (needs ``growth_halflife``;
    default 0)."""
    spend_ceiling: Positive | None = None
    """Token billing: the most the segment's buyers spend a year on the modelled
    providers, USD per year; volume saturates smoothly below it (none: no ceiling)."""
    adoption0: OpenFraction
    """Adoption (fraction of the potential) at the start."""
    bass_p: Positive = Field(default_factory=lambda: Param(0.03))
    bass_q: NonNeg = Field(default_factory=lambda: Param(0.38))
    elasticity: Annotated[Param, _bounded(0.0, 10.0)] = Field(default_factory=lambda: Param(0.0))
    """Price elasticity of the segment's volume, in [0, 10] (measured ones are below 3;
    beyond 10 the volume factor overflows within a few price changes)."""
    beta_quality: Annotated[Param, _bounded(0.0, 10.0)]
    """Utility per quality point, in [0, 10] (fitted ones are below 1)."""
    beta_price: NonNeg
    need: Quality
    kappa: Fraction = Field(default_factory=lambda: Param(0.2))
    pref_open: Real = Field(default_factory=lambda: Param(0.0))
    pref_region: dict[str, Real] = Field(default_factory=dict)
    pref_provider: dict[str, Real] = Field(default_factory=dict)
    """Utility of particular providers in this segment (brand, distribution, contracts)."""
    share0: dict[str, Fraction] = Field(default_factory=dict)
    """Observed shares at the start (normalised over the providers listed and available);
    none: shares start at the logit target, i.e. in equilibrium."""
    switching_time: Positive = Field(default_factory=lambda: Param(0.5))
    leakage: Fraction = Field(default_factory=lambda: Param(0.0))


class Pricing(_Model):
    """A provider's pricing rule; see docs/model.md, "Pricing pressure"."""

    rule: Literal["fixed", "cost_plus", "share_defense", "follow", "best_response"] = "fixed"
    drift: Growth = Field(default_factory=lambda: Param(0.0))
    """Yearly list-price drift (fixed and share_defense), e.g. -0.3."""
    markup: Annotated[Param, _bounded(0.0, 100.0)] = Field(default_factory=lambda: Param(0.5))
    """Markup over serving cost of the ``cost_plus`` rule, in [0, 100] (0 % to 10,000 %)."""
    review: Positive = Field(default_factory=lambda: Param(0.25))
    trigger: Fraction = Field(default_factory=lambda: Param(0.05))
    cut: Decline = Field(default_factory=lambda: Param(0.2))
    lag: NonNeg = Field(default_factory=lambda: Param(0.083))
    floor: NonNeg = Field(default_factory=lambda: Param(0.1))
    target: str | None = None
    ratio: Positive = Field(default_factory=lambda: Param(1.0))
    adjust: Fraction = Field(default_factory=lambda: Param(0.5))
    """best_response: fraction of the way to the profit-maximising price moved per review."""
    ceiling: Positive = Field(default_factory=lambda: Param(10.0))
    """best_response: highest price as a multiple of cost (where demand stays inelastic)."""


class Releases(_Model):
    """Projected future releases: every ``cadence`` years from ``first``."""

    mode: Literal["step", "catch_up", "frontier", "lead"] = "step"
    first: Date
    cadence: Positive
    step: Quality = Field(default_factory=lambda: Param(0.0))
    """Quality added per release (mode ``step``)."""
    catch_up: Annotated[Param, _bounded(-1.0, 1.0)] = Field(default_factory=lambda: Param(0.5))
    """Fraction of the lab's gap to the best closed model closed per release, in [-1, 1]
    (``catch_up``; negative: the gap widens)."""
    gap_change: Annotated[Param, _bounded(-100.0, 100.0)] = Field(
        default_factory=lambda: Param(0.0)
    )
    """Index points added to the lab's gap to the frontier per release, in [-100, 100]
    (``frontier``; negative: the gap closes)."""
    lead: Real = Field(default_factory=lambda: Param(0.2))
    """Quality held this fraction above the best open model (``lead``)."""
    training_cost: NonNeg = Field(default_factory=lambda: Param(0.0))
    training_growth: Growth = Field(default_factory=lambda: Param(0.0))
    """Yearly growth of the training cost per release."""


class Provider(_Model):
    """A model provider: an open-weight or closed lab."""

    label: str | None = None
    kind: Literal["open", "closed"]
    region: str
    quality: Quality
    price_in: Positive
    price_out: Positive
    cost: Positive
    """Serving cost at the start on rented compute (the rental price), USD per million
    tokens (blended); also the long-run marginal cost the pricing rules see."""
    cost_decline: Decline = Field(default_factory=lambda: Param(0.0))
    capacity: Positive | None = None
    """Owned inference capacity at the start, tokens per month (none: 0); an even-aged
    fleet, it retires evenly over ``capex_life``."""
    rent: bool = True
    """Rent the capacity its owned capacity lacks, at ``cost``; false: the owned capacity
    is a hard cap and the excess demand chooses again (needs ``capacity``)."""
    own_cost_share: Fraction = Field(default_factory=lambda: Param(0.25))
    """Cost of a token served on owned capacity (energy and operations) as a share of
    ``cost``, the rental price; the capital is paid once, as capex."""
    capacity_cost: Positive | None = None
    """Capex per unit of capacity (USD per token/month) bought at the start."""
    capacity_cost_decline: Decline = Field(default_factory=lambda: Param(0.0))
    capex_lead: NonNeg = Field(default_factory=lambda: Param(1.0))
    capex_life: Positive = Field(default_factory=lambda: Param(6.0))
    opex: NonNeg = Field(default_factory=lambda: Param(0.0))
    """Fixed operating cost, USD per year at the start."""
    opex_growth: Growth = Field(default_factory=lambda: Param(0.0))
    training_cost: NonNeg = Field(default_factory=lambda: Param(0.0))
    """Training cost of the model it serves at the start, USD (for model ROI)."""
    cash: Real = Field(default_factory=lambda: Param(0.0))
    xi: Real = Field(default_factory=lambda: Param(0.0))
    """Provider-specific utility (brand, ecosystem, distribution)."""
    pricing: Pricing = Field(default_factory=Pricing)
    releases: Releases | None = None


def _names(raw: object) -> object:
    return [raw] if isinstance(raw, str) else raw


ProviderNames = Annotated[list[str], BeforeValidator(_names)]


class _Event(_Model):
    date: Date
    note: str | None = None
    source: str | None = None


class EntryEvent(_Event):
    """A provider becomes available (it is unavailable before)."""

    type: Literal["entry"]
    provider: ProviderNames


class ExitEvent(_Event):
    """Providers leave the market, or only some segments of it."""

    type: Literal["exit"]
    provider: ProviderNames
    segments: list[str] | None = None


class ReleaseEvent(_Event):
    """A new model: quality, optionally prices and its training cost."""

    type: Literal["release"]
    provider: str
    quality: Quality
    price_in: Positive | None = None
    price_out: Positive | None = None
    training_cost: NonNeg | None = None
    duration: Positive | None = None
    """Years the launch prices hold against the provider's pricing rule; none: no hold (the
    rule starts from them at its next step or review)."""


class PriceEvent(_Event):
    """A scheduled list-price change that holds against the pricing rule for ``duration``."""

    type: Literal["price"]
    provider: str
    price_in: Positive | None = None
    price_out: Positive | None = None
    duration: Positive | None = None
    """Years the new prices hold against the provider's pricing rule; none: for good."""


class CapexEvent(_Event):
    """A capex commitment: ``amount`` USD spent evenly over ``years`` from ``date``."""

    type: Literal["capex"]
    provider: str
    amount: Positive
    years: Positive
    lead: NonNeg | None = None
    life: Positive | None = None
    inference_share: Fraction = Field(default_factory=lambda: Param(1.0))
    """Share of the commitment that buys inference capacity; the rest buys training
    compute, which pays the provider's releases' training cost (not paid twice)."""


class ShockEvent(_Event):
    """Set, multiply or add to any segment or provider parameter from a date."""

    type: Literal["shock"]
    path: str
    op: Literal["set", "multiply", "add"] = "set"
    value: Real


Event = Annotated[
    EntryEvent | ExitEvent | ReleaseEvent | PriceEvent | CapexEvent | ShockEvent,
    Field(discriminator="type"),
]


class Correlation(_Model):
    """A rank correlation between two uncertain parameters (Iman-Conover)."""

    paths: tuple[str, str]
    rho: float = Field(gt=-1.0, lt=1.0)
    source: str | None = None
    assumption: str | None = None


class Claim(_Model):
    """A claim from the press, stated as a condition on metrics."""

    text: str
    expr: str = Field(max_length=1000)
    source: str | None = None


#: The characters a provider, segment, region or event name may hold: it is part of
#: parameter paths (``providers.NAME.price_in``) and of claim terms (``npv[NAME]``).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")
#: Names that a provider may not take: they are group labels in summaries and claims.
RESERVED_NAMES = frozenset({"all", "open", "closed"})
#: At most this many providers, segments and events (far above any real market; keeps
#: a run's memory and a results file's size within reach).
MAX_PROVIDERS, MAX_SEGMENTS, MAX_EVENTS = 1000, 100, 10_000


def _check_names(names: Mapping[str, object], what: str, reserved: bool = False) -> None:
    for name in names:
        shown = name if len(name) <= 70 else name[:70] + "..."
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(
                f"{what} name {shown!r} is not allowed: use 1 to 64 letters, digits, '_' or "
                "'-', starting with a letter or digit"
            )
        if reserved and name.lower() in RESERVED_NAMES:
            raise ValueError(
                f"{what} name {name!r} is a group label (all, open, closed, region=XX); "
                "choose another name"
            )


class ScenarioSpec(_Model):
    """The whole scenario document, validated."""

    name: str = Field(max_length=200)
    title: str
    description: str = ""
    extends: str | None = None
    start: str
    end: str
    step: Literal["week", "month", "quarter"] = "month"
    market: MarketSpec = Field(default_factory=MarketSpec)
    quality: QualitySpec = Field(default_factory=QualitySpec)
    finance: FinanceSpec = Field(default_factory=FinanceSpec)
    nests: dict[str, Nest] = Field(default_factory=dict)
    """Nests of the nested logit; none: ``open`` and ``closed`` with λ = 1 (plain logit)."""
    references: dict[str, str] = Field(default_factory=dict)
    segments: dict[str, Segment] = Field(min_length=1, max_length=MAX_SEGMENTS)
    providers: dict[str, Provider] = Field(min_length=1, max_length=MAX_PROVIDERS)
    events: dict[str, Event] = Field(default_factory=dict, max_length=MAX_EVENTS)
    correlations: list[Correlation] = Field(default_factory=list)
    claims: dict[str, Claim] = Field(default_factory=dict)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _month(cls, raw: object) -> str:
        day = parse_date(raw)
        if day.day != 1:
            # Steps start on the 1st of a month: snapping silently would move the horizon.
            raise ValueError(
                f"must be the first of a month (steps start on the 1st): write "
                f"'{day.year:04d}-{day.month:02d}' or '{day.year:04d}-{day.month:02d}-01', "
                f"got {str(raw)!r}"
            )
        return f"{day.year:04d}-{day.month:02d}"

    @field_validator("providers", mode="after")
    @classmethod
    def _provider_names(cls, providers: dict[str, Provider]) -> dict[str, Provider]:
        _check_names(providers, "provider", reserved=True)
        _check_names({p.region: None for p in providers.values()}, "region")
        return providers

    @field_validator("segments", mode="after")
    @classmethod
    def _segment_names(cls, segments: dict[str, Segment]) -> dict[str, Segment]:
        _check_names(segments, "segment")
        return segments

    @field_validator("events", "claims", mode="after")
    @classmethod
    def _event_names(cls, table: dict[str, object]) -> dict[str, object]:
        _check_names(table, "event or claim")
        return table


def field_vocabulary() -> set[str]:
    """Every key the schema knows, for "did you mean" hints."""
    names: set[str] = set()
    models: list[type[BaseModel]] = [
        ScenarioSpec,
        MarketSpec,
        QualitySpec,
        FinanceSpec,
        Segment,
        Provider,
        Pricing,
        Releases,
        Outside,
        Nest,
        EntryEvent,
        ExitEvent,
        ReleaseEvent,
        PriceEvent,
        CapexEvent,
        ShockEvent,
        Correlation,
        Claim,
    ]
    for model in models:
        names.update(model.model_fields)
    names.update(("value", "dist", "source", "assumption", "unit", "note"))
    return names


def iter_params(obj: BaseModel, prefix: str = "") -> list[tuple[str, Param]]:
    """Return ``(path, Param)`` for every numeric or date leaf below ``obj``, in file order."""
    out: list[tuple[str, Param]] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, Param):
            out.append((path, value))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{path}.{name}" if path else name)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))

    walk(obj, prefix)
    return out
