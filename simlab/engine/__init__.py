"""The batched discrete-event engine on simpy, and the reduction of its record to metrics."""

from simlab.engine.core import BlockRecord, run_block
from simlab.engine.metrics import BlockMetrics, reduce_block
from simlab.engine.state import BlockValues, inputs_to_values, validate_inputs

__all__ = [
    "BlockMetrics",
    "BlockRecord",
    "BlockValues",
    "inputs_to_values",
    "reduce_block",
    "run_block",
    "validate_inputs",
]
