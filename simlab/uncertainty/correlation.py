"""Rank correlation between uncertain figures, imposed with the Iman–Conover method.

A scenario states rank (Spearman) correlations between parameter paths, e.g.
``("providers.openai.price_in", "providers.anthropic.price_in", 0.7)``.
:func:`correlation_matrix` turns such pairs into a validated matrix and
:func:`iman_conover` reorders independently sampled columns so that their rank
correlations approximate it, leaving every column's values (its marginal) untouched.

Iman–Conover is written here by hand because no maintained Python library offers it:
scipy and SALib have no rank-correlation reordering of given samples, and the one package
that had it (mcerp's ``correlate``, tied to its own variable objects) is unmaintained; R's
``mc2d::cornode`` is the usual reference implementation. numpy and scipy do the linear
algebra.
"""

from __future__ import annotations

import difflib
import functools
import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simlab.errors import ScenarioError
from simlab.uncertainty.samplers import RngLike, as_generator

__all__ = ["check_correlation_matrix", "correlation_matrix", "iman_conover"]

FloatArray = NDArray[np.float64]

# Grid of correlation values tried when telling the user which values of a pair would make
# an inconsistent matrix positive definite.
_RHO_GRID = np.round(np.linspace(-0.99, 0.99, 199), 2)


def _is_positive_definite(matrix: FloatArray) -> bool:
    return _cholesky(matrix) is not None


def _cholesky(matrix: FloatArray) -> FloatArray | None:
    """Return the lower Cholesky factor of a square matrix, or None if not positive definite.

    Cached by the matrix's bytes: a run checks and factors the same correlation matrix
    for every block (the full matrix, its correlated part, the scores' target), and
    LAPACK calls that need OpenBLAS's threads woken cost milliseconds each.
    """
    m = np.ascontiguousarray(matrix, dtype=np.float64)
    return _cholesky_cached(m.shape[0], m.tobytes())


@functools.lru_cache(maxsize=32)
def _cholesky_cached(n: int, data: bytes) -> FloatArray | None:
    try:
        square = np.frombuffer(data, dtype=np.float64).reshape(n, n)
        factor = np.asarray(np.linalg.cholesky(square), dtype=np.float64)
    except np.linalg.LinAlgError:
        return None
    factor.flags.writeable = False
    return factor


def correlation_matrix(pairs: Sequence[tuple[str, str, float]], names: Sequence[str]) -> FloatArray:
    """Build the rank-correlation matrix of ``names`` from correlated pairs.

    Parameters
    ----------
    pairs : sequence of (str, str, float)
        ``(name_a, name_b, rho)`` with ``-1 < rho < 1``; each unordered pair at most once.
        Pairs not listed are uncorrelated.
    names : sequence of str
        The uncertain parameters, in the order of the matrix's rows and columns.

    Returns
    -------
    numpy.ndarray
        Symmetric, positive definite, ones on the diagonal, shape ``(len(names),) * 2``.

    Raises
    ------
    ScenarioError
        If a name is unknown, a pair is repeated or pairs a name with itself, a ``rho`` is
        not a finite number in (-1, 1), or the correlations cannot hold together (the matrix
        is not positive definite). The last message names the pairs in conflict and, for
        each, the values that would make the matrix consistent if only that pair changed.

    Examples
    --------
    >>> correlation_matrix([("a", "b", 0.5)], ["a", "b", "c"])[0]
    array([1. , 0.5, 0. ])
    """
    index: dict[str, int] = {}
    for name in names:
        if name in index:
            raise ScenarioError(f"parameter {name!r} is listed twice among the correlated names")
        index[name] = len(index)
    matrix = np.eye(len(index))
    seen: dict[frozenset[str], float] = {}
    checked: list[tuple[str, str, float]] = []
    for pair in pairs:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 3:
            raise ScenarioError(f"a correlation must be (name_a, name_b, rho), got {pair!r}")
        a, b, rho = pair
        for name in (a, b):
            if name not in index:
                raise ScenarioError(_unknown_name(name, list(index)))
        if a == b:
            raise ScenarioError(f"correlation pairs {a!r} with itself; name two parameters")
        if isinstance(rho, bool) or not isinstance(rho, numbers.Real):
            raise ScenarioError(f"correlation ({a!r}, {b!r}) must be a number, got {rho!r}")
        if not (math.isfinite(rho) and -1 < rho < 1):
            raise ScenarioError(
                f"correlation ({a!r}, {b!r}) must lie strictly between -1 and 1, got {rho!r}"
            )
        key = frozenset((a, b))
        if key in seen:
            raise ScenarioError(
                f"correlation ({a!r}, {b!r}) is given twice (rho={seen[key]!r} and {rho!r}); "
                "give each pair once"
            )
        seen[key] = float(rho)
        checked.append((a, b, float(rho)))
        i, j = index[a], index[b]
        matrix[i, j] = matrix[j, i] = float(rho)
    if not _is_positive_definite(matrix):
        raise ScenarioError(_inconsistency(matrix, checked, index))
    return matrix


def _unknown_name(name: object, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
    return (
        f"correlation names {name!r}{hint}, which is not an uncertain parameter; "
        f"allowed: {shown or 'none (no parameter is a distribution)'}"
    )


def _inconsistency(
    matrix: FloatArray, pairs: list[tuple[str, str, float]], index: dict[str, int]
) -> str:
    """Explain why ``matrix`` is not positive definite, naming the pairs in conflict.

    With ``v`` the eigenvector of the smallest eigenvalue, ``v' C v = 1 + 2 sum rho_ij v_i
    v_j``: the pairs with the most negative terms pull the eigenvalue below zero. Those are
    named first, then any other pair that could restore consistency on its own.
    """
    eigenvalues, vectors = np.linalg.eigh(matrix)
    v = vectors[:, 0]
    terms = [(2 * rho * v[index[a]] * v[index[b]], a, b, rho) for a, b, rho in pairs]
    terms.sort(key=lambda term: term[0])
    fixable: list[str] = []
    pulling: list[str] = []
    for term, a, b, rho in terms:
        if len(fixable) == 4 or abs(term) < 1e-3:
            continue
        i, j = index[a], index[b]
        trial = np.repeat(matrix[None, :, :], len(_RHO_GRID), axis=0)
        trial[:, i, j] = trial[:, j, i] = _RHO_GRID
        ok = _RHO_GRID[np.linalg.eigvalsh(trial)[:, 0] > 1e-10]
        if ok.size:
            fixable.append(
                f"({a!r}, {b!r}, {rho!r}) would fit the others with rho in "
                f"[{ok.min():.2f}, {ok.max():.2f}]"
            )
        elif term < 0:
            pulling.append(f"({a!r}, {b!r}, {rho!r})")
    if fixable:
        detail = "change one of these pairs: " + "; ".join(fixable)
    else:
        named = pulling[:4] or [f"({a!r}, {b!r}, {rho!r})" for _, a, b, rho in terms[:4]]
        detail = "no single pair can fix it; weaken several of " + ", ".join(named)
    return (
        "the rank correlations cannot hold together: their matrix is not positive definite "
        f"(smallest eigenvalue {eigenvalues[0]:.3g}); {detail}"
    )


def check_correlation_matrix(corr: ArrayLike, size: int) -> FloatArray:
    """Check that ``corr`` is a valid ``size`` x ``size`` correlation matrix and return it.

    Parameters
    ----------
    corr : array_like
        The matrix.
    size : int
        The number of columns it must describe.

    Returns
    -------
    numpy.ndarray
        ``corr`` as float64.

    Raises
    ------
    ScenarioError
        If it has the wrong shape, a non-finite entry, is not symmetric, has a diagonal
        other than ones, an entry outside [-1, 1], or is not positive definite.
    """
    matrix = np.asarray(corr, dtype=np.float64)
    if matrix.shape != (size, size):
        raise ScenarioError(
            f"correlation matrix must be {size} x {size} (one row per column), "
            f"got shape {matrix.shape}"
        )
    if not np.isfinite(matrix).all():
        raise ScenarioError("correlation matrix has non-finite entries; all must be finite")
    if not np.allclose(matrix, matrix.T, rtol=0, atol=1e-12):
        raise ScenarioError("correlation matrix must be symmetric")
    if not np.allclose(np.diag(matrix), 1.0, rtol=0, atol=1e-12):
        raise ScenarioError("correlation matrix must have ones on its diagonal")
    if np.abs(matrix).max(initial=0) > 1:
        raise ScenarioError("correlation matrix entries must lie in [-1, 1]")
    if not _is_positive_definite(matrix):
        raise ScenarioError(
            "correlation matrix is not positive definite; build it with "
            "correlation_matrix() to see which pairs conflict"
        )
    return matrix


def iman_conover(x: ArrayLike, corr: ArrayLike, rng: RngLike) -> FloatArray:
    """Reorder each column of ``x`` so that its rank correlations approximate ``corr``.

    Each column keeps exactly its values; only the rows they sit in change. The method
    pairs van der Waerden scores ``Φ⁻¹(i / (n + 1))`` in random order, removes the
    scores' own sample correlation ``E = F F'`` and imposes the target ``P P'`` with
    ``T = P F⁻¹`` (Cholesky factors), then gives each column of ``x`` the ranks of the
    transformed scores. The target for the scores' Pearson correlation is
    ``2 sin(π ρ / 6)``, the value at which normal scores have Spearman correlation ``ρ``
    (unless that matrix is not positive definite, when ``ρ`` itself is used).

    Reordering replaces the joint structure of a Latin hypercube or Sobol' design by a
    random one: each column keeps its one-dimensional stratification, pairs lose theirs.

    Parameters
    ----------
    x : array_like
        Samples, shape ``(n, k)``, finite.
    corr : array_like
        Target Spearman correlation matrix, ``(k, k)``, positive definite.
    rng : numpy.random.Generator or int
        Source of the random score permutations.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, k)``; ``np.sort(result, axis=0) == np.sort(x, axis=0)``.

    Raises
    ------
    ScenarioError
        If ``x`` is not a finite 2-D array or ``corr`` is not a valid ``k`` x ``k``
        correlation matrix.

    References
    ----------
    Iman, R. L. and Conover, W. J. (1982). A distribution-free approach to inducing rank
    correlation among input variables. *Communications in Statistics - Simulation and
    Computation* 11(3), 311-334. doi:10.1080/03610918208812265
    """
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 2:
        raise ScenarioError(f"samples must be a 2-D array (draws, columns), got {values.ndim}-D")
    n, k = values.shape
    target = check_correlation_matrix(corr, k)
    if not np.isfinite(values).all():
        raise ScenarioError("samples contain non-finite values; all must be finite")
    gen = as_generator(rng)
    if k < 2 or n < 2:
        return values.copy()

    from scipy import linalg, stats  # only when sampling: loading a scenario stays light

    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    permuted = gen.permuted(np.tile(scores[:, None], (1, k)), axis=0)
    pearson = 2.0 * np.sin(np.pi * target / 6.0)
    np.fill_diagonal(pearson, 1.0)
    p = _cholesky(pearson)
    if p is None:
        p = _cholesky(target)
    assert p is not None  # the target was checked positive definite above
    try:
        f = np.linalg.cholesky(np.corrcoef(permuted, rowvar=False))
    except np.linalg.LinAlgError:  # too few draws for the scores' correlation to be PD
        f = np.eye(k)
    # T = P F^-1, applied to row vectors: permuted @ T' = permuted @ (F^-T P').
    transformed = permuted @ linalg.solve_triangular(f, p.T, lower=True, trans="T")
    ranks = np.argsort(np.argsort(transformed, axis=0, kind="stable"), axis=0, kind="stable")
    return np.take_along_axis(np.sort(values, axis=0), ranks, axis=0)
