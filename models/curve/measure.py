#!/usr/bin/env python3
"""The learning curve of the score model: every committed checkpoint measured the same way.

    python3 -m models.curve.measure --checkpoint CKPT [--images 100] [--samples 500]
    python3 -m models.curve.measure --git-rev REV        # the checkpoint committed at REV
    python3 -m models.curve.measure --table              # only redraw table + plot

For one checkpoint (training checkpoint or EMA export) it
  1. exports the EMA weights to models/curve/step<N>/ema.pt (1.9 MB for ngf 16; the
     checkpoint itself is not kept) and the ONNX to a scratch folder (not the shipped model),
  2. runs the reference sampler on the first --images test digits, one-bit, M = 200,
     sigma = 0.05, the paper's schedule (models.reference.evaluate: reconstruction.json + .png),
  3. draws --samples unconditional samples and scores them with the classifier
     (models.classifier.sample_quality: samples.json + samples.png),
both through onnxruntime on one thread, and then rewrites the table (models/curve/README.md,
between the markers) and the plot (models/curve/learning_curve.png and .svg) from every
models/curve/step*/ folder, the training loss from models/train/train_log.csv.  The shipped
step's figures (models/reference/results.json and models/classifier/sample_quality.json, which
models/README.md reports) are a point of the table too, measured with the same commands.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))
BEGIN, END = '<!-- curve:begin -->', '<!-- curve:end -->'


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)


def step_of(path):
    import torch
    return int(torch.load(path, map_location='cpu', weights_only=False)['step'])


def measure(ckpt, images, samples, threads):
    step = step_of(ckpt)
    out = os.path.join(HERE, f'step{step}')
    os.makedirs(out, exist_ok=True)
    ema = os.path.join(out, 'ema.pt')
    run([sys.executable, '-m', 'models.train.train', '--checkpoint', ckpt, '--export-ema', ema])
    with tempfile.TemporaryDirectory() as tmp:
        onnx = os.path.join(tmp, 'model.onnx')
        run([sys.executable, '-m', 'models.export.export_onnx', '--checkpoint', ema, '--out', onnx])
        if images:
            run([sys.executable, '-m', 'models.reference.evaluate', '--checkpoint', ema,
                 '--images', str(images), '--engine', 'ort', '--onnx', onnx, '--threads', str(threads),
                 '--out', os.path.join(out, 'reconstruction.json')])
        if samples:
            run([sys.executable, '-m', 'models.classifier.sample_quality', '--checkpoint', ema,
                 '--samples', str(samples), '--engine', 'ort', '--onnx', onnx,
                 '--threads', str(threads), '--out', os.path.join(out, 'samples.json'),
                 '--grid', os.path.join(out, 'samples.png')])
    return step


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def points():
    """{step: (reconstruction json or None, samples json or None)}."""
    pts = {}
    rec = load(os.path.join(REPO, 'models/reference/results.json'))
    smp = load(os.path.join(REPO, 'models/classifier/sample_quality.json'))
    if rec and smp and rec['checkpoint_step'] == smp['checkpoint_step']:
        pts[rec['checkpoint_step']] = (rec, smp)
    for name in sorted(os.listdir(HERE)):
        if name.startswith('step') and os.path.isdir(os.path.join(HERE, name)):
            step = int(name[4:])
            pts[step] = (load(os.path.join(HERE, name, 'reconstruction.json')),
                         load(os.path.join(HERE, name, 'samples.json')))
    return dict(sorted(pts.items()))


def loss_at(steps):
    """Training loss EMA at (the last log line at or before) each step."""
    rows = list(csv.DictReader(open(os.path.join(REPO, 'models/train/train_log.csv'))))
    out = {}
    for s in steps:
        before = [r for r in rows if int(r['step']) <= s]
        out[s] = (float(before[-1]['loss_ema']), float(before[-1]['train_hours'])) if before else (None, None)
    return out, rows


def table():
    pts = points()
    losses, rows = loss_at(pts)
    lines = ['| step | training hours | loss (EMA) | PSNR (dB), 100 digits | SSIM | cosine | '
             'samples: confident share | Fréchet distance | confident class histogram (0–9) |',
             '|---:|---:|---:|---|---|---|---:|---:|---|']
    for s, (rec, smp) in pts.items():
        loss, hours = losses[s]
        r = (lambda k: f"{rec['metrics'][k]['mean']:.{3 if k != 'psnr' else 2}f} ± "
             f"{rec['metrics'][k]['std']:.{3 if k != 'psnr' else 2}f}") if rec else (lambda k: '–')
        sh = f"{smp['confident_share']:.3f}" if smp else '–'
        fd = f"{smp['frechet_samples_vs_test']:.1f}" if smp else '–'
        hist = str(smp['confident_class_histogram']) if smp else '–'
        imgs = rec['images'] if rec else 0
        lines.append(f"| {s} | {hours:.2f} | {loss:.2f} | {r('psnr')}" + (f" ({imgs})" if rec and imgs != 100 else '')
                     + f" | {r('ssim')} | {r('cosine')} | {sh} | {fd} | {hist} |")
    readme = os.path.join(HERE, 'README.md')
    text = open(readme).read()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    note = '<!-- generated by python3 -m models.curve.measure; do not edit -->'
    open(readme, 'w').write(f'{head}{BEGIN}\n{note}\n\n' + '\n'.join(lines) + f'\n\n{END}{tail}')
    plot(pts, rows)


def plot(pts, rows):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    ax[0].plot([int(r['step']) for r in rows], [float(r['loss_ema']) for r in rows], lw=0.8)
    ax[0].set(xlabel='training step', ylabel='DSM loss (EMA 0.99)', title='training loss', yscale='log')
    rs = [(s, r) for s, (r, _) in pts.items() if r]
    if rs:
        ax[1].errorbar([s for s, _ in rs], [r['metrics']['psnr']['mean'] for _, r in rs],
                       yerr=[r['metrics']['psnr']['std'] for _, r in rs], marker='o', capsize=3)
    ax[1].axhline(17.5, ls='--', c='gray', lw=0.8, label='target 17.5 dB')
    ax[1].set(xlabel='training step', ylabel='PSNR (dB)', title='one-bit M=200 reconstruction (100 digits)')
    ax[1].legend(loc='lower right')
    ss = [(s, q) for s, (_, q) in pts.items() if q]
    if ss:
        ax[2].plot([s for s, _ in ss], [q['confident_share'] for _, q in ss], marker='o', label='confident share')
        t = ax[2].twinx()
        t.plot([s for s, _ in ss], [q['frechet_samples_vs_test'] for _, q in ss], marker='s', c='C1',
               label='Fréchet distance')
        t.set_ylabel('Fréchet distance', color='C1')
    ax[2].axhline(0.8, ls='--', c='gray', lw=0.8)
    ax[2].set(xlabel='training step', ylabel='confident share (≥ 0.9)', title='500 unconditional samples',
              ylim=(0, 1))
    fig.tight_layout()
    for ext in ('png', 'svg'):
        fig.savefig(os.path.join(HERE, f'learning_curve.{ext}'), dpi=110)
    print(f"wrote {os.path.join(HERE, 'learning_curve.png')}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint')
    p.add_argument('--git-rev', help='measure models/train/checkpoint.pt as committed at this revision')
    p.add_argument('--images', type=int, default=100)
    p.add_argument('--samples', type=int, default=500)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--table', action='store_true', help='only rewrite the table and the plot')
    args = p.parse_args(argv)
    if not args.table:
        if args.git_rev:
            with tempfile.NamedTemporaryFile(suffix='.pt', delete=False) as f:
                f.write(subprocess.run(['git', 'show', f'{args.git_rev}:models/train/checkpoint.pt'],
                                       cwd=REPO, check=True, capture_output=True).stdout)
                ckpt = f.name
        elif args.checkpoint:
            ckpt = args.checkpoint
        else:
            p.error('give --checkpoint, --git-rev or --table')
        measure(ckpt, args.images, args.samples, args.threads)
    table()


if __name__ == '__main__':
    main()
