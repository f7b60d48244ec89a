"""Notebook HTML: Scenario and Results render their parameters, headline metrics and claims."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

import simlab


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def sc():
    return simlab.load_scenario("baseline-2025")


@pytest.fixture(scope="module")
def res(sc):
    return simlab.run(sc, draws=64, seed=3, progress=False)


def test_scenario_html_groups_parameters_with_units_and_sources(sc):
    page = _parse(sc._repr_html_())
    text = " ".join(page.text)
    assert "script" not in page.tags
    assert page.tags.count("details") == len({*_owners(sc)})  # one group per owner
    assert "providers.openai (" in text and "segments.consumer (" in text
    assert "USD per million tokens" in text  # units, from the one table
    source = sc.source_of("providers.openai.price_in")
    assert html.unescape(source) in text
    assert "OpenAI" in text  # the provider's label
    for key in sc.spec.claims:
        assert key in text


def _owners(sc):
    for path in sc.params:
        parts = path.split(".")
        yield ".".join(parts[:2]) if parts[0] in ("segments", "providers", "events") else parts[0]


def test_results_html_shows_headline_metrics_in_units_and_claims(res):
    page = _parse(res._repr_html_())
    text = " ".join(page.text)
    assert "64 draws, seed 3, sampler mc" in text
    assert "npv (USD " in text and "irr (% per year)" in text
    assert "share_final[all] is left out" in text  # the note on dropped rows
    claims = res.claims()
    first = claims.iloc[0]
    assert f"{100 * first['probability']:.1f} %" in text
    assert page.tags.count("table") == 2


def test_sensitivity_results_say_what_they_hold_in_html():
    from pathlib import Path

    import pandas as pd

    sc = simlab.load_scenario(Path(__file__).parent / "data" / "sensitivity.toml")
    df = simlab.tornado(sc, "npv", provider="closedco", draws=4, progress=False)
    assert isinstance(df, pd.DataFrame)
    text = " ".join(_parse(df._repr_html_()).text)
    assert "Tornado of npv[closedco]: statistic median, units USD, draws 4, seed 0" in text
    assert type(df.head(2)) is type(df)  # pandas operations keep the type
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", simlab.SimlabWarning)  # tiny n: caveats expected
        sob = simlab.sobol(sc, "npv", provider="closedco", n=4, progress=False)
    assert "Sobol' indices of npv[closedco]" in html.unescape(sob._repr_html_())
    mor = simlab.morris(sc, "npv", provider="closedco", trajectories=2, progress=False)
    assert "Morris screening of npv[closedco]" in mor._repr_html_()
