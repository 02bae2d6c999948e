#!/usr/bin/env python3
"""A small MNIST CNN for the sample-quality figures (trained on the 9,000-digit training split only).

    python3 -m models.classifier.train_classifier [--epochs 15] [--threads 1]

Net (`Classifier`): conv3x3 1->16, BN, ReLU, conv3x3 16->16, BN, ReLU, maxpool 2 (14x14),
conv3x3 16->32, BN, ReLU, conv3x3 32->32, BN, ReLU, maxpool 2 (7x7), flatten 1568,
dropout 0.3, linear 1568->128, ReLU (= the 128-d penultimate features used for the Frechet
distance), dropout 0.3, linear 128->10.  Input: images in [0, 1], [B, 1, 28, 28].

Training: Adam lr 1e-3 with cosine decay to 0 over the epochs, batch 128, weight decay 0,
augmentation: a random shift of each image by dx, dy in {-2..2} pixels (zero fill), seed 4321.
Writes models/classifier/classifier.pt (state_dict + config) and classifier.json (test accuracy
on the 1,000 test digits, per-class accuracy, training time).
"""
import argparse
import datetime
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from models.data import mnist

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSIFIER = os.path.join(HERE, 'classifier.pt')  # the committed weights


def load_split(split):
    """(images float32 [n, 1, 28, 28] in [0, 1], labels int64 [n]) of 'train' or 'test' as tensors."""
    x = mnist.images(split)[:, None].astype(np.float32) / 255.0
    y = mnist.labels(split).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        self.conv = nn.Sequential(*block(1, 16), *block(16, 16), nn.MaxPool2d(2),
                                  *block(16, 32), *block(32, 32), nn.MaxPool2d(2))
        self.drop1 = nn.Dropout(0.3)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.drop2 = nn.Dropout(0.3)
        self.fc2 = nn.Linear(128, 10)

    def features(self, x):
        """128-d penultimate features (after ReLU), x in [0, 1] [B, 1, 28, 28]."""
        h = self.conv(x).flatten(1)
        return F.relu(self.fc1(self.drop1(h)))

    def forward(self, x):
        return self.fc2(self.drop2(self.features(x)))


def load_classifier(path=CLASSIFIER):
    ck = torch.load(path, map_location='cpu', weights_only=False)
    m = Classifier()
    m.load_state_dict(ck['state_dict'])
    m.eval()
    return m


def random_shift(x, gen, max_shift=2):
    b = x.shape[0]
    p = max_shift
    xp = F.pad(x, (p, p, p, p))
    d = torch.randint(0, 2 * p + 1, (b, 2), generator=gen)
    out = torch.empty_like(x)
    for i in range(b):
        dy, dx = int(d[i, 0]), int(d[i, 1])
        out[i] = xp[i, :, dy:dy + 28, dx:dx + 28]
    return out


@torch.no_grad()
def evaluate(model, x, y, bs=500):
    model.eval()
    pred = torch.cat([model(x[i:i + bs]).argmax(1) for i in range(0, len(x), bs)])
    return pred


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--epochs', type=int, default=15)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--seed', type=int, default=4321)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out', default=os.path.join(HERE, 'classifier.pt'))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    xtr, ytr = load_split('train')
    xte, yte = load_split('test')
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = (len(xtr) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * steps_per_epoch)
    t0 = time.time()
    log = []
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        tot, n = 0.0, 0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            xb = random_shift(xtr[idx], gen)
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            n += len(idx)
        acc = float((evaluate(model, xte, yte) == yte).float().mean())
        log.append({'epoch': ep + 1, 'train_loss': tot / n, 'test_acc': acc, 'seconds': time.time() - t0})
        print(f'epoch {ep + 1}: loss {tot / n:.4f}, test acc {acc:.4f} ({time.time() - t0:.0f} s)', flush=True)
    pred = evaluate(model, xte, yte)
    acc = float((pred == yte).float().mean())
    per_class = {str(c): float((pred[yte == c] == c).float().mean()) for c in range(10)}
    torch.save({'state_dict': model.state_dict(), 'config': vars(args), 'test_accuracy': acc}, args.out)
    info = {'test_accuracy': acc, 'test_images': len(yte), 'errors': int((pred != yte).sum()),
            'per_class_accuracy': per_class, 'train_images': len(ytr), 'epochs': args.epochs,
            'batch': args.batch, 'lr': args.lr, 'seed': args.seed, 'augmentation': 'random shift +-2 px',
            'threads': args.threads, 'train_seconds': time.time() - t0,
            'parameters': sum(p.numel() for p in model.parameters()), 'log': log,
            'utc': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
            'torch_version': torch.__version__}
    with open(os.path.splitext(args.out)[0] + '.json', 'w') as f:
        json.dump(info, f, indent=1)
        f.write('\n')
    print(f'test accuracy {acc:.4f} ({info["errors"]} errors of {len(yte)}); wrote {args.out}')
    return 0 if acc >= 0.98 else 1


if __name__ == '__main__':
    sys.exit(main())
