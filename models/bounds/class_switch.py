"""How often a one-sample reconstruction is another digit, with a Gaussian A and at kappa = 1000.

    python3 -m models.bounds.class_switch --gaussian DIR --k1000 DIR [--out models/bounds/class_switch.json]

DIR: two `qcs-eval` output folders of the same method on the same digits (`panel_images` = the
number of images, so that every estimate is kept in DIR/estimates/). Each one-sample estimate
(clipped to [0, 1]) goes through the small MNIST classifier (`models/classifier/`, 98.7 % on
the test digits); a sample whose predicted class differs from the digit's label counts as another
digit. `mixture_gap.py` counts the same thing for an exact mixture prior. Reported: the counts,
and the cost of kappa = 1000 (the paired PSNR difference) over the digits whose two samples are
both the right digit and over those where only the kappa = 1000 sample is another digit.

Needs torch (the classifier); not imported by the tests.
"""
import argparse
import glob
import json
import os

import numpy as np
import torch

from models.bounds.gaussian_prior import psnr
from models.bounds.prior_gap import mean_se
from models.classifier.train_classifier import load_classifier
from models.data import mnist

HERE = os.path.dirname(os.path.abspath(__file__))


def estimates(folder):
    """{image index: estimate [784]} from DIR/estimates/*_img{i}.f32 (one sample each)."""
    out = {}
    for path in glob.glob(os.path.join(folder, 'estimates', '*_img*.f32')):
        i = int(path.rsplit('_img', 1)[1].split('.')[0])
        x = np.fromfile(path, dtype='<f4').astype(np.float64)
        if x.size != 784:
            raise SystemExit(f'{path}: {x.size} values, expected one 28 x 28 sample (784)')
        out[i] = np.clip(x, 0.0, 1.0)
    if not out:
        raise SystemExit(f'{folder}/estimates: no *_img<i>.f32 files (set panel_images to the image count)')
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--gaussian', required=True, help='qcs-eval output folder, Gaussian A')
    p.add_argument('--k1000', required=True, help='qcs-eval output folder, kappa = 1000')
    p.add_argument('--out', default=os.path.join(HERE, 'class_switch.json'))
    args = p.parse_args(argv)
    ests = {'gaussian': estimates(args.gaussian), '1000': estimates(args.k1000)}
    idx = sorted(set(ests['gaussian']) & set(ests['1000']))
    test = mnist.images('test').reshape(-1, 784).astype(np.float64) / 255.0
    labels = mnist.labels('test')
    clf = load_classifier()
    rows = {}
    with torch.no_grad():
        for op, e in ests.items():
            x = torch.tensor(np.stack([e[i] for i in idx]), dtype=torch.float32).reshape(-1, 1, 28, 28)
            prob = torch.softmax(clf(x), dim=1).numpy()
            rows[op] = [{'image': i, 'label': int(labels[i]), 'predicted': int(pr.argmax()),
                         'confidence': float(pr.max()), 'psnr': psnr(e[i], test[i])}
                        for i, pr in zip(idx, prob)]
    g, k = rows['gaussian'], rows['1000']
    wrong = {op: [r['predicted'] != r['label'] for r in rs] for op, rs in rows.items()}
    cost = np.array([a['psnr'] - b['psnr'] for a, b in zip(g, k)])
    both_right = ~np.array(wrong['gaussian']) & ~np.array(wrong['1000'])
    only_k_wrong = ~np.array(wrong['gaussian']) & np.array(wrong['1000'])

    summary = {
        'images': len(idx),
        'another_digit': {op: int(sum(w)) for op, w in wrong.items()},
        'psnr_mean': {op: float(np.mean([r['psnr'] for r in rs])) for op, rs in rows.items()},
        'cost_all': mean_se(cost),
        'cost_both_right': {'n': int(both_right.sum()), 'mean_se': mean_se(cost[both_right])},
        'cost_only_k1000_wrong': {'n': int(only_k_wrong.sum()), 'mean_se': mean_se(cost[only_k_wrong])},
    }
    for op in rows:
        print(f"{op:9s} {summary['psnr_mean'][op]:.2f} dB, "
              f"{summary['another_digit'][op]}/{len(idx)} samples another digit")
    print(f"cost of kappa = 1000: all {summary['cost_all'][0]:.2f} +- {summary['cost_all'][1]:.2f} dB; "
          f"both samples the right digit ({both_right.sum()}): {summary['cost_both_right']['mean_se'][0]:.2f} dB; "
          f"only the kappa = 1000 sample another digit ({only_k_wrong.sum()}): "
          f"{summary['cost_only_k1000_wrong']['mean_se'][0]:.2f} dB")
    with open(args.out, 'w') as f:
        json.dump({'gaussian': args.gaussian, 'k1000': args.k1000,
                   'summary': summary, 'rows': rows}, f, indent=1)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
