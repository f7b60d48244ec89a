"""Dead parameters: figures that a provider's pricing rule overrides from the first step.

A ``cost_plus`` provider's list prices are reset to ``cost * (1 + markup)`` at the first
step (only the blended price is used, and the rule sets it; unless an event sets one of
the two prices only, see :data:`KEEPS_SPLIT`); a ``follow`` provider's are ``ratio`` times
its target's. Setting or sweeping such a list price changes nothing, so
:meth:`Scenario.with_values <simlab.scenario.load.Scenario.with_values>`, the sensitivity
functions and ``simlab validate`` say so with a :class:`~simlab.errors.DeadParameterWarning`
(an error with ``strict=True``) naming the rule and the parameter to vary instead.

:data:`OVERRIDDEN_BY_RULE` is the one table of which rule overrides what: a new rule that
overrides a figure from the first step adds a row; a rule under which the figure is live
(e.g. ``best_response``, whose starting point is the list price) adds none.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simlab.errors import DeadParameterWarning, ScenarioError

if TYPE_CHECKING:
    from simlab.scenario.load import Scenario

__all__ = [
    "KEEPS_SPLIT",
    "OVERRIDDEN_BY_RULE",
    "DeadParameter",
    "check_live",
    "dead_parameters",
    "paths_set",
]

#: Pricing rule -> {path below ``providers.NAME`` that it overrides from the first step:
#: the path below ``providers.NAME`` to vary instead}.
OVERRIDDEN_BY_RULE: dict[str, dict[str, str]] = {
    "cost_plus": {"price_in": "pricing.markup", "price_out": "pricing.markup"},
    "follow": {"price_in": "pricing.ratio", "price_out": "pricing.ratio"},
}

#: Rules that rescale the list prices the provider already has (keeping their input:output
#: split): a ``price`` or ``release`` event that sets only one of ``price_in`` and
#: ``price_out`` then blends the new one with the rescaled other, so both stay live.
KEEPS_SPLIT = frozenset({"cost_plus"})


@dataclass(frozen=True)
class DeadParameter:
    """A parameter that a pricing rule overrides from the first step.

    Attributes
    ----------
    path : str
        The overridden parameter, e.g. ``providers.deepseek.price_in``.
    rule : str
        The pricing rule that overrides it.
    instead : str
        The parameter that moves what the overridden one would have moved.
    """

    path: str
    rule: str
    instead: str

    def describe(self) -> str:
        """Return the one-line explanation used in warnings and errors."""
        return (
            f"{self.path} is overridden from the first step by its provider's "
            f"{self.rule!r} pricing rule, so setting or varying it changes nothing; "
            f"vary {self.instead} instead"
        )


def dead_parameters(scenario: Scenario) -> dict[str, DeadParameter]:
    """Return the scenario's parameters that its pricing rules override, by path.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.

    Returns
    -------
    dict of str to DeadParameter
        In provider order.

    Examples
    --------
    >>> import simlab
    >>> dead = dead_parameters(simlab.load_scenario("baseline-2025"))
    >>> dead["providers.deepseek.price_in"].instead
    'providers.deepseek.pricing.markup'
    """
    from simlab.scenario.schema import PriceEvent, ReleaseEvent

    one_sided = {
        event.provider
        for event in scenario.spec.events.values()
        if isinstance(event, PriceEvent | ReleaseEvent)
        and (event.price_in is None) != (event.price_out is None)
    }
    out: dict[str, DeadParameter] = {}
    for name, provider in scenario.spec.providers.items():
        rule = provider.pricing.rule
        if rule in KEEPS_SPLIT and name in one_sided:
            continue
        for path, instead in OVERRIDDEN_BY_RULE.get(rule, {}).items():
            full = f"providers.{name}.{path}"
            out[full] = DeadParameter(full, rule, f"providers.{name}.{instead}")
    return out


def paths_set(doc: Mapping[str, object], prefix: str = "") -> list[str]:
    """Return the dotted paths of every figure a raw scenario document writes.

    A table with ``value`` or ``dist`` is one figure. A variant's own file (one that
    ``extends`` another) names exactly the figures its author set, so ``simlab validate``
    checks those against the table of overridden figures.
    """
    out: list[str] = []
    for key, value in doc.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and not ("value" in value or "dist" in value):
            out.extend(paths_set(value, path))
        else:
            out.append(path)
    return out


def check_live(
    scenario: Scenario, paths: Iterable[str], *, strict: bool = False, stacklevel: int = 3
) -> list[DeadParameter]:
    """Warn (or raise, with ``strict``) when some of ``paths`` are dead parameters.

    Parameters
    ----------
    scenario : Scenario
        The scenario the paths belong to.
    paths : iterable of str
        The parameter paths a user sets or varies.
    strict : bool
        Raise :class:`~simlab.errors.ScenarioError` instead of warning.
    stacklevel : int
        Passed to :func:`warnings.warn`, so the warning points at the user's call.

    Returns
    -------
    list of DeadParameter
        The dead ones among ``paths`` (empty when all are live).

    Raises
    ------
    ScenarioError
        With ``strict=True``, if any path is dead.

    Warns
    -----
    DeadParameterWarning
        Naming each dead path, the rule that overrides it and the parameter to vary instead.
    """
    dead = dead_parameters(scenario)
    found = [dead[p] for p in dict.fromkeys(paths) if p in dead]
    if not found:
        return found
    text = f"{scenario.origin}: " + "; ".join(d.describe() for d in found)
    if strict:
        raise ScenarioError(text)
    warnings.warn(text, DeadParameterWarning, stacklevel=stacklevel)
    return found
