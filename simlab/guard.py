"""The finite-results guard: no stored metric is infinite, and NaN only where documented.

Every block's metrics pass :func:`check_block` after they are reduced and cast (yearly
metrics to float32), before anything keeps them. A metric that is infinite, or NaN where
docs/model.md gives no reason for a NaN, raises :class:`~simlab.errors.SimulationError`
naming the draw, the metric, whose it is and that draw's uncertain inputs. The
documented NaNs (:data:`MAY_BE_NAN`: no IRR, never paid back, a ratio with nothing to
divide by, the price of a group with no share) pass; claims and statistics report them as
undecided. The best quality of a group with no member is NaN too (it was -inf).
"""

from __future__ import annotations

import numpy as np

from simlab.engine.metrics import BlockMetrics
from simlab.engine.state import BlockValues
from simlab.errors import SimulationError
from simlab.scenario.load import Scenario

__all__ = ["MAY_BE_NAN", "check_block"]

#: Metrics that are NaN in some draws by definition (docs/model.md, "Metrics").
MAY_BE_NAN = frozenset(
    {
        "irr",
        "payback_years",
        "roi",
        "capex_coverage",
        "model_roi",
        "compute_roi",
        "utilisation",
        "rented_share",
        "compute_cost",
        "price_final",
        "price_index",
        "price",
        "quality",
        "quality_final",
        "unmet_share",
        "valuation",  # no terminal value where r <= g (allowed with finance.terminal_value off)
    }
)


def _who(scenario: Scenario, table: str) -> list[str]:
    return list(scenario.providers) if table.endswith("provider") else list(scenario.groups)


def check_block(scenario: Scenario, values: BlockValues, block: BlockMetrics) -> BlockMetrics:
    """Check a block's metrics for non-finite values; return it (empty groups' quality NaN).

    Parameters
    ----------
    scenario : Scenario
        The scenario that was run.
    values : BlockValues
        The block's inputs (named in the error).
    block : BlockMetrics
        The reduced metrics, after any float32 cast.

    Returns
    -------
    BlockMetrics
        The same object; a group quality of -inf (a group with no member) is set to NaN.

    Raises
    ------
    SimulationError
        Naming the draw, the metric, whose it is and the draw's uncertain inputs.
    """
    for table in ("group", "yearly_group"):
        for name in ("quality_final", "quality"):
            array = getattr(block, table).get(name)
            if array is not None:
                array[np.isneginf(array)] = np.nan
    tables = {
        "provider": block.provider,
        "group": block.group,
        "yearly_provider": block.yearly_provider,
        "yearly_group": block.yearly_group,
        "draw": block.draw,
        "paths": block.paths,
    }
    for table, metrics in tables.items():
        for name, array in metrics.items():
            if array.dtype.kind != "f":
                continue
            if table == "paths":  # diagnostics: NaN as recorded; unlimited capacity is inf
                bad = np.zeros(array.shape, bool) if name == "capacity" else np.isinf(array)
            else:
                bad = np.isinf(array) if name in MAY_BE_NAN else ~np.isfinite(array)
            if bad.any():
                raise _error(scenario, values, table, name, array, bad)
    return block


def _error(
    scenario: Scenario,
    values: BlockValues,
    table: str,
    name: str,
    array: np.ndarray,
    bad: np.ndarray,
) -> SimulationError:
    where = np.argwhere(bad)[0]
    b = int(where[0])
    whose = ""
    if table != "draw" and table != "paths" and array.ndim >= 2:
        names = _who(scenario, table)
        column = int(where[-1])
        whose = f"[{names[column]}]" if column < len(names) else ""
        if table.startswith("yearly"):
            whose = whose[:-1] + f", {scenario.years[int(where[1])]}]"
    row = values.row(b)
    uncertain = [(k, x) for k, x in row.items() if k in scenario.uncertain][:12]
    shown = ", ".join(f"{k}={x:.6g}" for k, x in uncertain) or "the point values"
    value = float(array[tuple(where)])
    return SimulationError(
        f"{scenario.origin}: draw {values.offset + b}: metric {name}{whose} is {value!r} "
        f"(non-finite; the float{array.dtype.itemsize * 8} it is stored in cannot hold it); "
        f"that draw's inputs: {shown}. Check extreme values (prices, volumes, growth, the "
        "horizon)"
    )
