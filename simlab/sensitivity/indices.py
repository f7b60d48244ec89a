"""Global sensitivity: Sobol' indices (and their convergence) and Morris screening."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simlab.errors import ScenarioError, SimlabWarning, SimulationError
from simlab.progress import with_progress
from simlab.resources import check_memory
from simlab.scenario.load import Scenario
from simlab.sensitivity._common import (
    _as_column,
    _count,
    _evaluate,
    _median_table,
    _parameters,
    _scenario,
    _Target,
    _target,
)
from simlab.sensitivity.table import SensitivityTable

__all__ = ["MORRIS_SPAN", "morris", "sobol", "sobol_convergence"]

#: Morris levels span the quantiles from MORRIS_SPAN to 1 - MORRIS_SPAN of each
#: distribution (level 0 and level 1 would be infinite for unbounded distributions).
MORRIS_SPAN = 0.01


@dataclasses.dataclass
class _Problem:
    """What a global method varies and how it runs a unit-hypercube design."""

    names: list[str]
    run: Callable[[np.ndarray], np.ndarray]  # (rows, k) probabilities -> (rows,) values
    attrs: dict[str, Any]
    label: str


def _function_problem(func: Callable[[pd.DataFrame], Any], distributions: object) -> _Problem:
    if not isinstance(distributions, Mapping) or not distributions:
        raise ScenarioError(
            "a function target needs distributions=: a mapping of input name to a "
            "distribution with .ppf (e.g. scipy.stats.uniform(-3.14, 6.28))"
        )
    for name, dist in distributions.items():
        if not callable(getattr(dist, "ppf", None)):
            raise ScenarioError(f"distributions[{name!r}] has no .ppf method, got {dist!r}")
    names = [str(n) for n in distributions]

    def run(u: np.ndarray) -> np.ndarray:
        table = pd.DataFrame(
            {
                name: _as_column(dist, bool(getattr(dist, "is_date", False)), u[:, j])
                for j, (name, dist) in enumerate(distributions.items())
            }
        )
        out = np.asarray(func(table), dtype=np.float64).reshape(-1)
        if out.shape != (len(table),):
            raise ScenarioError(
                f"the function must return one value per row ({len(table)}), got shape "
                f"{np.shape(out)}"
            )
        return out

    label = getattr(func, "__name__", "function")
    return _Problem(names, run, {"metric": label}, label)


def _scenario_problem(
    scenario: Scenario,
    target: _Target,
    parameters: Sequence[str] | None,
    what: str,
    block_size: int,
    executor: object,
    units: list[str],
    strict: bool = False,
) -> _Problem:
    names = _parameters(scenario, parameters, what, strict)
    if scenario.spec.correlations:
        warnings.warn(
            f"{what} treats the uncertain parameters as independent; the scenario's "
            f"{len(scenario.spec.correlations)} rank correlation(s) are not imposed",
            SimlabWarning,
            stacklevel=3,
        )
    fixed = _median_table(scenario)

    def run(u: np.ndarray) -> np.ndarray:
        table = fixed.iloc[np.zeros(len(u), dtype=np.intp)].reset_index(drop=True)
        for j, path in enumerate(names):
            dist = scenario.uncertain[path]
            table[path] = _as_column(dist, dist.is_date, u[:, j])
        table.index = pd.RangeIndex(len(table), name="draw")
        values, unit = _evaluate(scenario, table, target, block_size, executor)
        units.append(unit)
        return values

    return _Problem(names, run, target.attrs(), f"{target.metric}[{target.who}]")


def _problem(
    target: object,
    metric: object,
    provider: object,
    group: object,
    year: object,
    distributions: object,
    parameters: Sequence[str] | None,
    what: str,
    block_size: int,
    executor: object,
    units: list[str],
    strict: bool = False,
) -> _Problem:
    if callable(target) and not isinstance(target, Scenario):
        if metric is not None or provider is not None or group is not None or year is not None:
            raise ScenarioError(f"{what} of a function takes no metric, provider, group or year")
        if parameters is not None:
            raise ScenarioError(f"{what} of a function varies all its distributions")
        return _function_problem(target, distributions)
    if distributions is not None:
        raise ScenarioError(
            f"{what} of a scenario varies its own uncertain parameters; leave distributions "
            "out (use Scenario.with_values to change them)"
        )
    sc = _scenario(target)
    if metric is None:
        raise ScenarioError(f"{what} of a scenario needs metric= (e.g. 'npv')")
    tgt = _target(sc, metric, provider, group, year)
    return _scenario_problem(sc, tgt, parameters, what, block_size, executor, units, strict)


def _salib_seed(seed: int, stream: int) -> int:
    # SALib's sobol.analyze tests `if seed:`, so 0 would fall back to numpy's global
    # random state; derive a non-zero seed per stream from a SeedSequence instead.
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0]) | 1


def _saltelli(problem: _Problem, n: int, seed: int, second: bool) -> tuple[np.ndarray, int]:
    from SALib.sample import sobol as sobol_sample

    k = len(problem.names)
    salib = {"num_vars": k, "names": problem.names, "bounds": [[0.0, 1.0]] * k}
    rows = n * ((2 * k + 2) if second else (k + 2))
    check_memory(
        f"sobol(n={n:,}) over {k} parameters ({rows:,} evaluations)",
        rows * (8.0 * k * 3 + 64),
        "use a smaller n (e.g. 1024) or fewer parameters",
    )
    if n & (n - 1):
        warnings.warn(
            f"Sobol' designs keep their balance properties only when n is a power of 2; "
            f"got n={n} (nearest: {1 << (n.bit_length() - 1)} or {1 << n.bit_length()})",
            SimlabWarning,
            stacklevel=3,
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties", category=UserWarning)
        u = sobol_sample.sample(
            salib, n, calc_second_order=second, scramble=True, seed=_salib_seed(seed, 0)
        )
    return u, (2 * k + 2) if second else (k + 2)


def _sobol_analyze(
    problem: _Problem,
    y: np.ndarray,
    group: int,
    second: bool,
    conf_level: float,
    num_resamples: int,
    seed: int,
    warn: bool,
) -> tuple[pd.DataFrame, int]:
    from SALib.analyze import sobol as sobol_analyze

    k = len(problem.names)
    rows = y.reshape(-1, group)
    keep = np.isfinite(rows).all(axis=1)
    dropped = int((~keep).sum())
    rows = rows[keep]
    nan_cols = ["S1", "S1_conf", "ST", "ST_conf"]
    if len(rows) < 2 or np.ptp(rows) == 0:
        if warn:
            why = (
                "the metric does not vary"
                if len(rows) >= 2
                else "fewer than two Saltelli groups have a value"
            )
            warnings.warn(
                f"Sobol' indices of {problem.label} are undefined: {why}",
                SimlabWarning,
                stacklevel=3,
            )
        frame = pd.DataFrame(
            np.nan, index=pd.Index(problem.names, name="parameter"), columns=nan_cols
        )
        return frame, dropped
    salib = {"num_vars": k, "names": problem.names, "bounds": [[0.0, 1.0]] * k}
    with np.errstate(divide="ignore", invalid="ignore"):
        s = sobol_analyze.analyze(
            salib,
            rows.reshape(-1),
            calc_second_order=second,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=_salib_seed(seed, 1),
        )
    frame = pd.DataFrame(
        {c: np.asarray(s[c], dtype=np.float64) for c in nan_cols},
        index=pd.Index(problem.names, name="parameter"),
    )
    return frame, dropped


def _check_conf(conf_level: object, num_resamples: object) -> tuple[float, int]:
    if isinstance(conf_level, bool) or not isinstance(conf_level, float | int):
        raise ScenarioError(f"conf_level must be a number in (0, 1), got {conf_level!r}")
    if not 0.0 < float(conf_level) < 1.0:
        raise ScenarioError(f"conf_level must be in (0, 1), got {conf_level!r}")
    return float(conf_level), _count("num_resamples", num_resamples, 2)


@with_progress
def sobol(
    target: Scenario | str | Callable[[pd.DataFrame], Any],
    metric: str | None = None,
    provider: str | None = None,
    group: str | None = None,
    n: int = 1024,
    seed: int = 0,
    *,
    year: int | None = None,
    distributions: Mapping[str, Any] | None = None,
    parameters: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 200,
    block_size: int = 1024,
    executor: object = None,
    strict: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Estimate first-order and total Sobol' indices, with bootstrap intervals.

    The design is Saltelli's cross-sampling of a scrambled Sobol' sequence
    (``SALib.sample.sobol``, ``n * (k + 2)`` evaluations for ``k`` parameters); the
    estimators are Saltelli et al. (2010) for S1 and Jansen's for ST, as in
    ``SALib.analyze.sobol``, with percentile-free normal bootstrap intervals. Points are
    drawn in the unit hypercube and mapped through each distribution's ``ppf``.

    Two kinds of target:

    - a **scenario** (or a catalog name or path) and a ``metric``: the parameters are the
      scenario's uncertain ones (or ``parameters``, a subset, the others fixed at their
      medians), run through simlab's engine in batched calls. Rank correlations are not
      imposed (the indices assume independent inputs; a warning says so).
    - a **function** of an inputs table and ``distributions``: ``func(df)`` gets a
      DataFrame with one column per name and returns one value per row.

    Parameters
    ----------
    target : Scenario, str or callable
        What to analyse.
    metric : str, optional
        The scenario metric (per-draw, or yearly with ``year``).
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    n : int
        Base sample size, a power of 2 (1024 is usually enough for S1 and ST to 0.05).
    seed : int
        Seed of the scrambling and of the bootstrap.
    year : int, optional
        The calendar year of a yearly metric.
    distributions : mapping of str to distribution, optional
        For a function target: each input's distribution (anything with ``ppf``, e.g.
        a frozen ``scipy.stats`` distribution or a simlab Distribution).
    parameters : sequence of str, optional
        For a scenario target: only these uncertain parameters.
    conf_level : float
        Level of the bootstrap intervals.
    num_resamples : int
        Bootstrap resamples.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows (scenario targets; inside a
        :func:`simlab.pool` block, None means its pool).
    strict : bool
        Refuse, rather than warn about, a varied parameter that a pricing rule overrides
        from the first step (see :mod:`simlab.scenario.overrides`).
    progress : bool, optional
        Show a progress bar over the model runs; by default in a notebook or a
        terminal (see :mod:`simlab.progress`), never with False.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``parameter``, sorted by ``ST``, the largest first; columns ``S1``,
        ``S1_conf``, ``ST``, ``ST_conf`` (the half-widths of the intervals). ``attrs``
        hold n, evaluations, conf_level, ``nan_groups`` (Saltelli groups left out because
        the metric was NaN in one of their rows) and, for scenarios, metric, who and units.

    Raises
    ------
    ScenarioError
        For a scenario without uncertain parameters, an unknown metric, provider, group or
        parameter, or a function that does not return one value per row.

    Warns
    -----
    SimlabWarning
        If n is not a power of 2; if the metric is NaN in some rows (their whole Saltelli
        group is left out, and counted); if an index is negative beyond its interval
        (too few samples); if the scenario has rank correlations (not imposed).

    See Also
    --------
    sobol_convergence : the indices at several n, to see whether they have settled.

    References
    ----------
    .. [1] Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical
       models and their Monte Carlo estimates. Mathematics and Computers in Simulation
       55, 271-280. https://doi.org/10.1016/S0378-4754(00)00270-6
    .. [2] Saltelli, A. et al. (2010). Variance based sensitivity analysis of model
       output. Design and estimator for the total sensitivity index. Computer Physics
       Communications 181, 259-270. https://doi.org/10.1016/j.cpc.2009.09.018

    Examples
    --------
    >>> import numpy as np, scipy.stats as st
    >>> def ishigami(df):
    ...     x1, x2, x3 = df["x1"], df["x2"], df["x3"]
    ...     return np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    >>> dists = {x: st.uniform(-np.pi, 2 * np.pi) for x in ("x1", "x2", "x3")}
    >>> df = sobol(ishigami, distributions=dists, n=1024, seed=1)
    >>> round(float(df.loc["x2", "S1"]), 1)
    0.4
    """
    n, seed = _count("n", n, 2), _count("seed", seed, 0)
    conf_level, num_resamples = _check_conf(conf_level, num_resamples)
    units: list[str] = []
    problem = _problem(
        target,
        metric,
        provider,
        group,
        year,
        distributions,
        parameters,
        "sobol",
        block_size,
        executor,
        units,
        strict,
    )
    u, size = _saltelli(problem, n, seed, second=False)
    y = problem.run(u)
    frame, dropped = _sobol_analyze(problem, y, size, False, conf_level, num_resamples, seed, True)
    _warn_groups(problem, y, dropped, n, "Saltelli groups")
    _warn_negative(frame, n)
    # Most important first: by total index, ties (and undefined indices) in input order.
    frame = frame.sort_values("ST", ascending=False, kind="stable", na_position="last")
    frame.attrs.update(
        {
            **problem.attrs,
            "units": units[0] if units else "",
            "n": n,
            "evaluations": len(y),
            "conf_level": conf_level,
            "seed": seed,
            "nan_groups": dropped,
        }
    )
    return SensitivityTable.of(frame, "Sobol' indices")


def _warn_negative(frame: pd.DataFrame, n: int) -> None:
    """Warn for each index below zero by more than its interval: too few samples for it."""
    for column in ("S1", "ST"):
        upper = frame[column] + frame[f"{column}_conf"]
        for name in frame.index[upper < 0]:
            warnings.warn(
                f"{column} of {name} is {frame.loc[name, column]:.3f} "
                f"± {frame.loc[name, f'{column}_conf']:.3f}: negative beyond its interval, "
                f"so n={n} is too small for it; increase n (see sobol_convergence)",
                SimlabWarning,
                stacklevel=3,
            )


def _warn_groups(problem: _Problem, y: np.ndarray, dropped: int, total: int, what: str) -> None:
    if dropped:
        warnings.warn(
            f"{problem.label}: {int((~np.isfinite(y)).sum())} of {y.size} evaluations have "
            f"no value (NaN); the {dropped} of {total} {what} holding them are left out of "
            "the estimates",
            SimlabWarning,
            stacklevel=3,
        )


@with_progress
def sobol_convergence(
    target: Scenario | str | Callable[[pd.DataFrame], Any],
    metric: str | None = None,
    provider: str | None = None,
    group: str | None = None,
    ns: Sequence[int] = (128, 256, 512, 1024),
    seed: int = 0,
    *,
    year: int | None = None,
    distributions: Mapping[str, Any] | None = None,
    parameters: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 200,
    block_size: int = 1024,
    executor: object = None,
    strict: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Return Sobol' indices at several sample sizes, to see whether they have settled.

    One design of ``max(ns)`` base points is run once; the indices at each smaller ``n``
    use its first ``n`` Saltelli groups (a scrambled Sobol' sequence's first ``2**m``
    points are themselves a balanced net). Arguments as :func:`sobol`.

    Parameters
    ----------
    target : Scenario, str or callable
        What to analyse (see :func:`sobol`).
    metric, provider, group : str, optional
        The scenario metric and whose.
    ns : sequence of int
        The sample sizes, powers of 2.
    seed : int
        Seed of the scrambling and of the bootstrap.
    year : int, optional
        The calendar year of a yearly metric.
    distributions : mapping, optional
        For a function target.
    parameters : sequence of str, optional
        For a scenario target.
    conf_level : float
        Level of the bootstrap intervals.
    num_resamples : int
        Bootstrap resamples.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows (inside a :func:`simlab.pool` block,
        None means its pool).
    strict : bool
        Refuse, rather than warn about, a varied parameter that a pricing rule overrides
        from the first step (see :mod:`simlab.scenario.overrides`).
    progress : bool, optional
        Show a progress bar over the model runs; by default in a notebook or a
        terminal (see :mod:`simlab.progress`), never with False.

    Returns
    -------
    pandas.DataFrame
        Long format: ``n``, ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``,
        ``nan_groups``.
    """
    sizes = sorted({_count("ns[]", v, 2) for v in ns})
    if not sizes:
        raise ScenarioError("ns must hold at least one sample size")
    seed = _count("seed", seed, 0)
    conf_level, num_resamples = _check_conf(conf_level, num_resamples)
    units: list[str] = []
    problem = _problem(
        target,
        metric,
        provider,
        group,
        year,
        distributions,
        parameters,
        "sobol_convergence",
        block_size,
        executor,
        units,
        strict,
    )
    u, size = _saltelli(problem, sizes[-1], seed, second=False)
    y = problem.run(u)
    parts = []
    dropped_all = 0
    for n in sizes:
        frame, dropped = _sobol_analyze(
            problem, y[: n * size], size, False, conf_level, num_resamples, seed, n == sizes[-1]
        )
        dropped_all = dropped
        frame = frame.reset_index()
        frame.insert(0, "n", n)
        frame["nan_groups"] = dropped
        parts.append(frame)
    _warn_groups(problem, y, dropped_all, sizes[-1], "Saltelli groups")
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(
        {**problem.attrs, "units": units[0] if units else "", "conf_level": conf_level}
    )
    return SensitivityTable.of(out, "Sobol' convergence")


@with_progress
def morris(
    target: Scenario | str | Callable[[pd.DataFrame], Any],
    metric: str | None = None,
    provider: str | None = None,
    group: str | None = None,
    trajectories: int = 20,
    levels: int = 4,
    seed: int = 0,
    *,
    year: int | None = None,
    distributions: Mapping[str, Any] | None = None,
    parameters: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    block_size: int = 1024,
    executor: object = None,
    strict: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Screen parameters by Morris' elementary effects (cheap: ``trajectories * (k + 1)`` runs).

    Each trajectory moves one parameter at a time across a grid of ``levels`` values of
    its probability scale; levels span the quantiles :data:`MORRIS_SPAN` to
    ``1 - MORRIS_SPAN`` (1 % to 99 %) of each distribution, so unbounded distributions
    stay finite and every parameter moves through the same share of its uncertainty.
    Effects are per unit of that probability scale: ``mu_star`` is comparable across
    parameters, in the metric's units. Use it to pick the handful of parameters worth a
    :func:`sobol` run. Targets as :func:`sobol` (a scenario and metric, or a function and
    distributions).

    Parameters
    ----------
    target : Scenario, str or callable
        What to analyse (see :func:`sobol`).
    metric : str, optional
        The scenario metric (per-draw, or yearly with ``year``).
    provider, group : str, optional
        Whose metric (the group ``all`` when neither is given).
    trajectories : int
        Number of trajectories (10 to 50 is usual).
    levels : int
        Grid levels per parameter (even; 4 is usual).
    seed : int
        Seed of the trajectories and of the bootstrap.
    year : int, optional
        The calendar year of a yearly metric.
    distributions : mapping of str to distribution, optional
        For a function target.
    parameters : sequence of str, optional
        For a scenario target: only these uncertain parameters (the others at medians).
    conf_level : float
        Level of the bootstrap interval of ``mu_star``.
    num_resamples : int
        Bootstrap resamples.
    block_size : int
        Draws per simpy environment.
    executor : None, "processes" or concurrent.futures.Executor, optional
        Where to run chunks of ``block_size`` rows (inside a :func:`simlab.pool` block,
        None means its pool).
    strict : bool
        Refuse, rather than warn about, a varied parameter that a pricing rule overrides
        from the first step (see :mod:`simlab.scenario.overrides`).
    progress : bool, optional
        Show a progress bar over the model runs; by default in a notebook or a
        terminal (see :mod:`simlab.progress`), never with False.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``parameter``, sorted by ``mu_star`` (largest first): ``mu`` (mean
        effect, signed), ``mu_star`` (mean absolute effect: importance), ``sigma`` (spread:
        non-linearity or interactions), ``mu_star_conf``. ``attrs`` hold trajectories,
        levels, evaluations, ``nan_trajectories``, metric, who and units.

    Raises
    ------
    ScenarioError
        As :func:`sobol`, and for fewer than 2 trajectories or an odd number of levels.

    Warns
    -----
    DeadParameterWarning
        If a varied parameter is overridden by its provider's pricing rule from the
        first step (e.g. a ``cost_plus`` provider's ``price_in``).
    SimlabWarning
        If the metric is NaN in some rows (their whole trajectory is left out, and
        counted).

    References
    ----------
    .. [1] Morris, M. D. (1991). Factorial sampling plans for preliminary computational
       experiments. Technometrics 33, 161-174. https://doi.org/10.1080/00401706.1991.10484804
    .. [2] Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design
       for sensitivity analysis of large models. Environmental Modelling & Software 22,
       1509-1518. https://doi.org/10.1016/j.envsoft.2006.10.004
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    trajectories = _count("trajectories", trajectories, 2)
    levels = _count("levels", levels, 2)
    if levels % 2:
        raise ScenarioError(f"levels must be even (e.g. 4), got {levels}")
    seed = _count("seed", seed, 0)
    conf_level, num_resamples = _check_conf(conf_level, num_resamples)
    units: list[str] = []
    problem = _problem(
        target,
        metric,
        provider,
        group,
        year,
        distributions,
        parameters,
        "morris",
        block_size,
        executor,
        units,
        strict,
    )
    k = len(problem.names)
    salib = {"num_vars": k, "names": problem.names, "bounds": [[0.0, 1.0]] * k}
    x = morris_sample.sample(
        salib, trajectories, num_levels=levels, seed=np.random.default_rng([seed, 2])
    )
    y = problem.run(MORRIS_SPAN + (1.0 - 2.0 * MORRIS_SPAN) * x)
    rows = y.reshape(trajectories, k + 1)
    keep = np.isfinite(rows).all(axis=1)
    dropped = int((~keep).sum())
    _warn_groups(problem, y, dropped, trajectories, "trajectories")
    columns = ["mu", "mu_star", "sigma", "mu_star_conf"]
    if keep.sum() < 2:
        raise SimulationError(
            f"morris: only {int(keep.sum())} of {trajectories} trajectories have a value of "
            f"{problem.label} in every run; nothing to estimate"
        )
    xs = x.reshape(trajectories, k + 1, k)[keep].reshape(-1, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = morris_analyze.analyze(
            salib,
            xs,
            rows[keep].reshape(-1),
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=levels,
            seed=np.random.default_rng([seed, 3]),
        )
    frame = pd.DataFrame(
        {c: np.asarray(s[c], dtype=np.float64) for c in columns},
        index=pd.Index(problem.names, name="parameter"),
    )
    frame = frame.sort_values("mu_star", ascending=False, kind="stable")
    frame.attrs.update(
        {
            **problem.attrs,
            "units": units[0] if units else "",
            "trajectories": trajectories,
            "levels": levels,
            "evaluations": len(y),
            "seed": seed,
            "nan_trajectories": dropped,
        }
    )
    return SensitivityTable.of(frame, "Morris screening")
