"""Validation that shows the real error, with the exact hint (issue 14)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import simlab
from simlab.cli import main
from simlab.errors import ScenarioError
from simlab.scenario.load import Scenario, load_scenario

FULL = Path(__file__).parent / "data" / "full.toml"


@pytest.fixture(scope="module")
def base():
    return load_scenario("baseline-2025")


def _doc(sc):
    doc = copy.deepcopy(dict(sc.document))
    doc.pop("extends", None)
    return doc


def test_a_typo_is_reported_not_the_missing_key_it_causes(base):
    doc = _doc(base)
    doc["providers"]["openai"]["pricee_in"] = doc["providers"]["openai"].pop("price_in")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(doc)
    assert str(info.value) == (
        "<dict>: providers.openai.pricee_in: unknown key 'pricee_in'; did you mean "
        "'price_in'? ('price_in' is required and missing)"
    )


def test_an_unknown_table_suggests_a_key_allowed_at_its_place(base):
    doc = _doc(base)
    doc["provider"] = {"x": {"kind": "open"}}
    message = r"^<dict>: provider: unknown key 'provider'; did you mean 'providers'\?$"
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(doc)
    doc = _doc(base)
    doc["finance"]["foo"] = 1
    message = (
        r"finance.foo: unknown key 'foo' \(allowed here: discount_rate, terminal"
        r"_growth, terminal_value\)"
    )
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(doc)


def test_an_unknown_reference_key_is_an_error(base):
    doc = _doc(base)
    doc["providers"]["openai"]["price_in"] = {"value": 1.25, "source": "A33"}
    message = (
        r"providers.openai.price_in: source 'A33' is not a key of \[references\]"
        r"; did you mean 'A3'\?"
    )
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(doc)


def test_validate_refuses_a_figure_without_a_source(tmp_path, capsys):
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'extends = "baseline-2025"\nname = "mine"\ntitle = "t"\n'
        "[providers.openai]\nprice_in = 0.9\n",
        encoding="utf-8",
    )
    assert main(["validate", str(mine)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"{mine}: providers.openai.price_in: a figure with no source (1 such figure); "
        'write {value = ..., source = "..."} or assumption = "..." (or validate --draft)'
    )
    assert main(["validate", "--draft", str(mine)]) == 0
    assert load_scenario(mine).unsourced() == ["providers.openai.price_in"]


def test_every_shipped_scenario_validates_without_draft(capsys):
    assert main(["validate", *simlab.list_scenarios()["name"]]) == 0


@pytest.mark.parametrize("start", ["2026-01-15", "2026-01-31"])
def test_a_start_that_is_not_the_first_of_a_month_is_refused(base, start):
    doc = _doc(base)
    doc["start"] = start
    message = (
        rf"start: must be the first of a month \(steps start on the 1st\): write "
        rf"'2026-01' or '2026-01-01', got '{start}'"
    )
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_dict(doc)


@pytest.mark.parametrize(
    "path",
    ["providers.openai.pricing.rule", "finance.terminal_value", "events.new.date"],
)
def test_with_values_says_to_extend_for_settings_and_events(base, path):
    with pytest.raises(ScenarioError) as info:
        base.with_values({path: 1})
    text = str(info.value)
    assert f"{path!r} is not a figure: with_values changes numbers and dates only" in text
    assert 'write a scenario file that extends this one (extends = "baseline-2025")' in text
    assert "did you mean" not in text


def test_with_values_with_a_list_says_what_it_takes(base):
    message = (
        r"with_values takes a mapping of parameter path to value, e.g. \{'provid"
        r"ers.openai.price_in': 2.0\}; got a list"
    )
    with pytest.raises(ScenarioError, match=message):
        base.with_values([("providers.openai.price_in", 1.0)])  # type: ignore[arg-type]


def test_with_values_still_suggests_a_misspelt_path(base):
    with pytest.raises(ScenarioError, match=r"did you mean 'providers.openai.price_in'\?"):
        base.with_values({"providers.opnai.price_in": 1.0})


@pytest.mark.slow
def test_processes_without_a_main_guard_say_so_in_one_error(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "import simlab\n"
        'simlab.run("baseline-2025", draws=8, seed=1, executor="processes", progress=False)\n',
        encoding="utf-8",
    )
    repo = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.count("Traceback") == 1  # the script's own, not one per worker
    assert "BrokenProcessPool" not in done.stderr
    assert done.stderr.strip().endswith(
        "must put its code under a main guard, i.e. indent it below "
        'if __name__ == "__main__":  (each worker imports the script; see docs/distributed.md)'
    )
