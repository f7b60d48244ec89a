"""Issue 16 regressions: bad input gets a clear error at load, never a wrong answer later.

Each test names the case of issue 16 it holds ("#1" is its first numbered case).
"""

import copy
import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import pytest

import simlab
from simlab.claims import MAX_CLAIM_LENGTH, parse_claim
from simlab.cli import main
from simlab.errors import ScenarioError
from simlab.scenario.load import Scenario, load_scenario

FULL = Path(__file__).parent / "data" / "full.toml"
DOC = tomllib.loads(FULL.read_text())


def edited(changes=(), **by_path):
    """The full test document with ``a__b__c`` paths changed (None deletes)."""
    doc = copy.deepcopy(DOC)
    for path, value in {**dict(changes), **by_path}.items():
        parts = path.split("__")
        node = doc
        for part in parts[:-1]:
            node = node[part]
        if value is None:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value
    return doc


def load(doc):
    return Scenario.from_dict(doc, origin="x.toml")


def renamed(old, new):
    """The full document with provider ``old`` renamed ``new`` (everywhere it is named)."""
    doc = edited()
    doc["providers"] = {(new if k == old else k): v for k, v in doc["providers"].items()}
    return doc


# --- #1 dates beyond what datetime64[ns] holds ----------------------------------------------
@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"end": "2305-01"}, "date 2305-01-01 is outside the dates simlab handles"),
        ({"start": "1600-01"}, "date 1600-01-01 is outside the dates simlab handles"),
        (
            {
                "events__newco-entry__date": {
                    "dist": "uniform_date",
                    "low": "2025-03",
                    "high": "2305",
                }
            },
            "events.newco-entry.date",
        ),
        ({"events__newco-entry__date": "9999-01-01"}, "outside the dates simlab handles"),
    ],
)
def test_1_dates_outside_the_representable_range_are_refused(changes, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        load(edited(changes))


# --- #2 terminal growth and the discount rate ----------------------------------------------
@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"finance__terminal_growth": -2}, r"finance.terminal_growth: must be in \[-0.5, 0.5\]"),
        ({"finance__discount_rate": 1e-300}, r"finance.discount_rate: must be in \[0.001, 1\]"),
        (
            {"finance__terminal_growth": 0.1},
            r"finance.terminal_growth: reaches 0.1, .* below finance.discount_rate, whose "
            r"lowest value is 0.1",
        ),
        (
            {"finance__discount_rate": {"dist": "uniform", "low": 0.02, "high": 0.12}},
            r"finance.terminal_growth: reaches 0.02.*lowest value is 0.02",
        ),
    ],
)
def test_2_terminal_growth_stays_below_every_discount_rate(changes, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        load(edited(changes))


def test_2_no_terminal_value_needs_no_gap():
    doc = edited(finance__terminal_growth=0.2, finance__terminal_value=False)
    assert load(doc).spec.finance.terminal_growth.value == 0.2


# --- #3 names ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["all", "open", "closed", "Closed"])
def test_3_a_provider_cannot_take_a_group_label(name):
    with pytest.raises(ScenarioError, match=f"provider name '{name}' is a group label"):
        load(renamed("newco", name))


@pytest.mark.parametrize("name", ["region=us", "", " ", "a.b", "a]", "a b", "x" * 65, "n\x00"])
def test_3_names_outside_the_character_set_are_refused(name):
    with pytest.raises(ScenarioError, match="is not allowed: use 1 to 64 letters"):
        load(renamed("newco", name))


def test_3_segment_event_and_region_names_too():
    doc = edited()
    doc["segments"]["a.b"] = doc["segments"].pop("enterprise")
    with pytest.raises(ScenarioError, match=r"segment name .a\.b. is not allowed"):
        load(doc)
    with pytest.raises(ScenarioError, match="region name 'u s' is not allowed"):
        load(edited(providers__newco__region="u s"))


# --- #7 a claim on an empty group is undecided ---------------------------------------------
def test_7_a_claim_on_an_empty_group_is_undecided():
    doc = edited()
    for provider in doc["providers"].values():
        provider["kind"] = "open"
    sc = load(doc)
    parsed = parse_claim("share_final[closed] < 0.5", sc)
    assert parsed.empty == frozenset({"closed"})
    held = parsed.evaluate(lambda term: np.zeros(4))
    assert np.isnan(held).all()
    res = simlab.simulate(sc)
    assert np.isnan(res.claims().loc["closed-lose", "probability"])


# --- #8 a point value outside its own distribution; huge distribution parameters -----------
@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (
            {"value": 0.9, "dist": "uniform", "low": 0.1, "high": 0.5},
            r"'value' 0.9 lies outside its own distribution Uniform\(low=0.1, high=0.5\)",
        ),
        (
            {"dist": "pert", "low": 0.1, "mode": 0.3, "high": 1e308},
            r"high must be within \+-1e\+24",
        ),
        (1e300, r"must be within \+-1e\+24"),
    ],
)
def test_8_values_outside_their_distribution_or_any_scale_are_refused(value, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        load(edited(providers__openco__price_in=value))


# --- #11 extends is confined ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("../../etc/passwd", "leaves the scenario's folder"),
        ("/etc/passwd", "must be a catalog name or a path relative"),
        ("/proc/self/environ", "must be a catalog name or a path relative"),
        ("../outside.toml", "leaves the scenario's folder"),
        ("passwd", "neither a shipped scenario nor a .toml file"),
    ],
)
def test_11_extends_reads_only_the_catalog_and_the_scenarios_folder(tmp_path, target, fragment):
    (tmp_path / "outside.toml").write_text(FULL.read_text())
    folder = tmp_path / "mine"
    folder.mkdir()
    child = folder / "child.toml"
    child.write_text(f'extends = "{target}"\nname = "child"\n')
    with pytest.raises(ScenarioError, match=fragment):
        load_scenario(child)


def test_11_a_file_beside_or_below_the_child_and_a_catalog_name_still_work(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "parent.toml").write_text(FULL.read_text())
    (tmp_path / "a.toml").write_text('extends = "sub/parent.toml"\nname = "a"\n')
    assert load_scenario(tmp_path / "a.toml").name == "a"
    (tmp_path / "b.toml").write_text('extends = "baseline-2025"\nname = "b"\n')
    assert load_scenario(tmp_path / "b.toml").providers[0] == "openai"


def test_16_an_extends_chain_is_bounded(tmp_path):
    (tmp_path / "f0.toml").write_text(FULL.read_text())
    for i in range(1, 30):
        (tmp_path / f"f{i}.toml").write_text(f'extends = "f{i - 1}.toml"\n')
    with pytest.raises(ScenarioError, match="a chain of more than 10 files"):
        load_scenario(tmp_path / "f29.toml")


# --- #12 claims: linear tokenizer, bounded messages ----------------------------------------
@pytest.mark.parametrize(
    "expr",
    [
        "a" * 40_000,
        "npv[" * 10_000,
        "npv[openco] < " + " + ".join(["npv[openco]"] * 3000),
        "share_final[closed] < 0.5 and " * 5000,
    ],
)
def test_12_a_huge_claim_is_refused_with_a_bounded_message(expr):
    sc = load_scenario(FULL)
    with pytest.raises(ScenarioError, match=f"at most {MAX_CLAIM_LENGTH:,}") as info:
        parse_claim(expr, sc)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("npv[openco] < 0 and " + "x" * 900, r"'xxxx.*\.\.\.' in 'npv\[openco\].*\.\.\.' is not"),
        ("__t1 < 0", "'__t1' in '__t1 < 0' is not a metric term"),
        ("npv[openco] < __t0", "'__t0' in 'npv"),
        ("(" * 300 + "npv[openco]" + ")" * 300 + " < 0", "not a valid claim expression"),
    ],
)
def test_12_18_bad_claims_say_why_in_a_bounded_line(expr, fragment):
    sc = load_scenario(FULL)
    with pytest.raises(ScenarioError, match=fragment) as info:
        parse_claim(expr, sc)
    assert len(str(info.value)) < 400


def test_12_claim_numbers_with_exponents_still_parse():
    sc = load_scenario(FULL)
    parsed = parse_claim("npv[openco] < -1.5e9 or share[closed, 2026] >= .5", sc)
    assert [t.metric for t in parsed.terms] == ["npv", "share"]


# --- #16 deep nesting, encodings, files that are not scenarios ------------------------------
def test_16_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 600 + "]" * 600 + "\n" + FULL.read_text())
    with pytest.raises(ScenarioError, match=r"deep\.toml: (not valid TOML|x.*nested deeper)"):
        load_scenario(path)
    doc = edited()
    node = doc
    for _ in range(100):
        node["n"] = {}
        node = node["n"]
    with pytest.raises(ScenarioError, match="nested deeper than 20"):
        load(doc)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_16_a_file_not_in_utf8_says_so(tmp_path, encoding):
    path = tmp_path / "enc.toml"
    path.write_bytes(FULL.read_text().replace("Every", "Évery").encode(encoding))
    with pytest.raises(ScenarioError, match=r"enc\.toml: not (UTF-8 text|valid TOML)"):
        load_scenario(path)


def test_16_validate_checks_every_file_even_after_a_bad_one(tmp_path, capsys):
    binary = tmp_path / "results.nc"
    binary.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(FULL.read_text().replace("Every", "Évery").encode("latin-1"))
    assert main(["validate", "--draft", str(binary), str(latin), str(FULL)]) == 2
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2 and "results.nc" in errors[0] and "latin.toml" in errors[1]
    assert "full.toml: ok" in captured.out


# --- #18 validate says ok only if the run can start and save --------------------------------
def test_18_a_toml_date_time_in_a_date_is_refused():
    when = dt.datetime(2025, 6, 1, 12, 0)
    with pytest.raises(ScenarioError, match="date-time or time of day is not allowed"):
        load(edited(**{"events__newco-entry__date": when}))


def test_18_a_toml_date_becomes_text_so_the_json_form_round_trips():
    sc = load(edited(**{"events__newco-entry__date": dt.date(2025, 6, 1)}))
    assert sc.document["events"]["newco-entry"]["date"] == "2025-06-01"
    assert sc.params["events.newco-entry.date"].display() == "2025-06-01"


def test_18_text_with_a_nul_is_refused():
    with pytest.raises(ScenarioError, match="title: text holds a NUL character"):
        load(edited(title="a\x00b"))


def test_18_follow_cycles_are_refused_at_load():
    doc = edited(providers__openco__pricing={"rule": "follow", "target": "follower"})
    with pytest.raises(ScenarioError, match=r"'follow' rules form a cycle \(.*follower"):
        load(doc)


def test_18_a_horizon_of_too_many_steps_is_refused():
    with pytest.raises(ScenarioError, match="at most 5,000 steps"):
        load(edited(start="1900-01", end="2100-01", step="week"))


# --- #6 the finite-results guard -----------------------------------------------------------
def _one_block(path=FULL):
    from simlab.engine import inputs_to_values
    from simlab.engine.metrics import run_and_reduce

    sc = load_scenario(path)
    values = inputs_to_values(sc, None, 0, 1)
    return sc, values, run_and_reduce(sc, values)


@pytest.mark.parametrize(
    ("table", "name", "fragment"),
    [
        ("provider", "npv", r"draw 0: metric npv\[openco\] is inf"),
        ("yearly_group", "revenue_year", r"metric revenue_year\[closed, 2026\] is -inf .*float32"),
        ("group", "irr", r"metric irr\[open\] is inf"),
    ],
)
def test_6_an_infinite_metric_raises_naming_draw_metric_and_who(table, name, fragment):
    from simlab.errors import SimulationError
    from simlab.guard import check_block

    sc, values, block = _one_block()
    array = getattr(block, table)[name]
    if table == "provider":
        array[0, sc.providers.index("openco")] = np.inf
    elif table == "group":
        array[0, sc.groups.index("open")] = np.inf
    else:
        array[0, sc.years.index(2026), sc.groups.index("closed")] = -np.inf
    with pytest.raises(SimulationError, match=fragment):
        check_block(sc, values, block)


def test_6_documented_nans_pass_and_others_do_not():
    from simlab.errors import SimulationError
    from simlab.guard import check_block

    sc, values, block = _one_block()
    block.provider["irr"][0, 0] = np.nan  # no IRR: documented
    check_block(sc, values, block)
    block.provider["revenue"][0, 0] = np.nan  # revenue has no reason to be NaN
    with pytest.raises(SimulationError, match=r"metric revenue\[closedco\] is nan"):
        check_block(sc, values, block)


def test_6_an_empty_groups_best_quality_is_nan_not_minus_infinity():
    doc = edited()
    for provider in doc["providers"].values():
        provider["kind"] = "open"
    res = simlab.simulate(load(doc))
    assert np.isnan(res.metrics.quality_final_by_group.sel(group="closed")).all()
    assert np.isnan(res.metrics.quality_by_group.sel(group="closed")).all()


# --- #5 inputs of simulate and sweep pass the same date checks ------------------------------
UNCERTAIN = Path(__file__).parent / "data" / "uncertain.toml"


@pytest.mark.parametrize(
    ("column", "fragment"),
    [
        (["2040-01-01"], r"row 0: date 2040-01-01 is outside the horizon 2025-01 to 2028-01"),
        ([5.0], r"needs dates .* got numbers"),
    ],
)
def test_5_simulate_refuses_dates_outside_the_horizon_or_numbers_for_dates(column, fragment):
    import pandas as pd

    with pytest.raises(ScenarioError, match=fragment):
        simlab.simulate(UNCERTAIN, pd.DataFrame({"events.openco-release.date": column}))


@pytest.mark.parametrize(
    ("values", "fragment"),
    [(["2050-01-01"], "is outside the horizon"), ([5], "must be dates")],
)
def test_5_sweep_refuses_dates_outside_the_horizon_or_numbers_for_dates(values, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        simlab.sweep(UNCERTAIN, {"events.openco-release.date": values}, "npv", draws=2)


# --- #14 memory estimated up front ----------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: simlab.run(UNCERTAIN, draws=10**20, seed=1),
        lambda: simlab.run(UNCERTAIN, draws=10**9, seed=1, sampler="lhs"),
        lambda: simlab.sample_inputs(UNCERTAIN, draws=10**12, seed=1, sampler="sobol"),
        lambda: simlab.sobol(
            Path(__file__).parent / "data" / "sensitivity.toml", metric="npv", n=2**40
        ),
    ],
)
def test_14_work_that_cannot_fit_in_memory_is_refused_at_once(call):
    with pytest.raises(ScenarioError, match=r"needs about [\d,.]+ GiB of memory, more than"):
        call()


def test_14_the_estimate_is_of_the_order_of_the_documented_per_draw_size():
    from simlab.resources import run_bytes

    # docs/performance.md: all metrics take about 4.3 kB a draw on the baseline.
    per_draw = run_bytes(load_scenario("baseline-2025"), 1)
    assert 2_000 < per_draw < 10_000


# --- #17 #19 arguments -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda r: r.probability("npv", "<", "abc"), "value must be a number, got 'abc'"),
        (lambda r: r.probability("npv", "<", float("nan")), "got nan"),
        (lambda r: r.summary(quantiles=[1.5]), r"quantiles must be in \[0, 1\], got 1.5"),
        (lambda r: r.summary(quantiles=(0.049, 0.05)), "would share the column q05"),
        (lambda r: r.compare(r, quantiles="q"), "quantiles must be a sequence"),
        (lambda r: simlab.run(UNCERTAIN, draws=2, seed=2**64), r"seed must be .* 2\*\*63 - 1"),
        (lambda r: load_scenario(FULL).with_values(None), "takes a mapping of parameter path"),
    ],
)
def test_19_bad_api_arguments_raise_scenario_errors(call, fragment):
    res = simlab.run(UNCERTAIN, draws=4, seed=1)
    with pytest.raises(ScenarioError, match=fragment):
        call(res)


def test_19_a_duplicated_inputs_column_is_refused():
    import pandas as pd

    table = pd.DataFrame([[0.1, 0.2]], columns=["finance.discount_rate"] * 2)
    with pytest.raises(ScenarioError, match=r"'finance\.discount_rate' appear twice"):
        simlab.simulate(UNCERTAIN, table)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", str(FULL), "--out", "/proc/simlab-out"], "--out /proc/simlab-out: cannot write"),
        (["run", str(FULL), "--checkpoint", "/proc/ck"], "--checkpoint /proc/ck: cannot write"),
        (["plot", "r.nc", "--out", "/proc/x/f.png"], "--out /proc/x: cannot write there"),
        (["run", str(FULL), "--seed", str(2**64)], "seed must be an integer"),
        (["run", str(FULL), "--draws", str(10**20)], "GiB of memory"),
    ],
)
def test_17_outputs_and_sizes_are_checked_before_the_run(tmp_path, capsys, argv, fragment):
    argv = [*argv, "--out", str(tmp_path / "o")] if "--out" not in argv else argv
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err


def test_17_a_file_in_the_way_of_an_output_folder_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", str(FULL), "--out", str(blocker / "sub")]) == 2
    assert "cannot write there" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --- #15 pool workers end with their parent ------------------------------------------------
@pytest.mark.slow
def test_15_pool_workers_exit_when_their_parent_is_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import os, time\n"
        "from simlab.experiment import process_pool\n"
        "if __name__ == '__main__':\n"
        "    pool = process_pool(2)\n"
        "    print(*{pool.submit(os.getpid).result() for _ in range(4)}, flush=True)\n"
        "    time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert workers
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()

    def alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    for _ in range(300):  # wait for them, up to 30 s (they check every second)
        if not any(alive(p) for p in workers):
            break
        time.sleep(0.1)
    assert not any(alive(p) for p in workers)


def test_18_a_market_with_no_provider_at_the_start_is_refused():
    doc = edited()
    for i, name in enumerate(doc["providers"]):
        if name != "newco":
            doc["events"][f"entry-{i}"] = {"type": "entry", "provider": name, "date": "2025-06"}
    with pytest.raises(ScenarioError, match="every provider enters after the start"):
        load(doc)
    doc["events"]["entry-0"]["date"] = "2025-01-15"  # in the first step: fine
    assert load(doc).name == "full"


def test_10_lhs_and_sobol_runs_are_bit_identical_across_block_sizes():
    # The catalog's baseline is held to the same in tests/test_engine.py.
    for sampler in ("lhs", "sobol"):
        runs = [
            simlab.run(UNCERTAIN, draws=32, seed=3, sampler=sampler, block_size=size)
            for size in (1, 7, 1024)
        ]
        assert all(runs[0].metrics.equals(r.metrics) for r in runs[1:])


@pytest.mark.parametrize("bad", [1.5, {}, object(), [1, 2]])
def test_19_wrongly_typed_arguments_are_scenario_errors(bad):
    import warnings

    sc = load_scenario(UNCERTAIN)
    res = simlab.run(sc, draws=4, seed=1)
    calls = [
        lambda: simlab.run(sc, draws=2, seed=1, metrics=bad),
        lambda: res.metric(bad),
        lambda: res.metric("npv", bad),
        lambda: res.summary(metrics=bad),
        lambda: res.probability("npv", bad, 0),
        lambda: res.compare(res, metrics=bad),
        lambda: res.compare(res, who=bad),
        lambda: simlab.tornado(sc, "npv", draws=2, low=bad),
        lambda: simlab.tornado(sc, "npv", draws=2, parameters=bad),
        lambda: simlab.sweep(sc, {"finance.discount_rate": [0.1]}, "npv", draws=2, statistic=bad),
    ]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", simlab.SimlabWarning)
            with pytest.raises(ScenarioError):
                call()


def test_6_a_growth_that_overflows_prices_is_refused_at_load():
    # Found by the fuzz suite: a drift of 1e24 a year made a yearly price infinite (the
    # guard named it at run time); a growth rate is now at most +1,000 % a year.
    with pytest.raises(ScenarioError, match=r"pricing.drift: must be in \(-1, 10\], got 1e\+24"):
        load(edited(providers__openco__pricing={"rule": "fixed", "drift": 1e24}))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"segments__consumer__elasticity": 1e6}, r"elasticity: must be in \[0, 10\]"),
        (
            {"providers__plusco__pricing": {"rule": "cost_plus", "markup": 5.75e11}},
            r"pricing.markup: must be in \[0, 100\]",
        ),
    ],
)
def test_6_figures_the_fuzz_suite_found_overflowing_are_refused_at_load(changes, fragment):
    # Long fuzz profile (docs/performance.md): these ran into a non-finite cash flow.
    with pytest.raises(ScenarioError, match=fragment):
        load(edited(changes))


def test_6_a_quality_far_beyond_any_index_is_refused_at_load():
    # Long fuzz profile: a release of quality 1e9 made the cash flow non-finite.
    doc = edited()
    doc["events"]["openco-release"]["quality"] = 1e9
    with pytest.raises(ScenarioError, match=r"openco-release.quality: must be in \[0, 1000\]"):
        load(doc)


def test_6_a_quality_coefficient_far_beyond_any_fit_is_refused_at_load():
    # Long fuzz profile at 6735ca2: beta_quality of 1e8 made the cash flow non-finite.
    with pytest.raises(ScenarioError, match=r"beta_quality: must be in \[0, 10\]"):
        load(edited(segments__consumer__beta_quality=1e8))
