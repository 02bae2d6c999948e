#!/usr/bin/env python3
"""tract against onnxruntime, operator by operator, on the same model and batch (issue 17).

    target/release/examples/profile_network models/ncsnv2-mnist.onnx --batch 1 --runs 50 --out /tmp/tract.json
    python3 host/benches/profile_compare.py models/ncsnv2-mnist.onnx /tmp/tract.json --runs 50

Runs onnxruntime with its profiler (one intra-op thread, as each of the host's plan states runs
on one thread; all graph optimizations on) at the batch of the tract profile, then sets the
time per call of each ONNX operator type in onnxruntime against the time tract spends in the
nodes it made from ONNX nodes of that type (a tract node belongs to the ONNX node whose name
is the longest prefix of its own). Prints a Markdown table; --json writes it with the totals.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np


def _options(ort):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return so


def ort_profile(model: Path, batch: int, runs: int):
    """(ms per call by ONNX op type, ms per call profiled, ms per call plain, ONNX node name -> op
    type)."""
    import onnx
    import onnxruntime as ort

    graph = onnx.load(str(model)).graph
    node_type = {n.name: n.op_type for n in graph.node}
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim[1:]]
    x = np.random.default_rng(0).random((batch, *dims), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        so = _options(ort)
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tmp, "ort")
        sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        sess.run(None, {name: x})  # warm-up, as tract's first run
        for _ in range(runs):
            sess.run(None, {name: x})
        events = json.loads(Path(sess.end_profiling()).read_text())
        # The same runs without the profiler, the figure to compare.
        plain = ort.InferenceSession(str(model), _options(ort), providers=["CPUExecutionProvider"])
        plain.run(None, {name: x})
        t0 = time.perf_counter()
        for _ in range(runs):
            plain.run(None, {name: x})
        plain_ms = 1e3 * (time.perf_counter() - t0) / runs
    by_type: dict[str, float] = defaultdict(float)
    total = 0.0
    runs_seen = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            by_type[e["args"]["op_name"]] += e["dur"] / 1e3
    # Drop the warm-up run: scale by the counted runs (all runs' kernels are in the file).
    n_runs = len(runs_seen)
    total = sum(e["dur"] for e in runs_seen[1:]) / 1e3 / max(n_runs - 1, 1)
    return {k: v / n_runs for k, v in by_type.items()}, total, plain_ms, node_type


def tract_by_onnx_type(tract: dict, node_type: dict[str, str]) -> dict[str, float]:
    names = sorted(node_type, key=len, reverse=True)
    by_type: dict[str, float] = defaultdict(float)
    for n in tract["nodes"]:
        owner = next((m for m in names if n["name"].startswith(m)), None)
        by_type[node_type[owner] if owner else f"(tract: {n['op']})"] += n["ms"]
    return by_type


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("tract_json", type=Path, help="profile_network --out")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    tract = json.loads(a.tract_json.read_text())
    ort_types, ort_total, ort_plain, node_type = ort_profile(a.model, tract["batch"], a.runs)
    tr_types = tract_by_onnx_type(tract, node_type)
    keys = sorted(set(ort_types) | set(tr_types), key=lambda k: -max(ort_types.get(k, 0), tr_types.get(k, 0)))
    rows = [
        f"| ONNX operator | onnxruntime, ms | tract, ms | tract / onnxruntime | (batch {tract['batch']}, per call) |",
        "|---|---|---|---|---|",
    ]
    for k in keys:
        o, t = ort_types.get(k, 0.0), tr_types.get(k, 0.0)
        ratio = f"{t / o:.2f}×" if o > 0 else "—"
        rows.append(f"| {k} | {o:.3f} | {t:.3f} | {ratio} | |")
    rows.append(
        f"| whole call, profiled | {ort_total:.3f} | {tract['ms_per_call']:.3f} | "
        f"{tract['ms_per_call'] / ort_total:.2f}× | |"
    )
    rows.append(
        f"| **whole call, plain runs** | **{ort_plain:.3f}** | **{tract['plain_ms_per_call']:.3f}** | "
        f"**{tract['plain_ms_per_call'] / ort_plain:.2f}×** | |"
    )
    print("\n".join(rows))
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    "batch": tract["batch"],
                    "onnxruntime_ms_per_call": ort_total,
                    "tract_ms_per_call": tract["ms_per_call"],
                    "onnxruntime_plain_ms_per_call": ort_plain,
                    "tract_plain_ms_per_call": tract["plain_ms_per_call"],
                    "onnxruntime_by_type": ort_types,
                    "tract_by_onnx_type": tr_types,
                    "table": rows,
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
