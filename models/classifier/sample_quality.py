#!/usr/bin/env python3
"""Unconditional sample quality of the score model, measured with the small MNIST classifier.

    python3 -m models.classifier.sample_quality --checkpoint CKPT [--samples 500] [--engine torch|ort]

Sampling: NCSNv2's annealed Langevin dynamics (Song & Ermon 2020, Algorithm 1 of NCSN with
their step rule), the prior score only:
    x0 ~ U(0, 1) [samples, 784];  for each level i of the geometric schedule 50 -> 0.01 (232 levels):
        a_i = eps * (sigma_i / sigma_L)^2;  K times: x <- x + a_i s(x, sigma_i) + sqrt(2 a_i) z
    final denoising step: x <- x + sigma_L^2 s(x, sigma_L)   (NCSNv2's denoise=True)
    then clamp to [0, 1].
eps = 6.2e-6 (NCSNv2's CIFAR-10 step_lr; --eps to tune), K = 5, s(x, sigma) = body(x)/sigma with
the EMA weights; all samples as one batch (torch, 1 thread by default; --engine ort runs the
exported .onnx through onnxruntime instead, same weights, faster).  Noise: torch.Generator
seeded --seed (x0 = rand, then randn per step).

Figures (written to --out, default models/classifier/sample_quality.json):
  * confident share: fraction of samples whose classifier softmax maximum is >= 0.9, and the
    histogram of the predicted classes of those;
  * Frechet distance between Gaussian fits of the classifier's 128-d penultimate features of the
    samples and of the 1,000 test digits: |mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)) (scipy
    sqrtm); also the same distance between the 9,000 training and the 1,000 test digits, as
    the floor a perfect sampler would reach at this sample size (and at --samples training
    images, the same-size floor);
  * the Frechet distance of the samples to the 9,000 training digits instead: the criterion for
    tuning --eps and --no-denoise with another --seed, so that the reported figures (test digits,
    the default seed) are not the ones the settings were chosen on;
  * a PNG grid of the first 100 samples (--grid, default models/classifier/samples.png).
"""
import argparse
import datetime
import json
import os
import sys
import time

import numpy as np
import torch

from models.classifier.train_classifier import load_classifier, load_split
from models.reference import sampler as S

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))


def frechet(f1, f2):
    import scipy.linalg
    f1, f2 = np.asarray(f1, np.float64), np.asarray(f2, np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(c1 @ c2, disp=False)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1 + c2 - 2.0 * covmean))


@torch.no_grad()
def classify(model, x, bs=500):
    feats, probs = [], []
    for i in range(0, len(x), bs):
        xb = torch.as_tensor(x[i:i + bs], dtype=torch.float32).reshape(-1, 1, 28, 28)
        f = model.features(xb)
        feats.append(f.numpy())
        probs.append(torch.softmax(model.fc2(f), dim=1).numpy())
    return np.concatenate(feats), np.concatenate(probs)


def grid_png(path, imgs, cols=10, scale=3):
    from PIL import Image
    n = len(imgs)
    rows = (n + cols - 1) // cols
    gap = 2
    W, H = cols * 28 + (cols + 1) * gap, rows * 28 + (rows + 1) * gap
    canvas = np.full((H, W), 128, dtype=np.uint8)
    for i, im in enumerate(imgs):
        r, c = divmod(i, cols)
        y0, x0 = gap + r * (28 + gap), gap + c * (28 + gap)
        canvas[y0:y0 + 28, x0:x0 + 28] = np.round(np.clip(im.reshape(28, 28), 0, 1) * 255).astype(np.uint8)
    Image.fromarray(canvas).resize((W * scale, H * scale), Image.NEAREST).save(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--samples', type=int, default=500)
    p.add_argument('--eps', type=float, default=6.2e-6)
    p.add_argument('--K', type=int, default=5)
    p.add_argument('--levels', type=int, default=232)
    p.add_argument('--seed', type=int, default=777)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--engine', choices=['torch', 'ort'], default='torch')
    p.add_argument('--onnx', default=os.path.join(REPO, 'models/ncsnv2-mnist.onnx'),
                   help='for --engine ort: must hold the same weights as --checkpoint')
    p.add_argument('--no-denoise', action='store_true')
    p.add_argument('--out', default=os.path.join(HERE, 'sample_quality.json'))
    p.add_argument('--grid', default=os.path.join(HERE, 'samples.png'))
    p.add_argument('--save-samples', default=None, help='optional .npy of the clamped samples')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    tprior = S.TorchPrior(args.checkpoint, torch.float32)
    prior = tprior if args.engine == 'torch' else S.OnnxPrior(args.onnx, threads=args.threads)
    if args.engine == 'ort':  # same weights?
        xt = torch.rand(4, 784, generator=torch.Generator().manual_seed(0))
        d = float((tprior.body(xt) - prior.body(xt)).abs().max())
        if d > 1e-4:
            sys.exit(f'{args.onnx} does not hold the weights of {args.checkpoint} (max diff {d})')
        tprior.calls = prior.calls = 0
    betas = S.geometric_schedule(50.0, 0.01, args.levels)
    alphas = S.step_sizes(betas, args.eps)
    noise = S.TorchNoise(args.seed, args.samples, 784)
    x = torch.from_numpy(noise.x0())
    print(f'checkpoint step {tprior.step}: {args.samples} samples, {args.levels} levels x K={args.K}, '
          f'eps={args.eps}, engine {args.engine}, {args.threads} thread(s)', flush=True)
    t0 = time.time()
    last = t0
    with torch.no_grad():
        for t, b in enumerate(betas):
            beta = torch.tensor(b, dtype=torch.float32)
            a = torch.tensor(alphas[t], dtype=torch.float32)
            ns = torch.sqrt(2.0 * a)
            for k in range(args.K):
                x = x + a * prior.score(x, beta) + ns * noise(t, k)
            if time.time() - last > 60:
                last = time.time()
                print(f'  level {t + 1}/{args.levels} ({last - t0:.0f} s)', flush=True)
        if not args.no_denoise:
            beta = torch.tensor(betas[-1], dtype=torch.float32)
            x = x + beta * beta * prior.score(x, beta)
    wall = time.time() - t0
    xs = np.clip(x.numpy(), 0.0, 1.0)
    if args.save_samples:
        np.save(args.save_samples, xs.astype(np.float32))

    clf = load_classifier()
    fs, ps = classify(clf, xs)
    xte, _ = load_split('test')
    xtr, _ = load_split('train')
    fte, _ = classify(clf, xte.numpy())
    ftr, _ = classify(clf, xtr.numpy())
    conf = ps.max(1) >= 0.9
    pred = ps.argmax(1)
    rng = np.random.default_rng(0)
    sub = rng.choice(len(ftr), size=min(args.samples, len(ftr)), replace=False)
    res = {
        'checkpoint': args.checkpoint, 'checkpoint_step': tprior.step, 'ngf': tprior.config['ngf'],
        'samples': args.samples, 'sampler': 'NCSNv2 annealed Langevin, x0 ~ U(0,1), '
        + ('final denoising step x + sigma_L^2 s(x, sigma_L)' if not args.no_denoise else 'no denoising step'),
        'schedule': {'beta_1': 50.0, 'beta_T': 0.01, 'levels': args.levels, 'K': args.K, 'epsilon': args.eps},
        'seed': args.seed, 'engine': args.engine, 'threads': args.threads,
        'confident_share': float(conf.mean()), 'confidence_threshold': 0.9,
        'confident_class_histogram': np.bincount(pred[conf], minlength=10).tolist(),
        'all_class_histogram': np.bincount(pred, minlength=10).tolist(),
        'mean_max_softmax': float(ps.max(1).mean()),
        'frechet_samples_vs_test': frechet(fs, fte),
        'frechet_samples_vs_train': frechet(fs, ftr),
        'frechet_train_vs_test': frechet(ftr, fte),
        'frechet_train_subset_vs_test': frechet(ftr[sub], fte),
        'frechet_note': (f'classifier 128-d penultimate features; train_subset = {len(sub)} random training digits '
                         '(numpy default_rng(0)), the floor at the same sample size'),
        'wall_seconds': wall, 'seconds_per_sample': wall / args.samples,
        'network_calls': prior.calls,
        'grid': os.path.basename(args.grid),
        'utc': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
        'command': 'python3 -m models.classifier.sample_quality ' + ' '.join(sys.argv[1:] if argv is None else argv),
    }
    grid_png(args.grid, xs[:100])
    with open(args.out, 'w') as f:
        json.dump(res, f, indent=1)
        f.write('\n')
    print(f"confident (>= 0.9) share {res['confident_share']:.3f}; Frechet samples-test "
          f"{res['frechet_samples_vs_test']:.2f}, samples-train {res['frechet_samples_vs_train']:.2f} "
          f"(train-test {res['frechet_train_vs_test']:.2f}, "
          f"{len(sub)} train-test {res['frechet_train_subset_vs_test']:.2f}); classes {res['all_class_histogram']}")
    print(f'{wall:.0f} s sampling ({wall / args.samples:.2f} s per sample); wrote {args.out} and {args.grid}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
