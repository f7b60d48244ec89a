import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simlab.errors import ScenarioError
from simlab.uncertainty import (
    check_correlation_matrix,
    correlation_matrix,
    iman_conover,
    parse_distribution,
)

N = 5000


def _independent_columns(seed, n=N):
    """Three columns with very different marginals, drawn independently."""
    rng = np.random.default_rng(seed)
    specs = [
        {"dist": "lognormal", "median": 10, "high": 100},
        {"dist": "uniform", "low": -1, "high": 1},
        {"dist": "pert", "low": 0, "mode": 9, "high": 10},
    ]
    return np.column_stack([parse_distribution(s).rvs(n, rng) for s in specs])


def test_iman_conover_imposes_spearman_correlations():
    target = np.array([[1.0, 0.7, 0.0], [0.7, 1.0, -0.5], [0.0, -0.5, 1.0]])
    x = _independent_columns(1)
    y = iman_conover(x, target, np.random.default_rng(2))
    rho = stats.spearmanr(y).statistic
    np.testing.assert_allclose(rho, target, atol=0.05)


def test_iman_conover_keeps_every_marginal_exactly():
    target = np.array([[1.0, 0.7, 0.0], [0.7, 1.0, -0.5], [0.0, -0.5, 1.0]])
    x = _independent_columns(4)
    y = iman_conover(x, target, np.random.default_rng(5))
    assert y.shape == x.shape
    assert np.array_equal(np.sort(y, axis=0), np.sort(x, axis=0))
    assert not np.array_equal(y, x)


def test_iman_conover_is_reproducible_from_the_generator():
    target = np.array([[1.0, 0.4], [0.4, 1.0]])
    x = _independent_columns(6)[:, :2]
    a = iman_conover(x, target, np.random.default_rng(7))
    b = iman_conover(x, target, np.random.default_rng(7))
    c = iman_conover(x, target, np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_iman_conover_with_ties_keeps_values_and_approaches_target():
    rng = np.random.default_rng(3)
    choice = parse_distribution({"dist": "choice", "values": [1, 2, 3, 4, 5]}).rvs(N, rng)
    normal = rng.normal(size=N)
    y = iman_conover(np.column_stack([choice, normal]), [[1, 0.6], [0.6, 1]], rng)
    assert np.array_equal(np.sort(y[:, 0]), np.sort(choice))
    # ties cap the attainable rank correlation a little below the target
    assert 0.5 < stats.spearmanr(y).statistic < 0.65


def test_iman_conover_removes_existing_correlation():
    rng = np.random.default_rng(12)
    a = rng.normal(size=N)
    x = np.column_stack([a, a + 0.3 * rng.normal(size=N)])  # rank correlation ~0.95
    y = iman_conover(x, np.eye(2), rng)
    assert abs(stats.spearmanr(y).statistic) < 0.05


def test_iman_conover_small_and_degenerate_inputs():
    rng = np.random.default_rng(0)
    one_column = np.arange(5.0)[:, None]
    assert np.array_equal(iman_conover(one_column, [[1.0]], rng), one_column)
    one_row = np.array([[1.0, 2.0]])
    assert np.array_equal(iman_conover(one_row, [[1, 0.5], [0.5, 1]], rng), one_row)
    tiny = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    y = iman_conover(tiny, [[1, 0.5], [0.5, 1]], rng)
    assert np.array_equal(np.sort(y, axis=0), tiny)


@pytest.mark.parametrize(
    ("x", "corr", "match"),
    [
        (np.zeros(5), np.eye(1), r"must be a 2-D array"),
        (np.zeros((5, 2)), np.eye(3), r"must be 2 x 2"),
        (np.zeros((5, 2)), [[1, 0.5], [0.4, 1]], r"must be symmetric"),
        (np.zeros((5, 2)), [[2, 0.5], [0.5, 1]], r"ones on its diagonal"),
        (np.zeros((5, 2)), [[1, np.nan], [np.nan, 1]], r"non-finite"),
        (np.zeros((5, 2)), [[1, 1.5], [1.5, 1]], r"lie in \[-1, 1\]"),
        (
            np.zeros((5, 3)),
            [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]],
            r"not positive definite",
        ),
        (np.full((5, 2), np.inf), np.eye(2), r"samples contain non-finite values"),
    ],
)
def test_iman_conover_rejects_bad_input(x, corr, match):
    with pytest.raises(ScenarioError, match=match):
        iman_conover(x, corr, np.random.default_rng(0))


@settings(max_examples=25, deadline=None)
@given(rho=st.floats(-0.9, 0.9), seed=st.integers(0, 2**32 - 1))
def test_iman_conover_hits_any_valid_2x2_target(rho, seed):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.lognormal(size=N), rng.uniform(size=N)])
    y = iman_conover(x, [[1.0, rho], [rho, 1.0]], rng)
    assert stats.spearmanr(y).statistic == pytest.approx(rho, abs=0.05)
    assert np.array_equal(np.sort(y, axis=0), np.sort(x, axis=0))


# --- correlation_matrix ----------------------------------------------------------------


def test_correlation_matrix_is_symmetric_with_unit_diagonal():
    m = correlation_matrix([("a", "b", 0.5), ("c", "a", -0.25)], ["a", "b", "c", "d"])
    expected = np.array(
        [
            [1.0, 0.5, -0.25, 0.0],
            [0.5, 1.0, 0.0, 0.0],
            [-0.25, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    assert np.array_equal(m, expected)
    assert np.array_equal(check_correlation_matrix(m, 4), m)


def test_correlation_matrix_without_pairs_is_the_identity():
    assert np.array_equal(correlation_matrix([], ["a", "b"]), np.eye(2))


@pytest.mark.parametrize(
    ("pairs", "match"),
    [
        ([("a", "bb", 0.5)], r"correlation names 'bb' \(did you mean 'b'\?\).*allowed: a, b, c"),
        ([("a", "a", 0.5)], r"pairs 'a' with itself"),
        ([("a", "b", 1.0)], r"strictly between -1 and 1, got 1.0"),
        ([("a", "b", -1)], r"strictly between -1 and 1, got -1"),
        ([("a", "b", float("nan"))], r"strictly between -1 and 1, got nan"),
        ([("a", "b", "0.5")], r"must be a number, got '0.5'"),
        ([("a", "b", 0.5), ("b", "a", 0.4)], r"\('b', 'a'\) is given twice \(rho=0.5 and 0.4\)"),
        ([("a", "b")], r"must be \(name_a, name_b, rho\)"),
    ],
)
def test_correlation_matrix_validation(pairs, match):
    with pytest.raises(ScenarioError, match=match):
        correlation_matrix(pairs, ["a", "b", "c"])


def test_correlation_matrix_rejects_repeated_names():
    with pytest.raises(ScenarioError, match=r"'a' is listed twice"):
        correlation_matrix([], ["a", "b", "a"])


def test_non_positive_definite_names_the_pair_and_its_consistent_range():
    # a~b and b~c at 0.95 force a~c >= 2 * 0.95**2 - 1 = 0.805
    pairs = [("price", "quality", 0.95), ("quality", "share", 0.95), ("price", "share", 0.2)]
    with pytest.raises(ScenarioError, match=r"not positive definite") as info:
        correlation_matrix(pairs, ["price", "quality", "share", "other"])
    message = str(info.value)
    assert "('price', 'share', 0.2) would fit the others with rho in [0.81, 0.99]" in message
    assert "('price', 'quality', 0.95) would fit the others with rho in [-0.11, 0.49]" in message


def test_non_positive_definite_names_a_removable_pair():
    pairs = [("a", "b", 0.9), ("a", "c", 0.9), ("c", "d", 0.1)]
    with pytest.raises(ScenarioError, match=r"\('a', 'c', 0.9\) would fit the others") as info:
        correlation_matrix(pairs, ["a", "b", "c", "d"])
    assert "'c', 'd'" not in str(info.value)


def test_non_positive_definite_without_a_single_fix_lists_pulling_pairs():
    names = ["a", "b", "c", "d"]
    pairs = [(x, y, -0.6) for i, x in enumerate(names) for y in names[i + 1 :]]
    with pytest.raises(ScenarioError, match=r"no single pair can fix it; weaken several of \('"):
        correlation_matrix(pairs, names)
