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
    print("\n## Operators: one forward + one adjoint (Rust, criterion)\n")
    print("| N | M | dense | seeded | structured | dense / structured |")
    print("|---|---|---|---|---|---|")
    for n, m in ((784, 200), (12288, 4000)):
        t = {k: criterion_ns(f"operators_N{n}_M{m}/fwd+adj/{k}")
             for k in ("dense", "seeded", "structured")}
        print(f"| {n} | {m} | {t['dense'] / 1e3:.1f} µs | {t['seeded'] / 1e3:.1f} µs "
              f"| {t['structured'] / 1e3:.1f} µs | {t['dense'] / t['structured']:.0f}× |")
    print("\n## Operators: numpy/scipy baseline (same run)\n")
    out = subprocess.run([sys.executable, os.path.join(ROOT, "core", "benches", "operators_numpy.py")],
                         check=True, capture_output=True, text=True).stdout
    print("```\n" + out.rstrip() + "\n```")

if __name__ == "__main__":
    main()
