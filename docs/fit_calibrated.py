"""Refit the catalog from the calibration: write history's distributions into the scenarios.

Usage::

    python docs/fit_calibrated.py           # print the fit and write it into the scenarios
    python docs/fit_calibrated.py --check   # exit 1 if the scenarios are not current

One seeded calibration of ``history-2023`` (docs/gen_calibration.py's ``CALIBRATION``,
about 3 s) gives the calibrated draws of the parameters that mean the same in 2025-2035
(:data:`simlab.calibration.refit.FORWARD`). Each becomes a PERT matched to its calibrated
median and 90 % interval (:func:`~simlab.calibration.refit.fit_pert`) in the
baseline-2025 entries it stands for, with ``source = "HINDCAST"``; the rank correlations
history imposes between them become a generated ``[[correlations]]`` block
(:func:`~simlab.calibration.refit.carried_correlations`). deepseek-shock-2025 sets the
API growth by shocks at 2025-11 (its 2025 is observed), and decoupling states correlations
of its own (a variant's list replaces its parent's), so both get their block too.

:data:`UNCALIBRATED` keeps the entries as they were before calibration, with their
sources: :func:`uncalibrated` rebuilds any catalog scenario from them, which is how
docs/gen_scenarios.py shows each scenario's claims before and after calibration.
"""

from __future__ import annotations

import argparse
import copy
import functools
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for where in (REPO, REPO / "docs"):
    if str(where) not in sys.path:  # run from a checkout without installing
        sys.path.insert(0, str(where))

import numpy as np  # noqa: E402
from gen_calibration import CALIBRATION  # noqa: E402

import simlab  # noqa: E402
from simlab.calibration.refit import FORWARD, carried_correlations, fit_pert  # noqa: E402
from simlab.calibration.scoring import weighted_quantile  # noqa: E402
from simlab.errors import SimlabWarning  # noqa: E402

SCENARIOS = REPO / "scenarios"
#: The reference key every calibrated entry and correlation cites.
SOURCE = "HINDCAST"
#: How closely the forward segments that one hindcast parameter stands for move together.
TOGETHER = 0.8
BEGIN = "# ---- calibrated rank correlations: docs/fit_calibrated.py writes this block ----"
END = "# ---- end of the calibrated rank correlations ----"

#: baseline-2025's entries before calibration (sourced priors), by path.
UNCALIBRATED: dict[str, dict[str, Any]] = {
    "segments.consumer.bass_p": {"value": 0.03, "source": "BASS"},
    "segments.consumer.bass_q": {"value": 0.38, "source": "BASS"},
    "segments.developer.bass_q": {"value": 0.38, "source": "BASS"},
    "segments.enterprise.bass_q": {"value": 0.38, "source": "BASS"},
    "segments.public.bass_q": {"value": 0.38, "source": "BASS"},
    "segments.developer.elasticity": {
        "value": 0.7, "dist": "pert", "low": 0.4, "mode": 0.7, "high": 1.0, "source": "NBER",
        "note": "the market's volume response to its price index; NBER's 'just above one' "
        "(secondary) is a host's elasticity for a given model, which bounds the market's from "
        "above: 0.7 central, 0.4-1.0",
    },
    "segments.enterprise.elasticity": {
        "value": 0.8, "dist": "pert", "low": 0.4, "mode": 0.8, "high": 1.2,
        "assumption": "enterprise volume less price-elastic than developer volume (NBER's 1.1 "
        "is for developers and hosts)",
    },
    "segments.developer.growth": {
        "dist": "pert", "low": 0.2, "mode": 0.4, "high": 0.8, "source": "GOOGLE-TOKENS",
        "note": "tokens grew 2.7x in five months in 2025, much of it free; paid potential "
        "assumed +40 %/yr (20-80 %)",
    },
    "segments.enterprise.growth": {
        "dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.5,
        "assumption": "enterprise token potential grows as pilots become production: 30 %/yr "
        "central",
    },
}  # fmt: skip

#: Per scenario file: its calibrated entries (path -> the line's table and key) and how
#: its correlation block names the forward paths (deepseek-shock-2025 sets the API growth
#: by a shock at 2025-11, the baseline's start).
TARGETS: dict[str, dict[str, str]] = {
    "baseline-2025": {},
    "deepseek-shock-2025": {
        "segments.developer.growth": "events.developer-growth-2026.value",
        "segments.enterprise.growth": "events.enterprise-growth-2026.value",
    },
    "decoupling": {},
}


def calibrate() -> simlab.Calibration:
    """Return the calibration docs/calibration.md shows."""
    obs = simlab.load_observations("history-2023")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimlabWarning)
        return simlab.calibrate("history-2023", obs, **CALIBRATION)


def _num(x: float) -> str:
    return f"{x:.4g}"


def fitted(cal: simlab.Calibration) -> dict[str, dict[str, Any]]:
    """Return each calibrated source path's fitted entry and its calibrated quantiles."""
    out = {}
    for source in FORWARD:
        draws = cal.inputs[source].to_numpy(dtype=np.float64)
        support = cal.scenario.uncertain[source].support()
        pert = fit_pert(draws, cal.weights, support=support)
        q05, q50, q95 = weighted_quantile(draws, [0.05, 0.5, 0.95], cal.weights)
        fit05, fit50, fit95 = pert.ppf(np.array([0.05, 0.5, 0.95]))
        out[source] = {
            "pert": pert,
            "calibrated": (float(q05), float(q50), float(q95)),
            "fitted": (float(fit05), float(fit50), float(fit95)),
        }
    return out


def entry_line(key: str, source: str, fit: Mapping[str, Any], before: Mapping[str, Any]) -> str:
    """Return the TOML line of one calibrated entry."""
    pert = fit["pert"]
    q05, q50, q95 = fit["calibrated"]
    was = f"{before['value']:g}" if "value" in before else "a PERT"
    if "dist" in before:
        was = f"PERT {before['low']:g}-{before['high']:g}, mode {before['mode']:g}"
    cited = before.get("source", "assumption")
    note = (
        f"calibrated: history-2023's {source} (docs/calibration.md), median {_num(q50)}, "
        f"90 % {_num(q05)} to {_num(q95)}, as a PERT (docs/fit_calibrated.py); before "
        f"calibration {was} ({cited})"
    )
    return (
        f'{key} = {{ value = {_num(q50)}, dist = "pert", low = {_num(pert.low)}, '
        f"mode = {_num(pert.mode)}, high = {_num(pert.high)}, shape = {_num(pert.shape)}, "
        f'source = "{SOURCE}", note = "{note}" }}'
    )


def correlation_block(pairs: list[tuple[str, str, float]], rename: Mapping[str, str]) -> str:
    """Return the generated ``[[correlations]]`` block."""
    lines = [BEGIN]
    for a, b, rho in pairs:
        lines += [
            "[[correlations]]",
            f'paths = ["{rename.get(a, a)}", "{rename.get(b, b)}"]',
            f"rho = {rho:g}",
            f'source = "{SOURCE}"',
        ]
        if _same_source(a, b):
            lines.append(
                'assumption = "one API segment in the hindcast stands for both: they move '
                f'together ({TOGETHER:g}) but need not be equal"'
            )
    return "\n".join([*lines, END])


def _same_source(a: str, b: str) -> bool:
    return any(a in t and b in t for t in FORWARD.values())


def _replace_line(lines: list[str], table: str, key: str, new: str, file: str) -> None:
    start = lines.index(f"[{table}]")
    for k in range(start + 1, len(lines)):
        if lines[k].startswith("["):
            break
        if lines[k].startswith(f"{key} = "):
            lines[k] = new
            return
    raise SystemExit(f"fit_calibrated: no line '{key} = ...' under [{table}] in {file}")


def rewrite(name: str, text: str, fits: Mapping[str, Mapping[str, Any]], pairs: list) -> str:
    """Return a scenario file's text with its calibrated entries and block written."""
    rename = TARGETS[name]
    lines = text.rstrip("\n").split("\n")
    for source, targets in FORWARD.items():
        for target in targets:
            if name == "baseline-2025":
                table, key = target.rsplit(".", 1)
            elif target in rename:  # a variant's own entry for it
                table, key = rename[target].rsplit(".", 1)
            else:  # inherited from baseline-2025
                continue
            new = entry_line(key, source, fits[source], UNCALIBRATED[target])
            _replace_line(lines, table, key, new, f"{name}.toml")
    if BEGIN in lines:
        lines = lines[: lines.index(BEGIN)]
        while lines and not lines[-1].strip():
            lines.pop()
    return "\n".join([*lines, "", correlation_block(pairs, rename), ""])


@functools.cache
def _start_fit() -> dict[str, float]:
    """docs/fit_baseline.py's fit of the uncalibrated baseline (the start market)."""
    import fit_baseline

    values, _ = fit_baseline.fit(_priors(simlab.load_scenario("baseline-2025")))
    return values


def uncalibrated(sc: simlab.Scenario, refit: bool = True) -> simlab.Scenario:
    """Return a scenario with its calibrated entries put back to the priors they replaced.

    Every entry citing :data:`SOURCE` (a segment's parameter or a shock's value) gets its
    :data:`UNCALIBRATED` prior back, decaying growth goes (``growth_halflife`` and
    ``growth_final``, and shocks to them: the start rate holds, as before), and so do the
    spend ceilings (which came with it) and the calibrated correlations. A variant's own
    figures stay as they are. With ``refit`` the start market is fitted again to the same
    targets (docs/fit_baseline.py: the figures a scenario inherits from baseline-2025's
    fit, and deepseek-shock-2025's own potentials), as it was before calibration: the
    calibrated point values move the first step a little (half a step of growth and
    adoption).
    """
    before = _priors(sc)
    if not refit:
        return before
    import fit_baseline

    current = simlab.load_scenario("baseline-2025").params
    inherited = {
        path: value
        for path, value in _start_fit().items()
        if path in before.params and before.params[path].value == current[path].value
    }
    before = before.with_values(inherited)
    if sc.name == "deepseek-shock-2025":
        before = before.with_values(fit_baseline.fit_deepseek_shock(before))
    return before


def _priors(sc: simlab.Scenario) -> simlab.Scenario:
    doc = copy.deepcopy(dict(sc.document))
    doc.pop("extends", None)

    def calibrated(entry: object) -> bool:
        return isinstance(entry, Mapping) and entry.get("source") == SOURCE

    for seg_name, seg in doc.get("segments", {}).items():
        for key in list(seg):
            if key in ("growth_halflife", "growth_final", "spend_ceiling"):
                del seg[key]
            elif calibrated(seg[key]):
                seg[key] = copy.deepcopy(UNCALIBRATED[f"segments.{seg_name}.{key}"])
    events = doc.get("events", {})
    for event_name in list(events):
        event = events[event_name]
        path = event.get("path", "")
        if path.endswith(("growth_halflife", "growth_final")):
            del events[event_name]
        elif calibrated(event.get("value")):
            event["value"] = copy.deepcopy(UNCALIBRATED[path])
    doc["correlations"] = [c for c in doc.get("correlations", []) if c.get("source") != SOURCE]
    return simlab.Scenario.from_dict(doc, origin=f"{sc.origin} (before calibration)")


def main(argv: list[str] | None = None) -> int:
    """Write the calibrated entries, or with ``--check`` exit 1 when they are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a scenario is stale")
    args = parser.parse_args(argv)
    cal = calibrate()
    fits = fitted(cal)
    pairs = carried_correlations(cal, together=TOGETHER)
    print(f"{cal!r}")
    for source, fit in fits.items():
        pert = fit["pert"]
        print(
            f"{source:28s} calibrated 5/50/95 % "
            + " ".join(_num(x) for x in fit["calibrated"])
            + "  PERT "
            + " ".join(_num(x) for x in fit["fitted"])
            + f"  (low {_num(pert.low)}, mode {_num(pert.mode)}, high {_num(pert.high)}, "
            f"shape {_num(pert.shape)})"
        )
    stale = []
    for name in TARGETS:
        path = SCENARIOS / f"{name}.toml"
        old = path.read_text(encoding="utf-8")
        new = rewrite(name, old, fits, pairs)
        if new != old:
            stale.append(name)
            if not args.check:
                path.write_text(new, encoding="utf-8")
                simlab.load_scenario(path)  # still valid
                print(f"wrote {path.relative_to(REPO)}")
    if args.check:
        if stale:
            print(
                f"{', '.join(stale)} not current: run python docs/fit_calibrated.py",
                file=sys.stderr,
            )
            return 1
        print("the calibrated entries are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
