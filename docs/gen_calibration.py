"""Generate docs/calibration.md: the hindcast, its calibration and what it could not match.

Usage::

    python docs/gen_calibration.py           # (re)write docs/calibration.md and its figures
    python docs/gen_calibration.py --check   # exit 1 if docs/calibration.md is out of date

The page's tables come from one seeded calibration of ``history-2023`` against the
shipped observations (:data:`CALIBRATION`, about 10 s). Every observation the calibrated
hindcast does not match within tolerance must have a reason in :data:`REASONS`, or this
script stops: the page's "Not matched" list (which a test reads) cannot leave one out.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for _where in (REPO, REPO / "docs"):
    if str(_where) not in sys.path:  # run from a checkout without installing
        sys.path.insert(0, str(_where))

import numpy as np  # noqa: E402

import simlab  # noqa: E402
from simlab.calibration import OBSERVABLES  # noqa: E402
from simlab.calibration.refit import FORWARD as REFIT_FORWARD  # noqa: E402
from simlab.errors import SimlabWarning  # noqa: E402

OUTPUT = REPO / "docs" / "calibration.md"
IMG = REPO / "docs" / "img" / "calibration"  # its own folder: docs/img/*.png are the gallery's
FIGURES = ("calibration-prior.png", "calibration-hindcast.png")

#: The calibration the page shows (and the test of the shipped hindcast re-runs); the
#: discrepancy and the skipped observations are the observations file's defaults.
CALIBRATION = {"draws": 20_000, "seed": 1, "waves": 10}
#: Draws of the prior run, and of the calibrated draws resampled for the figure.
SHOWN = 1000
#: The hindcast's parameters that mean the same in baseline-2025, and the forward paths
#: they stand for (docs/fit_calibrated.py writes them into the catalog).
FORWARD = {k: list(v) for k, v in REFIT_FORWARD.items()}
#: Draws and seed of the forward runs (the same inputs before and after for the rest).
FORWARD_DRAWS, FORWARD_SEED = 2000, 7


def _halflife_mode() -> float:
    """The shipped baseline's API growth half-life (its PERT's mode, years)."""
    return float(
        simlab.load_scenario("baseline-2025").uncertain["segments.developer.growth_halflife"].mode
    )


#: The API growth's half-life (years) at which the baseline's claims are shown, and the
#: paths it is fixed at (the same draws otherwise: common random numbers).
HALFLIVES = (0.25, 0.5, 1.0, 2.0, 4.0)
HALFLIFE_PATHS = ("segments.developer.growth_halflife", "segments.enterprise.growth_halflife")

_GOOGLE = (
    "Alphabet counts tokens across all of Google's products (Search's AI Overviews, "
    "Workspace, Android, the Gemini app and API); the hindcast's two segments (chat "
    "subscriptions and the paid API) hold only the last two, so the model is one to two "
    "orders of magnitude below; skipped in the calibration"
)
#: Why each observation that the calibrated hindcast misses is missed.
REASONS = {
    "google-tokens-2024-04": _GOOGLE,
    "google-tokens-2025-05": _GOOGLE,
    "google-tokens-2025-10": _GOOGLE,
    "openai-runrate-2023-10": (
        "the model's OpenAI revenue grows too smoothly: matching the 2025 figures (20 B "
        "annualised, 20 M paying seats) with one Bass curve and one API trend puts late 2023 "
        "above the reported 1.3 B; OpenAI's real 2023 revenue rose in steps (GPT-4's API "
        "waitlist, ChatGPT Enterprise from August) that fixed growth rates cannot follow"
    ),
    "openai-runrate-2023-12": (
        "as openai-runrate-2023-10: the 2023 run-rates sit below the smooth curve that fits "
        "2024-2025"
    ),
}


def _money(x: float) -> str:
    for scale, unit in ((1e15, " P"), (1e12, " T"), (1e9, " B"), (1e6, " M")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def _value(metric: str, x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if metric in ("paid_share", "revenue_share"):
        return f"{x:.0%}"
    if metric == "price_decline":
        return f"{x:.3g}x"
    return _money(x)


def forward(cal: simlab.Calibration) -> object:
    """Return P(each baseline-2025 claim) before and after calibration (a DataFrame).

    Before: the baseline with its calibrated entries put back to their priors
    (docs/fit_calibrated.py's ``uncalibrated``); after: the baseline as shipped (PERTs
    fitted to the calibrated draws, with their rank correlations); and the shipped
    baseline with the calibrated draws themselves (``forward_inputs``), which shows what
    the fitted distributions lose.
    """
    import pandas as pd
    from fit_calibrated import uncalibrated

    base = simlab.load_scenario("baseline-2025")
    runs = {
        "before": (uncalibrated(base), None),
        "after": (base, None),
        "draws": (base, cal.forward_inputs(base, FORWARD_DRAWS, FORWARD_SEED, FORWARD)),
    }
    columns = {}
    for label, (sc, inputs) in runs.items():
        if inputs is None:
            inputs = simlab.sample_inputs(sc, FORWARD_DRAWS, FORWARD_SEED)
        claims = simlab.simulate(sc, inputs).claims()
        columns[label] = claims["probability"]
        columns[f"{label} se"] = claims["se"]
    return pd.DataFrame(columns)


def halflife() -> object:
    """Return P(each baseline-2025 claim) with the API growth's half-life fixed (a DataFrame).

    One inputs table of the shipped baseline (:data:`FORWARD_DRAWS`, :data:`FORWARD_SEED`);
    at each of :data:`HALFLIVES` its half-life columns are set to that value, the other
    columns kept (common random numbers). Columns: the half-life, and ``se`` beside each.
    """
    import pandas as pd

    base = simlab.load_scenario("baseline-2025")
    inputs = simlab.sample_inputs(base, FORWARD_DRAWS, FORWARD_SEED)
    columns = {}
    for years in HALFLIVES:
        fixed = inputs.copy()
        for path in HALFLIFE_PATHS:
            fixed[path] = years
        claims = simlab.simulate(base, fixed).claims()
        columns[years] = claims["probability"]
        columns[f"{years} se"] = claims["se"]
    return pd.DataFrame(columns)


def _pert(dist: object) -> str:
    low, mode, high = (getattr(dist, k) for k in ("low", "mode", "high"))
    return f"a PERT {low:g}-{high:g} years, mode {mode:g}"


#: A claim whose probability moves by more than this over :data:`HALFLIVES` rests on it.
MOVES = 0.1


def _halflife_reading(table: object) -> str:
    """Return the one line that says what the half-life table means."""
    p = table[list(HALFLIVES)]  # type: ignore[index]
    spread = p.max(axis=1) - p.min(axis=1)
    moved = [
        f"`{c}` ({p.loc[c, HALFLIVES[0]]:.2f} at {HALFLIVES[0]:g} y, "
        f"{p.loc[c, HALFLIVES[-1]]:.2f} at {HALFLIVES[-1]:g} y)"
        for c in spread.index
        if spread[c] > MOVES
    ]
    still = spread[spread <= MOVES]
    return (
        "What it means: "
        + (
            f"{'; '.join(moved)} rest on the half-life: a boom that ends later leaves "
            "the closed labs more API revenue, so these claims say as much about how soon "
            "the API boom ends as about open models; "
            if moved
            else ""
        )
        + f"the other {len(still)} claims move by at most {still.max():.2f} over "
        f"{HALFLIVES[0]:g}-{HALFLIVES[-1]:g} years."
    )


def calibrate() -> tuple[simlab.Calibration, object, object]:
    """Return the calibration, a prior run and a run of resampled calibrated draws."""
    obs = simlab.load_observations("history-2023")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimlabWarning)
        cal = simlab.calibrate("history-2023", obs, **CALIBRATION)
    prior = simlab.run("history-2023", draws=SHOWN, seed=1, paths=True, progress=False)
    posterior = simlab.simulate("history-2023", cal.resample(SHOWN, seed=1), paths=True)
    return cal, prior, posterior


def render(cal: simlab.Calibration, claims: object, halflives: object) -> str:
    """Return the page's Markdown."""
    obs = cal.observations
    table = cal.table()
    missed = [oid for oid, row in table.iterrows() if not row["within_tolerance"]]
    unexplained = [oid for oid in [*missed, *cal.skipped] if oid not in REASONS]
    if unexplained:
        raise SystemExit(
            f"gen_calibration: no reason in REASONS for {', '.join(unexplained)}: the page "
            "must say why each observation is not matched"
        )
    settings = ", ".join(f"{k}={v!r}" for k, v in CALIBRATION.items())
    settings += f", discrepancy={cal.discrepancy!r} and skip from the file"
    lines = [
        "# Calibration and hindcast",
        "",
        "<!-- Generated by docs/gen_calibration.py; do not edit by hand. -->",
        "",
        "Can the model, with the uncertainty it uses for the future, reproduce the market of "
        "2023-2025? Three pieces answer it:",
        "",
        "1. **observations as data**: `scenarios/observations/history-2023.toml`, dated and "
        "sourced figures with a tolerance (shipped in the wheel, validated like a scenario);",
        "2. **a hindcast**, the scenario `history-2023`: the market from March 2023 (GPT-4, "
        "Claude 1) with every release and price change of the providers' workhorse models "
        "to November 2025 as a dated event at its historical list price, and wide priors on "
        "what is not observed (demand potentials, Bass coefficients, price and quality "
        "coefficients, elasticity, brand terms);",
        "3. **scoring and calibration**: `simlab.score(results, observations)` and "
        "`simlab.calibrate(scenario, observations, ...)`, history matching in waves.",
        "",
        "```python",
        "import simlab",
        "",
        'obs = simlab.load_observations("history-2023")',
        'res = simlab.run("history-2023", draws=1000, seed=1, paths=True)',
        "simlab.score(res, obs)  # median, 90 % interval and implausibility per observation",
        "",
        "# discrepancy and skipped observations: the file's [calibration] defaults",
        'cal = simlab.calibrate("history-2023", obs, draws=20_000, seed=1)',
        "cal.table()  # observed vs prior and calibrated median and 90 % interval",
        "cal.shrinkage()  # how far each parameter's range shrank",
        "cal.binding()  # which observations rule draws out",
        "cal.resample(1000, seed=1)  # an inputs table for simlab.simulate",
        "```",
        "",
        "The same from the command line (prints the table, writes `hindcast.csv`, "
        "`hindcast.png`, `calibration.csv`, `shrinkage.csv` and `binding.csv`):",
        "",
        "```bash",
        "simlab hindcast history-2023 --calibrate --out hindcast",
        "```",
        "",
        "## Observations",
        "",
        "A `[calibration]` table holds the file's defaults for `simlab.calibrate`: "
        "`discrepancy` and the observations to `skip`. "
        "Each `[observations.ID]` table names a `metric`, `who` (a provider or a group), "
        "`at` a month or over a `period` (a year, or two months, both included), the `value` "
        "with a `tolerance` of a `kind` (`relative` +- a fraction, `factor` x/ a factor, "
        "`absolute` +- an amount, or a `range` with `low` and `high`), its `source` and "
        "whether it is `primary` (the company's, or the data owner's, own statement). A "
        "mistake is one clear error naming the file, the key, the value and what is "
        "allowed, e.g. `history-2023.toml: observations.openai-revenue-2024.tolerance: a "
        "relative tolerance must be in (0, 1), got -0.15`. The metrics an observation may "
        "name:",
        "",
        "| metric | over a period; at a month | what |",
        "|---|---|---|",
    ]
    for o in OBSERVABLES.values():
        lines.append(f"| `{o.name}` | {o.unit} | {o.description} |")
    lines += [
        "",
        f"The {len(obs)} shipped observations ({sum(o.primary for o in obs.values())} primary):",
        "",
        "| observation | metric | who | when | observed | tolerance | primary | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in obs.values():
        interval = f"{_value(o.metric, o.low)} to {_value(o.metric, o.high)}"
        lines.append(
            f"| `{o.id}` | {o.metric} | {o.who} | {o.when} | {_value(o.metric, o.value)} "
            f"| {interval} | {'yes' if o.primary else 'no'} | {o.source} |"
        )
    lines += [
        "",
        "## The hindcast",
        "",
        "Before calibration, the hindcast's wide priors put most observations inside a band "
        "of one to three orders of magnitude:",
        "",
        "![The prior hindcast: model bands against the observations]"
        "(img/calibration/calibration-prior.png)",
        "",
        f"After calibration ({settings}; {len(cal.inputs)} of {CALIBRATION['draws']:,} "
        f"draws kept, effective sample size {cal.ess:.0f}; {SHOWN} resampled draws shown):",
        "",
        "![The calibrated hindcast: model bands against the observations]"
        "(img/calibration/calibration-hindcast.png)",
        "",
        "Observed against the prior's and the calibrated hindcast's median and 90 % interval "
        "(*implausibility*: the calibrated median's distance from the observation in "
        "standard errors, observation and model spread combined; *matched*: the calibrated "
        "median within the tolerance):",
        "",
        "| observation | when | observed | prior median [90 %] | calibrated median [90 %] "
        "| implausibility | matched |",
        "|---|---|---|---|---|---|---|",
    ]
    for oid, row in table.iterrows():
        m = obs[oid].metric
        prior = (
            f"{_value(m, row['prior_median'])} [{_value(m, row['prior_q05'])}, "
            f"{_value(m, row['prior_q95'])}]"
        )
        post = f"{_value(m, row['median'])} [{_value(m, row['q05'])}, {_value(m, row['q95'])}]"
        matched = "yes" if row["within_tolerance"] else "**no**"
        if oid in cal.skipped:
            matched += " (skipped)"
        lines.append(
            f"| `{oid}` | {row['when']} | {_value(m, row['observed'])} | {prior} | {post} "
            f"| {row['implausibility']:.2f} | {matched} |"
        )
    waves = cal.waves.reset_index()
    lines += [
        "",
        "## Calibration diagnostics",
        "",
        f"Draws kept (not ruled out yet) by wave, and the level that chose the next wave's "
        f"centres (it falls to the cut, {cal.cut:g}); the last row is the Metropolis moves "
        "(proposals, and proposals accepted):",
        "",
        "| wave | step | draws | kept or accepted | next level |",
        "|---|---|---|---|---|",
    ]
    for _, w in waves.iterrows():
        level = f"{w['next_level']:.2f}" if w["step"] == "wave" else ""
        lines.append(
            f"| {int(w['wave'])} | {w['step']} | {int(w['draws']):,} | {int(w['kept'])} | {level} |"
        )
    lines += [
        "",
        f"Effective sample size (Kish, copies counted once) of the {len(cal.inputs)} "
        f"particles: {cal.ess:.1f}. How far each parameter's 90 % interval shrank (1: "
        "pinned, 0: unchanged):",
        "",
        "| parameter | prior 90 % | calibrated median [90 %] | shrinkage |",
        "|---|---|---|---|",
    ]
    for name, row in cal.shrinkage().iterrows():
        lines.append(
            f"| `{name}` | {row['prior_q05']:.3g} to {row['prior_q95']:.3g} | "
            f"{row['median']:.3g} [{row['q05']:.3g}, {row['q95']:.3g}] | "
            f"{row['shrinkage']:.2f} |"
        )
    lines += [
        "",
        "Which observations bind: the share of the prior's draws each rules out, and the "
        "draws of all waves that it alone rules out (every other observation keeps them):",
        "",
        "| observation | rules out of the prior | alone (draws) |",
        "|---|---|---|",
    ]
    for oid, row in cal.binding().iterrows():
        lines.append(f"| `{oid}` | {row['ruled_out']:.0%} | {int(row['alone'])} |")
    lines += [
        "",
        "## The method",
        "",
        "Each observation's tolerance interval is read as two standard errors either side "
        "of it, on a log scale for relative and factor tolerances (revenue, tokens) and a "
        "linear one for shares. A model discrepancy (Vernon, Goldstein & Bower 2010) of "
        f"{cal.discrepancy:.0%} of the observed value (the file's `[calibration]` "
        "table) is added: the model's "
        "structure (two segments, one workhorse model per provider, smooth growth) is not "
        "expected to come closer than that. A draw's implausibility for an observation is "
        "its distance from it in those combined standard errors (Craig et al. 1997); a draw "
        "is kept when every matched observation's implausibility is at most 3 "
        "(Pukelsheim's three-sigma rule). The price decline at constant capability is set "
        "by the dated list prices and qualities alone (no uncertain parameter moves it): it "
        "checks the hindcast's price events, not the calibration.",
        "",
        "History matching (Vernon et al. 2010; Andrianakis et al. 2015) suits a few "
        "observations with tolerances: it rules out what history contradicts, where a "
        "likelihood would claim a sharp posterior that an unknown model discrepancy makes "
        "overconfident. It runs on the simulator itself, no emulator (a hindcast draw costs "
        "about a quarter of a millisecond): wave 1 is a Latin hypercube of the priors; each "
        "later wave draws from normals (truncated to the unit cube of the priors' "
        "quantiles) centred on the best draws so far, with a selection level that falls to "
        "the cut as in ABC-SMC (Del Moral, Doucet & Jasra 2012; Beaumont et al. 2009). The "
        "kept draws of all waves are weighted by the inverse of the waves' mixture density "
        "(the balance heuristic of multiple importance sampling, Veach & Guibas 1995), so "
        "that, wave 1 covering every prior, they are a consistent sample of the priors "
        "restricted to what history allows. Those weights are uneven (late waves sample "
        "densely where early ones found few draws), so a quarter of the draws then "
        "resamples them into particles and moves each by Metropolis steps that target the "
        "same restricted prior (a reflected random walk accepted when the new point is not "
        "ruled out; Del Moral, Doucet & Jasra 2012): the particles carry equal weights and "
        "the copies resampling makes spread apart. More draws raise the effective sample "
        "size about in proportion. Runs are seeded "
        "(`SeedSequence(seed, spawn_key=(wave,))`) and bit-identical on any executor. "
        "References with DOIs: `simlab.calibration.matching`.",
        "",
        "## Not matched",
        "",
        "Observations the calibrated hindcast does not reproduce within tolerance, or that "
        "the calibration skips, with the reason. `tests/test_calibration.py` reads this "
        "list: an observation missing from it must be matched.",
        "",
        "| observation | why it is not matched |",
        "|---|---|",
    ]
    for oid in obs:
        if oid in missed or oid in cal.skipped:
            lines.append(f"| `{oid}` | {REASONS[oid]} |")
    mapped = "; ".join(
        f"`{k}` -> " + ", ".join(f"`{t}`" for t in ([v] if isinstance(v, str) else v))
        for k, v in FORWARD.items()
    )
    lines += [
        "",
        "## Forward: the catalog refitted from the calibration",
        "",
        "The catalog's forward scenarios carry the calibration. Only parameters that mean "
        f"the same in 2025-2035 as in 2023-2025 are carried: {mapped}. The hindcast's other "
        "parameters are tied to its own start (adoption in 2023, brand terms against "
        "2023's line-up, a quality index in Elo) and are not. `docs/fit_calibrated.py` "
        "fits a PERT to each carried parameter's calibrated median and 90 % interval "
        "(`simlab.calibration.refit.fit_pert`) and writes it into baseline-2025 (its "
        "variants inherit it; deepseek-shock-2025 sets the API growth by shocks at "
        '2025-11) with `source = "HINDCAST"`, and the calibrated draws\' rank '
        "correlations between them as `[[correlations]]` (`carried_correlations`; the "
        "strongest: a higher API growth goes with a lower elasticity, the two ways of "
        "explaining the same tokens); a test checks the files are current. The API "
        "potential's calibrated growth "
        f"(`segments.api.growth`, median "
        f"{100 * cal.shrinkage().loc['segments.api.growth', 'median']:.0f} % a year) is "
        "where the developer and enterprise segments start; no market grows so for a "
        "decade, so the rate decays to about 10 % a year with a half-life of about "
        f"{12 * _halflife_mode():.0f} months (`growth_halflife`, `growth_final`: "
        "docs/model.md, 'Decaying growth'), "
        "fitted by docs/fit_halflife.py so that the median OpenAI revenue in 2030 is the "
        "midpoint of OpenAI's own projection (174-200 B), an optimistic anchor. Before, "
        "the baseline assumed a "
        "constant 20-80 % a year. Growth alone does not bound the market: the volume's "
        "response to a price index that falls a hundredfold (cheaper and better models) "
        "let ten-year revenue reach hundreds of trillions of USD in the upper tail, so "
        "each API segment's buyers' spend now saturates below a ceiling "
        "(`spend_ceiling`: USD 2.5 T a year for the API in all, 1.2-5.4 T, between "
        "today's software and all IT spending; docs/model.md, 'Spend ceiling').",
        "",
        f"P(claim) over {FORWARD_DRAWS:,} draws of baseline-2025 (seed {FORWARD_SEED}): "
        "*before*, the baseline with its calibrated entries put back to the priors they "
        "replaced, no decay and no spend ceiling, and its start refitted (`uncalibrated` "
        "in docs/fit_calibrated.py: the "
        "catalog as it was); *after*, the baseline as shipped; *calibrated draws*, the "
        "shipped baseline with the carried parameters drawn jointly from the calibrated "
        "draws (`forward_inputs`), which shows what the fitted distributions lose. In "
        "brackets the forward Monte Carlo's standard error, which leaves out the "
        f"calibration's own sampling error (an effective sample size of {cal.ess:.0f}):",
        "",
        "| claim | before | after | after, calibrated draws |",
        "|---|---|---|---|",
    ]
    for claim, row in claims.iterrows():  # type: ignore[attr-defined]
        cells = [f"{row[c]:.2f} ({row[c + ' se']:.3f})" for c in ("before", "after", "draws")]
        lines.append(f"| `{claim}` | {' | '.join(cells)} |")
    prior = simlab.load_scenario("baseline-2025").uncertain[HALFLIFE_PATHS[0]]
    lines += [
        "",
        "docs/scenarios.md shows every scenario's claims before and after calibration the "
        "same way.",
        "",
        "How much the claims rest on the growth's half-life, an assumption (anchored on "
        "OpenAI's own 2030 projection, not calibrated: the hindcast's three years cannot "
        "tell how fast a boom ends): P(claim) with the API segments' `growth_halflife` "
        f"fixed at each value, the {FORWARD_DRAWS:,} draws of the *after* column otherwise "
        f"(seed {FORWARD_SEED}, common random numbers; as shipped, {_pert(prior)}; in "
        "brackets the standard error):",
        "",
        "| claim | " + " | ".join(f"{h:g} y" for h in HALFLIVES) + " |",
        "|---|" + "---|" * len(HALFLIVES),
    ]
    for claim, row in halflives.iterrows():  # type: ignore[attr-defined]
        cells = [f"{row[h]:.2f} ({row[f'{h} se']:.3f})" for h in HALFLIVES]
        lines.append(f"| `{claim}` | {' | '.join(cells)} |")
    lines += [
        "",
        _halflife_reading(halflives),
        "",
        "## Adding an observation and recalibrating",
        "",
        "1. Add an `[observations.ID]` table to a copy of "
        "`scenarios/observations/history-2023.toml` (or to the file itself, with its "
        "source in `[references]`), e.g. a provider's annualised revenue at a month:",
        "",
        "    ```toml",
        "    [observations.anthropic-runrate-2025-06]",
        '    metric = "revenue"',
        '    who = "anthropic"',
        '    at = "2025-06"',
        "    value = 4.0e9",
        "    tolerance = 0.25",
        '    kind = "relative"',
        '    source = "Publisher, 2025-07-01, title"',
        "    primary = false",
        "    ```",
        "",
        "2. Check it loads: `simlab.load_observations('my-observations.toml')` (one clear "
        "error otherwise).",
        "3. Recalibrate and look at the table, the figure and the binding observations: "
        "`simlab hindcast history-2023 --observations my-observations.toml --calibrate`. "
        "An observation the model cannot represent goes into the file's `[calibration] "
        "skip` list (or `--skip ID`), and its reason onto this page (`REASONS` in "
        "docs/gen_calibration.py).",
        "4. To carry the calibration into a forward run, "
        "`cal.forward_inputs(scenario, draws, seed)` draws the parameters a forward "
        "scenario shares with the hindcast from the calibrated draws and the rest from "
        "its own priors, for `simlab.simulate(scenario, inputs)`.",
        "5. To refit the catalog from a new calibration: `python docs/fit_calibrated.py` "
        "rewrites the calibrated entries and correlations of the scenarios "
        "(`tests/test_refit.py` fails until it is run), then `python docs/fit_baseline.py` "
        "refits the start market, `python docs/fit_halflife.py` the growth's half-life to "
        "its anchor (OpenAI's 2030 projection), `python tests/data/pin_engine.py` the pin, "
        "and the generated pages are regenerated.",
        "",
    ]
    return "\n".join(lines)


def write_figures(prior: object, posterior: object, observations: object) -> None:
    """Draw the prior and calibrated hindcast figures into docs/img."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simlab.calibration.plots import hindcast

    for name, res, title in (
        (FIGURES[0], prior, "history-2023, prior: model vs observations"),
        (FIGURES[1], posterior, "history-2023, calibrated: model vs observations"),
    ):
        fig = hindcast(res, observations, title=title)  # type: ignore[arg-type]
        IMG.mkdir(parents=True, exist_ok=True)
        fig.savefig(IMG / name, dpi=90, metadata={"Software": None})
        plt.close(fig)


def main() -> int:
    """Write the page and figures, or with ``--check`` exit 1 when the page is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check it is up to date")
    args = parser.parse_args()
    cal, prior, posterior = calibrate()
    text = render(cal, forward(cal), halflife())
    if args.check:
        stale = not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text
        missing = [f for f in FIGURES if not (IMG / f).exists()]
        if stale or missing:
            print(
                "docs/calibration.md is out of date: run python docs/gen_calibration.py",
                file=sys.stderr,
            )
            return 1
        print("docs/calibration.md is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    write_figures(prior, posterior, cal.observations)
    print(f"wrote {OUTPUT} and {', '.join(FIGURES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
