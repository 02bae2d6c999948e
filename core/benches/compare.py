#!/usr/bin/env python3
"""Runs the Rust criterion benches and their numpy/scipy baselines in one go and prints a
markdown table with the ratios (BENCHMARKS.md is made from its output).

The likelihood bench runs twice: built for the portable x86-64 baseline (SSE2, what a plain
`cargo build` gives) and built with `-C target-cpu=native` (AVX2 on the machines here; numpy
picks its AVX2 loops at run time, so this is the like-for-like column). Both builds give the
same bits: Rust never fuses multiply-adds on its own, and vector lanes round as scalars do.
Every time is the median over the samples (criterion: per-iteration time of each sample;
numpy: each of 15 repeats), per measurement.

Usage, from the repository root:  python3 core/benches/compare.py [--skip-cargo]
"""
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PORTABLE = os.path.join(ROOT, "target")
NATIVE = os.path.join(ROOT, "target", "native")


def criterion_median_ns(target_dir, bench_id):
    """Median per-iteration time (ns) of one criterion benchmark, from its sample.json."""
    path = os.path.join(target_dir, "criterion", *bench_id.split("/"), "new", "sample.json")
    with open(path) as f:
        s = json.load(f)
    return statistics.median(t / n for t, n in zip(s["times"], s["iters"]))


def numpy_rows(script):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "core", "benches", script)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def main():
    if "--skip-cargo" not in sys.argv:
        subprocess.run(["cargo", "bench", "-p", "qcs-core", "--bench", "likelihood",
                        "--bench", "operators"], cwd=ROOT, check=True)
        env = dict(os.environ, RUSTFLAGS="-C target-cpu=native", CARGO_TARGET_DIR=NATIVE)
        subprocess.run(["cargo", "bench", "-p", "qcs-core", "--bench", "likelihood"],
                       cwd=ROOT, check=True, env=env)
    print("## Likelihood kernel G (no matvec), ns per measurement\n")
    print("| kernel | M | Rust portable (SSE2) | Rust native (AVX2) | numpy/scipy f32 "
          "| speed-up portable | speed-up native | numpy NaN/inf outputs |")
    print("|---|---|---|---|---|---|---|---|")
    for row in numpy_rows("likelihood_numpy.py"):
        _, kind, m = row["id"].split("/")
        port = criterion_median_ns(PORTABLE, row["id"]) / int(m)
        nat = criterion_median_ns(NATIVE, row["id"]) / int(m)
        base = row["ns_per_measurement"]
        print(f"| {kind} | {m} | {port:.2f} | {nat:.2f} | {base:.2f} | {base / port:.1f}× "
              f"| {base / nat:.1f}× | {row['nonfinite']} of {m} |")
    print("\n## Operators: one forward + one adjoint (Rust portable, criterion)\n")
    print("| N | M | dense | seeded | structured | dense / structured |")
    print("|---|---|---|---|---|---|")
    for n, m in ((784, 200), (12288, 4000)):
        t = {k: criterion_median_ns(PORTABLE, f"operators_N{n}_M{m}/fwd+adj/{k}")
             for k in ("dense", "seeded", "structured")}
        print(f"| {n} | {m} | {t['dense'] / 1e3:.1f} µs | {t['seeded'] / 1e3:.1f} µs "
              f"| {t['structured'] / 1e3:.1f} µs | {t['dense'] / t['structured']:.0f}× |")
    print("\n## Operators: numpy/scipy baseline (same run)\n")
    out = subprocess.run([sys.executable, os.path.join(ROOT, "core", "benches", "operators_numpy.py")],
                         check=True, capture_output=True, text=True).stdout
    print("```\n" + out.rstrip() + "\n```")


if __name__ == "__main__":
    main()
