"""Reconstruct every frame of a directory (*.qcsf) or of a Parquet table (a binary column
``frame``) with Ray Data: ``map_batches`` over an actor pool, one ``qcs.Reconstructor`` per
actor (the model loaded once per actor), one result per frame written to ``--out`` as
``<name>.npz`` (mean, std, samples) and ``<name>.json`` (the report).

    python3 python/examples/ray_reconstruct.py FRAMES_DIR --out results/ --actors 2
    python3 python/examples/ray_reconstruct.py frames.parquet --out results/ --levels 5 --steps 1

On a cluster, pass ``--address auto`` (or set RAY_ADDRESS); ``--gpus-per-actor 1`` with a
package built with the ``gpu`` feature puts each actor's network on a GPU (``device="cuda"``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import ray


class ReconstructFrames:
    """A Ray Data actor: one Reconstructor, loaded once, for every batch it gets."""

    def __init__(self, out: str, model: str | None, device: str, threads: int, samples: int, seed: int,
                 schedule: dict, method: str = "pnp-probit"):
        import qcs

        self.rec = qcs.Reconstructor(model=model, device=device, threads=threads, method=method)
        self.out, self.samples, self.seed, self.schedule = Path(out), samples, seed, schedule

    def __call__(self, batch: dict) -> dict:
        names = [str(n) for n in batch["name"]]
        frames = [bytes(f) for f in batch["frame"]]
        results = self.rec.reconstruct(frames, samples=self.samples, seed=self.seed, **self.schedule)
        seconds = []
        for name, r in zip(names, results):
            np.savez(self.out / f"{name}.npz", mean=r.mean, std=r.std, samples=r.samples)
            (self.out / f"{name}.json").write_text(json.dumps(r.report, indent=1))
            seconds.append(r.report["seconds"])
        return {"name": np.array(names), "seconds": np.array(seconds)}


def frames_dataset(source: Path):
    """A dataset of rows {name, frame}: the *.qcsf files of a directory, or a Parquet table
    with a binary column ``frame`` (and optionally ``name``)."""
    if source.is_dir():
        files = sorted(source.glob("*.qcsf"))
        if not files:
            raise SystemExit(f"{source}: no *.qcsf frames")
        rows = [{"name": p.stem, "frame": p.read_bytes()} for p in files]
        return ray.data.from_items(rows), len(rows)
    # Read before the actor pool starts: the pool may hold every CPU, starving read tasks.
    ds = ray.data.read_parquet(str(source)).materialize()
    if "name" not in ds.schema().names:  # names by row (through the driver: add a name column for big tables)
        table = ds.to_arrow_refs()
        names = [f"frame{i:06d}" for i in range(ds.count())]
        rows = [{"name": n, "frame": f} for n, f in zip(names, (r for t in ray.get(table)
                                                                   for r in t.column("frame").to_pylist()))]
        ds = ray.data.from_items(rows)
    return ds, ds.count()


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path, help="a directory of *.qcsf frames or a .parquet table")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--actors", type=int, default=2, help="actors in the pool")
    ap.add_argument("--threads", type=int, default=1, help="network threads per actor (CPUs it asks for)")
    ap.add_argument("--gpus-per-actor", type=float, default=0.0)
    ap.add_argument("--batch-size", type=int, default=1, help="frames per map_batches call")
    ap.add_argument("--model", default=None)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--method", default="pnp-probit", help="pnp-probit (the default) or qcs-sgm")
    ap.add_argument("--levels", type=int)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--address", default=None, help="a Ray cluster (auto: RAY_ADDRESS); default: local")
    ap.add_argument("--num-cpus", type=int, default=None, help="CPUs of a local Ray")
    a = ap.parse_args(argv)
    if not ray.is_initialized():
        if a.address:
            ray.init(address=a.address)
        else:
            ray.init(num_cpus=a.num_cpus or os.cpu_count(), include_dashboard=False)
    if __name__ != "__main__" and __name__ in sys.modules:
        # Imported as a module (notebooks): ship the actor class by value, since the workers
        # cannot import this file by name.
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    a.out.mkdir(parents=True, exist_ok=True)
    schedule = {k: v for k, v in (("levels", a.levels), ("steps", a.steps)) if v is not None}
    ds, count = frames_dataset(a.source)
    t0 = time.perf_counter()
    done = ds.map_batches(
        ReconstructFrames,
        fn_constructor_kwargs=dict(out=str(a.out.resolve()), model=a.model,
                                   device="cuda" if a.gpus_per_actor > 0 else "cpu",
                                   threads=a.threads, samples=a.samples, seed=a.seed, schedule=schedule,
                                   method=a.method),
        compute=ray.data.ActorPoolStrategy(size=a.actors),
        batch_size=a.batch_size,
        num_cpus=a.threads,
        num_gpus=a.gpus_per_actor,
    ).take_all()
    seconds = time.perf_counter() - t0
    assert len(done) == count, (len(done), count)
    fps = count / seconds
    print(f"{count} frames in {seconds:.1f} s with {a.actors} actor(s): {fps:.3f} frames/s")
    return fps


if __name__ == "__main__":
    main()
