#!/usr/bin/env python3
"""Replay the golden cases from the files alone, as a Rust test would, and compare.

    python3 -m models.reference.replay_golden [--golden models/reference/golden] [--onnx models/ncsnv2-mnist.onnx]

Uses only numpy, scipy and onnxruntime (not sampler.py): reads A, y (or the bin bounds), x0,
xi and the float32 beta_t / alpha_t of each case from golden/ and golden.json, runs
Algorithm 1 in float32 with the exported .onnx as the prior, and reports the largest difference
to the stored float32 iterates, absolute and relative to max(1, max|x|) of each record.
It checks that the files and their documentation are complete, and gives a second,
independent implementation of the likelihood scores (scipy: log_ndtr for eq. 18,
truncnorm.mean for eq. 29).  The full-schedule case has no xi file and is skipped unless
--full (then xi is regenerated with sampler.CoreRecipeNoise, the one import from sampler.py).
Exit status 1 if a case differs by more than --rtol * max(1, max|x|) + --atol.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--golden', default=os.path.join(HERE, 'golden'))
    p.add_argument('--onnx', default=os.path.join(REPO, 'models/ncsnv2-mnist.onnx'))
    p.add_argument('--rtol', type=float, default=3e-5)
    p.add_argument('--atol', type=float, default=1e-4)
    p.add_argument('--full', action='store_true')
    args = p.parse_args(argv)
    warnings.filterwarnings('ignore', category=RuntimeWarning)  # scipy truncnorm's unused moments
    import onnxruntime as ort
    from scipy.special import log_ndtr
    from scipy.stats import truncnorm

    with open(os.path.join(args.golden, 'golden.json')) as f:
        meta = json.load(f)

    def rd(entry):
        return np.fromfile(os.path.join(args.golden, entry['file']), dtype='<f4').reshape(entry['shape'])

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(args.onnx, so, providers=['CPUExecutionProvider'])
    import hashlib
    with open(args.onnx, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    if meta.get('onnx_sha256') and meta['onnx_sha256'] != sha:
        print(f"warning: {args.onnx} is not the model of the golden files ({sha[:12]} vs {meta['onnx_sha256'][:12]})")
    F = meta['files']
    A = rd(F['A'])
    sigma = np.float32(meta['sigma'])
    rn = (A * A).sum(axis=1, dtype=np.float32)
    ok = True
    for name, case in meta['cases'].items():
        cf = case['files']
        if 'xi' not in cf and not args.full:
            print(f'{name}: skipped (no xi file; --full regenerates it)')
            continue
        key = case['measurement']
        x = rd(cf['x0']).astype(np.float32)
        B = x.shape[0]
        T, K = case['levels'], case['K']
        if 'xi' in cf:
            xi = rd(cf['xi'])
        else:
            from models.reference.sampler import CoreRecipeNoise
            src = CoreRecipeNoise(case['noise_seed'], B, x.shape[1])
            src.x0()
            xi = np.stack([np.stack([src(t, k).numpy() for k in range(K)]) for t in range(T)])
        y = rd(F[f'y_{key}'])[0].astype(np.float64)
        lo = rd(F[f'lo_{key}'])[0].astype(np.float64) if f'lo_{key}' in F else None
        hi = rd(F[f'hi_{key}'])[0].astype(np.float64) if f'hi_{key}' in F else None
        ref = rd(cf['iterates_f32'])
        betas = np.array(case['beta_f32'], dtype=np.float32)
        alphas = np.array(case['alpha_f32'], dtype=np.float32)
        recs = []
        for t in range(T):
            beta, alpha = betas[t], alphas[t]
            ns = np.sqrt(np.float32(2.0) * alpha, dtype=np.float32)
            s = np.sqrt(sigma * sigma + beta * beta * rn, dtype=np.float32).astype(np.float64)
            for k in range(K):
                body = sess.run(['body'], {'x': x.reshape(B, 1, 28, 28)})[0].reshape(B, -1)
                prior = body / beta
                z = (x @ A.T).astype(np.float64)
                if key == 'onebit':
                    tt = y * z / s  # eq. (18): y phi(t)/(s Phi(t)), via log_ndtr
                    g = y * np.exp(-0.5 * tt * tt - 0.5 * np.log(2 * np.pi) - log_ndtr(tt)) / s
                elif key.startswith('quantized'):
                    g = np.stack([truncnorm.mean((lo - zb) / s, (hi - zb) / s) for zb in z]) / s  # eq. (29)
                else:
                    g = (y - z) / (s * s)  # eq. (20)
                lik = (g.astype(np.float32) @ A).astype(np.float32)
                x = (x + alpha * (prior + lik) + ns * xi[t, k]).astype(np.float32)
                if ref.shape[0] == T * K or k == K - 1:
                    recs.append(x.copy())
        got = np.stack(recs)
        d = np.abs(got - ref).max(axis=(1, 2))
        scale = np.maximum(1.0, np.abs(ref).max(axis=(1, 2)))
        bad = d > args.rtol * scale + args.atol
        ok &= not bad.any()
        print(f'{name}: max abs diff {d.max():.2e} (final {d[-1]:.2e}), max diff / max(1,|x|) '
              f'{(d / scale).max():.2e} -> {"FAIL" if bad.any() else "ok"}')
    print('OK' if ok else 'FAILED')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
