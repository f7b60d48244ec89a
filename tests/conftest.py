"""Fixtures shared by the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from simlab.scenario import catalog

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    """The repository's top folder (holds pyproject.toml, scenarios/, docs/)."""
    return REPO


@pytest.fixture
def tiny_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary catalog of two small scenarios, used in place of the shipped one.

    The files hold only what the listing reads (name, title, horizon, provider tables);
    they are not meant to pass validation.
    """
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "tiny-open.toml").write_text(
        'name = "tiny-open"\n'
        'title = "Open weights catch up"\n'
        'start = "2025-01"\n'
        'end = "2030-12"\n'
        "[providers.acme]\n"
        'kind = "closed"\n'
        "[providers.deepseek]\n"
        'kind = "open"\n',
        encoding="utf-8",
    )
    (folder / "tiny-closed.toml").write_text(
        'name = "tiny-closed"\n'
        'title = "Closed labs hold on"\n'
        "start = 2026-03-01\n"  # a TOML date, listed as its month
        'end = "2036-02"\n'
        "[providers.bigco]\n"
        'kind = "closed"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(catalog, "catalog_dir", lambda: folder)
    return folder
