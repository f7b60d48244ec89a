"""The tables of tornado, spider, Sobol' and Morris: DataFrames that say what they hold.

A :class:`SensitivityTable` is a :class:`pandas.DataFrame` (every pandas operation works
and keeps the type) whose notebook display starts with what was analysed, from its
``attrs``: the method, the metric and whose, its unit, the statistic, draws and seed.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["SensitivityTable", "describe"]

_SHOWN = ("statistic", "units", "draws", "n", "evaluations", "trajectories", "seed")


class SensitivityTable(pd.DataFrame):
    """A sensitivity result: a DataFrame whose HTML display states its ``attrs``."""

    @property
    def _constructor(self) -> Any:
        return SensitivityTable

    @classmethod
    def of(cls, frame: pd.DataFrame, method: str) -> SensitivityTable:
        """Return ``frame`` as a table of ``method`` (kept in ``attrs["method"]``)."""
        table = cls(frame)
        table.attrs = {**frame.attrs, "method": method}
        return table

    def _repr_html_(self) -> str | None:
        table = pd.DataFrame._repr_html_(self)  # type: ignore[attr-defined]
        about = describe({str(k): v for k, v in self.attrs.items()})
        return f"<p>{html.escape(about)}</p>{table or ''}"


def describe(attrs: dict[str, Any]) -> str:
    """Return one line saying what a sensitivity result holds, from its ``attrs``.

    Examples
    --------
    >>> describe({"method": "Tornado", "metric": "npv", "who": "openai", "units": "USD",
    ...           "statistic": "median", "draws": 200, "seed": 0})
    'Tornado of npv[openai]: statistic median, units USD, draws 200, seed 0'
    """
    what = str(attrs.get("method", "Sensitivity"))
    metric = attrs.get("metric")
    if metric is not None:
        who = attrs.get("who")
        year = attrs.get("year")
        inner = ", ".join(str(x) for x in (who, year) if x is not None)
        what += f" of {metric}" + (f"[{inner}]" if inner else "")
    details = [f"{key} {attrs[key]}" for key in _SHOWN if attrs.get(key) not in (None, "")]
    return what + (": " + ", ".join(details) if details else "")
