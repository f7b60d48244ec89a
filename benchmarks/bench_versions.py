"""Time the engine of two commits side by side, in one run, and report the ratio.

The machine is shared and noisy, so absolute times drift; alternating the two versions
in the same run and comparing their best times gives a ratio that holds. Each version
runs in its own subprocess from a git worktree of its commit (checked out in a temporary
folder and removed afterwards), on the same scenario, draws, seed and block size.

Usage::

    python benchmarks/bench_versions.py --old 72c187d              # old commit vs this tree
    python benchmarks/bench_versions.py --old 72c187d --new HEAD~3 --rounds 5

Prints, per version, the best wall time and CPU time (the process's, which waiting
for a busy core does not count) of the engine over ``--draws`` draws (run and
reduce, blocks of ``--block``; the inputs table drawn once, outside the timing), the
block-level split between running and reducing, and the ratio new / old.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: The timed code, run inside each version's tree (it may predate today's API).
PROBE = r"""
import json, sys, time
import simlab
assert simlab.__file__.startswith(sys.argv[5]), (simlab.__file__, sys.argv[5])
from simlab.engine import inputs_to_values
from simlab.engine.core import run_block
from simlab.engine.metrics import reduce_block
from simlab.experiment import sample_inputs

name, draws, block, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sc = simlab.load_scenario(name)
inputs = sample_inputs(sc, draws, seed=1)
blocks = [inputs_to_values(sc, inputs, s, min(s + block, draws)) for s in range(0, draws, block)]
run_block(sc, blocks[0])
best = {"total": 1e9, "run": 1e9, "reduce": 1e9, "cpu": 1e9}
for _ in range(repeat):
    run_t = red_t = 0.0
    c0 = time.process_time()
    for values in blocks:
        t0 = time.perf_counter()
        rec = run_block(sc, values)
        t1 = time.perf_counter()
        reduce_block(sc, values, rec)
        t2 = time.perf_counter()
        run_t += t1 - t0
        red_t += t2 - t1
    cpu = time.process_time() - c0
    best = {"total": min(best["total"], run_t + red_t), "run": min(best["run"], run_t),
            "reduce": min(best["reduce"], red_t), "cpu": min(best["cpu"], cpu)}
print(json.dumps(best))
"""


def _time(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable, "-c", PROBE, args.scenario, str(args.draws), str(args.block), "1",
        str(tree),
    ]  # fmt: skip
    # cwd is the version's tree: ``python -c`` puts the working folder first on sys.path.
    out = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="the earlier commit (any git revision)")
    parser.add_argument("--new", default=None, help="the later commit (default: this tree)")
    parser.add_argument("--scenario", default="baseline-2025")
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--block", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of old and new")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for label, rev in (("old", args.old), ("new", args.new)):
            if rev is None:
                trees[label] = REPO
                continue
            path = Path(tmp) / label
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(path), rev],
                check=True,
            )
            trees[label] = path
        try:
            best: dict[str, dict[str, float]] = {}
            for _ in range(args.rounds):
                for label, tree in trees.items():
                    got = _time(tree, args)
                    prev = best.get(label)
                    best[label] = got if prev is None else {k: min(prev[k], got[k]) for k in got}
        finally:
            for label, rev in (("old", args.old), ("new", args.new)):
                if rev is not None:
                    subprocess.run(
                        ["git", "-C", str(REPO), "worktree", "remove", "--force",
                         str(Path(tmp) / label)],
                        check=False,
                    )  # fmt: skip
    load = os.getloadavg()[0]
    print(f"{args.scenario}, {args.draws} draws, blocks of {args.block}, best of {args.rounds}")
    for label in ("old", "new"):
        b = best[label]
        rev = getattr(args, label) or "this tree"
        print(
            f"  {label} ({rev}): {b['total']:.3f} s (run {b['run']:.3f} s, "
            f"reduce {b['reduce']:.3f} s; CPU time {b['cpu']:.3f} s)"
        )
    print(f"  ratio new / old: {best['new']['total'] / best['old']['total']:.2f}")
    print(f"  ratio of CPU times: {best['new']['cpu'] / best['old']['cpu']:.2f}")
    print(f"  load average at the end: {load:.2f}")


if __name__ == "__main__":
    main()
