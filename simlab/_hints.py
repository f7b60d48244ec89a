"""Hints for misspelt names (metrics, providers, keys, paths): "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

__all__ = ["did_you_mean"]


def did_you_mean(
    name: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None
) -> str:
    """Return ``"; did you mean 'x'?"`` for the choice closest to ``name``, or ``""``.

    Case is ignored, and ``aliases`` (other spellings, e.g. a provider's label, mapped to
    the name to use) are matched too.

    Examples
    --------
    >>> did_you_mean("NPV", ["npv", "irr"])
    "; did you mean 'npv'?"
    >>> did_you_mean("OpenAI", ["openai", "anthropic"])
    "; did you mean 'openai'?"
    >>> did_you_mean("zzz", ["npv"])
    ''
    """
    lowered: dict[str, str] = {}
    for alias, target in (aliases or {}).items():
        lowered.setdefault(alias.lower(), target)
    for choice in choices:
        lowered[choice.lower()] = choice
    key = name.lower()
    if key in lowered:
        return f"; did you mean {lowered[key]!r}?"
    close = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""
