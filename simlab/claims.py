"""Claims: the press's statements as conditions on metrics, and their probabilities.

A claim is an expression such as ``"share_final[closed] < 0.5"``,
``"npv[openai] < 0"`` or ``"model_roi[region=cn] / model_roi[region=us] > 100"``.
A term ``metric[who]`` names a per-draw metric of a provider or a group (``all``,
``open``, ``closed``, ``region=XX``); yearly metrics take a year too:
``share[closed, 2030]`` is the closed providers' mean share over 2030. Terms combine with
``+ - * /``, numbers, parentheses, and one comparison (``< <= > >=``), and may be
joined by ``and`` / ``or``.

Expressions are parsed with :mod:`ast` and evaluated by a small interpreter that only
knows these operations: nothing in a scenario file is ever executed as code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simlab.errors import ScenarioError
from simlab.metrics import CLAIM_METRICS, YEARLY_METRICS, suggest_metric

if TYPE_CHECKING:
    from simlab.scenario.load import Scenario

__all__ = ["METRICS", "YEARLY_METRICS", "ParsedClaim", "Term", "group_labels", "parse_claim"]

#: Per-draw metrics, by provider and by group (the table is :data:`simlab.metrics.METRICS`).
METRICS = CLAIM_METRICS

#: The longest claim expression accepted (characters).
MAX_CLAIM_LENGTH = 1000
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"\s*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_KEYWORDS = frozenset({"and", "or"})
_COMPARE: dict[type[ast.cmpop], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}
_BINARY: dict[type[ast.operator], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
}


def group_labels(scenario: Scenario) -> list[str]:
    """Return the group labels of a scenario (:attr:`Scenario.groups`)."""
    return scenario.groups


@dataclass(frozen=True)
class Term:
    """One ``metric[who]`` or ``metric[who, year]`` term of a claim."""

    metric: str
    who: str
    is_group: bool
    year: int | None = None


@dataclass(frozen=True)
class ParsedClaim:
    """A claim ready to evaluate: its terms and its expression tree.

    ``empty`` names the groups the claim uses that hold no provider in the scenario
    (e.g. ``closed`` when every provider is open): their terms are undecided (NaN).
    """

    expr: str
    terms: tuple[Term, ...]
    tree: ast.Expression
    empty: frozenset[str] = frozenset()

    def evaluate(self, lookup: Callable[[Term], np.ndarray]) -> np.ndarray:
        """Evaluate per draw: 1.0 where it holds, 0.0 where not, NaN where undecided.

        Parameters
        ----------
        lookup : callable
            Returns the per-draw values of a :class:`Term`.
        """
        values = {}
        for i, term in enumerate(self.terms):
            found = np.asarray(lookup(term), dtype=np.float64)
            if term.is_group and term.who in self.empty:
                found = np.full_like(found, np.nan)  # a group of no provider: undecided
            values[f"__t{i}"] = found
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _eval(self.tree.body, values)
        return out


def _and(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Three-valued AND: false wins, then undecided (NaN), then true."""
    undecided = np.where(np.isnan(a) | np.isnan(b), np.nan, 1.0)
    return np.where((a == 0) | (b == 0), 0.0, undecided)


def _or(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Three-valued OR: true wins, then undecided (NaN), then false."""
    undecided = np.where(np.isnan(a) | np.isnan(b), np.nan, 0.0)
    return np.where((a == 1) | (b == 1), 1.0, undecided)


def _eval(node: ast.AST, values: Mapping[str, np.ndarray]) -> np.ndarray:
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Constant):
        return np.asarray(float(node.value))  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, values)
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values)
        result: np.ndarray | None = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, values)
            held = _COMPARE[type(op)](left, right).astype(np.float64)
            undecided = np.isnan(left) | np.isnan(right)
            held = np.where(undecided, np.nan, held)
            result = held if result is None else _and(result, held)
            left = right
        assert result is not None  # the parser admits only non-empty comparisons
        return result
    if isinstance(node, ast.BoolOp):
        parts = [_eval(v, values) for v in node.values]
        out = parts[0]
        for part in parts[1:]:
            out = _and(out, part) if isinstance(node.op, ast.And) else _or(out, part)
        return out
    raise ScenarioError(f"unsupported expression {_short(ast.unparse(node))!r}")


def _short(text: str, limit: int = 80) -> str:
    """Return ``text`` cut to ``limit`` characters, for messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_tree(node: ast.AST, expr: str, top: bool = True) -> None:
    allowed_ops = (*_BINARY, ast.USub)
    if isinstance(node, ast.Name | ast.Constant):
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise ScenarioError(f"{expr!r}: only numbers may stand alone, got {node.value!r}")
        if top:
            raise ScenarioError(f"{expr!r}: a claim must compare, e.g. 'npv[openai] < 0'")
        return
    if isinstance(node, ast.BoolOp) and top:
        for value in node.values:
            _check_tree(value, expr, top=True)
        return
    if isinstance(node, ast.Compare) and top:
        if not all(type(op) in _COMPARE for op in node.ops):
            raise ScenarioError(f"{expr!r}: comparisons allowed are <, <=, >, >=")
        for part in (node.left, *node.comparators):
            _check_tree(part, expr, top=False)
        return
    if not top and isinstance(node, ast.BinOp) and type(node.op) in allowed_ops:
        _check_tree(node.left, expr, top=False)
        _check_tree(node.right, expr, top=False)
        return
    if not top and isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check_tree(node.operand, expr, top=False)
        return
    if top:
        raise ScenarioError(f"{expr!r}: a claim must compare, e.g. 'npv[openai] < 0'")
    raise ScenarioError(
        f"{expr!r}: {_short(ast.unparse(node), 40)!r} is not allowed; use metric[who], numbers, "
        "+ - * / and parentheses"
    )


def parse_claim(expr: str, scenario: Scenario) -> ParsedClaim:
    """Parse a claim expression against a scenario's providers, groups and horizon.

    The expression is read by a tokenizer that takes each character once (linear time),
    then by :mod:`ast`; error messages quote at most 80 characters of it.

    Raises
    ------
    ScenarioError
        If a metric, provider, group or year is unknown, or the expression is not a
        comparison of metric terms, or is longer than :data:`MAX_CLAIM_LENGTH`.
    """
    if not isinstance(expr, str):
        raise ScenarioError(f"a claim expression must be text, got {type(expr).__name__}")
    if len(expr) > MAX_CLAIM_LENGTH:
        raise ScenarioError(
            f"claim {_short(expr)!r} has {len(expr):,} characters; at most "
            f"{MAX_CLAIM_LENGTH:,} are allowed"
        )
    shown = _short(expr)
    groups = scenario.groups
    providers = scenario.providers
    kinds = {p.kind for p in scenario.spec.providers.values()}
    first_year, last_year = scenario.years[0], scenario.years[-1]
    terms: list[Term] = []

    def term(metric: str, inside: str, whole: str) -> str:
        inner = [s.strip() for s in inside.split(",")]
        yearly = metric in YEARLY_METRICS
        if metric not in METRICS and not yearly:
            raise ScenarioError(
                f"unknown metric {_short(metric, 40)!r} in {shown!r}{suggest_metric(metric)} "
                f"(metrics: {', '.join(METRICS)}; yearly: {', '.join(YEARLY_METRICS)})"
            )
        if yearly != (len(inner) == 2) or len(inner) > 2:
            form = f"{metric}[who, YEAR]" if yearly else f"{metric}[who]"
            raise ScenarioError(f"{_short(whole, 40)!r} in {shown!r}: write {form}")
        who = inner[0].replace(" ", "")
        if who not in providers and who not in groups:
            listed = ", ".join(providers) if len(providers) <= 20 else f"{len(providers)} names"
            raise ScenarioError(
                f"unknown provider or group {_short(who, 40)!r} in {shown!r} "
                f"(providers: {listed}; groups: all, open, closed, region=XX)"
            )
        year = None
        if yearly:
            text = inner[1]
            if not (text.isascii() and text.isdigit() and len(text) <= 4) or not (
                first_year <= int(text) <= last_year
            ):
                raise ScenarioError(
                    f"year {_short(text, 20)!r} in {shown!r} is outside the horizon "
                    f"{first_year}-{last_year}"
                )
            year = int(text)
        terms.append(Term(metric, who, who not in providers, year))
        return f"__t{len(terms) - 1}"

    # One pass: each word is a metric followed by [...], or 'and' / 'or'.
    out: list[str] = []
    i, n = 0, len(expr)
    while i < n:
        number = _NUMBER.match(expr, i)
        if number is not None:
            out.append(number.group())
            i = number.end()
            continue
        word = _WORD.match(expr, i)
        if word is None:
            out.append(expr[i])
            i += 1
            continue
        after = _SPACE.match(expr, word.end())
        j = after.end() if after is not None else word.end()
        if j < n and expr[j] == "[":
            close = expr.find("]", j)
            if close < 0:
                raise ScenarioError(f"{shown!r}: a '[' is not closed")
            out.append(term(word.group(), expr[j + 1 : close], expr[word.start() : close + 1]))
            i = close + 1
        elif word.group() in _KEYWORDS:
            out.append(f" {word.group()} ")
            i = word.end()
        else:
            example = providers[0]
            raise ScenarioError(
                f"{_short(word.group(), 40)!r} in {shown!r} is not a metric term; write "
                f"metric[who], e.g. npv[{example}]"
            )
    text = "".join(out)
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ScenarioError(f"{shown!r} is not a valid claim expression") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not node.id.startswith("__t"):  # pragma: no cover
            raise ScenarioError(f"{node.id!r} in {shown!r} is not a metric term")
    try:
        _check_tree(tree.body, shown)
    except RecursionError:
        raise ScenarioError(f"{shown!r} nests too deeply") from None
    if not terms:
        raise ScenarioError(f"{shown!r} names no metric")
    empty = frozenset(g for g in ("open", "closed") if g not in kinds)
    return ParsedClaim(expr, tuple(terms), tree, empty)
