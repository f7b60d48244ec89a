"""Checks of API arguments' types, so a wrong type is a ScenarioError naming the argument."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simlab.errors import ScenarioError

__all__ = ["names_arg", "number_arg", "text_arg"]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def text_arg(value: object, what: str) -> str:
    """Return ``value`` if it is text, else raise naming ``what``."""
    if not isinstance(value, str):
        raise ScenarioError(f"{what} must be text, got {_shown(value)}")
    return value


def names_arg(value: object, what: str) -> list[str]:
    """Return a name or a sequence of names as a list, else raise naming ``what``."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence | np.ndarray) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{what} must be a name or a list of names, got {_shown(value)}")
    if len(value) == 0:
        raise ScenarioError(f"{what} must name at least one, got an empty list")
    return list(value)


def number_arg(value: object, what: str) -> float:
    """Return ``value`` as a finite float, else raise naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ScenarioError(f"{what} must be a number, got {_shown(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ScenarioError(f"{what} must be a finite number, got {_shown(value)}")
    return number
