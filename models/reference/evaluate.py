#!/usr/bin/env python3
"""Reconstruction figures of the reference QCS-SGM sampler on a fixed subset of the test digits.

    python3 -m models.reference.evaluate --checkpoint CKPT --images 100 --out models/reference/results.json

Setting (defaults = the paper's MNIST one-bit experiment): one-bit measurements y = sign(A x + n),
M = 200, sigma = 0.05, A ~ N(0, 1/M) i.i.d. (one A, seeded, shared by every image), schedule
beta 50 -> 0.01 geometric with 232 levels, K = 5, eps = 2e-4, x0 ~ U(0, 1), one chain per image,
no final denoising step, output clamped to [0, 1] for the metrics.

Images: the first --images test digits of models/data (interleaved by class, so the first 100 hold
10 of each digit; test image i has label i mod 10).  All images run through the network together
as one batch (torch, --threads threads, default 1).

Randomness (all seeded, --seed S, default 12345):
  A = default_rng(S).standard_normal((M, 784)) / sqrt(M)   (float64 -> float32)
  n = sigma * default_rng(S + 1).standard_normal((images, M))
  x0 and the Langevin noise: one torch.Generator seeded S + 2, x0 = rand(images, 784), then
      randn(images, 784) per step (so the result of an image depends on the batch it ran in).

Metrics per image on the clamped output: PSNR = 10 log10(1/MSE); SSIM with a 7x7 uniform window,
K1 = 0.01, K2 = 0.03, data range 1, sample covariance (scikit-image structural_similarity
defaults); cosine similarity of the flattened images.  Reported: mean, std (population, ddof 0),
median, min; per-image values; seconds per image (wall, whole batch / images).
Also writes a PNG panel (--panel, default next to --out): truth (top) vs reconstruction (bottom)
for the first 10 images.
"""
import argparse
import datetime
import json
import math
import os
import sys
import time

import numpy as np
import torch

from models.reference import sampler as S

HERE = os.path.dirname(os.path.abspath(__file__))


def psnr(x, ref):
    mse = float(np.mean((x.astype(np.float64) - ref.astype(np.float64)) ** 2))
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else float('inf')


def ssim(x, ref):
    from skimage.metrics import structural_similarity
    return float(structural_similarity(ref.reshape(28, 28).astype(np.float64), x.reshape(28, 28).astype(np.float64),
                                       win_size=7, data_range=1.0, K1=0.01, K2=0.03,
                                       gaussian_weights=False, use_sample_covariance=True))


def cosine(x, ref):
    a, b = x.astype(np.float64).ravel(), ref.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def stats(v):
    v = np.asarray(v, dtype=np.float64)
    return {'mean': float(v.mean()), 'std': float(v.std()), 'median': float(np.median(v)),
            'min': float(v.min()), 'max': float(v.max())}


def panel_png(path, top, bottom, scale=3):
    """Two rows of 28x28 images in [0, 1] (top: truth, bottom: reconstruction), 2 px gaps."""
    from PIL import Image
    n = len(top)
    gap = 2
    W = n * 28 + (n + 1) * gap
    H = 2 * 28 + 3 * gap
    canvas = np.full((H, W), 128, dtype=np.uint8)
    for r, row in enumerate((top, bottom)):
        for i, im in enumerate(row):
            y0, x0 = gap + r * (28 + gap), gap + i * (28 + gap)
            canvas[y0:y0 + 28, x0:x0 + 28] = np.round(np.clip(im.reshape(28, 28), 0, 1) * 255).astype(np.uint8)
    Image.fromarray(canvas).resize((W * scale, H * scale), Image.NEAREST).save(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', default=None,
                   help='training checkpoint (EMA weights); may be omitted with --engine ort, then the '
                        'committed .onnx and its .json sidecar (training step, ngf) are used alone')
    p.add_argument('--images', type=int, default=100)
    p.add_argument('--out', default=os.path.join(HERE, 'results.json'))
    p.add_argument('--panel', default=None, help='PNG path (default: --out with .png)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=12345)
    p.add_argument('--M', type=int, default=200)
    p.add_argument('--sigma', type=float, default=0.05)
    p.add_argument('--measurement', choices=['onebit', 'quantized', 'linear'], default='onebit')
    p.add_argument('--bits', type=int, default=3, help='for --measurement quantized')
    p.add_argument('--levels', type=int, default=232)
    p.add_argument('--beta-1', type=float, default=50.0)
    p.add_argument('--beta-T', type=float, default=0.01)
    p.add_argument('--K', type=int, default=5)
    p.add_argument('--eps', type=float, default=2e-4)
    p.add_argument('--float64', action='store_true')
    p.add_argument('--engine', choices=['torch', 'ort'], default='torch',
                   help='torch: the PyTorch module (reference, default); ort: the exported --onnx through '
                        'onnxruntime (same weights, checked; about 2x faster on one thread)')
    p.add_argument('--onnx', default=os.path.join(os.path.dirname(os.path.dirname(HERE)), 'models/ncsnv2-mnist.onnx'))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.float64 else torch.float32
    N = 784

    x_true = S.read_test_images()[:args.images].astype(np.float32) / np.float32(255.0)
    B = x_true.shape[0]
    A = (np.random.default_rng(args.seed).standard_normal((args.M, N)) / math.sqrt(args.M)).astype(np.float32)
    n = (args.sigma * np.random.default_rng(args.seed + 1).standard_normal((B, args.M))).astype(np.float32)
    meas = S.measure(A, x_true, args.sigma, args.measurement, n, bits=args.bits)
    if args.checkpoint is None and args.engine != 'ort':
        sys.exit('--checkpoint is required unless --engine ort')
    if args.checkpoint is not None:
        prior = S.TorchPrior(args.checkpoint, dtype)
        tprior = prior
    else:
        with open(os.path.splitext(args.onnx)[0] + '.json') as f:
            card = json.load(f)

        class _Info:  # step and config from the sidecar
            step = card['training']['step']
            config = {'ngf': card['ngf']}
        tprior = _Info()
    if args.engine == 'ort':
        if args.float64:
            sys.exit('--engine ort is float32 only')
        prior = S.OnnxPrior(args.onnx, threads=args.threads)
        if args.checkpoint is not None:
            xt = torch.rand(4, 784, generator=torch.Generator().manual_seed(0))
            d = float((tprior.body(xt) - prior.body(xt)).abs().max())
            if d > 1e-4:
                sys.exit(f'{args.onnx} does not hold the weights of {args.checkpoint} (max diff {d})')
        prior.calls = 0
    noise = S.TorchNoise(args.seed + 2, B, N)
    x0 = noise.x0()
    betas = S.geometric_schedule(args.beta_1, args.beta_T, args.levels)
    print(f'checkpoint step {tprior.step}, {B} images, {args.measurement} M={args.M} sigma={args.sigma}, '
          f'{args.levels} levels x K={args.K}, eps={args.eps}, {args.threads} thread(s), {dtype}, engine {args.engine}',
          flush=True)

    total = args.levels * args.K
    t0 = time.time()
    last = [t0]

    def record(t, k, x):
        now = time.time()
        if now - last[0] > 60:
            done = t * args.K + k + 1
            eta = (now - t0) / done * (total - done)
            print(f'  step {done}/{total} ({now - t0:.0f} s, eta {eta:.0f} s)', flush=True)
            last[0] = now
    xf = S.qcs_sgm(prior, A, meas, betas, args.K, args.eps, x0, noise, dtype, record)
    wall = time.time() - t0
    xr = np.clip(xf.to(torch.float64).numpy(), 0.0, 1.0)
    per = {'psnr': [psnr(xr[i], x_true[i]) for i in range(B)],
           'ssim': [ssim(xr[i], x_true[i]) for i in range(B)],
           'cosine': [cosine(xr[i], x_true[i]) for i in range(B)]}
    res = {
        'checkpoint': args.checkpoint or args.onnx, 'checkpoint_step': tprior.step, 'ngf': tprior.config['ngf'],
        'engine': args.engine,
        'images': B, 'subset': f'first {B} test digits of models/data (interleaved: label = index mod 10)',
        'measurement': args.measurement, 'bits': args.bits if args.measurement == 'quantized' else None,
        'M': args.M, 'sigma': args.sigma, 'A': f'N(0, 1/M), numpy default_rng({args.seed})',
        'schedule': {'beta_1': args.beta_1, 'beta_T': args.beta_T, 'levels': args.levels, 'K': args.K,
                     'epsilon': args.eps},
        'chains_per_image': 1, 'dtype': str(dtype).replace('torch.', ''), 'threads': args.threads,
        'seed': args.seed,
        'metrics': {k: stats(v) for k, v in per.items()},
        'per_image': per,
        'wall_seconds': wall, 'seconds_per_image': wall / B,
        'network_calls': prior.calls, 'network_calls_per_image': prior.calls // B,
        'utc': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
        'command': 'python3 -m models.reference.evaluate ' + ' '.join(sys.argv[1:] if argv is None else argv),
        'torch_version': torch.__version__,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    panel = args.panel or os.path.splitext(args.out)[0] + '.png'
    k = min(10, B)
    panel_png(panel, x_true[:k], xr[:k])
    res['panel'] = os.path.basename(panel)
    with open(args.out, 'w') as f:
        json.dump(res, f, indent=1)
        f.write('\n')
    m = res['metrics']
    print(f"PSNR {m['psnr']['mean']:.2f} ± {m['psnr']['std']:.2f} dB, SSIM {m['ssim']['mean']:.3f} ± "
          f"{m['ssim']['std']:.3f}, cosine {m['cosine']['mean']:.3f} ± {m['cosine']['std']:.3f} "
          f"(median {m['cosine']['median']:.3f}, min {m['cosine']['min']:.3f})")
    print(f'{wall:.1f} s for {B} images: {wall / B:.2f} s per image ({prior.calls} network calls); '
          f'wrote {args.out} and {panel}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
