#!/usr/bin/env python3
"""Experiment 7b (issue 13): PSNR against the condition number κ of AAᵀ, one-bit, M = 200,
σ = 0.05, first 20 test digits, from the qcs-eval runs of host/experiments/exp7-kappa-*.toml:

    for k in 1 10 100 1000 10000; do
      target/release/qcs-eval host/experiments/exp7-kappa-$k.toml --out docs/results/exp7-kappa/k$k
      target/release/qcs-eval host/experiments/exp7-kappa-$k-eps.toml --out docs/results/exp7-kappa/k$k-eps
      target/release/qcs-eval host/experiments/exp7-kappa-$k-rescaled.toml --out docs/results/exp7-kappa/k$k-rescaled
    done
    python3 host/experiments/exp7_kappa_plot.py docs/results/exp7-kappa

Writes DIR/psnr_kappa.png and .svg and DIR/summary.md (mean ± std, diverged runs per method).
A run that diverged has no PSNR; a cell where every run diverged is drawn at the bottom as ×.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

KAPPAS = [1, 10, 100, 1000, 10000]
LABELS = {
    ("qcs-sgm", ""): "QCS-SGM, ε = 2e-4 (eq. 18)",
    ("qcs-sgm", "-eps"): "QCS-SGM, ε = 2e-5",
    ("qcs-sgm-ep", ""): "QCS-SGM+ (EP), ε = 2e-4, unscaled",
    ("qcs-sgm", "-rescaled"): "QCS-SGM, ε = 2e-4, rescaled 0.5",
    ("qcs-sgm-ep", "-rescaled"): "QCS-SGM+ (EP), ε = 2e-4, rescaled 0.5 (default)",
    ("pnp-probit", ""): "pnp-probit, 100 calls",
}


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/results/exp7-kappa")
    psnr: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    diverged: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for k in KAPPAS:
        for suffix in ("", "-eps", "-rescaled"):
            f = root / f"k{k}{suffix}" / "results.csv"
            if not f.exists():
                continue
            for row in csv.DictReader(f.open()):
                key = (row["method"], suffix)
                if row["diverged"] == "true":
                    diverged[key][k] += 1
                else:
                    psnr[key][k].append(float(row["psnr_db"]))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    lines = ["| method | " + " | ".join(f"κ = {k}" for k in KAPPAS) + " |", "|---" * (len(KAPPAS) + 1) + "|"]
    for key, label in LABELS.items():
        xs, ms, ss, cells = [], [], [], []
        for k in KAPPAS:
            v = psnr[key].get(k, [])
            d = diverged[key].get(k, 0)
            if v:
                xs.append(k)
                ms.append(np.mean(v))
                ss.append(np.std(v, ddof=1) if len(v) > 1 else 0.0)
                cells.append(f"{np.mean(v):.2f} ± {np.std(v, ddof=1):.2f}" + (f" ({d} diverged)" if d else ""))
            elif d:
                ax.plot([k], [0], "x", color="k")
                cells.append(f"all {d} diverged")
            else:
                cells.append("–")
        if xs:
            ax.errorbar(xs, ms, yerr=ss, marker="o", capsize=3, label=label)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    ax.set_xscale("log")
    ax.set_xlabel("κ(AAᵀ)")
    ax.set_ylabel("PSNR (dB), first 20 test digits")
    ax.set_title("one-bit, M = 200, σ = 0.05 (× : every run diverged)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(root / f"psnr_kappa.{ext}", dpi=120)
    (root / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
