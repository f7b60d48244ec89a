"""The same sweep on a dask cluster.

Question: how do you run a sweep too big for one machine? The same way as on one: give
``simlab.sweep`` an executor. Here a ``dask.distributed.LocalCluster`` stands in for a
real cluster (pass ``Client("scheduler-address")`` for one).

Runs a smaller version of example 3's sweep on the cluster and again in this process,
checks that the numbers are identical (randomness is drawn up front, so where a chunk
runs cannot change it) and draws the heat map.
"""

import os

import matplotlib

matplotlib.use("Agg")

import numpy as np
from dask.distributed import Client, LocalCluster

import simlab

DRAWS = int(os.environ.get("SIMLAB_EXAMPLE_DRAWS", "2000"))
POINT_DRAWS = max(20, DRAWS // 20)
FIGURES = ("07_dask_heatmap.png",)
GRID = {
    "providers.deepseek.quality": np.linspace(45.0, 70.0, 6),
    "providers.deepseek.cost": np.geomspace(0.02, 0.6, 5),
}
SWEEP = {"metric": "share", "group": "closed", "year": 2030, "draws": POINT_DRAWS, "seed": 3}


def main() -> None:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        print(client)
        on_cluster = simlab.sweep(
            "good-enough", GRID, **SWEEP, block_size=256, executor=client.get_executor()
        )
    here = simlab.sweep("good-enough", GRID, **SWEEP, block_size=256)
    same = np.array_equal(on_cluster.values, here.values, equal_nan=True)
    print(f"cluster and local results identical: {same}")
    if not same:
        raise SystemExit("the cluster gave other numbers than this process")
    fig = simlab.plot.heatmap(on_cluster, statistic="median")
    fig.savefig(FIGURES[0], dpi=110)


if __name__ == "__main__":
    main()
