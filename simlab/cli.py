"""The ``simlab`` command: a thin layer over the library.

Each sub-command is a pair of functions, ``_args_NAME`` (adds its arguments to a parser)
and ``_run_NAME`` (does the work and returns an exit code), listed once in
:data:`COMMANDS`. To add one, write the pair and add a :class:`Command` line.

Exit codes: 0 success; 2 bad input (a bad command, option or value, or any
:class:`~simlab.errors.SimlabError`), reported on ONE line of standard error with no
usage dump; 1 an internal error, one line too, with the traceback only when the
environment variable ``SIMLAB_DEBUG`` is ``1``.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from simlab._version import __version__
from simlab.errors import SimlabError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from simlab.results import Results

__all__ = ["COMMANDS", "Command", "build_parser", "main"]

PROG = "simlab"
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line input; ``main`` reports it on one line and exits 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of printing usage and exiting.

    Sub-parsers are built with the same class, so they behave alike.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")

    def _check_value(self, action: argparse.Action, value: object) -> None:
        # argparse's own message for an unknown sub-command is "argument COMMAND: invalid
        # choice: ..."; say it plainly, with a close match when there is one.
        if isinstance(action, argparse._SubParsersAction) and value not in action.choices:
            names = list(action.choices)
            close = difflib.get_close_matches(str(value), names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise argparse.ArgumentError(
                None, f"unknown command {value!r} (choose from {', '.join(names)}){hint}"
            )
        super()._check_value(action, value)


@dataclass(frozen=True)
class Command:
    """One sub-command: its name, one-line help, argument builder and runner."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- list ---------------------------------------------------------------------------------


def _args_list(parser: argparse.ArgumentParser) -> None:
    """``simlab list`` takes no arguments."""


def _run_list(args: argparse.Namespace) -> int:
    """Print the catalog of shipped scenarios as a table."""
    from simlab.scenario.catalog import list_scenarios

    table = list_scenarios()
    if table.empty:
        print("no scenarios shipped", file=sys.stderr)
        return EXIT_OK
    rows = [
        [str(row.name), str(row.title), f"{row.start} to {row.end}", str(row.providers)]
        for row in table.itertuples(index=False)
    ]
    _print_table(["name", "title", "horizon", "providers"], rows, sys.stdout)
    return EXIT_OK


# --- show ---------------------------------------------------------------------------------


def _args_show(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="a catalog name or a TOML file")
    parser.add_argument(
        "--uncertain", action="store_true", help="only the parameters drawn from a distribution"
    )


def _run_show(args: argparse.Namespace) -> int:
    """Print a scenario's parameters: value or distribution, unit and source."""
    from simlab.scenario.load import load_scenario

    sc = load_scenario(args.scenario)
    print(f"{sc.name}: {sc.title}")
    print(f"  {sc.spec.start} to {sc.spec.end} by {sc.spec.step}; file {sc.origin}")
    if sc.spec.description:
        print("  " + " ".join(sc.spec.description.split()))
    table = sc.parameters
    if args.uncertain:
        table = table[table["distribution"] != ""]
    rows = [
        [
            str(path),
            str(row.distribution) or _number_text(row.value),
            str(row.unit),
            str(row.source),
        ]
        for path, row in table.iterrows()
    ]
    print()
    _print_table(["parameter", "value or distribution", "unit", "source"], rows, sys.stdout)
    if sc.spec.claims:
        print()
        claims = [[key, c.expr, c.text] for key, c in sc.spec.claims.items()]
        _print_table(["claim", "condition", "text"], claims, sys.stdout)
    return EXIT_OK


def _number_text(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


# --- validate -----------------------------------------------------------------------------


def _args_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files or names")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (e.g. a price that a pricing rule overrides) as errors",
    )
    parser.add_argument(
        "--draft",
        action="store_true",
        help="accept figures without a source or an assumption (a draft)",
    )


def _run_validate(args: argparse.Namespace) -> int:
    """Validate scenario files: ``ok`` or one clear error per file; exit 2 if any is bad.

    A file that breaks the validator in an unforeseen way is reported as that file's error
    (the others are still checked). A figure that the file varies (a distribution), or
    that a variant's own file sets, but that a pricing rule overrides from the first step
    is a warning (an error with ``--strict``).
    """
    from simlab.errors import SimlabError
    from simlab.scenario.catalog import read_header, scenario_path
    from simlab.scenario.load import load_scenario
    from simlab.scenario.overrides import check_live, paths_set

    bad = 0
    for name in args.files:
        try:
            sc = load_scenario(name)
            varied = [*sc.uncertain, *(p for c in sc.spec.correlations for p in c.paths)]
            if sc.spec.extends is not None:  # a variant: the figures its own file sets
                varied += paths_set(read_header(scenario_path(name)))
            check_live(sc, varied, strict=args.strict)
        except SimlabError as exc:
            bad += 1
            print(_bounded(_one_line(str(exc))), file=sys.stderr)
        except (RecursionError, MemoryError, ValueError, TypeError, OSError) as exc:
            bad += 1
            print(
                _bounded(f"{name}: cannot validate: {type(exc).__name__}: {exc}"), file=sys.stderr
            )
        else:
            unsourced = sc.unsourced()
            if unsourced and not args.draft:
                bad += 1
                print(
                    f"{sc.origin}: {unsourced[0]}: a figure with no source "
                    f"({len(unsourced)} such figure{'s' if len(unsourced) > 1 else ''}); "
                    'write {value = ..., source = "..."} or assumption = "..." '
                    "(or validate --draft)",
                    file=sys.stderr,
                )
                continue
            note = f"; {len(unsourced)} figures without a source (draft)" if unsourced else ""
            print(f"{name}: ok ({len(sc.params)} parameters, {len(sc.uncertain)} uncertain{note})")
    return EXIT_USAGE if bad else EXIT_OK


# --- run ----------------------------------------------------------------------------------


def _args_run(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``simlab run``."""
    from simlab.uncertainty import SAMPLERS

    parser.add_argument("scenario", metavar="NAME|FILE", help="a catalog name or a TOML file")
    parser.add_argument("--draws", type=int, default=1000, help="number of draws (1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--sampler", choices=SAMPLERS, default="mc", help="mc, lhs or sobol")
    parser.add_argument(
        "--workers", type=int, default=1, help="1: this process; K > 1: a pool of K processes"
    )
    parser.add_argument("--checkpoint", metavar="DIR", help="save finished blocks; resume")
    parser.add_argument("--out", metavar="DIR", default="simlab-out", help="(simlab-out)")
    parser.add_argument("--paths", action="store_true", help="also keep per-step paths")
    parser.add_argument("--block-size", type=int, default=1024, help="draws per block (1024)")
    parser.add_argument(
        "--metrics",
        metavar="M,M,...",
        help="keep only these metrics (less memory; the claims' and plots' are always kept)",
    )
    parser.add_argument(
        "--until",
        type=float,
        metavar="SE",
        help="add blocks until every claim's probability has this standard error (or "
        "--until-claim's); --draws is then the budget",
    )
    parser.add_argument(
        "--until-claim",
        action="append",
        metavar="NAME",
        help="with --until: watch only this claim (repeatable)",
    )
    parser.add_argument(
        "--until-quantile",
        metavar="METRIC,WHO[,YEAR],Q",
        help="with --until: watch this quantile of a metric instead, e.g. npv,openai,0.5 "
        "(SE in the metric's units)",
    )


def _run_run(args: argparse.Namespace) -> int:
    """Run a scenario, print its summary and claims, and write results to ``--out``."""
    import time

    from simlab.experiment import process_pool, run
    from simlab.scenario.load import load_scenario

    scenario = load_scenario(args.scenario)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{PROG}: error: --out {out}: exists and is not a folder")
    started = time.perf_counter()
    common = {
        "draws": args.draws,
        "seed": args.seed,
        "sampler": args.sampler,
        "block_size": args.block_size,
        "paths": args.paths,
        "checkpoint": args.checkpoint,
    }
    if args.metrics:
        wanted = [m.strip() for m in args.metrics.split(",") if m.strip()]
        common["metrics"] = [*wanted, "npv", "share"]  # the standard plots need these
    if (args.until_claim or args.until_quantile) and args.until is None:
        raise UsageError(f"{PROG}: error: --until-claim and --until-quantile need --until SE")
    if args.until_claim and args.until_quantile:
        raise UsageError(f"{PROG}: error: give --until-claim or --until-quantile, not both")
    if args.until is not None:
        from simlab.precision import Precision

        if args.until_quantile:
            common["until"] = Precision(se=args.until, **_until_quantile(args.until_quantile))
        else:
            common["until"] = Precision(se=args.until, claims=args.until_claim)
    if args.workers == 1:
        res = run(scenario, **common)
    else:
        with process_pool(args.workers) as pool:
            res = run(scenario, executor=pool, **common)
    wall = time.perf_counter() - started
    print(
        f"{scenario.name}: {res.draws} draws, seed {args.seed}, sampler {args.sampler}, "
        f"{wall:.1f} s"
    )
    if args.until is not None:
        attrs = res.metrics.attrs
        why = "target reached" if attrs["until_stopped"] == "target" else "budget spent"
        print(f"until {attrs['until']}: {why} (largest se {attrs['until_se']:.3g})")
    print()
    from simlab.metrics import HEADLINE

    kept = [m for m in HEADLINE if m in res.metrics.data_vars]
    summary = res.summary(metrics=kept, by="group")
    _print_summary(res.summary(metrics=kept, by="group", human=True), res.draws)
    claims = res.claims()
    if not claims.empty:
        print()
        rows = [
            [str(key), str(row["expr"]), _percent(row["probability"]), _percent(row["se"])]
            for key, row in claims.iterrows()
        ]
        _print_table(["claim", "condition", "probability", "std. error"], rows, sys.stdout)
        for key, row in claims.iterrows():
            n = row["undecided"]
            if n:
                print(f"  note: {key}: {n} of {res.draws} draws undecided (a term has no value)")
            if row["note"]:
                print(f"  note: {key}: {row['note']}")
    out.mkdir(parents=True, exist_ok=True)
    res.to_netcdf(out / "results.nc")
    summary.to_csv(out / "summary.csv")
    claims.to_csv(out / "claims.csv")
    written = ["results.nc", "summary.csv", "claims.csv", *_write_plots(res, out)]
    print()
    print(f"wrote {', '.join(written)} to {out}")
    return EXIT_OK


def _until_quantile(text: str) -> dict[str, Any]:
    """``METRIC,WHO,Q`` or ``METRIC,WHO,YEAR,Q`` as :class:`~simlab.Precision` arguments."""
    parts = [p.strip() for p in text.split(",")]
    bad = UsageError(
        f"{PROG}: error: --until-quantile {text!r}: expected METRIC,WHO,Q or "
        "METRIC,WHO,YEAR,Q with Q in (0, 1), e.g. npv,openai,0.5"
    )
    if len(parts) not in (3, 4) or not all(parts):
        raise bad
    try:
        q = float(parts[-1])
        year = int(parts[2]) if len(parts) == 4 else None
    except ValueError:
        raise bad from None
    if not 0.0 < q < 1.0:
        raise bad
    return {"metric": parts[0], "who": parts[1], "year": year, "quantile": q}


def _print_summary(summary: pd.DataFrame, draws: int) -> None:
    """Print a human summary: one block per metric, its unit in the block's header."""
    from simlab.tables import cell, missing_cell

    print(f"Quantiles over all {draws} draws (q50 = median)")
    stats = [c for c in summary.columns if c.startswith("q")]
    rows: list[list[str]] = []
    notes: list[str] = []
    for label in dict.fromkeys(summary.index.get_level_values("metric")):
        block = summary.loc[label]
        name = str(label).split(",")[0].split(" (")[0]
        rows.append([str(label), *([""] * (len(stats) + 1))])
        for who, row in block.iterrows():
            shown = [cell(name, row[q]) for q in stats]
            rows.append([f"  {who}", *shown, missing_cell(int(row["nan"]), draws)])
            if row["note"]:
                notes.append(f"{name}[{who}]: {row['note']}")
    print()
    _print_table(["metric (unit) / who", *stats, "no value"], rows, sys.stdout)
    for note in [*notes, *summary.attrs.get("notes", [])]:
        print(f"  note: {note}")


def _percent(value: float) -> str:
    """Return a probability as a percentage, one decimal; NaN as ``n/a``."""
    return "n/a" if value != value else f"{100 * float(value):.1f} %"


def _number(value: float) -> str:
    """Four significant figures; NaN as ``nan``."""
    return f"{float(value):.4g}"


def _write_plots(res: Results, out: Path) -> list[str]:
    """Write the standard figures as PNG, if :mod:`simlab.plot` is available."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from simlab import plot
    except ImportError as exc:
        print(f"{PROG}: note: plots skipped ({exc})", file=sys.stderr)
        return []
    spec = res.scenario.spec
    closed = [name for name, p in spec.providers.items() if p.kind == "closed"]

    def npv() -> Figure:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
        plot.distribution(res, metric="npv", who="closed", ax=axes[0])
        plot.distribution(res, metric="npv", who=closed[0], ax=axes[1])
        return fig

    figures: list[tuple[str, Callable[[], Figure]]] = [("shares.png", lambda: plot.shares(res))]
    if closed:
        figures.append(("npv.png", npv))
    figures.append(
        ("share_fan.png", lambda: plot.fan(res, var="share", who=["open", "closed"], by="group"))
    )
    written = []
    for name, draw in figures:
        fig = draw()
        fig.savefig(out / name, dpi=120)
        plt.close(fig)
        written.append(name)
    return written


# --- sensitivity: tornado, sweep, sobol, morris -------------------------------------------


def _args_target(parser: argparse.ArgumentParser, seed: bool = True) -> None:
    """Arguments shared by the sensitivity commands: the scenario, the metric, --out."""
    parser.add_argument("scenario", metavar="NAME|FILE", help="a catalog name or a TOML file")
    parser.add_argument("--metric", required=True, help="a metric, e.g. npv, share_final, irr")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--provider", help="whose metric: a provider")
    who.add_argument("--group", help="whose metric: all, open, closed or region=XX (all)")
    parser.add_argument("--year", type=int, help="the calendar year of a yearly metric")
    if seed:
        parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--out", metavar="DIR", default="simlab-out", help="(simlab-out)")


def _target(args: argparse.Namespace) -> dict[str, Any]:
    return {"provider": args.provider, "group": args.group, "year": args.year}


def _out_dir(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{PROG}: error: --out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _check_writable(folder: Path, flag: str) -> None:
    """Refuse, before any work, an output folder that cannot be created or written.

    Folders created for the test are removed again (the command creates them when it
    writes), so a command refused later leaves nothing behind.
    """
    import tempfile

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{PROG}: error: {flag} {folder}: exists and is not a folder")
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(
            f"{PROG}: error: {flag} {folder}: cannot write there ({exc.strerror or exc})"
        ) from None
    finally:
        for made in created:  # deepest first
            try:
                made.rmdir()
            except OSError:
                break


def _check_outputs(args: argparse.Namespace) -> None:
    """Check every output folder a command will write, before it runs."""
    out = getattr(args, "out", None)
    if out is not None:
        target = Path(out)
        if args.command == "plot":
            _check_writable(target.parent if target.parent != Path("") else Path("."), "--out")
        else:
            _check_writable(target, "--out")
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint is not None:
        _check_writable(Path(checkpoint), "--checkpoint")


def _save_figure(draw: Callable[[], Figure], path: Path) -> list[str]:
    """Draw a figure with the Agg backend and save it as PNG; return the file's name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = draw()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path.name]


def _print_frame(
    frame: pd.DataFrame,
    columns: Sequence[str],
    limit: int = 15,
    metric: str | None = None,
    scaled: Sequence[str] = (),
) -> None:
    """Print some columns of a table; ``scaled`` ones in the metric's units for people.

    The scaled columns share one scale (e.g. USD bn), stated in their headers.
    """
    frame = frame.reset_index() if frame.index.name else frame
    frame = frame[list(columns)].head(limit).copy()
    headers = list(columns)
    if metric is not None and scaled:
        from simlab.metrics import METRICS, human_scale

        if metric in METRICS:
            values = frame[list(scaled)].to_numpy(dtype=float).ravel()
            factor, unit = human_scale(metric, list(values))
            for column in scaled:
                frame[column] = frame[column].astype(float) / factor
            headers = [f"{c} ({unit})" if c in scaled else c for c in columns]
    rows = [
        [_number(v) if isinstance(v, float) else str(v) for v in row]
        for row in frame.itertuples(index=False)
    ]
    _print_table(headers, rows, sys.stdout)


def _args_tornado(parser: argparse.ArgumentParser) -> None:
    _args_target(parser)
    parser.add_argument("--draws", type=int, default=200, help="draws of the base sample (200)")
    parser.add_argument("--low", type=float, default=0.1, help="low quantile (0.1)")
    parser.add_argument("--high", type=float, default=0.9, help="high quantile (0.9)")
    parser.add_argument("--statistic", default="median", help="median, mean, qNN, ... (median)")


def _run_tornado(args: argparse.Namespace) -> int:
    """Swing each uncertain parameter; write tornado.csv and tornado.png."""
    from simlab import plot
    from simlab.sensitivity import tornado

    df = tornado(
        args.scenario,
        args.metric,
        draws=args.draws,
        seed=args.seed,
        low=args.low,
        high=args.high,
        statistic=args.statistic,
        **_target(args),
    )
    out = _out_dir(args)
    columns = ["metric_low", "metric_high", "swing"]
    in_units = columns if df.attrs.get("statistic") != "p_negative" else []
    _print_frame(df, ["parameter", *columns], metric=args.metric, scaled=in_units)
    df.to_csv(out / "tornado.csv", index=False)
    written = ["tornado.csv", *_save_figure(lambda: plot.tornado(df), out / "tornado.png")]
    print(f"\nwrote {', '.join(written)} to {out}")
    return EXIT_OK


def _parse_param(text: str) -> tuple[str, list[float] | list[str]]:
    """``PATH=LOW:HIGH:N`` (N evenly spaced values) or ``PATH=V1,V2,...``."""
    import numpy as np

    bad = UsageError(
        f"{PROG}: error: --param {text!r}: expected PATH=LOW:HIGH:N (N >= 1 values from LOW "
        "to HIGH) or PATH=V1,V2,..."
    )
    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise bad
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise bad
        try:
            low, high, n = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            raise bad from None
        if n < 1 or not (np.isfinite(low) and np.isfinite(high)):
            raise bad
        return path.strip(), [float(v) for v in np.linspace(low, high, n)]
    values = [v.strip() for v in spec.split(",")]
    if any(not v for v in values):
        raise bad
    try:
        return path.strip(), [float(v) for v in values]
    except ValueError:
        return path.strip(), values  # dates, checked by simlab.sweep


def _args_sweep(parser: argparse.ArgumentParser) -> None:
    _args_target(parser)
    parser.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="PATH=LOW:HIGH:N",
        help="a swept parameter (repeat for a grid); or PATH=V1,V2,...",
    )
    parser.add_argument("--draws", type=int, default=500, help="draws per grid point (500)")
    parser.add_argument("--statistic", action="append", help="repeatable (mean, median, q05, q95)")
    parser.add_argument(
        "--workers", type=int, default=1, help="1: this process; K > 1: K processes"
    )


def _run_sweep(args: argparse.Namespace) -> int:
    """Run a grid sweep; write sweep.nc, sweep.csv and a figure (one or two parameters)."""
    from simlab import plot
    from simlab.experiment import process_pool
    from simlab.sensitivity import sweep

    grid: dict[str, list[float] | list[str]] = {}
    for text in args.param:
        path, values = _parse_param(text)
        if path in grid:
            raise UsageError(f"{PROG}: error: --param {path!r} given twice")
        grid[path] = values
    stats = args.statistic or ["mean", "median", "q05", "q95"]
    common = {"draws": args.draws, "seed": args.seed, "statistic": stats, **_target(args)}
    if args.workers == 1:
        da = sweep(args.scenario, grid, args.metric, **common)
    else:
        with process_pool(args.workers) as pool:
            da = sweep(args.scenario, grid, args.metric, executor=pool, **common)
    out = _out_dir(args)
    da.to_netcdf(out / "sweep.nc", engine="h5netcdf")
    frame = da.to_dataframe().reset_index()
    frame.to_csv(out / "sweep.csv", index=False)
    wide = frame.pivot_table(index=list(grid), columns="statistic", values=da.name)
    in_units = [s for s in stats if s != "p_negative"]
    _print_frame(wide.reset_index(), [*grid, *stats], limit=30, metric=args.metric, scaled=in_units)
    written = ["sweep.nc", "sweep.csv"]
    stat = "median" if "median" in stats else stats[0]
    if len(grid) == 2:
        written += _save_figure(lambda: plot.heatmap(da, statistic=stat), out / "sweep.png")
    elif len(grid) == 1:
        written += _save_figure(lambda: plot.sweep_line(da), out / "sweep.png")
    print(f"\nwrote {', '.join(written)} to {out}")
    return EXIT_OK


def _parameters(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


def _args_sobol(parser: argparse.ArgumentParser) -> None:
    _args_target(parser)
    parser.add_argument("--n", type=int, default=1024, help="base sample size, a power of 2")
    parser.add_argument("--parameters", metavar="PATH,...", help="only these parameters")


def _run_sobol(args: argparse.Namespace) -> int:
    """Estimate Sobol' indices; write sobol.csv and sobol.png."""
    from simlab import plot
    from simlab.sensitivity import sobol

    df = sobol(
        args.scenario,
        args.metric,
        n=args.n,
        seed=args.seed,
        parameters=_parameters(args.parameters),
        **_target(args),
    )
    out = _out_dir(args)
    shown = df.sort_values("ST", ascending=False)
    _print_frame(shown, ["parameter", "S1", "S1_conf", "ST", "ST_conf"])
    df.to_csv(out / "sobol.csv")
    written = ["sobol.csv", *_save_figure(lambda: plot.sobol_bars(df), out / "sobol.png")]
    print(f"\nwrote {', '.join(written)} to {out}")
    return EXIT_OK


def _args_morris(parser: argparse.ArgumentParser) -> None:
    _args_target(parser)
    parser.add_argument("--trajectories", type=int, default=20, help="trajectories (20)")
    parser.add_argument("--levels", type=int, default=4, help="grid levels, even (4)")
    parser.add_argument("--parameters", metavar="PATH,...", help="only these parameters")


def _run_morris(args: argparse.Namespace) -> int:
    """Screen parameters by elementary effects; write morris.csv and morris.png."""
    from simlab import plot
    from simlab.sensitivity import morris

    df = morris(
        args.scenario,
        args.metric,
        trajectories=args.trajectories,
        levels=args.levels,
        seed=args.seed,
        parameters=_parameters(args.parameters),
        **_target(args),
    )
    out = _out_dir(args)
    effects = ["mu", "mu_star", "sigma", "mu_star_conf"]
    _print_frame(df, ["parameter", *effects], metric=args.metric, scaled=effects)
    df.to_csv(out / "morris.csv")
    written = ["morris.csv", *_save_figure(lambda: plot.morris(df), out / "morris.png")]
    print(f"\nwrote {', '.join(written)} to {out}")
    return EXIT_OK


# --- plot ---------------------------------------------------------------------------------

_PLOT_KINDS = ("fan", "shares", "distribution")


def _args_plot(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", metavar="RESULTS.nc", help="a file written by simlab run")
    parser.add_argument("--kind", choices=_PLOT_KINDS, default="fan", help="the figure (fan)")
    parser.add_argument("--var", default="share", help="fan: the variable over time (share)")
    parser.add_argument("--by", default="provider", help="fan: provider, group or segment")
    parser.add_argument("--who", action="append", help="fan: repeatable; distribution: one")
    parser.add_argument("--metric", default="npv", help="distribution: the metric (npv)")
    parser.add_argument("--year", type=int, help="distribution: a yearly metric's year")
    parser.add_argument("--out", metavar="FILE.png", help="the figure file (KIND.png)")


def _run_plot(args: argparse.Namespace) -> int:
    """Draw a figure of saved results into a PNG file."""
    from simlab import plot
    from simlab.results import load_results

    out = Path(args.out or f"{args.kind}.png")
    if out.suffix.lower() != ".png":
        raise UsageError(f"{PROG}: error: --out {out}: must be a .png file")
    res = load_results(args.results)

    def draw() -> Figure:
        if args.kind == "fan":
            return plot.fan(res, args.var, who=args.who, by=args.by)
        if args.kind == "shares":
            return plot.shares(res)
        if args.who is not None and len(args.who) > 1:
            raise UsageError(f"{PROG}: error: --who: distribution takes one, got {args.who}")
        who = args.who[0] if args.who else "all"
        return plot.distribution(res, args.metric, who=who, year=args.year)

    if out.parent != Path(""):
        out.parent.mkdir(parents=True, exist_ok=True)
    _save_figure(draw, out)
    print(f"wrote {out}")
    return EXIT_OK


# --- report -------------------------------------------------------------------------------


def _args_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        metavar="RESULTS.nc|NAME|FILE",
        help="saved results (simlab run --out), or a scenario to run first",
    )
    parser.add_argument("--out", metavar="FILE.html", help="the report (NAME.html)")
    parser.add_argument("--draws", type=int, default=1000, help="for a scenario: draws (1000)")
    parser.add_argument("--seed", type=int, default=0, help="for a scenario: random seed (0)")
    parser.add_argument("--no-drivers", action="store_true", help="leave out the claims' drivers")


def _run_report(args: argparse.Namespace) -> int:
    """Write a self-contained HTML report of saved results or of a fresh run."""
    from simlab.report import write_report

    source = Path(args.source)
    if source.suffix == ".nc":
        from simlab.results import load_results

        res = load_results(source)
    else:
        from simlab.experiment import run

        res = run(args.source, draws=args.draws, seed=args.seed)
    out = Path(args.out or f"{res.scenario.name}.html")
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"{PROG}: error: --out {out}: must be an .html file")
    if out.parent != Path(""):
        out.parent.mkdir(parents=True, exist_ok=True)
    write_report(res, out, drivers=not args.no_drivers)
    print(f"wrote {out} ({out.stat().st_size // 1024} kB, self-contained)")
    return EXIT_OK


# --- which assumptions: discover, drivers ----------------------------------------------


def _args_outcome_target(parser: argparse.ArgumentParser) -> None:
    """Add the metric's owner and year and --out, shared by ``discover`` and ``drivers``."""
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--provider", help="whose metric: a provider")
    who.add_argument("--group", help="whose metric: all, open, closed or region=XX (all)")
    parser.add_argument("--year", type=int, help="the calendar year of a yearly metric")
    parser.add_argument("--out", metavar="DIR", default="simlab-out", help="(simlab-out)")


def _args_discover(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", metavar="RESULTS.nc", help="a file written by simlab run")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--claim", help="the outcome: a claim of the run's scenario")
    what.add_argument("--metric", help="the outcome: a metric, with --below and/or --above")
    parser.add_argument("--below", type=float, help="the outcome holds where metric < VALUE")
    parser.add_argument("--above", type=float, help="the outcome holds where metric > VALUE")
    _args_outcome_target(parser)
    parser.add_argument("--method", choices=("prim", "cart"), default="prim", help="(prim)")
    parser.add_argument("--box", type=int, help="prim: the box of the trajectory to show")
    parser.add_argument(
        "--min-coverage", type=float, default=0.5, help="prim: the chosen box keeps this (0.5)"
    )
    parser.add_argument("--max-depth", type=int, default=4, help="cart: tree depth (4)")


def _run_discover(args: argparse.Namespace) -> int:
    """Find where an outcome holds: PRIM's trajectory and box, or CART's leaves."""
    import numpy as np

    from simlab.discover import cart, outcome, prim
    from simlab.discover import plots as dplots
    from simlab.results import load_results

    if args.claim is not None and (args.below is not None or args.above is not None):
        raise UsageError(f"{PROG}: error: --below/--above go with --metric, not --claim")
    res = load_results(args.results)
    if args.claim is not None:
        y = outcome(res, args.claim)
        what = args.claim
    else:
        if args.below is None and args.above is None:
            raise UsageError(f"{PROG}: error: --metric needs --below VALUE and/or --above VALUE")
        y = outcome(
            res,
            metric=args.metric,
            provider=args.provider,
            group=args.group,
            year=args.year,
            below=args.below,
            above=args.above,
        )
        what = args.metric
    out = _out_dir(args)
    print(f"{what}: holds in {_percent(float(np.nanmean(y)))} of {res.draws} draws")
    if args.method == "cart":
        tree = cart(res, y, max_depth=args.max_depth)
        print()
        _print_frame(tree.leaves.reset_index(), ["leaf", "coverage", "density", "mass", "rule"])
        tree.leaves.to_csv(out / "leaves.csv")
        print(f"\nwrote leaves.csv to {out}")
        return EXIT_OK
    found = prim(res, y)
    chosen = found.choose(args.min_coverage) if args.box is None else args.box
    box = found.box(chosen)
    t = found.trajectory
    shown = sorted({*range(0, len(t), max(1, len(t) // 8)), chosen, len(t) - 1})
    print(f"\npeeling trajectory: {len(t)} boxes (all in trajectory.csv; pick one with --box)\n")
    _print_frame(
        t.loc[shown].reset_index(),
        ["box", "coverage", "density", "mass", "restricted", "qp_max"],
        limit=len(shown),
    )
    print()
    print(box)
    t.to_csv(out / "trajectory.csv")
    box.limits.to_csv(out / "box.csv")
    written = ["trajectory.csv", "box.csv"]
    written += _save_figure(lambda: dplots.trajectory(found, chosen=chosen), out / "trajectory.png")
    written += _save_figure(lambda: dplots.box_limits(box), out / "box.png")
    print(f"\nwrote {', '.join(written)} to {out}")
    return EXIT_OK


def _args_drivers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", metavar="RESULTS.nc", help="a file written by simlab run")
    parser.add_argument("--metric", required=True, help="a metric, e.g. npv, share_final")
    _args_outcome_target(parser)
    parser.add_argument(
        "--methods",
        metavar="M,M,...",
        help="of spearman, srrc, prcc, contribution, delta, pawn, rbd_fast (all)",
    )
    parser.add_argument("--top", type=int, default=15, help="inputs printed and plotted (15)")


def _run_drivers(args: argparse.Namespace) -> int:
    """Rank the inputs of saved results by how much they drive a metric."""
    import pandas as pd

    from simlab.discover import drivers
    from simlab.discover import plots as dplots
    from simlab.results import load_results

    if args.top < 1:
        raise UsageError(f"{PROG}: error: --top must be >= 1, got {args.top}")
    from simlab.discover import GIVEN_DATA, RANK_METHODS

    res = load_results(args.results)
    methods = (
        [m.strip() for m in args.methods.split(",") if m.strip()]
        if args.methods
        else [*RANK_METHODS, *GIVEN_DATA]
    )
    table = drivers(
        res,
        args.metric,
        provider=args.provider,
        group=args.group,
        year=args.year,
        methods=methods,
    )
    out = _out_dir(args)
    table.to_csv(out / "drivers.csv")
    written = ["drivers.csv"]
    shown = table
    if isinstance(table.index, pd.MultiIndex):  # a yearly metric over every year
        last = max(y for y, _ in table.index)
        print(f"every year in drivers.csv; shown: {last}")
        shown = table.loc[last]
    r2 = table.attrs["rank_r2"]
    r2_text = f"{r2:.2f}" if isinstance(r2, float) else "by year"
    print(f"{args.metric}: {table.attrs['draws']} draws; rank regression R2 {r2_text}\n")
    _print_frame(shown.reset_index(), ["input", *shown.columns], limit=args.top)
    column = methods[0]
    written += _save_figure(
        lambda: dplots.drivers_bars(shown, column=column, top=args.top), out / "drivers.png"
    )
    print(f"\nwrote {', '.join(written)} to {out}")
    return EXIT_OK


# --- hindcast ----------------------------------------------------------------------------


def _args_hindcast(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario", nargs="?", default="history-2023", help="a hindcast (history-2023)"
    )
    parser.add_argument(
        "--observations",
        metavar="FILE",
        help="an observations file or shipped name (default: the scenario's name)",
    )
    parser.add_argument("--draws", type=int, default=2000, help="draws of the run scored (2000)")
    parser.add_argument("--seed", type=int, default=1, help="seed (1)")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="calibrate by history matching first, then score the calibrated draws",
    )
    parser.add_argument(
        "--calibration-draws", type=int, default=20000, help="draws over all waves (20000)"
    )
    parser.add_argument("--waves", type=int, default=10, help="history-matching waves (10)")
    parser.add_argument(
        "--discrepancy",
        type=float,
        default=None,
        help="relative model discrepancy (default: the observations file's)",
    )
    parser.add_argument("--cut", type=float, default=3.0, help="implausibility cut (3)")
    parser.add_argument(
        "--skip",
        action="append",
        metavar="ID",
        help="an observation left out of the calibration (repeatable; still scored; "
        "default: the observations file's [calibration] skip)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="1: this process; K > 1: K processes"
    )
    parser.add_argument("--out", metavar="DIR", default="simlab-out", help="(simlab-out)")


def _run_hindcast(args: argparse.Namespace) -> int:
    """Score a hindcast against observations (calibrated first with --calibrate).

    Prints the table (observed, the model's median and 90 % interval, implausibility) and
    writes hindcast.csv and hindcast.png (model bands vs observed points); with
    --calibrate also calibration.csv (the kept draws and weights), shrinkage.csv and
    binding.csv.
    """
    import contextlib

    from simlab.calibration import calibrate, load_observations, score
    from simlab.calibration.plots import hindcast
    from simlab.experiment import process_pool, run, simulate
    from simlab.scenario.load import load_scenario

    if args.workers < 1:
        raise UsageError(f"{PROG}: error: --workers must be >= 1, got {args.workers}")
    scenario = load_scenario(args.scenario)
    observations = load_observations(args.observations or scenario.name, scenario=scenario)
    out = _out_dir(args)
    written = ["hindcast.csv"]
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(process_pool(args.workers)) if args.workers > 1 else None
        if args.calibrate:
            cal = calibrate(
                scenario,
                observations,
                draws=args.calibration_draws,
                seed=args.seed,
                waves=args.waves,
                cut=args.cut,
                discrepancy=args.discrepancy,
                skip=None
                if args.skip is None
                else [k.strip() for item in args.skip for k in item.split(",") if k],
                executor=pool,
            )
            table = cal.table()
            res = simulate(scenario, cal.resample(args.draws, args.seed), paths=True)
            print(
                f"{scenario.name}: calibrated on {len(observations) - len(cal.skipped)} "
                f"observations, {len(cal.inputs)} of {args.calibration_draws} draws kept "
                f"(effective sample size {cal.ess:.0f}); {args.draws} resampled draws shown"
            )
            cal.inputs.to_csv(out / "calibration.csv")
            cal.shrinkage().to_csv(out / "shrinkage.csv")
            cal.binding().to_csv(out / "binding.csv")
            written += ["calibration.csv", "shrinkage.csv", "binding.csv"]
            title = f"{scenario.name}, calibrated: model vs observations"
        else:
            res = run(scenario, draws=args.draws, seed=args.seed, paths=True, executor=pool)
            table = score(res, observations)
            print(f"{scenario.name}: {res.draws} draws of the prior, seed {args.seed}")
            title = None
    table.to_csv(out / "hindcast.csv")
    shown = table.reset_index()
    shown["ok"] = ["yes" if v else "NO" for v in shown["within_tolerance"]]
    print()
    _print_frame(
        shown,
        ["observation", "when", "observed", "median", "q05", "q95", "implausibility", "ok"],
        limit=len(shown),
    )
    written += _save_figure(lambda: hindcast(res, observations, title=title), out / "hindcast.png")
    print(f"\nwrote {', '.join(written)} to {out}")
    return EXIT_OK


# --- the registry ------------------------------------------------------------------------

COMMANDS: tuple[Command, ...] = (
    Command("list", "print the catalog of shipped scenarios", _args_list, _run_list),
    Command("show", "print a scenario's parameters with their sources", _args_show, _run_show),
    Command(
        "validate",
        "check scenario files: ok, or one clear error per file",
        _args_validate,
        _run_validate,
    ),
    Command(
        "run",
        "run a scenario's Monte Carlo draws; print and save the summary, claims and plots",
        _args_run,
        _run_run,
    ),
    Command("tornado", "swing each uncertain parameter one at a time", _args_tornado, _run_tornado),
    Command(
        "sweep",
        "run a grid of parameter values; write netCDF, CSV and a figure",
        _args_sweep,
        _run_sweep,
    ),
    Command(
        "sobol", "Sobol' first-order and total indices with intervals", _args_sobol, _run_sobol
    ),
    Command("morris", "screen parameters by Morris' elementary effects", _args_morris, _run_morris),
    Command(
        "plot",
        "draw a figure of saved results (simlab run --out) into a PNG",
        _args_plot,
        _run_plot,
    ),
    Command(
        "report",
        "write one self-contained HTML report of saved results or of a scenario's run",
        _args_report,
        _run_report,
    ),
    Command(
        "discover",
        "under which assumptions does an outcome hold? PRIM boxes or CART rules",
        _args_discover,
        _run_discover,
    ),
    Command(
        "drivers",
        "rank the inputs of saved results by how much they drive a metric",
        _args_drivers,
        _run_drivers,
    ),
    Command(
        "hindcast",
        "score a hindcast against observations (--calibrate: history matching first)",
        _args_hindcast,
        _run_hindcast,
    ),
)
"""Every sub-command, in the order ``simlab --help`` shows them."""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with one sub-parser per entry of :data:`COMMANDS`.

    Returns
    -------
    argparse.ArgumentParser
        A parser whose ``error`` raises :class:`UsageError` rather than exiting.
    """
    parser = _Parser(
        prog=PROG,
        description=(
            "Simulate the market for open-weight vs closed AI models: shares, prices "
            "and whether capex pays back, under uncertainty."
        ),
        epilog="exit codes: 0 ok, 2 bad input, 1 internal error (SIMLAB_DEBUG=1 for a traceback)",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for command in COMMANDS:
        child = sub.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(child)
        child.set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``simlab`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        The exit code: 0 success, 2 bad input, 1 internal error.
    """
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in == ["--version"]:  # answered before the sub-commands' parsers import numpy
        print(f"{PROG} {__version__}")
        return EXIT_OK
    debug = os.environ.get("SIMLAB_DEBUG", "") == "1"
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            try:
                args = build_parser().parse_args(args_in)
            except SystemExit as done:  # --help and --version print and exit
                return int(done.code or 0)
            if args.command is None:
                names = ", ".join(c.name for c in COMMANDS)
                raise UsageError(f"{PROG}: error: no command given (choose from {names})")
            _check_outputs(args)
            return int(args.handler(args))
        except UsageError as exc:
            return _fail(str(exc), EXIT_USAGE, debug=False)
        except SimlabError as exc:
            return _fail(f"{PROG}: error: {exc}", EXIT_USAGE, debug=debug)
        except KeyboardInterrupt:
            return _fail(f"{PROG}: interrupted", 130, debug=False)
        except BrokenPipeError:  # e.g. `simlab list | head -1`: the reader has gone
            _silence_stdout()
            return EXIT_OK
        except Exception as exc:
            return _fail(
                f"{PROG}: internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL, debug=debug
            )


# --- helpers -----------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


#: The longest error or warning line the command prints (characters).
MAX_LINE = 1000


def _bounded(text: str, limit: int = MAX_LINE) -> str:
    """Cut a line to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    keep = limit - 40  # room for the note, which is under 40 characters
    return f"{text[:keep]} ... ({len(text) - keep} more characters)"


def _fail(message: str, code: int, *, debug: bool) -> int:
    if debug:
        traceback.print_exc(file=sys.stderr)
    print(_bounded(_one_line(message)), file=sys.stderr)
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. captured in tests)
        pass


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning as one ``simlab: warning: ...`` line, without the source line.

    Only simlab's own warnings (statistical caveats, dead parameters) are shown; numpy's,
    pandas' and other libraries' appear with ``SIMLAB_DEBUG=1`` only, so that bad input
    ends in exactly one error line.
    """
    from simlab.errors import SimlabWarning

    if not issubclass(category, SimlabWarning) and os.environ.get("SIMLAB_DEBUG", "") != "1":
        return
    print(_bounded(_one_line(f"{PROG}: warning: {message}")), file=sys.stderr)


def _print_table(headers: list[str], rows: list[list[str]], out: TextIO) -> None:
    """Print left-aligned columns separated by two spaces, with a rule under the header."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    print(line(headers), file=out)
    print(line(["-" * w for w in widths]), file=out)
    for row in rows:
        print(line(row), file=out)
