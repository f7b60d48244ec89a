"""`simlab show` and `simlab validate`."""

from pathlib import Path

from simlab.cli import main

FULL = Path(__file__).parent / "data" / "full.toml"


def test_show_prints_parameters_sources_and_claims(capsys):
    assert main(["show", str(FULL)]) == 0
    out = capsys.readouterr().out
    assert "full: Every event type and pricing rule" in out
    assert "providers.openco.price_in" in out and "0.3" in out
    assert "share_final[closed] < 0.5" in out


def test_show_uncertain_only_lists_distributions(capsys, tmp_path):
    text = FULL.read_text().replace(
        "price_in = 0.3\n", 'price_in = {dist = "uniform", low = 0.1, high = 0.5, source = "S"}\n'
    )
    path = tmp_path / "u.toml"
    path.write_text(text)
    assert main(["show", str(path), "--uncertain"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("providers.")]
    assert len(rows) == 1 and "Uniform(low=0.1, high=0.5)" in rows[0] and rows[0].endswith("S")


def test_validate_reports_each_file_and_exits_2_if_any_is_bad(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(FULL.read_text().replace("leakage = 0.3", "leakage = 1.3"))
    assert main(["validate", "--draft", str(FULL)]) == 0
    assert "full.toml: ok" in capsys.readouterr().out
    assert main(["validate", "--draft", str(FULL), str(bad)]) == 2
    captured = capsys.readouterr()
    assert "full.toml: ok" in captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "bad.toml: segments.consumer.leakage: must be in [0, 1], got 1.3" in lines[0]


def test_list_shows_a_variants_inherited_providers(tiny_catalog, capsys):
    (tiny_catalog / "tiny-variant.toml").write_text(
        'extends = "real"\nname = "tiny-variant"\ntitle = "A variant"\n'
    )
    (tiny_catalog / "real.toml").write_text(FULL.read_text())
    from simlab.scenario.catalog import list_scenarios

    table = list_scenarios().set_index("name")
    assert table.loc["tiny-variant", "providers"] == "closedco, plusco, openco, follower, newco"
    assert table.loc["tiny-variant", "start"] == "2025-01"
