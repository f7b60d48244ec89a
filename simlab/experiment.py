"""Experiments: draw the inputs, cut the draws into blocks, run them, assemble Results.

A Monte Carlo run (:func:`run`) follows DESIGN.md's principles 2 and 6:

1. all randomness is drawn up front into the inputs table (:func:`sample_inputs`), seeded
   by block with :class:`numpy.random.SeedSequence`, never by worker;
2. the draws are cut into fixed blocks of ``block_size``; each block is a deterministic
   function of the scenario and its rows of the table (:func:`simulate_block`);
3. blocks run in this process, in a process pool or on any
   :class:`concurrent.futures.Executor` (e.g. ``dask.distributed.Client.get_executor()``),
   and are put back in block order, so the numbers are bit-identical whatever ran them;
4. with a checkpoint folder, each finished block is saved (:mod:`simlab.checkpoint`) and
   a rerun skips it.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simlab._version import __version__
from simlab.checkpoint import Checkpoint
from simlab.claims import parse_claim
from simlab.engine import inputs_to_values, validate_inputs
from simlab.engine.metrics import BlockMetrics, run_and_reduce
from simlab.errors import ScenarioError, SimlabWarning, SimulationError
from simlab.executors import resolve_executor, tune_worker_allocator
from simlab.guard import check_block
from simlab.metrics import metric_names, suggest_metric
from simlab.precision import Precision, precision_reached
from simlab.progress import check_progress
from simlab.resources import MAX_SEED, check_memory, run_bytes
from simlab.results import (
    Results,
    ResultsBuilder,
    assemble,
    scenario_from_json,
    scenario_to_json,
)
from simlab.scenario.load import Scenario, load_scenario
from simlab.uncertainty import SAMPLERS, correlation_matrix, sample_table

__all__ = ["process_pool", "run", "sample_inputs", "simulate", "simulate_block"]

DEFAULT_BLOCK = 1024

ExecutorLike = str | cf.Executor | None


def _scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(Path(scenario) if isinstance(scenario, os.PathLike) else scenario)
    raise ScenarioError(
        f"scenario must be a Scenario, a catalog name or a path, got {type(scenario).__name__}"
    )


def _check_block_size(block_size: int) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ScenarioError(f"block_size must be a positive integer, got {block_size!r}")
    return block_size


def _check_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ScenarioError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_seed(seed: object) -> int:
    value = _check_count("seed", seed, 0)
    if value > MAX_SEED:
        raise ScenarioError(f"seed must be an integer in [0, 2**63 - 1], got {seed!r}")
    return value


def _check_sampler(sampler: object) -> str:
    if sampler not in SAMPLERS:
        raise ScenarioError(
            f"unknown sampler {sampler!r}; allowed: {', '.join(SAMPLERS)} "
            "(plain Monte Carlo, Latin hypercube, scrambled Sobol')"
        )
    return str(sampler)


def _blocks(draws: int, block_size: int) -> list[tuple[int, int, int]]:
    """Return ``(block, start, stop)`` for each block of the run."""
    return [
        (b, start, min(draws, start + block_size))
        for b, start in enumerate(range(0, draws, block_size))
    ]


# --------------------------------------------------------------------------- one block
def simulate_block(
    scenario: Scenario,
    inputs: pd.DataFrame | None,
    start: int,
    stop: int,
    paths: bool,
    *,
    offset: int = 0,
) -> BlockMetrics:
    """Run draws ``start:stop`` of a validated inputs table and reduce them to metrics.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    inputs : pandas.DataFrame or None
        A table from :func:`~simlab.engine.validate_inputs`; None for one draw of the
        point values.
    start, stop : int
        The rows to run.
    paths : bool
        Also keep per-step paths (float32).
    offset : int
        The run's index of the table's row 0, when ``inputs`` is a slice of a larger
        table; error messages then name the draw of the whole run.

    Returns
    -------
    BlockMetrics

    Raises
    ------
    SimulationError
        If a stored metric is infinite, or NaN where no documented reason allows it
        (:func:`simlab.guard.check_block`).
    """
    values = inputs_to_values(scenario, inputs, start, stop)
    if offset:
        values = dataclasses.replace(values, offset=values.offset + offset)
    return check_block(scenario, values, run_and_reduce(scenario, values, paths=paths))


def simulate(
    scenario: Scenario | str,
    inputs: pd.DataFrame | None = None,
    paths: bool = False,
    block_size: int = DEFAULT_BLOCK,
) -> Results:
    """Run the deterministic model on an inputs table (no randomness here).

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a catalog name or path to load.
    inputs : pandas.DataFrame, optional
        One row per draw, one column per parameter path that varies; paths not in the
        table take the scenario's point values. With none, one draw of the point values.
    paths : bool
        Also keep per-step paths (float32) in ``Results.paths``.
    block_size : int
        Draws simulated together in one simpy environment (memory stays flat).

    Returns
    -------
    Results

    Raises
    ------
    ScenarioError
        If the inputs table names unknown paths or holds values outside their range.
    SimulationError
        If a draw's state becomes non-finite (the message names the draw and its inputs).

    Examples
    --------
    >>> import simlab
    >>> res = simlab.simulate("baseline-2025")
    >>> res.draws
    1
    """
    sc = _scenario(scenario)
    _check_block_size(block_size)
    table = validate_inputs(sc, inputs) if inputs is not None else None
    n = len(table) if table is not None else 1
    blocks = [
        simulate_block(sc, table, start, min(n, start + block_size), paths)
        for start in range(0, n, block_size)
    ]
    shown = table if table is not None else pd.DataFrame(index=pd.RangeIndex(1, name="draw"))
    return assemble(sc, blocks, shown)


# --------------------------------------------------------------------------- inputs
def _correlations(scenario: Scenario) -> np.ndarray | None:
    pairs = [(c.paths[0], c.paths[1], c.rho) for c in scenario.spec.correlations]
    if not pairs:
        return None
    return correlation_matrix(pairs, list(scenario.uncertain))


def sample_inputs(
    scenario: Scenario | str,
    draws: int,
    seed: int,
    sampler: str = "mc",
    block_size: int = DEFAULT_BLOCK,
) -> pd.DataFrame:
    """Draw the inputs table of a run: every uncertain figure, one row per draw.

    Seeding starts from ``numpy.random.SeedSequence(seed)``:

    - ``"mc"``: the rows of block ``b`` (draws ``b * block_size`` onwards) come from a
      generator of their own, ``SeedSequence(seed, spawn_key=(b,))``, so a block's draws
      do not depend on how many blocks the run has, nor on who runs them. The scenario's
      rank correlations are imposed with Iman–Conover within each block.
    - ``"lhs"`` and ``"sobol"``: one design over all ``draws`` (the strata or the Sobol'
      net span the whole run), from a generator seeded with ``SeedSequence(seed)``;
      correlations are imposed over the whole table. ``block_size`` plays no part.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a catalog name or path.
    draws : int
        Number of rows, at least 1.
    seed : int
        A non-negative integer.
    sampler : {"mc", "lhs", "sobol"}
        How the unit hypercube is covered (see :func:`simlab.uncertainty.unit_sample`).
    block_size : int
        The block size of the run (matters for ``"mc"`` only).

    Returns
    -------
    pandas.DataFrame
        Index ``draw``; one column per uncertain parameter path, in the order of
        ``scenario.uncertain``; date parameters as ``datetime64[ns]``. A scenario with no
        uncertain parameter gives ``draws`` rows and no column.

    Raises
    ------
    ScenarioError
        For an invalid argument.

    Warns
    -----
    SimlabWarning
        For ``"sobol"`` when ``draws`` is not a power of 2.

    Examples
    --------
    >>> table = simlab.sample_inputs("baseline-2025", draws=8, seed=7)  # doctest: +SKIP
    >>> table.shape[0]  # doctest: +SKIP
    8
    """
    sc = _scenario(scenario)
    draws = _check_count("draws", draws, 1)
    seed = _check_seed(seed)
    sampler = _check_sampler(sampler)
    block_size = _check_block_size(block_size)
    check_memory(
        f"sample_inputs(draws={draws:,}, sampler={sampler!r})",
        float(draws) * 8 * (1 + len(sc.uncertain)) * (4 if sampler != "mc" else 1),
        "use fewer draws",
    )
    if sampler == "mc":
        parts = [
            _mc_block(sc, seed, b, start, stop) for b, start, stop in _blocks(draws, block_size)
        ]
        return _concat(parts, draws)
    if not sc.uncertain:
        return pd.DataFrame(index=pd.RangeIndex(draws, name="draw"))
    table = sample_table(
        sc.uncertain, draws, np.random.SeedSequence(seed), sampler, _correlations(sc)
    )
    table.index = pd.RangeIndex(draws, name="draw")
    return table


def _mc_block(scenario: Scenario, seed: int, block: int, start: int, stop: int) -> pd.DataFrame:
    """Rows ``start:stop`` (block ``block``) of a Monte Carlo inputs table.

    Drawn from the block's own stream, ``SeedSequence(seed, spawn_key=(block,))``, so any
    process can draw any block.
    """
    index = pd.RangeIndex(start, stop, name="draw")
    if not scenario.uncertain:
        return pd.DataFrame(index=index)
    stream = np.random.SeedSequence(seed, spawn_key=(block,))
    part = sample_table(scenario.uncertain, stop - start, stream, "mc", _correlations(scenario))
    part.index = index
    return part


def _concat(parts: list[pd.DataFrame], draws: int) -> pd.DataFrame:
    table = pd.concat(parts) if len(parts) > 1 else parts[0].copy()
    table.index = pd.RangeIndex(draws, name="draw")
    return table


# --------------------------------------------------------------------------- executors
@dataclasses.dataclass(frozen=True)
class _Job:
    """One block, as sent to a worker: plain data, no Scenario object.

    The scenario travels as its resolved document (JSON text) and is rebuilt once per
    worker process with :meth:`Scenario.from_dict` (see :func:`_worker_scenario`). Under
    ``"mc"`` the worker draws the block's inputs itself from the block's seed stream, so
    drawing is spread over the workers too; under ``"lhs"``/``"sobol"`` the rows of the
    one design come with the job.
    """

    document: str
    origin: str
    scenario_hash: str
    seed: int
    block: int
    start: int
    stop: int
    paths: bool
    inputs: pd.DataFrame | None = None
    keep: tuple[str, ...] | None = None  # metrics to send back (None: all)


_WORKER_SCENARIOS: dict[str, Scenario] = {}


def _worker_scenario(job: _Job) -> Scenario:
    scenario = _WORKER_SCENARIOS.get(job.scenario_hash)
    if scenario is None:
        if len(_WORKER_SCENARIOS) >= 8:
            _WORKER_SCENARIOS.clear()
        scenario = scenario_from_json(job.document, job.origin, job.scenario_hash)
        _WORKER_SCENARIOS[job.scenario_hash] = scenario
    return scenario


def _simulate_rows(
    scenario: Scenario,
    seed: int,
    block: int,
    start: int,
    stop: int,
    paths: bool,
    inputs: pd.DataFrame | None,
) -> tuple[pd.DataFrame, BlockMetrics]:
    """Draw (under "mc") or take a block's inputs, and simulate them."""
    if inputs is None:
        inputs = _mc_block(scenario, seed, block, start, stop)
    table = validate_inputs(scenario, inputs)
    return inputs, simulate_block(scenario, table, 0, stop - start, paths, offset=start)


def _run_job(job: _Job) -> tuple[pd.DataFrame, BlockMetrics]:
    """Run one block in a worker (a top-level function, so "spawn" pools can import it)."""
    tune_worker_allocator()  # dask's workers fix glibc's malloc thresholds: 3.2x slower
    scenario = _worker_scenario(job)
    inputs, metrics = _simulate_rows(
        scenario, job.seed, job.block, job.start, job.stop, job.paths, job.inputs
    )
    # Only the metrics the run keeps travel back (every metric is ~12 kB a draw).
    return inputs, metrics if job.keep is None else keep_metrics(metrics, set(job.keep))


_MAIN_GUARD = (
    "the worker processes could not start: a script that runs with executor='processes' "
    "(or process_pool) must put its code under a main guard, i.e. indent it below "
    'if __name__ == "__main__":  (each worker imports the script; see docs/distributed.md)'
)


def process_pool(workers: int | None = None) -> cf.ProcessPoolExecutor:
    """Return a process pool for :func:`run`, started with the "spawn" method.

    "spawn" starts each worker as a fresh interpreter (the default on macOS and Windows):
    slower to start than "fork", but safe in a process that holds threads (a progress
    bar, a dask client). A script that uses it must guard its entry point with
    ``if __name__ == "__main__":``.

    Parameters
    ----------
    workers : int, optional
        Number of worker processes; all cores (``os.cpu_count()``) when omitted.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        Shut it down when done (use it in a ``with`` block).

    Raises
    ------
    SimulationError
        If the workers cannot start, e.g. because the script has no main guard.
    """
    if workers is not None:
        workers = _check_count("workers", workers, 1)
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # A spawned worker is importing the script that started it, and the script
        # starts a pool again: its code is not under a main guard. Leave quietly; the
        # parent sees its workers fail and says why, once.
        raise SystemExit(1)
    count = workers or os.cpu_count() or 1
    pool = cf.ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_watch_parent,
        initargs=(os.getpid(),),
    )
    # Workers run one BLAS thread each: the pool already uses every core, and BLAS
    # threads of several workers fighting over the same cores slowed two workers on two
    # cores to 1.65x of one. A spawned worker inherits the environment it starts in, so
    # start them all now, with the thread limits set (unless the user set their own).
    limits = {name: "1" for name in _BLAS_THREADS if name not in os.environ}
    saved = dict(os.environ)
    os.environ.update(limits)
    try:
        for started in [pool.submit(os.getpid) for _ in range(count)]:
            started.result()
    except cf.process.BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        raise SimulationError(_MAIN_GUARD) from None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return pool


_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: How often a pool worker checks that the process that started it is alive (seconds).
PARENT_CHECK = 1.0


def _watch_parent(parent: int) -> None:
    """Start a thread that ends this worker when its parent has died.

    A parent killed with SIGKILL cannot shut its pool down; its workers would otherwise
    live on (and keep multiprocessing's resource tracker alive). The worker is re-parented
    when its parent dies, so a change of ``os.getppid()`` is the signal.
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(3)

    threading.Thread(target=watch, name="simlab-parent-watch", daemon=True).start()


def _kept_metrics(scenario: Scenario, metrics: Sequence[str] | None) -> set[str] | None:
    """Validate ``run(metrics=...)``: the names to keep, with the claims' metrics added."""
    if metrics is None:
        return None
    if (
        isinstance(metrics, str)
        or not isinstance(metrics, Sequence | set | frozenset)
        or not all(isinstance(m, str) for m in metrics)
    ):
        raise ScenarioError(f"metrics must be a list of metric names, got {metrics!r}")
    known = metric_names()
    for name in metrics:
        if name not in known:
            hint = suggest_metric(name, known)
            raise ScenarioError(
                f"metrics: unknown metric {name!r}{hint} (metrics: {', '.join(known)})"
            )
    keep = set(metrics)
    for claim in scenario.spec.claims.values():
        keep.update(term.metric for term in parse_claim(claim.expr, scenario).terms)
    return keep


def keep_metrics(block: BlockMetrics, keep: set[str]) -> BlockMetrics:
    """Return a block's metrics with only the metrics named in ``keep`` (and per-draw ones)."""

    def only(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: v for k, v in d.items() if k in keep}

    return dataclasses.replace(
        block,
        provider=only(block.provider),
        group=only(block.group),
        yearly_provider=only(block.yearly_provider),
        yearly_group=only(block.yearly_group),
    )


def _check_executor(executor: object) -> ExecutorLike:
    executor = resolve_executor(executor)  # the pool of a simlab.pool() block
    if executor is None or isinstance(executor, cf.Executor) or executor == "processes":
        return executor
    raise ScenarioError(
        f"executor must be None (this process), 'processes' (a pool over all cores) or a "
        f"concurrent.futures.Executor (e.g. dask.distributed Client.get_executor()), "
        f"got {executor!r}"
    )


@contextmanager
def _pool(executor: ExecutorLike) -> Iterator[cf.Executor]:
    if isinstance(executor, cf.Executor):
        yield executor  # the caller's: not ours to shut down
        return
    pool = process_pool()
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _run_on(
    executor: cf.Executor,
    jobs: list[_Job],
    finish: Callable[[int, int, int, pd.DataFrame, BlockMetrics], None],
) -> None:
    """Submit every job, then hand each result to ``finish`` as soon as it arrives.

    Finished futures are dropped at once, so memory holds only the blocks in flight.
    """
    pending: dict[cf.Future[tuple[pd.DataFrame, BlockMetrics]], _Job] = {}
    try:
        for job in jobs:
            pending[executor.submit(_run_job, job)] = job
        while pending:
            done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                finish(job.block, job.start, job.stop, *future.result())
    finally:
        for future in pending:
            future.cancel()


def _progress_bar(progress: bool | None, draws: int, name: str) -> Any:
    from simlab.progress import progress_bar

    return progress_bar(progress, draws, name, "draw")


# --------------------------------------------------------------------------- run
def run(
    scenario: Scenario | str,
    draws: int,
    seed: int,
    sampler: str = "mc",
    executor: ExecutorLike = None,
    block_size: int = DEFAULT_BLOCK,
    paths: bool = False,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    metrics: Sequence[str] | None = None,
    until: float | Precision | None = None,
) -> Results:
    """Run a Monte Carlo experiment: draw the inputs, simulate them block by block.

    The inputs table is drawn first (:func:`sample_inputs`); the draws are then cut into
    fixed blocks of ``block_size``, each simulated by :func:`simulate_block` and reduced to
    metrics at once, and the blocks are put together in block order. The same scenario,
    seed, sampler, draws and block size give bit-identical results whatever the executor,
    the number of workers, or whether the run was interrupted and resumed.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a catalog name or path to load.
    draws : int
        Number of draws, at least 1.
    seed : int
        A non-negative integer; see :func:`sample_inputs` for how it seeds each block.
    sampler : {"mc", "lhs", "sobol"}
        Plain Monte Carlo, Latin hypercube or scrambled Sobol' points.
    executor : None, "processes" or concurrent.futures.Executor
        Where blocks run: None in this process; ``"processes"`` a pool over all cores
        (see :func:`process_pool`; guard scripts with ``if __name__ == "__main__":``); or
        any executor, e.g. a :func:`process_pool` of your own or
        ``dask.distributed.Client(...).get_executor()``. An executor you pass is left
        running. Inside a :func:`simlab.pool` block, None and ``"processes"`` mean that
        block's pool. Workers get the scenario as its resolved document, not as a
        Python object.
    block_size : int
        Draws simulated together in one simpy environment.
    paths : bool
        Also keep per-step paths (float32; memory grows with draws x steps).
    checkpoint : str or os.PathLike, optional
        A folder in which each finished block is saved (see :mod:`simlab.checkpoint`);
        rerunning with the same arguments skips the blocks found there.
    progress : bool, optional
        Show a progress bar over draws; by default in a notebook or a terminal (see
        :mod:`simlab.progress`), never with False.
    metrics : sequence of str, optional
        Keep only these per-draw metrics (names in :data:`simlab.metrics.METRICS`; the
        scenario's claims' metrics are always kept). Memory then
        grows with what is kept: all of them take about 4.3 kB a draw on the baseline, so
        a 10^6-draw run that needs three of them should say so.
    until : float or Precision, optional
        Run only as many draws as a precision needs: blocks are added (in block order,
        a batch at a time, sized from the standard error so far) until the standard
        error of every claim's probability is at most ``until`` (a float), or of what a
        :class:`~simlab.precision.Precision` names (some claims, or a metric's
        quantile); ``draws`` is then the budget. The result equals
        ``run(scenario, draws=n, seed=seed)`` for its final number of draws ``n``, bit
        for bit. Needs ``sampler="mc"`` (an LHS or Sobol' design depends on the total)
        and no checkpoint.

    Returns
    -------
    Results
        ``metrics.attrs`` hold ``seed``, ``sampler``, ``block_size``, ``scenario_hash``
        and ``simlab_version``; with ``until``, also ``until`` (what was watched),
        ``until_stopped`` (``"target"``, ``"budget"``, or ``"memory"`` when the next
        block would not fit) and ``until_se`` (the largest standard error at the end).

    Raises
    ------
    ScenarioError
        For an invalid argument, or a checkpoint folder of another run or with a damaged
        block file.
    SimulationError
        If a draw's state becomes non-finite.

    Warns
    -----
    SimlabWarning
        If the scenario has no uncertain parameter (every draw is the same), for
        ``"sobol"`` when ``draws`` is not a power of 2, and when ``until``'s target was
        not reached within the budget.

    Examples
    --------
    >>> import simlab
    >>> res = simlab.run("baseline-2025", draws=1000, seed=7)  # doctest: +SKIP
    >>> res.summary()  # doctest: +SKIP

    Every claim's probability to within 0.5 percentage points (one standard error), with
    at most 200,000 draws:

    >>> res = simlab.run("baseline-2025", draws=200_000, seed=7, until=0.005)  # doctest: +SKIP
    >>> res.draws, res.metrics.attrs["until_stopped"]  # doctest: +SKIP
    (10240, 'target')
    """
    sc = _scenario(scenario)
    draws = _check_count("draws", draws, 1)
    seed = _check_seed(seed)
    sampler = _check_sampler(sampler)
    block_size = _check_block_size(block_size)
    executor = _check_executor(executor)
    if not isinstance(paths, bool):
        raise ScenarioError(f"paths must be True or False, got {paths!r}")
    keep = _kept_metrics(sc, metrics)
    check_progress(progress)
    if checkpoint is not None and not isinstance(checkpoint, str | os.PathLike):
        raise ScenarioError(f"checkpoint must be a folder path, got {checkpoint!r}")
    kept = 1.0 if keep is None else len(keep) / max(1, len(metric_names()))
    if until is not None:
        precision = _check_until(sc, until, sampler, checkpoint)
        if keep is not None and precision.metric is not None:
            keep.add(precision.metric)
        if not sc.uncertain:
            raise ScenarioError(
                f"until: scenario {sc.name!r} has no uncertain parameter, so every draw is "
                "the same and more draws cannot make anything more precise"
            )

        def fits(n: int) -> bool:
            try:
                check_memory("", run_bytes(sc, n, paths) * min(1.0, kept + 0.1), "")
            except ScenarioError:
                return False
            return True

        with _progress_bar(progress, draws, sc.name) as bar:
            return _run_until(
                sc, draws, seed, executor, block_size, paths, keep, bar, precision, fits
            )

    check_memory(
        f"run(draws={draws:,}{', paths=True' if paths else ''})",
        run_bytes(sc, draws, paths, design=sampler != "mc") * min(1.0, kept + 0.1),
        "use fewer draws (or until=, which stops when memory runs short), keep fewer "
        "metrics (metrics=...), or no paths",
    )
    # "mc" blocks draw their own rows (in the worker that runs them); "lhs" and "sobol"
    # are one design over all draws, drawn here.
    design = None if sampler == "mc" else sample_inputs(sc, draws, seed, sampler, block_size)
    if not sc.uncertain and draws > 1:
        warnings.warn(
            f"scenario {sc.name!r} has no uncertain parameter: all {draws} draws are "
            'identical (give a figure a distribution, e.g. {dist = "pert", ...})',
            SimlabWarning,
            stacklevel=2,
        )
    identity = {
        "scenario": sc.name,
        "scenario_hash": sc.hash,
        "seed": seed,
        "sampler": sampler,
        "draws": draws,
        "block_size": block_size,
        "paths": paths,
        "metrics": sorted(keep) if keep is not None else "all",
        "simlab_version": __version__,
    }
    store = Checkpoint(Path(checkpoint), identity) if checkpoint is not None else None
    builder = ResultsBuilder(sc, draws)
    parts: dict[int, pd.DataFrame] = {}

    def rows(start: int, stop: int) -> pd.DataFrame | None:
        return None if design is None else design.iloc[start:stop]

    with _progress_bar(progress, draws, sc.name) as bar:

        def finish(
            block: int, start: int, stop: int, inputs: pd.DataFrame, metrics: BlockMetrics
        ) -> None:
            if keep is not None:
                metrics = keep_metrics(metrics, keep)
            if store is not None:
                store.save(block, start, stop, metrics)
            builder.add(start, metrics)
            if design is None:
                parts[block] = inputs
            bar.update(stop - start)

        todo = []
        for block, start, stop in _blocks(draws, block_size):
            if store is not None and store.done(block):
                builder.add(start, store.load(block, start, stop))
                if design is None:
                    parts[block] = _mc_block(sc, seed, block, start, stop)
                bar.update(stop - start)
            else:
                todo.append((block, start, stop))
        if executor is None:
            for block, start, stop in todo:
                found = _simulate_rows(sc, seed, block, start, stop, paths, rows(start, stop))
                finish(block, start, stop, *found)
        elif todo:
            document = scenario_to_json(sc)
            sent_back = tuple(sorted(keep)) if keep is not None else None
            jobs = [
                _Job(
                    document,
                    sc.origin,
                    sc.hash,
                    seed,
                    b,
                    start,
                    stop,
                    paths,
                    rows(start, stop),
                    sent_back,
                )
                for b, start, stop in todo
            ]
            with _pool(executor) as pool:
                _run_on(pool, jobs, finish)

    inputs = design if design is not None else _concat([parts[b] for b in sorted(parts)], draws)
    attrs = {k: identity[k] for k in ("seed", "sampler", "block_size", "scenario_hash")}
    attrs["simlab_version"] = __version__
    return builder.build(inputs, attrs)


# --------------------------------------------------------------------------- until
def _check_until(scenario: Scenario, until: object, sampler: str, checkpoint: object) -> Precision:
    if isinstance(until, Precision):
        precision = until
    elif isinstance(until, int | float) and not isinstance(until, bool):
        precision = Precision(se=float(until))
    else:
        raise ScenarioError(
            "until must be a standard error (a number, e.g. 0.005) or a "
            f"simlab.Precision, got {until!r}"
        )
    if sampler != "mc":
        raise ScenarioError(
            f"until= needs sampler='mc', got {sampler!r}: an LHS or Sobol' design is drawn "
            "for its total number of draws, so it cannot grow block by block"
        )
    if checkpoint is not None:
        raise ScenarioError("until= and checkpoint= cannot be combined; give one of them")
    return precision.check(scenario)


def _run_until(
    sc: Scenario,
    budget: int,
    seed: int,
    executor: ExecutorLike,
    block_size: int,
    paths: bool,
    keep: set[str] | None,
    bar: Any,
    precision: Precision,
    fits: Callable[[int], bool],
) -> Results:
    """Add blocks of draws, in block order, until ``precision`` is met or the budget spent.

    Each block is exactly the block of a fixed run (its rows come from its own seed
    stream), and a run stops only at a block boundary, so the result is the fixed run of
    its final size. After each batch the number of draws still needed is estimated from
    ``se ~ 1 / sqrt(n)`` (10 % more, at least one block). A batch that would not fit in
    memory (:mod:`simlab.resources`) is halved; when not even one more block fits, the
    run stops there (``until_stopped="memory"``), with a warning.
    """
    plan = _blocks(budget, block_size)
    found: dict[int, tuple[pd.DataFrame, BlockMetrics]] = {}

    def finish(block: int, start: int, stop: int, inputs: pd.DataFrame, m: BlockMetrics) -> None:
        found[block] = (inputs, keep_metrics(m, keep) if keep is not None else m)
        bar.update(stop - start)

    def so_far(attrs: dict[str, Any] | None = None) -> Results:
        order = sorted(found)
        inputs = _concat([found[b][0] for b in order], plan[order[-1]][2])
        return assemble(sc, [found[b][1] for b in order], inputs, attrs)

    done, batch = 0, max(1, -(-precision.min_draws // block_size))
    with ExitStack() as stack:
        pool = None if executor is None else stack.enter_context(_pool(executor))
        while True:
            batch = min(batch, len(plan) - done)
            while batch > 1 and not fits(plan[done + batch - 1][2] * 2):
                batch //= 2  # the draws so far and their assembled Results, side by side
            if not fits(plan[done + batch - 1][2] * 2):
                stopped = "memory"
                break
            todo = plan[done : done + batch]
            if pool is None:
                for block, start, stop in todo:
                    finish(
                        block,
                        start,
                        stop,
                        *_simulate_rows(sc, seed, block, start, stop, paths, None),
                    )
            else:
                document = scenario_to_json(sc)
                sent_back = tuple(sorted(keep)) if keep is not None else None
                jobs = [
                    _Job(document, sc.origin, sc.hash, seed, b, a, z, paths, None, sent_back)
                    for b, a, z in todo
                ]
                _run_on(pool, jobs, finish)
            done += len(todo)
            reached, worst = precision_reached(so_far(), precision)
            if reached or done == len(plan):
                stopped = "target" if reached else "budget"
                break
            n = plan[done - 1][2]
            needed = n * (worst / precision.se) ** 2 * 1.1 - n
            batch = int(min(len(plan) - done, max(1, np.ceil(needed / block_size))))
    if not done:
        raise ScenarioError(
            f"run(until=...): not even one block of {block_size} draws fits in memory; "
            "use a smaller block_size, keep fewer metrics (metrics=...), or no paths"
        )
    draws = plan[done - 1][2]
    if stopped != "target":
        why = (
            f"the budget of {budget} draws was spent"
            if stopped == "budget"
            else f"memory ran short after {draws} draws"
        )
        warnings.warn(
            f"until: {why} before the target ({precision.describe()}); the largest "
            f"standard error is {worst:.3g}",
            SimlabWarning,
            stacklevel=3,
        )
    attrs: dict[str, Any] = {
        "seed": seed,
        "sampler": "mc",
        "block_size": block_size,
        "scenario_hash": sc.hash,
        "simlab_version": __version__,
        "until": precision.describe(),
        "until_stopped": stopped,
        "until_se": worst,
    }
    assert draws == sum(stop - start for _, start, stop in plan[:done])
    return so_far(attrs)
