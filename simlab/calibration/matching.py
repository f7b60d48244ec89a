"""Calibration by history matching: keep the draws whose outputs are consistent with history.

The method (Craig et al. 1997; Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015),
run on the simulator itself (no emulator: a draw of the hindcast costs about a millisecond):

1. Wave 1 draws a Latin hypercube over the unit cube of the scenario's uncertain
   parameters (each maps to its prior through the inverse CDF, as ``simlab.run`` does).
2. Each draw is simulated and each observation's model value read off its paths
   (:func:`~simlab.calibration.observe`). Its implausibility for observation ``j`` is
   ``I_j = |g(f_j) - g(z_j)| / sqrt(sigma_j^2 + delta_j^2)``
   (:func:`~simlab.calibration.distance`: the observation's error and the model
   discrepancy); a draw is *not ruled out yet* (NROY) when ``max_j I_j <= cut`` (3,
   Pukelsheim's rule).
3. The next wave refocuses on the non-implausible region: it draws from a mixture of
   normals (truncated to the cube) centred on the best draws so far, the best
   :data:`ELITE` share or those under the cut if more, with their spread as scales. The
   level that selects them falls toward the cut wave by wave, as in ABC-SMC's adaptive
   tolerances (Del Moral, Doucet & Jasra 2012; Beaumont et al. 2009).
4. After the last wave, every NROY draw of every wave is kept, weighted by the inverse of
   the waves' mixture density at it (the "balance heuristic" of multiple importance
   sampling, Veach & Guibas 1995; Owen & Zhou 2000). Wave 1 covers the whole cube, so the
   weighted draws are a consistent sample of the prior restricted to the NROY region,
   whatever the later waves miss.
5. A share of the draws (``moves``, a quarter by default) then resamples the kept draws
   by weight into particles and moves them by Metropolis steps that target that same
   restricted prior (a reflected random walk, accepted when the new point is not ruled
   out: the MCMC move of Del Moral, Doucet & Jasra 2012), so they come out with equal
   weights and the duplicates of resampling spread apart.

History matching fits few observations with tolerances better than a likelihood would: it
rules out what is inconsistent with history instead of claiming a posterior that a model
discrepancy of unknown size would make overconfident. ``cut`` is the one knob.

References
----------
Craig, P. S., Goldstein, M., Seheult, A. H. & Smith, J. A. (1997). Pressure matching for
hydrocarbon reservoirs. *Case Studies in Bayesian Statistics III*, 37-93.
https://doi.org/10.1007/978-1-4612-2290-3_2

Vernon, I., Goldstein, M. & Bower, R. G. (2010). Galaxy formation: a Bayesian uncertainty
analysis. *Bayesian Analysis* 5(4), 619-669. https://doi.org/10.1214/10-BA524

Andrianakis, I. et al. (2015). Bayesian history matching of complex infectious disease
models using emulation. *PLoS Computational Biology* 11(1), e1003968.
https://doi.org/10.1371/journal.pcbi.1003968

Beaumont, M. A., Cornuet, J.-M., Marin, J.-M. & Robert, C. P. (2009). Adaptive
approximate Bayesian computation. *Biometrika* 96(4), 983-990.
https://doi.org/10.1093/biomet/asp052

Del Moral, P., Doucet, A. & Jasra, A. (2012). An adaptive sequential Monte Carlo method
for approximate Bayesian computation. *Statistics and Computing* 22, 1009-1020.
https://doi.org/10.1007/s11222-011-9271-y

Veach, E. & Guibas, L. J. (1995). Optimally combining sampling techniques for Monte Carlo
rendering. *SIGGRAPH '95*, 419-428. https://doi.org/10.1145/218380.218498

Owen, A. & Zhou, Y. (2000). Safe and effective importance sampling. *Journal of the
American Statistical Association* 95(449), 135-143. https://doi.org/10.1080/01621459.2000.10473909
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simlab._hints import did_you_mean
from simlab.calibration.observations import Observations, distance, load_observations, observe
from simlab.calibration.scoring import CUT, score_values, weighted_quantile
from simlab.errors import ScenarioError, SimlabWarning, SimulationError
from simlab.executors import resolve_executor

if TYPE_CHECKING:
    from simlab.scenario.load import Scenario

__all__ = ["Calibration", "calibrate", "implausibility"]

#: Share of the draws so far (the best, by their worst implausibility) that the next wave
#: is drawn around while fewer are consistent with every observation.
ELITE = 0.005
#: At most this many centres in a wave's proposal (the best draws).
CENTRES = 400
#: Particles moved by Metropolis steps after the waves (at most).
CHAINS = 500
#: The random walk's scale, as a fraction of the kept draws' spread per dimension.
MOVE_SCALE = 0.5
#: Draws simulated together (as ``simlab.run``'s block size).
BLOCK = 1024


def implausibility(
    observations: Observations, model: np.ndarray, discrepancy: float = 0.0
) -> np.ndarray:
    """Return each draw's implausibility for each observation, ``(draws, observations)``.

    ``inf`` where a value cannot be compared (NaN, or not positive on a log scale); see
    :func:`~simlab.calibration.distance` for the discrepancy.
    """
    return (
        np.column_stack(
            [distance(o, model[:, j], discrepancy) for j, o in enumerate(observations.values())]
        )
        if len(observations)
        else np.zeros((model.shape[0], 0))
    )


class _Proposal:
    """A wave's proposal on the unit cube: uniform, or a mixture of truncated normals.

    Around centres ``c_m`` with scales ``sigma`` (per dimension), each coordinate is drawn
    from a normal truncated to [0, 1] (by the inverse CDF, exactly), so the density is
    known: ``q(u) = mean_m prod_d phi((u_d - c_md) / s_d) / (s_d Z_md)``.
    """

    def __init__(self, centres: np.ndarray | None, sigma: np.ndarray) -> None:
        self.centres = centres
        self.sigma = sigma

    @classmethod
    def around(cls, points: np.ndarray, gen: np.random.Generator) -> _Proposal:
        """Centres at ``points`` (at most :data:`CENTRES` of them), scales their spread.

        Beaumont et al. (2009) take twice the variance; the points here are the best
        half-percent of all draws, already spread over the non-implausible region, and
        one variance refocuses faster. The weights keep the result consistent either way.
        """
        if len(points) < 2:
            return cls(None, np.ones(points.shape[1]))
        centres = (
            points[:CENTRES]
            if len(points) <= CENTRES
            else points[np.sort(gen.choice(len(points), CENTRES, replace=False))]
        )
        sigma = np.maximum(np.sqrt(points.var(axis=0)), 1e-3)
        return cls(centres, sigma)

    def _bounds(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.special import ndtr

        return ndtr((0.0 - centres) / self.sigma), ndtr((1.0 - centres) / self.sigma)

    def sample(self, n: int, gen: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points: a Latin hypercube if uniform, else from the mixture."""
        from scipy.special import ndtri

        from simlab.uncertainty import unit_sample

        d = len(self.sigma)
        if self.centres is None:
            return unit_sample(n, d, "lhs", gen)
        pick = self.centres[gen.integers(len(self.centres), size=n)]
        lo, hi = self._bounds(pick)
        v = lo + gen.random((n, d)) * (hi - lo)
        u = pick + self.sigma * ndtri(np.clip(v, 1e-300, 1.0 - 1e-16))
        return np.clip(u, 0.0, 1.0)

    def density(self, u: np.ndarray) -> np.ndarray:
        """Return the proposal's density at points ``u`` (n, d)."""
        if self.centres is None:
            return np.ones(len(u))
        from scipy.special import logsumexp

        lo, hi = self._bounds(self.centres)
        log_norm = np.log(hi - lo).sum(axis=1) + np.log(self.sigma).sum()  # (M,)
        out = np.empty(len(u))
        for a in range(0, len(u), 256):
            z = (u[a : a + 256, None, :] - self.centres[None]) / self.sigma  # (n, M, d)
            log_phi = -0.5 * (z**2).sum(axis=2) - 0.5 * len(self.sigma) * np.log(2 * np.pi)
            out[a : a + 256] = np.exp(
                logsumexp(log_phi - log_norm[None], axis=1) - np.log(len(self.centres))
            )
        return out


@dataclass
class Calibration:
    """The draws of a scenario consistent with history, and how they were found.

    Attributes
    ----------
    scenario : Scenario
        The hindcast that was calibrated.
    observations : Observations
        What it was matched to.
    inputs : pandas.DataFrame
        The kept (non-implausible) draws: one column per uncertain parameter, plus
        ``weight`` (sums to 1) and ``wave``.
    model : numpy.ndarray
        The kept draws' observation values, ``(kept, observations)``.
    prior_inputs : pandas.DataFrame
        Wave 1's draws (a Latin hypercube of the prior).
    prior_model : numpy.ndarray
        Their observation values.
    waves : pandas.DataFrame
        Per wave (``step`` "wave"): draws, draws kept (not ruled out) and the level that
        chose the next wave's centres; a last row (``step`` "move") for the Metropolis
        moves: proposals and proposals accepted.
    cut : float
        The implausibility cut.
    discrepancy : float
        The relative model discrepancy used (see :func:`~simlab.calibration.distance`).
    skipped : tuple of str
        Observations left out of the matching (still in :meth:`table`).
    seed : int
        The seed.
    all_model : numpy.ndarray
        The observation values of every draw of every wave, ``(draws, observations)``.
    """

    scenario: Scenario
    observations: Observations
    inputs: pd.DataFrame
    model: np.ndarray
    prior_inputs: pd.DataFrame
    prior_model: np.ndarray
    waves: pd.DataFrame
    cut: float
    discrepancy: float
    skipped: tuple[str, ...]
    seed: int
    all_model: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 0)))

    def __repr__(self) -> str:
        return (
            f"<Calibration {self.scenario.name!r}: {len(self.inputs)} of "
            f"{int(self.waves['draws'].sum())} draws kept, ESS {self.ess:.0f}, "
            f"{len(self.observations)} observations>"
        )

    @property
    def weights(self) -> np.ndarray:
        """The kept draws' weights (they sum to 1)."""
        return self.inputs["weight"].to_numpy()

    @property
    def parameters(self) -> list[str]:
        """The calibrated (uncertain) parameters, by path."""
        return [c for c in self.inputs.columns if c not in ("weight", "wave")]

    @property
    def ess(self) -> float:
        """Kish's effective sample size of the kept draws, ``(sum w)^2 / sum w^2``.

        Identical draws (copies that resampling made and no move separated) count as one,
        with their weights summed.
        """
        if not len(self.inputs):
            return 0.0
        w = self.inputs.groupby(self.parameters, sort=False)["weight"].sum().to_numpy()
        return float(w.sum() ** 2 / (w**2).sum())

    def shrinkage(self) -> pd.DataFrame:
        """How much each parameter's 90 % interval shrank from the prior to the calibration.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; prior and calibrated 5 %, 50 % and 95 % quantiles, and
            ``shrinkage`` = 1 - calibrated width / prior width (0: unchanged, 1: pinned).
        """
        rows = []
        for name in self.parameters:
            dist = self.scenario.uncertain[name]
            p05, p50, p95 = (float(dist.ppf(np.array([q]))[0]) for q in (0.05, 0.5, 0.95))
            values = self.inputs[name].to_numpy(dtype=np.float64)
            c05, c50, c95 = weighted_quantile(values, [0.05, 0.5, 0.95], self.weights)
            width = p95 - p05
            rows.append(
                {
                    "parameter": name,
                    "prior_q05": p05,
                    "prior_median": p50,
                    "prior_q95": p95,
                    "q05": c05,
                    "median": c50,
                    "q95": c95,
                    "shrinkage": 1.0 - (c95 - c05) / width if width > 0 else 0.0,
                }
            )
        return pd.DataFrame(rows).set_index("parameter")

    def binding(self) -> pd.DataFrame:
        """Return which observations bind: what each rules out.

        Returns
        -------
        pandas.DataFrame
            Index ``observation``; ``ruled_out`` (share of the prior's draws, wave 1,
            whose implausibility for it exceeds the cut) and ``alone`` (draws of all
            waves that it alone rules out, every other observation keeping them). An
            observation with ``alone`` > 0 binds: without it those draws would be kept.
            Skipped observations rule out nothing.
        """
        matched = np.array([o not in self.skipped for o in self.observations])

        def failing(model: np.ndarray) -> np.ndarray:
            imp = implausibility(self.observations, model, self.discrepancy) > self.cut
            return imp & matched[None, :]

        prior, every = failing(self.prior_model), failing(self.all_model)
        only = every & (every.sum(axis=1) == 1)[:, None]
        rows = [
            {
                "observation": o.id,
                "ruled_out": float(prior[:, j].mean()),
                "alone": int(only[:, j].sum()),
            }
            for j, o in enumerate(self.observations.values())
        ]
        return pd.DataFrame(rows).set_index("observation")

    def table(self) -> pd.DataFrame:
        """Return the hindcast table: each observation against the prior and the calibration.

        Returns
        -------
        pandas.DataFrame
            :func:`~simlab.calibration.score_values` of the calibrated (weighted) draws,
            with the prior's median and 90 % interval beside them (``prior_median``,
            ``prior_q05``, ``prior_q95``).
        """
        calibrated = score_values(self.observations, self.model, self.weights)
        prior = score_values(self.observations, self.prior_model)
        for col in ("median", "q05", "q95"):
            calibrated[f"prior_{col}"] = prior[col]
        calibrated["matched"] = [o not in self.skipped for o in calibrated.index]
        return calibrated

    def resample(self, draws: int, seed: int) -> pd.DataFrame:
        """Draw an inputs table from the calibrated draws (with replacement, by weight).

        Parameters
        ----------
        draws : int
            Rows, at least 1.
        seed : int
            Seeds the resampling (``numpy.random.SeedSequence(seed)``).

        Returns
        -------
        pandas.DataFrame
            One column per calibrated parameter, index ``draw``: ready for
            :func:`simlab.simulate` on the hindcast (or on a scenario with the same
            parameters).
        """
        if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
            raise ScenarioError(f"draws must be an integer >= 1, got {draws!r}")
        gen = np.random.default_rng(np.random.SeedSequence(seed))
        rows = gen.choice(len(self.inputs), size=draws, replace=True, p=self.weights)
        table = self.inputs[self.parameters].iloc[rows].reset_index(drop=True)
        table.index = pd.RangeIndex(draws, name="draw")
        return table

    def forward_inputs(
        self,
        scenario: Scenario,
        draws: int,
        seed: int,
        mapping: Mapping[str, str | Sequence[str]] | None = None,
    ) -> pd.DataFrame:
        """Return an inputs table for a forward scenario carrying the history's constraints.

        Parameters the calibration learnt are drawn jointly from the calibrated draws (by
        weight, so the correlations history imposes between them are kept) into the
        forward scenario's parameters they stand for; every other uncertain parameter is
        drawn from the forward scenario's own distributions (``simlab.sample_inputs``).

        Parameters
        ----------
        scenario : Scenario
            The forward scenario.
        draws, seed : int
            Rows, and the seed of both the forward draws and the resampling.
        mapping : mapping of str to str or list of str, optional
            Calibrated parameter path -> the forward scenario's parameter path(s) it
            stands for (e.g. ``{"segments.api.elasticity": ["segments.developer.elasticity",
            "segments.enterprise.elasticity"]}``). By default every calibrated path that
            the forward scenario also has.

        Returns
        -------
        pandas.DataFrame
            For :func:`simlab.simulate`.

        Raises
        ------
        ScenarioError
            If a path of ``mapping`` is not a calibrated parameter or not a parameter of
            the forward scenario.
        """
        from simlab.experiment import sample_inputs

        if mapping is None:
            mapping = {p: p for p in self.parameters if p in scenario.params}
        pairs: list[tuple[str, str]] = []
        for source, targets in mapping.items():
            if source not in self.parameters:
                raise ScenarioError(
                    f"forward_inputs: {source!r} is not a calibrated parameter"
                    f"{did_you_mean(source, self.parameters)}"
                )
            for target in [targets] if isinstance(targets, str) else list(targets):
                if target not in scenario.params:
                    raise ScenarioError(
                        f"forward_inputs: {target!r} is not a parameter of {scenario.name!r}"
                        f"{did_you_mean(target, list(scenario.params))}"
                    )
                pairs.append((source, target))
        table = sample_inputs(scenario, draws, seed)
        if pairs:
            calibrated = self.resample(draws, seed + 1)
            for source, target in pairs:
                table[target] = calibrated[source].to_numpy()
        return table


# --------------------------------------------------------------------------- running
def _observe_block(
    document: str, origin: str, table: pd.DataFrame, observations: Observations
) -> np.ndarray:
    """Simulate a block of draws and read the observations off it (runs in a worker)."""
    from simlab.experiment import simulate
    from simlab.results import scenario_from_json

    sc = scenario_from_json(document, origin)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return observe(simulate(sc, table, paths=True, block_size=len(table)), observations)
    except SimulationError:
        # A draw whose state overflowed rules itself out; the others keep their values.
        # Each is re-run alone: a one-draw block gives that draw's row bit for bit.
        out = np.full((len(table), len(observations)), np.nan)
        for i in range(len(table)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    out[i] = observe(simulate(sc, table.iloc[[i]], paths=True), observations)[0]
            except SimulationError:
                pass
        return out


def _move(
    sc: Scenario,
    names: list[str],
    observations: Observations,
    pool: cf.Executor | None,
    u: np.ndarray,
    model: np.ndarray,
    weights: np.ndarray,
    budget: int,
    key: tuple[int, int],
    cut: float,
    discrepancy: float,
    use: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample the kept draws by weight, then move them by Metropolis steps.

    The target is the prior (uniform on the cube) restricted to the draws not ruled out:
    a symmetric random walk (reflected at the cube's faces) is accepted exactly when the
    new point is not ruled out (Del Moral, Doucet & Jasra 2012's MCMC move). The moves
    spread the duplicates that resampling makes, so the particles carry equal weights.
    Returns the particles, their observation values, and every proposal's values.
    """
    seed, first = key
    chains = max(1, min(CHAINS, budget // 4))
    steps = max(1, budget // chains)
    gen = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(first,)))
    # Systematic resampling: each particle's count is within one of chains * weight.
    points = (gen.random() + np.arange(chains)) / chains
    pick = np.minimum(np.searchsorted(np.cumsum(weights), points), len(weights) - 1)
    u, model = u[pick].copy(), model[pick].copy()
    mean = u.mean(axis=0)
    scale = MOVE_SCALE * np.maximum(np.sqrt(((u - mean) ** 2).mean(axis=0)), 1e-3)
    proposed = []
    for step in range(steps):
        gen = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(first + 1 + step,)))
        trial = np.abs(u + scale * gen.standard_normal(u.shape))
        trial = 1.0 - np.abs(1.0 - trial)  # reflected into [0, 1]: a symmetric walk
        values = _simulate(sc, _values(sc, names, trial), observations, pool)
        proposed.append(values)
        accept = implausibility(observations, values, discrepancy)[:, use].max(axis=1) <= cut
        u[accept], model[accept] = trial[accept], values[accept]
    return u, model, np.concatenate(proposed)


def _values(scenario: Scenario, names: list[str], u: np.ndarray) -> pd.DataFrame:
    columns: dict[str, Any] = {}
    for j, name in enumerate(names):
        dist = scenario.uncertain[name]
        x = dist.ppf(u[:, j])
        if dist.is_date:
            x = x.astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
        columns[name] = x
    return pd.DataFrame(columns, index=pd.RangeIndex(u.shape[0], name="draw"))


def _simulate(
    scenario: Scenario,
    table: pd.DataFrame,
    observations: Observations,
    executor: cf.Executor | None,
) -> np.ndarray:
    from simlab.results import scenario_to_json

    document = scenario_to_json(scenario)
    chunks = [table.iloc[a : a + BLOCK] for a in range(0, len(table), BLOCK)]
    if executor is None:
        parts = [_observe_block(document, scenario.origin, c, observations) for c in chunks]
    else:
        futures = [
            executor.submit(_observe_block, document, scenario.origin, c, observations)
            for c in chunks
        ]
        parts = [f.result() for f in futures]  # in block order: bit-identical
    return np.concatenate(parts, axis=0)


def _executor(executor: object) -> tuple[cf.Executor | None, bool]:
    """Return (executor, whether we own it)."""
    executor = resolve_executor(executor)  # the pool of a simlab.pool() block
    if executor is None:
        return None, False
    if executor == "processes":
        from simlab.experiment import process_pool

        return process_pool(), True
    if isinstance(executor, cf.Executor):
        return executor, False
    raise ScenarioError(
        f"executor must be None, 'processes' or a concurrent.futures.Executor, got {executor!r}"
    )


def calibrate(
    scenario: Scenario | str | os.PathLike[str],
    observations: Observations | str | os.PathLike[str],
    draws: int = 20_000,
    seed: int = 0,
    waves: int = 10,
    cut: float = CUT,
    discrepancy: float | None = None,
    skip: Sequence[str] | None = None,
    moves: float = 0.25,
    executor: object = None,
) -> Calibration:
    """Calibrate a scenario to observations by history matching in waves.

    See the module docs for the method. Seeded and deterministic: the same scenario,
    observations, draws, waves, cut and seed give bit-identical results, in this process
    or on any executor.

    Parameters
    ----------
    scenario : Scenario, str or os.PathLike
        The hindcast (e.g. ``"history-2023"``); its uncertain parameters are calibrated.
    observations : Observations, str or os.PathLike
        The observations, or a shipped file's name or a path.
    draws : int
        Draws over all waves (each wave gets ``draws // waves``), at least ``waves``.
    seed : int
        Wave ``k`` draws its Latin hypercube from ``SeedSequence(seed, spawn_key=(k,))``.
    waves : int
        Number of waves, at least 1.
    cut : float
        The implausibility cut (a draw with any observation's implausibility above it is
        ruled out); 3 by default.
    discrepancy : float, optional
        The model discrepancy's standard deviation relative to each observed value (0.1:
        the model's structure is taken to miss by about 10 %), added to each
        observation's own error (Vernon, Goldstein & Bower 2010). By default the
        observations file's (``[calibration] discrepancy``), else 0.
    skip : sequence of str, optional
        Observations left out of the matching (e.g. those the model cannot represent,
        with the reason in the docs); they are still scored in :meth:`Calibration.table`.
        By default the observations file's ``[calibration] skip``.
    moves : float
        Share of ``draws`` spent after the waves on moving the kept draws by Metropolis
        steps (resample by weight, then random-walk moves accepted where not ruled
        out), so that they come out with equal weights and fewer duplicates; 0 keeps the
        waves' weighted draws as they are.
    executor : None, "processes" or concurrent.futures.Executor
        Where blocks of draws run, as in :func:`simlab.run` (inside a :func:`simlab.pool`
        block, None means its pool).

    Returns
    -------
    Calibration

    Raises
    ------
    ScenarioError
        For an invalid argument, a scenario with no uncertain parameter or with rank
        correlations (not supported yet), or when no draw is consistent with the
        observations (the message names those that rule most out).

    Examples
    --------
    The shipped observations name their defaults (a discrepancy of 0.1, and the
    observations the hindcast cannot represent, skipped):

    >>> import simlab
    >>> cal = simlab.calibrate("history-2023", "history-2023", seed=1)  # doctest: +SKIP
    >>> cal.ess  # doctest: +SKIP
    """
    from simlab.experiment import _scenario

    sc = _scenario(scenario)
    if not isinstance(observations, Observations):
        observations = load_observations(observations, scenario=sc)
    if skip is None:
        skip = observations.skip
    if discrepancy is None:
        discrepancy = observations.discrepancy
    for name, value, low in (("draws", draws, 1), ("waves", waves, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ScenarioError(f"{name} must be an integer >= {low}, got {value!r}")
    if draws < waves:
        raise ScenarioError(f"draws ({draws}) must be at least waves ({waves})")
    if isinstance(moves, bool) or not isinstance(moves, int | float) or not 0 <= moves < 1:
        raise ScenarioError(f"moves must be a share of draws in [0, 1), got {moves!r}")
    if isinstance(cut, bool) or not isinstance(cut, int | float) or not cut > 0:
        raise ScenarioError(f"cut must be a number > 0, got {cut!r}")
    if (
        isinstance(discrepancy, bool)
        or not isinstance(discrepancy, int | float)
        or not (0 <= discrepancy < 10)
    ):
        raise ScenarioError(f"discrepancy must be a number in [0, 10), got {discrepancy!r}")
    if isinstance(skip, str) or not all(isinstance(k, str) for k in skip):
        raise ScenarioError(f"skip must be a list of observation ids, got {skip!r}")
    for oid in skip:
        if oid not in observations:
            raise ScenarioError(
                f"skip: no observation {oid!r} in {observations.origin}"
                f"{did_you_mean(oid, list(observations))}"
            )
    use = np.array([oid not in skip for oid in observations], dtype=bool)
    if not use.any():
        raise ScenarioError("skip: every observation is skipped; nothing to match")
    names = list(sc.uncertain)
    if not names:
        raise ScenarioError(f"calibrate: scenario {sc.name!r} has no uncertain parameter")
    if sc.spec.correlations:
        raise ScenarioError(
            f"calibrate: scenario {sc.name!r} has rank correlations, which calibration does "
            "not support yet: remove [[correlations]] from the hindcast"
        )
    pool, owned = _executor(executor)
    d = len(names)
    n_move = int(draws * moves) if draws - int(draws * moves) >= waves else 0
    n_waves = draws - n_move
    per_wave = [n_waves // waves + (1 if k < n_waves % waves else 0) for k in range(waves)]
    proposals: list[_Proposal] = []
    all_u, all_model, all_wave, all_worst = [], [], [], []
    prior_inputs = pd.DataFrame()
    prior_model = np.empty((0, len(observations)))
    rows = []
    try:
        proposal = _Proposal(None, np.ones(d))
        for k, n in enumerate(per_wave):
            gen = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
            u = proposal.sample(n, gen)
            table = _values(sc, names, u)
            model = _simulate(sc, table, observations, pool)
            worst = implausibility(observations, model, discrepancy)[:, use].max(axis=1)
            if k == 0:
                prior_inputs, prior_model = table, model
            proposals.append(proposal)
            all_u.append(u)
            all_model.append(model)
            all_wave.append(np.full(n, k + 1))
            all_worst.append(worst)
            so_far_u, so_far = np.concatenate(all_u), np.concatenate(all_worst)
            # The next wave refocuses on the draws not ruled out yet or, while they are
            # few, on the best ELITE share of the draws so far (an adaptive cut that
            # falls toward `cut`, as in ABC-SMC).
            level = max(cut, float(np.quantile(so_far, ELITE)))
            elite = so_far_u[so_far <= level]
            rows.append(
                {
                    "wave": k + 1,
                    "step": "wave",
                    "draws": n,
                    "kept": int((worst <= cut).sum()),
                    "next_level": level,
                }
            )
            proposal = _Proposal.around(elite, gen)
        u_all = np.concatenate(all_u)
        model_all = np.concatenate(all_model)
        wave_all = np.concatenate(all_wave)
        ok = np.concatenate(all_worst) <= cut
        if not ok.any():
            ruled = np.where(
                use,
                (implausibility(observations, prior_model, discrepancy) > cut).mean(axis=0),
                -1.0,
            )
            order = np.argsort(-ruled, kind="stable")[:3]
            ids = list(observations)
            named = ", ".join(f"{ids[j]} (rules out {ruled[j]:.0%})" for j in order)
            raise ScenarioError(
                f"calibrate: none of {draws} draws of {sc.name!r} is consistent with the "
                f"observations at cut {cut}; most binding: {named}. Widen the priors, "
                "loosen those tolerances, or raise the cut"
            )
        # Balance-heuristic weights: the prior is uniform on the cube, the draws come from
        # the mixture of the waves' proposals: w = 1 / sum_k (n_k / N) q_k(u).
        total = float(sum(per_wave))
        u_kept, model_kept = u_all[ok], model_all[ok]
        density = np.zeros(len(u_kept))
        for q, n_k in zip(proposals, per_wave, strict=True):
            density += (n_k / total) * q.density(u_kept)
        weights = 1.0 / density
        weights /= weights.sum()
        wave_kept = wave_all[ok]
        if n_move:
            u_kept, model_kept, extra = _move(
                sc, names, observations, pool, u_kept, model_kept, weights,
                n_move, (seed, waves), cut, discrepancy, use,
            )  # fmt: skip
            model_all = np.concatenate([model_all, extra])
            accepted = len(extra)
            rows.append(
                {
                    "wave": waves + 1,
                    "step": "move",
                    "draws": n_move,
                    "kept": int(
                        (
                            implausibility(observations, extra, discrepancy)[:, use].max(axis=1)
                            <= cut
                        ).sum()
                    )
                    if accepted
                    else 0,
                    "next_level": cut,
                }
            )
            weights = np.full(len(u_kept), 1.0 / len(u_kept))
            wave_kept = np.full(len(u_kept), waves + 1)
    finally:
        if owned and pool is not None:
            pool.shutdown()
    inputs = _values(sc, names, u_kept)
    inputs["weight"] = weights
    inputs["wave"] = wave_kept
    if len(inputs) < 50:
        warnings.warn(
            f"calibrate: only {len(inputs)} draws of {sc.name!r} are consistent with the "
            "observations; quantiles of the calibration are rough (use more draws)",
            SimlabWarning,
            stacklevel=2,
        )
    return Calibration(
        scenario=sc,
        observations=observations,
        inputs=inputs,
        model=model_kept,
        prior_inputs=prior_inputs,
        prior_model=prior_model,
        waves=pd.DataFrame(rows).set_index("wave"),
        cut=float(cut),
        discrepancy=float(discrepancy),
        skipped=tuple(skip),
        seed=seed,
        all_model=model_all,
    )
