"""Progress bars: on in notebooks and terminals, off with progress=False, never a warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import simlab
from simlab import progress as progress_module
from simlab.errors import ScenarioError

SENSITIVITY = Path(__file__).parent / "data" / "sensitivity.toml"


@pytest.fixture(scope="module")
def sc():
    return simlab.load_scenario(SENSITIVITY)


def _calls(sc):
    grid = {"providers.newco.price_in": [0.2, 0.5]}
    return {
        "run": lambda **kw: simlab.run(sc, draws=8, seed=1, **kw),
        "tornado": lambda **kw: simlab.tornado(sc, "npv", draws=4, **kw),
        "spider": lambda **kw: simlab.sensitivity.spider(sc, "npv", draws=4, **kw),
        "sweep": lambda **kw: simlab.sweep(sc, grid, "npv", draws=4, **kw),
        "sobol": lambda **kw: simlab.sobol(sc, "npv", provider="closedco", n=4, **kw),
        "morris": lambda **kw: simlab.morris(sc, "npv", provider="closedco", trajectories=2, **kw),
    }


@pytest.mark.parametrize("name", ["run", "tornado", "spider", "sweep", "sobol", "morris"])
def test_every_long_operation_shows_a_bar_unless_told_not_to(sc, name, capsys):
    call = _calls(sc)[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)  # tiny n: statistical caveats
        call(progress=True)
        shown = capsys.readouterr().err
        call(progress=False)
        hidden = capsys.readouterr().err
        call()  # the default: not a terminal, not a notebook (pytest captures stderr)
        default = capsys.readouterr().err
    assert "100%" in shown and ("draw" in shown or "run" in shown)
    assert hidden == "" and default == ""


def test_in_a_notebook_the_bar_is_on_by_default_and_never_warns_without_ipywidgets(
    sc, capsys, monkeypatch
):
    monkeypatch.setattr(progress_module, "_in_notebook", lambda: True)
    real = progress_module.importlib.util.find_spec
    monkeypatch.setattr(
        progress_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ipywidgets" else real(name, *a),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a TqdmWarning about IProgress would fail here
        simlab.run(sc, draws=8, seed=1)
    assert "100%" in capsys.readouterr().err


def test_progress_must_be_a_bool_or_none(sc):
    with pytest.raises(ScenarioError, match="progress must be None, True or False, got 'yes'"):
        simlab.run(sc, draws=4, seed=1, progress="yes")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="progress must be None, True or False, got 1"):
        simlab.tornado(sc, "npv", draws=4, progress=1)  # type: ignore[arg-type]
