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


def test_the_readme_python_example_runs():
    # The README's Python block, with fewer draws: it must keep matching the API.
    readme = DOC.parent.parent / "README.md"
    code = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)[0]
    small = code.replace("draws=10_000", "draws=64").replace("n=1024", "n=16")
    small = small.replace(
        'simlab.tornado(sc, metric="npv", provider="openai")',
        'simlab.tornado(sc, metric="npv", provider="openai", draws=16, '
        'parameters=["providers.openai.cost_decline"])',
    )
    small = small.replace('group="closed"', 'group="closed", draws=16')
    small = small.replace(
        'provider="openai", n=16)',
        'provider="openai", n=16, '
        'parameters=["providers.openai.cost_decline", "finance.discount_rate"])',
    )
    assert small.count("draws=64") == 2 and small.count("draws=16") == 2
    namespace: dict[str, object] = {}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: statistical caveats are expected
        # ... but the examples vary live parameters only (issue 10, dead parameters)
        warnings.simplefilter("error", simlab.errors.DeadParameterWarning)
        exec(compile(small, "README.md", "exec"), namespace)
    assert "res" in namespace


def test_the_getting_started_python_example_runs():
    import matplotlib

    matplotlib.use("Agg")
    page = DOC.parent / "getting-started.md"
    code = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)[0]
    small = code.replace("draws=10_000", "draws=64")
    assert small.count("draws=64") == 2
    import warnings

    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: statistical caveats are expected
        warnings.simplefilter("error", simlab.errors.DeadParameterWarning)
        exec(compile(small, "getting-started.md", "exec"), {})
    plt.close("all")


def test_the_command_line_examples_sweep_live_parameters():
    # The README's and getting-started's `simlab sweep` lines vary a live parameter.
    from simlab.scenario.overrides import dead_parameters

    sc = simlab.load_scenario("baseline-2025")
    dead = dead_parameters(sc)
    pages = [DOC.parent.parent / "README.md", DOC.parent / "getting-started.md"]
    swept = [p for page in pages for p in re.findall(r"--param ([\w.\-]+)=", page.read_text())]
    assert len(swept) == 2
    assert all(path in sc.params and path not in dead for path in swept)


def test_every_distribution_family_is_documented_with_a_working_example():
    import tomllib

    from simlab.uncertainty.distributions import DISTRIBUTIONS, parse_distribution

    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Distributions", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (.*?) \| `(.*?)` \|$", section, flags=re.M)
    assert sorted(r[0] for r in rows) == sorted(DISTRIBUTIONS)
    for family, keys, example in rows:
        cls = DISTRIBUTIONS[family]
        for key in (*cls.required, *cls.optional):
            assert f"`{key}`" in keys, (family, key)
        table = tomllib.loads(example)
        (value,) = table.values()
        assert value["dist"] == family
        dist = parse_distribution(dict(value))
        assert dist.describe()
