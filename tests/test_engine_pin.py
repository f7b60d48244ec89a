"""The engine's numbers are pinned: a refactoring must not change a bit of a seeded run."""

import importlib.util
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "data"


def test_seeded_baseline_run_is_bit_identical_to_the_pinned_one():
    spec = importlib.util.spec_from_file_location("pin_engine", HERE / "pin_engine.py")
    assert spec is not None and spec.loader is not None
    pin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pin)
    got = pin.pinned_arrays()
    ref = np.load(pin.PIN)
    assert sorted(ref.files) == sorted(got)
    for name in ref.files:
        # Bit for bit, NaN where NaN (a draw with no IRR): regenerate the pin with
        # `python tests/data/pin_engine.py` only for a deliberate change of the model.
        np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
