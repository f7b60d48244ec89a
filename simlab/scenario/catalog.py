"""The catalog of shipped scenarios: where the TOML files live and what they are.

The files live in the repository's top-level ``scenarios/`` folder. A built wheel carries
a copy inside the package as ``simlab/_scenarios`` (see ``pyproject.toml``), so a plain
``pip install .`` finds them from any directory.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from simlab.errors import ScenarioError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["catalog_dir", "catalog_names", "list_scenarios", "scenario_path"]

_PACKAGE = Path(__file__).resolve().parent.parent


def catalog_dir() -> Path:
    """Return the folder that holds the shipped scenario files.

    Returns
    -------
    pathlib.Path
        ``simlab/_scenarios`` inside an installed wheel, else the repository's
        ``scenarios/`` folder (an editable install or a source checkout).
    """
    inside = _PACKAGE / "_scenarios"
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / "scenarios"


def catalog_names() -> list[str]:
    """Return the names of the shipped scenarios, sorted.

    Returns
    -------
    list of str
        One name per ``*.toml`` file in :func:`catalog_dir`.
    """
    folder = catalog_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml"))


def scenario_path(name_or_path: str | Path) -> Path:
    """Resolve a catalog name or a file path to an existing scenario file.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A catalog name such as ``"baseline-2025"`` or the path of a TOML file.

    Returns
    -------
    pathlib.Path
        The scenario file.

    Raises
    ------
    ScenarioError
        If it is neither a catalog name nor an existing file.
    """
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if candidate.is_file():
            return candidate
        raise ScenarioError(f"{text}: no such scenario file")
    path = catalog_dir() / f"{text}.toml"
    if path.is_file():
        return path
    if candidate.is_file():
        return candidate
    import difflib

    names = catalog_names()
    close = difflib.get_close_matches(text, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(
        f"{text!r} is neither a shipped scenario nor a file{hint} "
        f"(shipped: {', '.join(names) or 'none'})"
    )


def read_header(path: Path) -> dict[str, object]:
    """Read a scenario file's raw TOML table without validating it (used by listings)."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read TOML: {exc}") from None


def list_scenarios() -> pd.DataFrame:
    """Return a table of the shipped scenarios, read without validation.

    Returns
    -------
    pandas.DataFrame
        One row per catalog scenario, sorted by name, with columns ``name`` (the catalog
        name, which :func:`scenario_path` accepts), ``title``,
        ``start``, ``end`` (months, ``YYYY-MM``) and ``providers`` (the names of its
        ``[providers.*]`` tables, comma-joined). A key a file lacks reads as ``""``.

    Raises
    ------
    ScenarioError
        If a catalog file is not valid TOML.

    Examples
    --------
    >>> import simlab
    >>> table = simlab.list_scenarios()
    >>> list(table.columns)
    ['name', 'title', 'start', 'end', 'providers']
    """
    import datetime as dt

    import pandas as pd  # lazily: the catalog lookup itself needs no pandas

    def month(value: object) -> str:
        if isinstance(value, dt.date):  # a TOML date: show its month, as the schema does
            return f"{value.year:04d}-{value.month:02d}"
        return str(value)

    from simlab.scenario.load import load_scenario

    rows = []
    for name in catalog_names():
        header = read_header(catalog_dir() / f"{name}.toml")
        providers = header.get("providers")
        if header.get("extends"):  # a variant: its providers and horizon come from its parent
            try:
                sc = load_scenario(name)
            except ScenarioError:
                pass  # list it as written; `simlab validate` says what is wrong
            else:
                header = {**header, "start": sc.spec.start, "end": sc.spec.end}
                providers = dict.fromkeys(sc.providers)
        rows.append(
            {
                "name": name,
                "title": str(header.get("title", "")),
                "start": month(header.get("start", "")),
                "end": month(header.get("end", "")),
                "providers": ", ".join(providers) if isinstance(providers, dict) else "",
            }
        )
    return pd.DataFrame(rows, columns=["name", "title", "start", "end", "providers"])
