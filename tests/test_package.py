"""The package as shipped: the catalog, the public API and its reference page, the wheel."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import simlab
from simlab.scenario import catalog_names, list_scenarios


def _api_page_names(repo_root: Path) -> list[str]:
    text = (repo_root / "docs" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"^::: simlab\.(\w+)\s*$", text, flags=re.MULTILINE)


def test_catalog_names_are_the_toml_files_in_scenarios(repo_root):
    stems = sorted(p.stem for p in (repo_root / "scenarios").glob("*.toml"))
    assert catalog_names() == stems


def test_list_scenarios_reads_the_headers(tiny_catalog):
    table = list_scenarios()
    assert list(table.columns) == ["name", "title", "start", "end", "providers"]
    assert table.to_dict("records") == [
        {
            "name": "tiny-closed",
            "title": "Closed labs hold on",
            "start": "2026-03",
            "end": "2036-02",
            "providers": "bigco",
        },
        {
            "name": "tiny-open",
            "title": "Open weights catch up",
            "start": "2025-01",
            "end": "2030-12",
            "providers": "acme, deepseek",
        },
    ]


def test_list_scenarios_of_the_shipped_catalog():
    assert list(list_scenarios()["name"]) == catalog_names()


def test_every_public_name_exists():
    for name in simlab.__all__:
        assert hasattr(simlab, name), name


def test_api_page_documents_exactly_the_public_api(repo_root):
    documented = _api_page_names(repo_root)
    assert len(documented) == len(set(documented)), "a name is documented twice"
    public = set(simlab.__all__) - {"__version__"}
    assert set(documented) == public, (
        f"missing from docs/api.md: {sorted(public - set(documented))}; "
        f"not in simlab.__all__: {sorted(set(documented) - public)}"
    )


@pytest.mark.slow
def test_wheel_ships_the_catalog_and_py_typed(repo_root, tmp_path):
    command = [sys.executable, "-m", "pip", "wheel", str(repo_root), "--no-deps", "-q"]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # build offline with the hatchling at hand
    done = subprocess.run(
        [*command, "-w", str(tmp_path)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("simlab-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "simlab/py.typed" in names
    assert "simlab/cli.py" in names
    assert "simlab/templates/report.html.j2" in names  # the report's template
    shipped = sorted(p.stem for p in (repo_root / "scenarios").glob("*.toml"))
    for stem in shipped:
        assert f"simlab/_scenarios/{stem}.toml" in names
    in_wheel = sorted(
        Path(n).stem
        for n in names
        if n.startswith("simlab/_scenarios/") and n.endswith(".toml") and n.count("/") == 2
    )
    assert in_wheel == shipped
    for path in (repo_root / "scenarios" / "observations").glob("*.toml"):  # observations
        assert f"simlab/_scenarios/observations/{path.name}" in names
