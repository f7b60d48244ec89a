"""Calibration by history matching: keep the draws whose outputs are consistent with history.

The method (Craig et al. 1997; Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015),
run on the simulator itself (no emulator: a draw of the hindcast costs about a millisecond):

1. Wave 1 draws a Latin hypercube over the unit cube of the scenario's uncertain
   parameters (each maps to its prior through the inverse CDF, as ``simlab.run`` does).
2. Each draw is simulated and each observation's model value read off its paths
   (:func:`~simlab.calibration.observe`). Its implausibility for observation ``j`` is
   ``I_j = |g(f_j) - g(z_j)| / sigma_j`` (:func:`~simlab.calibration.distance`); a draw is
   *not ruled out yet* (NROY) when ``max_j I_j <= cut`` (3, Pukelsheim's rule).
3. The next wave draws a Latin hypercube in the box that holds the NROY draws so far
   (widened by 10 % of its width each side): the non-implausible region, refocused.
4. After the last wave, every NROY draw of every wave is kept, weighted by the inverse of
   the waves' mixture density at it (the "balance heuristic" of multiple importance
   sampling, Veach & Guibas 1995; Owen & Zhou 2000). Wave 1 covers the whole cube, so the
   weighted draws are a consistent sample of the prior restricted to the NROY region,
   whatever the later boxes cut off.

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

Veach, E. & Guibas, L. J. (1995). Optimally combining sampling techniques for Monte Carlo
rendering. *SIGGRAPH '95*, 419-428. https://doi.org/10.1145/218380.218498

Owen, A. & Zhou, Y. (2000). Safe and effective importance sampling. *Journal of the
American Statistical Association* 95(449), 135-143. https://doi.org/10.1080/01621459.2000.10473909
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simlab.calibration.observations import Observations, distance, load_observations, observe
from simlab.calibration.scoring import CUT, score_values, weighted_quantile
from simlab.errors import ScenarioError, SimlabWarning, SimulationError

if TYPE_CHECKING:
    from simlab.scenario.load import Scenario

__all__ = ["Calibration", "calibrate", "implausibility"]

#: Each wave's box is the NROY draws' box widened by this fraction of its width each side.
MARGIN = 0.1
#: Draws simulated together (as ``simlab.run``'s block size).
BLOCK = 1024


def implausibility(observations: Observations, model: np.ndarray) -> np.ndarray:
    """Return each draw's implausibility for each observation, ``(draws, observations)``.

    ``inf`` where a value cannot be compared (NaN, or not positive on a log scale).
    """
    return (
        np.column_stack([distance(o, model[:, j]) for j, o in enumerate(observations.values())])
        if len(observations)
        else np.zeros((model.shape[0], 0))
    )


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
        Per wave: draws, NROY draws in it, and the box's volume (fraction of the cube).
    cut : float
        The implausibility cut.
    seed : int
        The seed.
    """

    scenario: Scenario
    observations: Observations
    inputs: pd.DataFrame
    model: np.ndarray
    prior_inputs: pd.DataFrame
    prior_model: np.ndarray
    waves: pd.DataFrame
    cut: float
    seed: int
    _prior_quantiles: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

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
        """Kish's effective sample size of the kept draws, ``(sum w)^2 / sum w^2``."""
        w = self.weights
        return float(w.sum() ** 2 / (w**2).sum()) if w.size else 0.0

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
        """Which observations bind: what each rules out of the prior (wave 1).

        Returns
        -------
        pandas.DataFrame
            Index ``observation``; ``ruled_out`` (share of the prior's draws whose
            implausibility for it exceeds the cut) and ``alone`` (share ruled out by it
            alone: the draws every other observation keeps). An observation with
            ``alone`` > 0 binds: removing it would let those draws through.
        """
        imp = implausibility(self.observations, self.prior_model) > self.cut
        fails = imp.sum(axis=1)
        rows = [
            {
                "observation": o.id,
                "ruled_out": float(imp[:, j].mean()) if imp.size else 0.0,
                "alone": float((imp[:, j] & (fails == 1)).mean()) if imp.size else 0.0,
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

    def forward_inputs(self, scenario: Scenario, draws: int, seed: int) -> pd.DataFrame:
        """Return an inputs table for a forward scenario carrying the history's constraints.

        The parameters the forward scenario shares with the hindcast (same path, both
        uncertain) are drawn jointly from the calibrated draws (by weight, so their
        history-consistent correlations are kept); the others from the forward
        scenario's own distributions (``simlab.sample_inputs``).

        Parameters
        ----------
        scenario : Scenario
            The forward scenario.
        draws, seed : int

        Returns
        -------
        pandas.DataFrame
            For :func:`simlab.simulate`.
        """
        from simlab.experiment import sample_inputs

        table = sample_inputs(scenario, draws, seed)
        shared = [p for p in self.parameters if p in scenario.uncertain]
        if shared:
            calibrated = self.resample(draws, seed + 1)
            for name in shared:
                table[name] = calibrated[name].to_numpy()
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
    waves: int = 4,
    cut: float = CUT,
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
    executor : None, "processes" or concurrent.futures.Executor
        Where blocks of draws run, as in :func:`simlab.run`.

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
    >>> import simlab
    >>> cal = simlab.calibrate("history-2023", "history-2023", draws=400, seed=1)  # doctest: +SKIP
    >>> cal.ess  # doctest: +SKIP
    """
    from simlab.experiment import _scenario
    from simlab.uncertainty import unit_sample

    sc = _scenario(scenario)
    if not isinstance(observations, Observations):
        observations = load_observations(observations, scenario=sc)
    for name, value, low in (("draws", draws, 1), ("waves", waves, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ScenarioError(f"{name} must be an integer >= {low}, got {value!r}")
    if draws < waves:
        raise ScenarioError(f"draws ({draws}) must be at least waves ({waves})")
    if isinstance(cut, bool) or not isinstance(cut, int | float) or not cut > 0:
        raise ScenarioError(f"cut must be a number > 0, got {cut!r}")
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
    per_wave = [draws // waves + (1 if k < draws % waves else 0) for k in range(waves)]
    boxes: list[tuple[np.ndarray, np.ndarray]] = []
    all_u, all_model, all_wave = [], [], []
    kept_u = np.empty((0, d))
    prior_inputs = pd.DataFrame()
    prior_model = np.empty((0, len(observations)))
    rows = []
    try:
        lo, hi = np.zeros(d), np.ones(d)
        for k, n in enumerate(per_wave):
            gen = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
            u = lo + (hi - lo) * unit_sample(n, d, "lhs", gen)
            table = _values(sc, names, u)
            model = _simulate(sc, table, observations, pool)
            ok = (implausibility(observations, model) <= cut).all(axis=1)
            if k == 0:
                prior_inputs, prior_model = table, model
            boxes.append((lo, hi))
            all_u.append(u)
            all_model.append(model)
            all_wave.append(np.full(n, k + 1))
            kept_u = np.concatenate([kept_u, u[ok]])
            rows.append(
                {
                    "wave": k + 1,
                    "draws": n,
                    "kept": int(ok.sum()),
                    "box_volume": float(np.prod(hi - lo)),
                }
            )
            if len(kept_u):
                width = kept_u.max(axis=0) - kept_u.min(axis=0)
                lo = np.clip(kept_u.min(axis=0) - MARGIN * width - 1e-9, 0.0, 1.0)
                hi = np.clip(kept_u.max(axis=0) + MARGIN * width + 1e-9, 0.0, 1.0)
    finally:
        if owned and pool is not None:
            pool.shutdown()
    u_all = np.concatenate(all_u)
    model_all = np.concatenate(all_model)
    wave_all = np.concatenate(all_wave)
    ok = (implausibility(observations, model_all) <= cut).all(axis=1)
    if not ok.any():
        ruled = (implausibility(observations, prior_model) > cut).mean(axis=0)
        worst = np.argsort(-ruled, kind="stable")[:3]
        ids = list(observations)
        named = ", ".join(f"{ids[j]} (rules out {ruled[j]:.0%})" for j in worst)
        raise ScenarioError(
            f"calibrate: none of {draws} draws of {sc.name!r} is consistent with the "
            f"observations at cut {cut}; most binding: {named}. Widen the priors, loosen "
            "those tolerances, or raise the cut"
        )
    # Balance-heuristic weights: 1 / (sum_k n_k/N * 1{u in box_k} / vol_k).
    total = float(sum(per_wave))
    density = np.zeros(int(ok.sum()))
    u_kept = u_all[ok]
    for (lo_k, hi_k), n_k in zip(boxes, per_wave, strict=True):
        inside = ((u_kept >= lo_k) & (u_kept <= hi_k)).all(axis=1)
        density += inside * (n_k / total) / float(np.prod(hi_k - lo_k))
    weights = 1.0 / density
    weights /= weights.sum()
    inputs = _values(sc, names, u_kept)
    inputs["weight"] = weights
    inputs["wave"] = wave_all[ok]
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
        model=model_all[ok],
        prior_inputs=prior_inputs,
        prior_model=prior_model,
        waves=pd.DataFrame(rows).set_index("wave"),
        cut=float(cut),
        seed=seed,
    )
