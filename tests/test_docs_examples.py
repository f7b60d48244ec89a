"""The scenario on docs/scenario-format.md loads and runs, so the page cannot rot."""

import re
from pathlib import Path

import numpy as np

import simlab

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenario-format.md"


def test_the_documented_scenario_runs(tmp_path):
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), flags=re.S)
    path = tmp_path / "duel.toml"
    path.write_text(blocks[0])
    sc = simlab.load_scenario(path)
    assert sc.providers == ["frontier", "openlab"]
    res = simlab.simulate(sc, paths=True)
    share = res.paths.share.isel(draw=0)
    np.testing.assert_allclose(share.sum("provider"), 1.0, rtol=1e-6)
    assert res.metrics.capex.sel(provider="frontier").item() > 0
    assert list(res.claims().index) == ["open-wins"]
