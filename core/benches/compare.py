#!/usr/bin/env python3
"""Runs the Rust criterion benches and their numpy/scipy baselines in one go and prints a
markdown table with the ratios (BENCHMARKS.md is made from its output).

Usage, from the repository root:  python3 core/benches/compare.py [--skip-cargo]
"""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CRIT = os.path.join(ROOT, "target", "criterion")


def criterion_ns(bench_id):
    """Mean time (ns) of one criterion benchmark, from its estimates.json."""
    path = os.path.join(CRIT, *bench_id.split("/"), "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"]


def numpy_rows(script):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "core", "benches", script)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def main():
    if "--skip-cargo" not in sys.argv:
        subprocess.run(["cargo", "bench", "-p", "qcs-core", "--bench", "likelihood",
                        "--bench", "operators"], cwd=ROOT, check=True)
    print("## Likelihood kernel G (no matvec), ns per measurement\n")
    print("| kernel | M | Rust (qcs-core) | numpy/scipy f32 | speed-up |")
    print("|---|---|---|---|---|")
    for row in numpy_rows("likelihood_numpy.py"):
        _, kind, m = row["id"].split("/")
        rust = criterion_ns(row["id"]) / int(m)
        base = row["ns_per_measurement"]
        print(f"| {kind} | {m} | {rust:.2f} | {base:.2f} | {base / rust:.1f}× |")
    ops = os.path.join(ROOT, "core", "benches", "operators_numpy.py")
    if os.path.exists(ops):
        print("\n## Operators (see operators_numpy.py for the baseline's ids)\n")
        print("| bench | Rust ns | numpy ns | ratio |")
        print("|---|---|---|---|")
        for row in numpy_rows("operators_numpy.py"):
            try:
                rust = criterion_ns(row["rust_id"])
            except (KeyError, FileNotFoundError):
                continue
            print(f"| {row['rust_id']} | {rust:.0f} | {row['ns']:.0f} | {row['ns'] / rust:.1f}× |")


if __name__ == "__main__":
    main()
