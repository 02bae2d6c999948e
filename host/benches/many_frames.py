#!/usr/bin/env python3
"""Throughput of `qcs reconstruct` over many frames (issue 17): one process per frame (the
baseline, run in the same invocation) against one many-frames run, for each frame count and
configuration; prints a Markdown table and writes it with the raw timings as JSON.

    python3 host/benches/many_frames.py --qcs target/release/qcs --frames 8 64 \
        --config "qcs-sgm, 1 sample=--method qcs-sgm --samples 1" --out /tmp/many-frames.json

Frames are test digits 0, 1, ... measured by `qcs measure` (one bit, M = 200, σ = 0.05).
Wall time includes every process start, model load and file write; nothing else should run on
the machine meanwhile. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CONFIGS = [
    "qcs-sgm 1160 calls, 1 sample=--method qcs-sgm --samples 1",
    "qcs-sgm 1160 calls, 4 samples=--method qcs-sgm --samples 4",
    "pnp-probit 100 calls, 1 sample=--method pnp-probit --samples 1",
    "pnp-probit 100 calls, 4 samples=--method pnp-probit --samples 4",
]


def run(cmd: list[str]) -> float:
    """Runs `cmd` (its output discarded unless it fails); its wall time in seconds."""
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{shlex.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--qcs", default="target/release/qcs", help="the qcs binary")
    ap.add_argument("--frames", type=int, nargs="+", default=[8, 64], help="frame counts")
    ap.add_argument(
        "--config",
        action="append",
        help="'label=qcs reconstruct options' (repeatable; default: four configurations)",
    )
    ap.add_argument("--out", type=Path, help="write the table and timings here (JSON)")
    a = ap.parse_args()
    configs = [c.split("=", 1) for c in (a.config or DEFAULT_CONFIGS)]
    qcs = str(Path(a.qcs).resolve())
    rows = []
    with tempfile.TemporaryDirectory(prefix="qcs-many-") as tmp:
        root = Path(tmp)
        frames_dir = root / "frames"
        frames_dir.mkdir()
        frames = []
        for i in range(max(a.frames)):
            f = frames_dir / f"d{i:03d}.qcsf"
            run([qcs, "measure", "--digit", str(i), "-o", str(f)])
            frames.append(f)
        for label, opts in configs:
            extra = shlex.split(opts)
            for n in a.frames:
                subset = frames[:n]
                t_single = 0.0
                for f in subset:
                    t_single += run([qcs, "reconstruct", str(f), "--out", str(root / "single"), *extra])
                t_many = run([qcs, "reconstruct", *map(str, subset), "--out", str(root / "many"), *extra])
                row = {
                    "config": label,
                    "options": opts,
                    "frames": n,
                    "one_process_per_frame_s": t_single,
                    "many_frames_s": t_many,
                    "speedup": t_single / t_many,
                }
                rows.append(row)
                print(
                    f"{label}, {n} frames: {t_single:.1f} s one process per frame, "
                    f"{t_many:.1f} s many-frames, {row['speedup']:.2f}x",
                    file=sys.stderr,
                    flush=True,
                )
    table = [
        "| configuration | frames | one `qcs reconstruct` per frame, s | many-frames run, s | frames/s ratio |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        table.append(
            f"| {r['config']} | {r['frames']} | {r['one_process_per_frame_s']:.1f} | "
            f"{r['many_frames_s']:.1f} | {r['speedup']:.2f}× |"
        )
    print("\n".join(table))
    if a.out:
        a.out.write_text(json.dumps({"cores": os.cpu_count(), "rows": rows, "table": table}, indent=2) + "\n")


if __name__ == "__main__":
    main()
