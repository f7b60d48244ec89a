"""Summaries of a run that cannot mislead: every draw counted, units stated, no repeats.

:meth:`Results.summary <simlab.results.Results.summary>` is built here. Three rules:

- **No silent subsets.** A quantile is taken over *every* draw. Draws with no value are
  placed where they belong when that is known: a payback that never comes ranks above
  every time (``inf``); a missing IRR ranks below every rate when its flows never pay
  back (every flow <= 0) or the NPV of the same flows is negative (``-inf``), and above
  when every flow is >= 0 or the NPV is not negative (``inf``). The ``note`` says how
  many draws have no IRR, why (:data:`simlab.finance.IRR_CODES`) and how they rank.
  Where no order is known (e.g. an ROI without capex), the quantiles are over the draws
  with a value and the ``note`` column says how many were left out and why.
- **Units for people** (``human=True``): money in USD bn or T, shares and rates in %,
  the unit in the row label, and the date of the last step for the "final" metrics.
- **No repeats.** A group with exactly the members of an earlier row (``region=us``
  when every US provider is closed, ``region=cn`` when the open labs are the Chinese
  ones) and a group of one provider when providers are listed get no row of their own:
  the earlier row stands for both, labelled with every name in human units (``closed =
  region=us``) and naming the others in its ``same_as`` column. The sum of all shares
  (1 by construction) is dropped; ``DataFrame.attrs["notes"]`` says what and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simlab.errors import ScenarioError
from simlab.finance import IRR_CODES
from simlab.metrics import METRICS, human_scale

if TYPE_CHECKING:
    from simlab.results import Results

__all__ = [
    "IRR_REASON",
    "IRR_REASON_ATTRS",
    "cell",
    "irr_codes",
    "irr_ranks",
    "irr_reasons_text",
    "label",
    "missing_cell",
    "ordered_values",
    "quantiles_of",
    "row_label",
    "summarize",
    "whos",
]

#: The variable of ``Results.metrics`` that says why a draw has no IRR (and its twin
#: ``irr_reason_by_group``): 0 where the IRR exists, else a key of
#: :data:`simlab.finance.IRR_CODES`.
IRR_REASON = "irr_reason"
IRR_REASON_ATTRS = {
    "long_name": "why the draw has no IRR",
    "codes": "0: the IRR exists; "
    + "; ".join(f"{code}: {text}" for code, text in IRR_CODES.items()),
}
_NO_OUTLAY, _NEVER_PAYS_BACK, _NO_ROOT, _NON_FINITE = IRR_CODES
_REASON_PLURAL = {
    _NO_OUTLAY: "have no outlay (every flow >= 0)",
    _NEVER_PAYS_BACK: "never pay back (every flow <= 0)",
    _NO_ROOT: "have no root (no rate from -99.99 % to +10,000 % a year zeroes the NPV)",
    _NON_FINITE: "have non-finite flows",
}


def whos(results: Results, by: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Return the providers and groups a summary lists, notes, and each row's other names.

    A group with exactly the members of an earlier row (``region=cn`` when every Chinese
    lab is open and every open lab Chinese; a group of one provider when providers are
    listed) gets no row of its own: the earlier row stands for both, and its other names
    are returned with it so that tables label it with every name (``open = region=cn``).

    Parameters
    ----------
    results : Results
        The run.
    by : {"group", "provider", "both"}
        Rows by group, by provider, or both.

    Returns
    -------
    listed : list of str
        The providers and groups with a row, in order.
    notes : list of str
        What was merged, and why.
    same : dict of str to list of str
        For a listed name, the other groups with the same providers.
    """
    if by not in ("group", "provider", "both"):
        raise ScenarioError(f"by must be 'group', 'provider' or 'both', got {by!r}")
    sc = results.scenario
    listed: list[str] = []
    notes: list[str] = []
    same: dict[str, list[str]] = {}
    if by in ("provider", "both"):
        listed += sc.providers
    if by in ("group", "both"):
        seen: dict[tuple[str, ...], str] = {}
        if by == "both":
            seen.update({(p,): p for p in sc.providers})
        for group in map(str, results.metrics.coords["group"].values):
            members = tuple(sc.group_members(group))
            if members in seen:
                first = seen[members]
                same.setdefault(first, []).append(group)
                notes.append(
                    f"{group} has the providers of {first}: one row for both, labelled "
                    f"{' = '.join([first, *same[first]])}"
                )
                continue
            seen[members] = group
            listed.append(group)
    return listed, notes, same


def row_label(who: str, same: Mapping[str, Sequence[str]]) -> str:
    """Return a summary row's label with every name it stands for.

    Examples
    --------
    >>> row_label("open", {"open": ["region=cn"]})
    'open = region=cn'
    >>> row_label("closed", {})
    'closed'
    """
    return " = ".join([who, *same.get(who, ())])


def ordered_values(
    results: Results, name: str, who: str, year: int | None = None
) -> tuple[np.ndarray, str]:
    """Return a metric's per-draw values with missing ones placed where known, and why.

    Parameters
    ----------
    results : Results
        The run.
    name : str
        A metric.
    who : str
        A provider or a group.
    year : int, optional
        The calendar year of a yearly metric.

    Returns
    -------
    tuple of (numpy.ndarray, str)
        Float64 values: ``inf``/``-inf`` where a missing value has a known rank, NaN where
        it has none; and a note saying how many draws have no value and why (``""`` when
        every draw has one).
    """
    values = results.metric(name, who, year).to_numpy().astype(np.float64)
    missing = np.isnan(values)
    k, n = int(missing.sum()), values.size
    if not k:
        return values, ""
    if name == "payback_years":
        return np.where(missing, np.inf, values), f"{k} of {n} draws never pay back (ranked last)"
    if name == "irr":
        return irr_ranks(results, who)
    why = {
        "roi": "no capex",
        "capex_coverage": "no capex",
        "model_roi": "no training cost",
        "valuation": "discount rate <= terminal growth: no terminal value",
    }.get(name, "no value")
    return values, f"{k} of {n} draws have no value ({why}) and are left out of the statistics"


def irr_ranks(results: Results, who: str) -> tuple[np.ndarray, str]:
    """Return the IRR of every draw, a missing one ranked where it belongs, and a note.

    A draw without an IRR ranks below every rate (``-inf``) when its flows never pay
    back (every flow <= 0) or, failing a reason that decides, when the NPV of the same
    flows is negative; above every rate (``inf``) when every flow is >= 0 (with some
    inflow) or the NPV is not negative. Draws with no cash flow at all, or non-finite
    flows, keep NaN (no rank). The reasons are those the run recorded
    (``Results.metrics.irr_reason``); a run saved without them ranks by the NPV alone.

    Parameters
    ----------
    results : Results
        The run.
    who : str
        A provider or a group.

    Returns
    -------
    tuple of (numpy.ndarray, str)
        Float64 values, and a note: how many draws (and what share) have no IRR, why,
        and how they rank (``""`` when every draw has an IRR).
    """
    values = results.metric("irr", who).to_numpy().astype(np.float64)
    missing = np.isnan(values)
    k, n = int(missing.sum()), values.size
    if not k:
        return values, ""
    codes = irr_codes(results, who)
    data = results.metrics.data_vars
    npv = results.metric("npv", who).to_numpy() if "npv" in data else None
    rank = np.full(n, np.nan)
    if codes is not None:
        rank[codes == _NEVER_PAYS_BACK] = -np.inf
        rank[codes == _NO_OUTLAY] = np.inf
    if npv is not None:
        open_ = missing & np.isnan(rank) & (codes != _NON_FINITE if codes is not None else True)
        rank[open_ & (npv < 0)] = -np.inf
        rank[open_ & (npv >= 0)] = np.inf
        if codes is not None:
            rank[(codes == _NO_OUTLAY) & (npv == 0)] = np.nan  # no cash flow at all
    out = np.where(missing, rank, values)
    share = f"{k} of {n} draws ({100.0 * k / n:.3g} %) have no IRR"
    why = irr_reasons_text(codes)
    below = int((out == -np.inf).sum())
    above = int((out == np.inf).sum())
    unranked = int(np.isnan(out).sum())
    ranks = []
    if below:
        ranks.append(f"{below} ranked below every rate (never pay back or NPV < 0)")
    if above:
        ranks.append(f"{above} above every rate (NPV >= 0)")
    if unranked:
        ranks.append(f"{unranked} left out of the statistics (no cash flow, or no reason)")
    return out, f"{share}: {why}; {', '.join(ranks)}"


def irr_reasons_text(codes: np.ndarray | None, short: bool = False) -> str:
    """Return how many draws lack an IRR for each reason, e.g. ``"6 never pay back"``.

    Parameters
    ----------
    codes : numpy.ndarray or None
        Reason codes per draw (0 where the IRR exists; :data:`simlab.finance.IRR_CODES`);
        None where the run recorded none.
    short : bool
        Without the explanations in parentheses (for figure titles).

    Examples
    --------
    >>> irr_reasons_text(np.array([0, 2, 2, 3]), short=True)
    '2 never pay back, 1 have no root'
    """
    if codes is None:
        return "reasons not recorded"
    found = [(c, int((codes == c).sum())) for c in IRR_CODES]
    texts = {c: t.split(" (")[0] if short else t for c, t in _REASON_PLURAL.items()}
    return ", ".join(f"{count} {texts[c]}" for c, count in found if count)


def irr_codes(results: Results, who: str) -> np.ndarray | None:
    """Return why each draw of a provider or group has no IRR (None if not recorded)."""
    metrics = results.metrics
    if who in results.scenario.providers and IRR_REASON in metrics:
        return np.asarray(metrics[IRR_REASON].sel(provider=who).to_numpy())
    if f"{IRR_REASON}_by_group" in metrics and who in metrics.coords["group"].values:
        return np.asarray(metrics[f"{IRR_REASON}_by_group"].sel(group=who).to_numpy())
    return None


def quantiles_of(values: np.ndarray, quantiles: Sequence[float]) -> list[float]:
    """Return quantiles over every non-NaN draw, infinite ones included.

    Where every value is finite this is :func:`numpy.quantile` (linear interpolation);
    where a quantile falls between an infinite and another value, it takes the nearer of
    the two order statistics (no arithmetic with infinity).
    """
    kept = values[~np.isnan(values)]
    if not kept.size:
        return [float("nan")] * len(quantiles)
    if np.isfinite(kept).all():
        return [float(q) for q in np.quantile(kept, quantiles)]
    s = np.sort(kept)
    out = []
    for q in quantiles:
        pos = q * (s.size - 1)
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        if np.isfinite(s[lo]) and np.isfinite(s[hi]):
            out.append(float(s[lo] + (s[hi] - s[lo]) * (pos - lo)))
        else:
            out.append(float(s[lo] if pos - lo < 0.5 else s[hi]))
    return out


def cell(name: str, value: float) -> str:
    """Return a summary value (already in the units of ``human=True``) as table text.

    Three significant digits; a rank with no value reads as what it means (``never`` for
    a payback, ``none, NPV < 0`` for an IRR), a value no draw has as ``n/a``.

    Examples
    --------
    >>> cell("irr", float("-inf"))
    'none, NPV < 0'
    >>> cell("npv", -1234.5)
    '-1.23e+03'
    >>> cell("share_final", 42.123)
    '42.1'
    """
    value = float(value)
    if np.isnan(value):
        return "n/a"
    if np.isinf(value):
        if name == "payback_years":
            return "never"
        if name == "irr":
            return "none, NPV < 0" if value < 0 else "none, NPV >= 0"
        return "-inf" if value < 0 else "inf"
    return f"{value:.3g}"


def missing_cell(count: int, draws: int) -> str:
    """Return how many draws have no value, as the column beside a summary's quantiles.

    Examples
    --------
    >>> missing_cell(620, 1000)
    '620 (62 %)'
    >>> missing_cell(0, 1000)
    ''
    """
    return f"{count} ({100.0 * count / draws:.3g} %)" if count else ""


def _final_date(results: Results) -> str:
    last = pd.Timestamp(results.scenario.times[-1])
    return last.strftime("%b %Y")


def summarize(
    results: Results,
    metrics: Sequence[str],
    quantiles: Sequence[float],
    by: str,
    human: bool,
) -> pd.DataFrame:
    """Build the table of :meth:`Results.summary <simlab.results.Results.summary>`."""
    listed, notes, same = whos(results, by)
    rows: list[dict[str, Any]] = []
    for name in metrics:
        if name not in METRICS:
            results.metric(name)  # raises with a hint
        metric_rows = []
        for who in listed:
            if who == "all" and METRICS[name].unit == "share" and METRICS[name].group == "sum":
                notes.append(f"{name}[all] is left out: the shares of all providers sum to 1")
                continue
            values, note = ordered_values(results, name, who)
            kept = values[~np.isnan(values)]
            row: dict[str, Any] = {"metric": name, "who": who}
            row["mean"] = float(kept.mean()) if kept.size and np.isfinite(kept).all() else np.nan
            for q, value in zip(quantiles, quantiles_of(values, quantiles), strict=True):
                row[f"q{round(q * 100):02d}"] = value
            row["nan"] = int(np.isnan(results.metric(name, who).to_numpy()).sum())
            row["note"] = note
            row["same_as"] = ", ".join(same.get(who, ()))
            if human:
                row["who"] = row_label(who, same)
            metric_rows.append(row)
        if name == "npv":
            notes += terminal_value_note(results, listed)
        if human:
            _humanize(results, name, metric_rows, quantiles)
        rows += metric_rows
    columns = ["metric", "who", "mean", *[f"q{round(q * 100):02d}" for q in quantiles]]
    frame = pd.DataFrame(rows, columns=[*columns, "nan", "note", "same_as"])
    frame = frame.set_index(["metric", "who"])
    frame.attrs["notes"] = list(dict.fromkeys(notes))
    return frame


def terminal_value_note(results: Results, whos: Sequence[str]) -> list[str]:
    """Return a note on how much of each NPV is terminal value, or none.

    An NPV made mostly of its terminal value rests on the flows after the horizon, which
    the run extrapolates at ``terminal_growth`` rather than simulates: the note gives,
    for each provider or group whose median NPV is positive, the median terminal value
    over the median NPV (``npv_explicit`` and ``terminal_pv`` are the two parts), when
    it is more than half for some of them. A run saved without the parts has no note.
    """
    data = results.metrics.data_vars
    if "terminal_pv" not in data or "npv" not in data:
        return []
    parts = []
    for who in whos:
        npv = float(np.nanmedian(results.metric("npv", who).to_numpy()))
        tv = float(np.nanmedian(results.metric("terminal_pv", who).to_numpy()))
        if np.isfinite(npv) and npv > 0 and np.isfinite(tv):
            parts.append((who, tv / npv))
    if not any(share > 0.5 for _, share in parts):
        return []
    end = _final_date(results)
    shares = ", ".join(f"{who} {100.0 * share:.0f} %" for who, share in parts)
    over = " (over 100 %: the simulated flows are negative)" if any(x > 1 for _, x in parts) else ""
    return [
        f"npv is mostly terminal value (flows after {end}, extrapolated at "
        f"terminal_growth, not simulated); median terminal_pv / median npv: {shares}{over}; "
        "npv_explicit is the simulated part"
    ]


def label(results: Results, name: str, unit: str) -> str:
    """Return a metric's row label for people: name, date of "final", unit."""
    when = f", {_final_date(results)}" if METRICS[name].time == "value at the last step" else ""
    return f"{name}{when} ({unit})"


def _humanize(
    results: Results, name: str, rows: list[dict[str, Any]], quantiles: Sequence[float]
) -> None:
    keys = ["mean", *[f"q{round(q * 100):02d}" for q in quantiles]]
    shown = [r[k] for r in rows for k in keys if np.isfinite(r[k])]
    factor, unit = human_scale(name, shown)
    for row in rows:
        row["metric"] = label(results, name, unit)
        for k in keys:
            value = row[k] / factor
            row[k] = float(f"{value:.3g}") if np.isfinite(value) else value
