#!/usr/bin/env python3
"""Speed baseline for `host/benches/reconstruction.rs`: one full QCS-SGM reconstruction with the
PyTorch reference sampler (sampler.py's `qcs_sgm`), timed, as one JSON line on stdout. The
network is the PyTorch module (--engine torch) or the exported .onnx through onnxruntime (ort).

    python3 -m models.reference.bench --checkpoint models/train/checkpoint.pt --chains 8 --threads 2

Problem: test digit 0, one bit, M = 200, sigma = 0.05, A ~ N(0, 1/M) (numpy seed 12345), the
paper's schedule (50 -> 0.01, 232 levels, K = 5, eps = 2e-4), `--chains` posterior samples of
the one image in one batch (so the network runs at batch = chains), float32, torch threads as given.
Reports wall seconds of the sampler, seconds inside the network, network calls, and the peak
resident memory of this process (ru_maxrss).
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import torch

from models.reference.sampler import (
    OnnxPrior,
    TorchNoise,
    TorchPrior,
    geometric_schedule,
    measure,
    qcs_sgm,
    read_test_images,
)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--chains', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--levels', type=int, default=232)
    p.add_argument('--engine', choices=['torch', 'ort'], default='torch',
                   help="the network: the PyTorch module (torch) or the exported .onnx through onnxruntime (ort)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    n, m, sigma = 784, 200, 0.05
    x = read_test_images()[0].reshape(1, n).astype(np.float32) / 255.0
    a = np.random.default_rng(12345).standard_normal((m, n)) / np.sqrt(m)
    a = a.astype(np.float32)
    noise = sigma * np.random.default_rng(12346).standard_normal((1, m))
    meas = measure(a, x, sigma, 'onebit', noise)
    meas.y = np.repeat(meas.y, args.chains, axis=0)
    if args.engine == 'torch':
        prior = TorchPrior(args.checkpoint)
    else:
        prior = OnnxPrior(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ncsnv2-mnist.onnx'),
                          threads=args.threads)
    busy = [0.0]
    inner = prior.score

    def timed(x, beta):
        t0 = time.perf_counter()
        out = inner(x, beta)
        busy[0] += time.perf_counter() - t0
        return out

    prior.score = timed
    src = TorchNoise(7, args.chains, n)
    betas = geometric_schedule(50.0, 0.01, args.levels)
    t0 = time.perf_counter()
    out = qcs_sgm(prior, a, meas, betas, 5, 2e-4, src.x0(), src)
    secs = time.perf_counter() - t0
    assert torch.isfinite(out).all()
    print(json.dumps({'engine': args.engine, 'chains': args.chains, 'threads': args.threads,
                      'seconds': secs, 'network_seconds': busy[0],
                      'network_calls': len(betas) * 5,
                      'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


if __name__ == '__main__':
    main()
