"""A mutator of the catalog's scenarios, and the contract every mutant must meet.

Each mutant goes through what a user does with a file: ``simlab validate FILE`` (as a
TOML file), then load, a small run, save and reload. The contract (issue 16): exit 0
with finite results (NaN only where documented), or exit 2 with one line; never an
internal error, a silent non-finite result or a hang.

``tests/test_fuzz.py`` runs a fast profile with hypothesis in the default test run. The
long profile runs this file as a script (once, by hand; figures in docs/performance.md)::

    python tests/fuzz_scenarios.py --files 10000 --timeout 60
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import io
import json
import math
import random
import signal
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

import simlab
from simlab.cli import MAX_LINE, main
from simlab.errors import SimlabError
from simlab.guard import MAY_BE_NAN
from simlab.scenario.catalog import catalog_names

#: Values a mutation may put anywhere: edge cases of every kind the schema meets.
NASTY: list[Any] = [
    0,
    -1,
    0.5,
    1.5,
    -2,
    1e308,
    -1e308,
    1e-300,
    1e24,
    2**70,
    float("nan"),
    float("inf"),
    "",
    " ",
    "x" * 300,
    "all",
    "closed",
    "region=us",
    "a.b",
    "a]",
    "n\x00",
    "2300-01",
    "1600-01-01",
    "2025-13",
    "2030-06",
    "follow",
    "cost_plus",
    "share_defense",
    True,
    [],
    {},
    [1, 2],
    dt.date(2305, 1, 1),
    dt.date(2027, 6, 1),
    dt.datetime(2026, 1, 1, 12, 0),
    {"dist": "pert", "low": 0.1, "mode": 0.3, "high": 1e308},
    {"dist": "uniform", "low": -1, "high": 1},
    {"dist": "uniform", "low": 0.01, "high": 0.2},
    {"value": 5, "dist": "uniform", "low": 0, "high": 1},
    {"dist": "lognormal", "median": 1, "high": 1e20},
    {"dist": "choice", "values": [1, 2], "weights": [1e300, 1e300]},
    {"dist": "uniform_date", "low": "2025-01", "high": "2300-01"},
    "npv[" * 50,
    "share_final[closed] < 0.5",
    "npv[all] < 0 and __t0 > 1",
    "(" * 200 + "npv[all]" + ")" * 200 + " < 0",
    " + ".join(["npv[all]"] * 300) + " < 0",
]
FACTORS = [0.0, -1.0, 0.1, 0.5, 0.9, 1.1, 2.0, 10.0, 1e-9, 1e6, 1e12, 1e30, 1e300]
NAMES = ["all", "open", "closed", "region=us", "", " ", "a.b", "x]", "n\x00", "é", "ok-name"]


# --------------------------------------------------------------------------- documents
def base_documents() -> dict[str, dict[str, Any]]:
    """The catalog's scenarios as resolved documents (what a mutant starts from)."""
    out = {}
    for name in catalog_names():
        doc = dict(simlab.load_scenario(name).document)
        doc.pop("extends", None)
        out[name] = doc
    return out


def _places(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a document (tables, arrays and leaves)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.append((*prefix, key))
            out.extend(_places(value, (*prefix, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.append((*prefix, i))
            out.extend(_places(value, (*prefix, i)))
    return out


def _parent(doc: Any, place: tuple[Any, ...]) -> Any:
    node = doc
    for key in place[:-1]:
        node = node[key]
    return node


def mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Return a copy of ``doc`` with one to four random mutations."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 4)):
        places = _places(doc)
        if not places:
            break
        place = rng.choice(places)
        parent, key = _parent(doc, place), place[-1]
        op = rng.random()
        value = parent[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if op < 0.3:
            parent[key] = copy.deepcopy(rng.choice(NASTY))
        elif op < 0.65 and number:
            factor = rng.choice(FACTORS)
            with np.errstate(over="ignore"):
                parent[key] = float(np.float64(value) * factor)
        elif op < 0.72 and isinstance(parent, dict):
            del parent[key]
        elif op < 0.8 and isinstance(parent, dict):
            parent[rng.choice(NAMES)] = parent.pop(key)
        elif op < 0.86 and isinstance(parent, dict) and isinstance(value, dict):
            parent[f"{key}-copy"] = copy.deepcopy(value)  # e.g. a cloned provider
        elif op < 0.94:
            other = rng.choice(places)  # another key's value here (a plausible slip)
            parent[key] = copy.deepcopy(_parent(doc, other)[other[-1]])
        else:
            node: Any = copy.deepcopy(rng.choice(NASTY))
            for _ in range(rng.choice([1, 5, 30])):
                node = {"n": node}
            parent[key] = node
    return doc


# --------------------------------------------------------------------------- TOML
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()]
        return "{" + ", ".join(items) + "}"
    raise TypeError(type(value).__name__)


def to_toml(doc: dict[str, Any]) -> str:
    """Write a document as TOML (every table inline; enough for the fuzzer)."""
    lines = [f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in doc.items() if v is not None]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- contract
class Hang(Exception):
    """A mutant took longer than its time bound."""


def _finite_problem(res: simlab.Results) -> str | None:
    for name, var in res.metrics.data_vars.items():
        values = np.asarray(var.values)
        if values.dtype.kind != "f":
            continue
        base = str(name).removesuffix("_by_group")
        if np.isinf(values).any():
            return f"{name} holds inf"
        if base not in MAY_BE_NAN and np.isnan(values).any():
            return f"{name} holds an undocumented NaN"
    return None


def check_one(doc: dict[str, Any], folder: Path) -> tuple[str, str]:
    """Put one mutant through validate, load, run, save and reload.

    Returns
    -------
    tuple of str
        ``(outcome, detail)``; outcomes ``refused``, ``simulation_error`` and ``ran`` meet
        the contract; ``internal``, ``nonfinite``, ``bad_exit`` and ``bad_line`` do not.
    """
    path = folder / "mutant.toml"
    try:
        path.write_text(to_toml(doc), encoding="utf-8", errors="surrogatepass")
    except (TypeError, ValueError) as exc:  # not writable as TOML: API leg only
        path.write_text("", encoding="utf-8")
        written = False
        del exc
    else:
        written = True
    if written:
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["validate", str(path)])
        errors = [x for x in err.getvalue().splitlines() if "simlab: warning:" not in x]
        if code not in (0, 2):
            return "bad_exit", f"validate exited {code}: {err.getvalue()[:300]}"
        if code == 2 and (len(errors) != 1 or len(errors[0]) > MAX_LINE):
            return "bad_line", f"validate printed {len(errors)} lines: {err.getvalue()[:300]}"
    try:
        sc = simlab.Scenario.from_dict(doc, origin="mutant.toml", base_dir=folder)
    except SimlabError as exc:
        if written and code == 0:
            return "bad_exit", f"validate said ok, from_dict refused: {str(exc)[:200]}"
        return "refused", str(exc)[:200]
    except Exception as exc:  # the contract: nothing else escapes
        return "internal", f"load: {type(exc).__name__}: {str(exc)[:200]}"
    try:
        res = simlab.run(sc, draws=2, seed=1, block_size=2)
        problem = _finite_problem(res)
        if problem is not None:
            return "nonfinite", problem
        res.to_netcdf(folder / "r.nc")
        back = simlab.load_results(folder / "r.nc")
        if not back.metrics.equals(res.metrics):
            return "internal", "reloaded results differ"
    except SimlabError as exc:
        if isinstance(exc, simlab.SimulationError):
            return "simulation_error", str(exc)[:200]
        return "refused_late", str(exc)[:200]
    except Exception as exc:  # the contract: nothing else escapes
        return "internal", f"run/save: {type(exc).__name__}: {str(exc)[:200]}"
    return "ran", ""


GOOD = {"refused", "simulation_error", "ran", "refused_late"}


def check_bounded(doc: dict[str, Any], folder: Path, seconds: int) -> tuple[str, str]:
    """:func:`check_one` with a time bound (SIGALRM; the main thread on POSIX only)."""

    def alarm(signum: int, frame: Any) -> None:
        raise Hang

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return check_one(doc, folder)
    except Hang:
        return "hang", f"more than {seconds} s"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --------------------------------------------------------------------------- long profile
def long_profile(files: int, seconds: int, seed: int) -> dict[str, Any]:
    """Run ``files`` mutants (seeded), each bounded in time; return the tallies."""
    docs = base_documents()
    names = sorted(docs)
    tally: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    slowest = 0.0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(files):
            rng = random.Random(seed * 1_000_003 + i)
            name = rng.choice(names)
            mutant = mutate(docs[name], rng)
            t0 = time.perf_counter()
            outcome, detail = check_bounded(mutant, Path(tmp), seconds)
            slowest = max(slowest, time.perf_counter() - t0)
            tally[outcome] += 1
            if outcome not in GOOD:
                failures.append({"file": i, "base": name, "outcome": outcome, "detail": detail})
            if (i + 1) % 500 == 0:
                print(f"{i + 1} files, {dict(tally)}", file=sys.stderr, flush=True)
    return {
        "files": files,
        "seed": seed,
        "seconds_per_file_bound": seconds,
        "outcomes": dict(tally),
        "failures": failures[:50],
        "wall_seconds": round(time.perf_counter() - started, 1),
        "slowest_file_seconds": round(slowest, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The long fuzz profile (issue 16).")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per file")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", default="-", help="JSON report file (default stdout)")
    args = parser.parse_args()
    report = long_profile(args.files, args.timeout, args.seed)
    text = json.dumps(report, indent=2)
    if args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text + "\n")
