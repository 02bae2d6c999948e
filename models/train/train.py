#!/usr/bin/env python3
"""Train the sigma-free NCSNv2 body (models/train/ncsnv2.py) on the MNIST training split
(models/data/mnist-train-*.gz) with NCSNv2's annealed denoising score matching.

Per step (NCSNv2 `anneal_dsm_score_estimation`, anneal_power 2):
    level_i ~ U{0..L-1} per sample, sigma_i = sigmas[level_i] (geometric 50 -> 0.01, L = 232)
    perturbed = x + sigma_i z,  z ~ N(0, I);  target = -z / sigma_i
    score = body(perturbed) / sigma_i
    loss = mean_i [ 1/2 * sum_pixels (score - target)^2 * sigma_i^2 ]
Adam (lr 1e-4, betas (0.9, 0.999), eps 1e-8, no amsgrad, no weight decay), EMA 0.999 of the
weights (the EMA weights are the ones to sample with / export).

Resumable: the checkpoint (--checkpoint) holds model, EMA, optimizer state, step, RNG state and
the config; it is written atomically (tmp file + os.replace) every --save-every-min minutes, at the
end, and on SIGTERM/SIGINT (after the step in progress).  Re-running the same command continues
from it.  All randomness (noise levels, noise, data order) comes from one CPU torch.Generator
whose state is checkpointed, and the data order is a pure function of (seed, epoch), so a
resumed run draws the same batches and noise as an uninterrupted one, on CPU or CUDA alike.

Run from the repository root:  python3 -m models.train.train [options]
Export the EMA weights only:  python3 -m models.train.train --checkpoint CKPT --export-ema OUT.pt
"""
import argparse
import csv
import datetime
import hashlib
import math
import os
import signal
import sys
import time

import numpy as np
import torch

from models.data import mnist
from models.train.ncsnv2 import NCSNv2, count_params, geometric_sigmas

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
CKPT_FORMAT = 'qcs-ncsnv2-dsm-v1'
# config keys that must match when resuming (the others may change between runs)
FIXED_KEYS = ('ngf', 'sigma_begin', 'sigma_end', 'num_levels', 'lr', 'beta1', 'beta2', 'eps',
              'ema_rate', 'seed', 'train_images_sha256')


def sha256_file(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default=mnist.path('train', 'images'))
    p.add_argument('--checkpoint', default=os.path.join(REPO, 'models/train/checkpoint.pt'))
    p.add_argument('--log', default=os.path.join(REPO, 'models/train/train_log.csv'))
    p.add_argument('--device', default='cpu', help="'cpu', 'cuda', 'cuda:0', ...")
    p.add_argument('--threads', type=int, default=0, help='torch.set_num_threads (0: leave default)')
    p.add_argument('--ngf', type=int, default=32)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-4)
    p.add_argument('--beta1', type=float, default=0.9)
    p.add_argument('--beta2', type=float, default=0.999)
    p.add_argument('--eps', type=float, default=1e-8)
    p.add_argument('--ema-rate', type=float, default=0.999)
    p.add_argument('--sigma-begin', type=float, default=50.0)
    p.add_argument('--sigma-end', type=float, default=0.01)
    p.add_argument('--num-levels', type=int, default=232)
    p.add_argument('--seed', type=int, default=1234)
    p.add_argument('--max-steps', type=int, default=0,
                   help='stop when the total step count reaches this (0: no limit)')
    p.add_argument('--max-minutes', type=float, default=0.0,
                   help='stop after this many minutes of this run (0: no limit)')
    p.add_argument('--save-every-min', type=float, default=10.0)
    p.add_argument('--log-every', type=int, default=10, help='steps per log line')
    p.add_argument('--export-ema', default=None, metavar='OUT',
                   help='write the EMA weights (float32 state_dict + config) of --checkpoint to OUT and exit')
    return p.parse_args(argv)


def make_config(args):
    return dict(ngf=args.ngf, batch=args.batch, lr=args.lr, beta1=args.beta1, beta2=args.beta2,
                eps=args.eps, amsgrad=False, weight_decay=0.0, ema_rate=args.ema_rate,
                sigma_begin=args.sigma_begin, sigma_end=args.sigma_end, num_levels=args.num_levels,
                seed=args.seed, anneal_power=2.0, input_range='[0,1], 2x-1 inside the body',
                score='body(x)/sigma', data=os.path.relpath(os.path.abspath(args.data), REPO),
                train_images_sha256=sha256_file(args.data))


def cpu_state(sd):
    """Detach to contiguous float32/int CPU tensors (no shared or oversized storages)."""
    out = {}
    for k, v in sd.items():
        if torch.is_tensor(v):
            v = v.detach().to('cpu')
            if v.is_floating_point():
                v = v.float()
            out[k] = v.contiguous().clone()
        elif isinstance(v, dict):
            out[k] = cpu_state(v)
        else:
            out[k] = v
    return out


def atomic_save(obj, path):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def export_ema(args):
    ck = torch.load(args.checkpoint, map_location='cpu', weights_only=False)
    atomic_save({'format': CKPT_FORMAT + '-ema', 'config': ck['config'], 'step': ck['step'],
                 'ema': ck['ema']}, args.export_ema)
    print(f"wrote EMA weights of step {ck['step']} to {args.export_ema}")


def main(argv=None):
    args = parse_args(argv)
    if args.export_ema:
        return export_ema(args)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
    device = torch.device(args.device)
    config = make_config(args)

    stop = {'signal': None}

    def on_signal(signum, frame):
        stop['signal'] = signum
        print(f'signal {signum}: will save and stop after the current step', flush=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # data: uint8 -> float in [0, 1], kept on the device
    images = mnist.read_images(args.data)[:, None]  # [n, 1, rows, cols]
    data = torch.from_numpy(images.astype(np.float32) / 255.0).to(device)
    n = data.shape[0]
    steps_per_epoch = n // args.batch  # drop_last

    sigmas_cpu = geometric_sigmas(args.sigma_begin, args.sigma_end, args.num_levels)
    sigmas = sigmas_cpu.to(device)

    torch.manual_seed(args.seed)  # model init
    model = NCSNv2(args.ngf).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(args.beta1, args.beta2),
                           eps=args.eps, weight_decay=0.0, amsgrad=False)
    names = [k for k, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    ema = [p.detach().clone() for p in params]
    gen = torch.Generator(device='cpu')
    gen.manual_seed(args.seed + 1)

    step, loss_ema, elapsed_total = 0, None, 0.0
    if os.path.exists(args.checkpoint):
        ck = torch.load(args.checkpoint, map_location='cpu', weights_only=False)
        if ck.get('format') != CKPT_FORMAT:
            sys.exit(f"{args.checkpoint}: unknown format {ck.get('format')!r}")
        old = ck['config']
        bad = [k for k in FIXED_KEYS if old.get(k) != config.get(k)]
        if bad:
            sys.exit('config differs from the checkpoint in ' +
                     ', '.join(f'{k}: {old.get(k)!r} -> {config.get(k)!r}' for k in bad))
        changed = [k for k in config if k not in FIXED_KEYS and old.get(k) != config.get(k)]
        if changed:
            print('note: resuming with changed ' + ', '.join(f'{k}: {old.get(k)!r} -> {config[k]!r}' for k in changed))
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['optim'])
        with torch.no_grad():
            for e, k in zip(ema, names):
                e.copy_(ck['ema'][k].to(device))
        gen.set_state(ck['rng'])
        step, loss_ema, elapsed_total = ck['step'], ck.get('loss_ema'), ck.get('elapsed_s', 0.0)
        print(f'resumed from {args.checkpoint} at step {step}', flush=True)
    else:
        print(f'new run: {count_params(model):,} parameters, ngf {args.ngf}', flush=True)

    def save(reason):
        t0 = time.time()
        ck = {'format': CKPT_FORMAT, 'config': config, 'step': step,
              'model': cpu_state(model.state_dict()),
              'ema': {k: e.detach().to('cpu').float().clone() for k, e in zip(names, ema)},
              'optim': cpu_state(opt.state_dict()),
              'rng': gen.get_state(), 'loss_ema': loss_ema, 'elapsed_s': elapsed_total,
              'saved_utc': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
              'torch_version': torch.__version__}
        atomic_save(ck, args.checkpoint)
        size = os.path.getsize(args.checkpoint)
        print(f'saved checkpoint ({reason}) at step {step}: {size / 1e6:.1f} MB in {time.time() - t0:.1f} s',
              flush=True)

    new_log = not os.path.exists(args.log) or os.path.getsize(args.log) == 0
    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    logf = open(args.log, 'a', newline='')
    logw = csv.writer(logf)
    if new_log:
        logw.writerow(['utc', 'step', 'loss_mean', 'loss_ema', 's_per_it', 'batch', 'threads',
                       'device', 'train_hours'])
        logf.flush()

    perm, perm_epoch = None, -1
    start = time.time()
    last_save = start
    win_losses, win_t0 = [], time.time()
    model.train()
    while True:
        if args.max_steps and step >= args.max_steps:
            save('max-steps')
            break
        if args.max_minutes and time.time() - start >= 60 * args.max_minutes:
            save('max-minutes')
            break
        if stop['signal'] is not None:
            save(f"signal {stop['signal']}")
            break

        t_step = time.time()
        epoch, pos = divmod(step, steps_per_epoch)
        if epoch != perm_epoch:
            g = torch.Generator(device='cpu')
            g.manual_seed(args.seed * 1_000_003 + epoch)
            perm, perm_epoch = torch.randperm(n, generator=g), epoch
        idx = perm[pos * args.batch:(pos + 1) * args.batch].to(device)
        x = data[idx]
        labels = torch.randint(0, args.num_levels, (args.batch,), generator=gen)
        z = torch.randn(args.batch, 1, x.shape[2], x.shape[3], generator=gen).to(device, non_blocking=True)
        sig = sigmas[labels.to(device)].view(-1, 1, 1, 1)
        perturbed = x + sig * z
        target = -z / sig
        score = model(perturbed) / sig
        per_sample = 0.5 * ((score - target) ** 2).flatten(1).sum(dim=1) * sig.flatten() ** 2
        loss = per_sample.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            torch._foreach_lerp_(ema, [p.detach() for p in params], 1.0 - args.ema_rate)
        step += 1

        lv = loss.item()
        if not math.isfinite(lv):
            sys.exit(f'non-finite loss {lv} at step {step}; checkpoint left at its last save')
        loss_ema = lv if loss_ema is None else 0.99 * loss_ema + 0.01 * lv
        win_losses.append(lv)
        elapsed_total += time.time() - t_step
        if step % args.log_every == 0:
            now = time.time()
            spi = (now - win_t0) / len(win_losses)
            logw.writerow([datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
                           step, f'{sum(win_losses) / len(win_losses):.5f}', f'{loss_ema:.5f}',
                           f'{spi:.4f}', args.batch, torch.get_num_threads(), args.device,
                           f'{elapsed_total / 3600:.4f}'])
            logf.flush()
            loss_mean = sum(win_losses) / len(win_losses)
            print(f'step {step} loss {loss_mean:.4f} (ema {loss_ema:.4f}) {spi:.3f} s/it', flush=True)
            win_losses, win_t0 = [], now
        if time.time() - last_save >= 60 * args.save_every_min:
            t_save = time.time()
            save('periodic')
            last_save = time.time()
            win_t0 += last_save - t_save  # don't count the save in s/it
    logf.close()


if __name__ == '__main__':
    main()
