"""The one table of parameter units, by field (see docs/model.md for each field's meaning).

A figure may state its own ``unit`` in the scenario file; otherwise its unit is its
field's, looked up here. :attr:`Scenario.parameters <simlab.scenario.load.Scenario.parameters>`,
``simlab show``, the sensitivity tables and figures, the report and docs/sources.md all read
:func:`param_unit`.

Examples
--------
>>> param_unit("providers.openai.price_in")
'USD per million tokens'
>>> param_unit("segments.api.pref_region.cn")
'utility'
>>> param_unit("events.stargate.lead")
'years'
"""

from __future__ import annotations

__all__ = ["UNITS", "param_unit"]

_PER_YEAR = "per year"
_FRACTION = "fraction"
_INDEX = "index points"
_PRICE = "USD per million tokens"

#: Units by a parameter's field (the last part of its path).
UNITS: dict[str, str] = {
    # market and finance
    "input_share": _FRACTION,
    "discount_rate": _PER_YEAR,
    "terminal_growth": _PER_YEAR,
    # quality index and frontier
    "frontier0": _INDEX,
    "frontier_rate": _PER_YEAR,
    # segments
    "potential": "tokens per month",
    "growth": _PER_YEAR,
    "growth_halflife": "years",
    "growth_final": _PER_YEAR,
    "spend_ceiling": "USD per year",
    "adoption0": _FRACTION,
    "bass_p": _PER_YEAR,
    "bass_q": _PER_YEAR,
    "elasticity": "1",
    "intensity_growth": _PER_YEAR,
    "seat_price": "USD per seat-month",
    "free_share": _FRACTION,
    "tokens_per_seat": "tokens per seat-month",
    "utility": "utility",
    "track_open": _FRACTION,
    "hosting_cost": "USD per million tokens (or per seat-month)",
    "lam": "1",
    "beta_quality": "utility per index point",
    "beta_price": "utility per ln(USD per million tokens)",
    "need": _INDEX,
    "kappa": _FRACTION,
    "pref_open": "utility",
    "pref_region": "utility",
    "pref_provider": "utility",
    "share0": _FRACTION,
    "switching_time": "years",
    "leakage": _FRACTION,
    # providers
    "quality": _INDEX,
    "price_in": _PRICE,
    "price_out": _PRICE,
    "cost": _PRICE,
    "cost_decline": _PER_YEAR,
    "capacity": "tokens per month",
    "capacity_cost": "USD per token/month",
    "capacity_cost_decline": _PER_YEAR,
    "capex_lead": "years",
    "capex_life": "years",
    "own_cost_share": _FRACTION,
    "opex": "USD per year",
    "opex_growth": _PER_YEAR,
    "training_cost": "USD",
    "training_growth": _PER_YEAR,
    "cash": "USD",
    "xi": "utility",
    # pricing rules
    "drift": _PER_YEAR,
    "markup": _FRACTION,
    "review": "years",
    "trigger": _FRACTION,
    "cut": _FRACTION,
    "lag": "years",
    "floor": _FRACTION,
    "ratio": _FRACTION,
    "adjust": _FRACTION,
    "ceiling": "multiple of cost",
    "duration": "years",
    # releases
    "first": "date",
    "cadence": "years",
    "step": _INDEX,
    "catch_up": _FRACTION,
    "gap_change": _INDEX,
    "lead": _FRACTION,
    # events
    "date": "date",
    "amount": "USD",
    "years": "years",
    "life": "years",
    "inference_share": _FRACTION,
}

#: Fields whose unit depends on where they are: (section, field) -> unit.
_IN_SECTION = {("events", "lead"): "years"}
#: Tables keyed by provider or region: their entries take the table's unit.
_KEYED = ("pref_region", "pref_provider", "share0", "seat_price")


def param_unit(path: str, stated: str | None = None, shocked: str | None = None) -> str:
    """Return a parameter's unit: the one its file states, else its field's.

    Parameters
    ----------
    path : str
        The parameter's path, e.g. ``providers.openai.price_in``.
    stated : str, optional
        The ``unit`` the scenario file gives it, which wins.
    shocked : str, optional
        For a shock event's ``value``, the unit of the parameter it sets or adds to
        (a ``multiply`` shock's value is a factor: pass ``"1"``).

    Returns
    -------
    str
        The unit, or ``""`` for a field this table does not know.
    """
    if stated:
        return stated
    parts = path.split(".")
    field = parts[-1]
    if len(parts) >= 2 and parts[-2] in _KEYED:
        field = parts[-2]
    if parts[-1] == "value" and parts[0] == "events":
        return shocked or ""
    return _IN_SECTION.get((parts[0], field), UNITS.get(field, ""))
