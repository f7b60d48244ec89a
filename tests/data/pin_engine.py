"""Write or check the pinned seeded run of baseline-2025 that guards the engine's numbers.

    python tests/data/pin_engine.py          # rewrite tests/data/pinned-baseline.npz

Run it only for a deliberate change of the model, and say so in the commit: the test
``tests/test_engine_pin.py`` then holds the engine to these numbers bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PIN = Path(__file__).with_name("pinned-baseline.npz")
DRAWS, SEED = 64, 2024


def pinned_arrays() -> dict[str, np.ndarray]:
    """Every per-draw provider and group metric of a seeded baseline-2025 run."""
    import simlab
    from simlab.engine import inputs_to_values
    from simlab.engine.metrics import run_and_reduce
    from simlab.experiment import sample_inputs

    sc = simlab.load_scenario("baseline-2025")
    values = inputs_to_values(sc, sample_inputs(sc, DRAWS, seed=SEED), 0, DRAWS)
    m = run_and_reduce(sc, values)
    out = {f"provider/{k}": v for k, v in m.provider.items()}
    out.update({f"group/{k}": v for k, v in m.group.items()})
    out.update({f"yearly/{k}": v for k, v in m.yearly_provider.items()})
    return out


if __name__ == "__main__":
    np.savez_compressed(PIN, **pinned_arrays())
    print(f"wrote {PIN}")
