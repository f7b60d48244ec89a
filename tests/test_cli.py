"""The ``simlab`` command: exit codes, one-line errors and the ``list`` table."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simlab import cli
from simlab.errors import ScenarioError, SimlabWarning
from simlab.scenario import catalog_names


def _file_version(repo_root: Path) -> str:
    """The version as written in simlab/_version.py (read as text, not imported)."""
    text = (repo_root / "simlab" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    assert match, "simlab/_version.py has no __version__ line"
    return match.group(1)


def _add_command(monkeypatch: pytest.MonkeyPatch, run: cli.Command) -> None:
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, run))


def _no_args(parser: argparse.ArgumentParser) -> None:
    pass


def test_version_prints_the_version_file(capsys, repo_root):
    assert cli.main(["--version"]) == 0
    out, err = capsys.readouterr()
    assert out == f"simlab {_file_version(repo_root)}\n"
    assert err == ""


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["list", "--help"]])
def test_help_exits_0(capsys, argv):
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: simlab")
    assert err == ""


def test_help_names_every_command(capsys):
    cli.main(["--help"])
    out = capsys.readouterr().out
    for command in cli.COMMANDS:
        assert command.name in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["foo"], "simlab: error: unknown command 'foo' (choose from list"),
        (["lst"], "did you mean 'list'?"),
        ([], "simlab: error: no command given (choose from list"),
        (["--bogus"], "simlab: error: unrecognized arguments: --bogus"),
        (["list", "--bogus"], "unrecognized arguments: --bogus"),
        (["list", "extra"], "unrecognized arguments: extra"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("simlab")
    assert message in err
    assert "usage:" not in err


def test_list_prints_every_scenario_of_the_catalog(capsys, tiny_catalog):
    assert cli.main(["list"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["name", "title", "horizon", "providers"]
    assert set(lines[1]) <= {"-", " "}
    body = {line.split()[0]: line for line in lines[2:]}
    assert sorted(body) == ["tiny-closed", "tiny-open"]
    assert "Open weights catch up" in body["tiny-open"]
    assert "2025-01 to 2030-12" in body["tiny-open"]
    assert "acme, deepseek" in body["tiny-open"]
    assert "2026-03 to 2036-02" in body["tiny-closed"]
    assert body["tiny-closed"].rstrip().endswith("bigco")


def test_list_names_every_shipped_scenario(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines()[2:]}
    assert listed == set(catalog_names())


def test_list_of_an_empty_catalog_says_so(capsys, tmp_path, monkeypatch):
    from simlab.scenario import catalog

    monkeypatch.setattr(catalog, "catalog_dir", lambda: tmp_path)
    assert cli.main(["list"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "no scenarios shipped\n"


def test_unreadable_catalog_file_is_bad_input(capsys, tiny_catalog):
    (tiny_catalog / "broken.toml").write_text("name = \n", encoding="utf-8")
    assert cli.main(["list"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("simlab: error: ")
    assert "broken.toml: cannot read TOML" in err


def test_simlab_error_is_exit_2_on_one_line(capsys, monkeypatch):
    def fail(args: argparse.Namespace) -> int:
        raise ScenarioError("scenario.toml: providers.x.price_in = -1\nmust be > 0")

    _add_command(monkeypatch, cli.Command("boom", "raise", _no_args, fail))
    assert cli.main(["boom"]) == 2
    err = capsys.readouterr().err
    assert err == "simlab: error: scenario.toml: providers.x.price_in = -1 must be > 0\n"


def test_internal_error_is_exit_1_on_one_line(capsys, monkeypatch):
    def crash(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("division by zero")

    _add_command(monkeypatch, cli.Command("crash", "crash", _no_args, crash))
    monkeypatch.delenv("SIMLAB_DEBUG", raising=False)
    assert cli.main(["crash"]) == 1
    err = capsys.readouterr().err
    assert err == "simlab: internal error: ZeroDivisionError: division by zero\n"


def test_internal_error_shows_the_traceback_under_simlab_debug(capsys, monkeypatch):
    def crash(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("division by zero")

    _add_command(monkeypatch, cli.Command("crash", "crash", _no_args, crash))
    monkeypatch.setenv("SIMLAB_DEBUG", "1")
    assert cli.main(["crash"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.endswith("simlab: internal error: ZeroDivisionError: division by zero\n")


def test_a_warning_is_one_line(capsys, monkeypatch):
    import warnings

    def warn(args: argparse.Namespace) -> int:
        warnings.warn("only 10 draws:\nquantiles are rough", SimlabWarning, stacklevel=2)
        return 0

    _add_command(monkeypatch, cli.Command("warn", "warn", _no_args, warn))
    with warnings.catch_warnings():
        warnings.simplefilter("always", SimlabWarning)
        assert cli.main(["warn"]) == 0
    err = capsys.readouterr().err
    assert err == "simlab: warning: only 10 draws: quantiles are rough\n"


def _run_module(repo_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIMLAB_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "simlab", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_dash_m_simlab_as_a_real_process(repo_root):
    done = _run_module(repo_root, "--version")
    assert (done.returncode, done.stdout) == (0, f"simlab {_file_version(repo_root)}\n")

    done = _run_module(repo_root, "foo")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "simlab: error: unknown command 'foo' (choose from "
        + ", ".join(c.name for c in cli.COMMANDS)
        + ")"
    ]

    done = _run_module(repo_root, "list")
    assert done.returncode == 0, done.stderr
    for name in catalog_names():
        assert name in done.stdout
