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

_TERM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\[([^\]]*)\]")
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
    """A claim ready to evaluate: its terms and its expression tree."""

    expr: str
    terms: tuple[Term, ...]
    tree: ast.Expression

    def evaluate(self, lookup: Callable[[Term], np.ndarray]) -> np.ndarray:
        """Evaluate per draw: 1.0 where it holds, 0.0 where not, NaN where undecided.

        Parameters
        ----------
        lookup : callable
            Returns the per-draw values of a :class:`Term`.
        """
        values = {
            f"__t{i}": np.asarray(lookup(t), dtype=np.float64) for i, t in enumerate(self.terms)
        }
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
    raise ScenarioError(f"unsupported expression {ast.unparse(node)!r}")


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
        f"{expr!r}: {ast.unparse(node)!r} is not allowed; use metric[who], numbers, "
        "+ - * / and parentheses"
    )


def parse_claim(expr: str, scenario: Scenario) -> ParsedClaim:
    """Parse a claim expression against a scenario's providers, groups and horizon.

    Raises
    ------
    ScenarioError
        If a metric, provider, group or year is unknown, or the expression is not a
        comparison of metric terms.
    """
    groups = scenario.groups
    providers = scenario.providers
    first_year, last_year = scenario.years[0], scenario.years[-1]
    terms: list[Term] = []

    def replace(match: re.Match[str]) -> str:
        metric, inner = match.group(1), [s.strip() for s in match.group(2).split(",")]
        yearly = metric in YEARLY_METRICS
        if metric not in METRICS and not yearly:
            raise ScenarioError(
                f"unknown metric {metric!r} in {expr!r}{suggest_metric(metric)} "
                f"(metrics: {', '.join(METRICS)}; "
                f"yearly: {', '.join(YEARLY_METRICS)})"
            )
        if yearly != (len(inner) == 2) or len(inner) > 2:
            form = f"{metric}[who, YEAR]" if yearly else f"{metric}[who]"
            raise ScenarioError(f"{match.group(0)!r} in {expr!r}: write {form}")
        who = inner[0].replace(" ", "")
        if who not in providers and who not in groups:
            raise ScenarioError(
                f"unknown provider or group {who!r} in {expr!r} "
                f"(providers: {', '.join(providers)}; groups: {', '.join(groups)})"
            )
        year = None
        if yearly:
            if not inner[1].isdigit() or not first_year <= int(inner[1]) <= last_year:
                raise ScenarioError(
                    f"year {inner[1]!r} in {expr!r} is outside the horizon {first_year}-{last_year}"
                )
            year = int(inner[1])
        terms.append(Term(metric, who, who not in providers, year))
        return f"__t{len(terms) - 1}"

    text = _TERM.sub(replace, expr)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ScenarioError(f"{expr!r} is not a valid claim expression") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not node.id.startswith("__t"):
            raise ScenarioError(
                f"{node.id!r} in {expr!r} is not a metric term; write metric[who], "
                f"e.g. npv[{providers[0]}]"
            )
    _check_tree(tree.body, expr)
    if not terms:
        raise ScenarioError(f"{expr!r} names no metric")
    return ParsedClaim(expr, tuple(terms), tree)
