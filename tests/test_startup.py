"""Start-up stays light: heavy libraries are imported where they are used (issue 14).

No timings here (they belong in benchmarks/bench_startup.py): the test checks which
modules a fresh interpreter has loaded after each step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("scipy.stats", "pandas", "xarray", "matplotlib", "SALib", "tqdm")


def _loaded(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("code", "heavy"),
    [
        ("import simlab", HEAVY),
        ("import simlab.cli, contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n"
         "    simlab.cli.main(['--version'])", HEAVY),
        ("import simlab; simlab.load_scenario('baseline-2025')", HEAVY),
    ],
)  # fmt: skip
def test_start_up_imports_no_heavy_library(code, heavy):
    loaded = _loaded(code)
    assert not [m for m in heavy if m in loaded]


def test_the_public_api_still_resolves_lazily():
    import simlab

    for name in simlab.__all__:
        assert getattr(simlab, name) is not None
    assert simlab.run.__module__ == "simlab.experiment"
    assert "run" in dir(simlab)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        simlab.nope  # noqa: B018
