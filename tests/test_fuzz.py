"""The fuzz suite's fast profile: mutated catalog scenarios meet issue 16's contract.

Every mutant either validates, runs, saves and reloads with finite results (NaN only where
documented), or is refused with one bounded line (exit 2): never an internal error, a
silent non-finite result or a hang. The long profile (10,000 files) runs
``tests/fuzz_scenarios.py`` as a script; its figures are in docs/performance.md.
"""

import random

import pytest
from fuzz_scenarios import GOOD, base_documents, check_bounded, mutate, to_toml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DOCS = base_documents()


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(DOCS)), rng=st.randoms(use_true_random=False))
def test_mutated_catalog_scenarios_meet_the_contract(tmp_path, name, rng):
    outcome, detail = check_bounded(mutate(DOCS[name], rng), tmp_path, seconds=60)
    assert outcome in GOOD, detail


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_unmutated_catalog_scenario_runs_through_the_same_path(tmp_path, name):
    outcome, detail = check_bounded(DOCS[name], tmp_path, seconds=120)
    assert outcome == "ran", detail


def test_the_toml_writer_round_trips_a_catalog_document():
    import tomllib

    doc = DOCS["baseline-2025"]
    assert tomllib.loads(to_toml(doc)) == doc


def test_the_mutator_changes_the_document_and_is_seeded():
    doc = DOCS["baseline-2025"]
    a, b = mutate(doc, random.Random(3)), mutate(doc, random.Random(3))
    assert a == b and a != doc
