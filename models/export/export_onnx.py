#!/usr/bin/env python3
"""Export the EMA weights of the sigma-free NCSNv2 body to ONNX, check it, and write golden files.

    python3 -m models.export.export_onnx --checkpoint CKPT [--out models/ncsnv2-mnist.onnx]

CKPT is a training checkpoint (models/train/train.py, format 'qcs-ncsnv2-dsm-v1') or an EMA-only
export ('qcs-ncsnv2-dsm-v1-ema', `python3 -m models.train.train --export-ema`).  Only the EMA
weights are used.

Writes
  * OUT (default models/ncsnv2-mnist.onnx): input `x` float32 [B, 1, 28, 28] in [0, 1], output
    `body` float32 [B, 1, 28, 28] = score(x, sigma) * sigma (the host divides by sigma); B is a
    dynamic dimension named `batch`.  Legacy TorchScript exporter (dynamo=False), opset 17,
    weights inside the file, bilinear Resize with align_corners (scale 2); then the exact
    rewrites of models/export/simplify.py (ELU as Relu + Exp(Min(x, 0)) - 1, 5x5 max pools as
    5x1 then 1x5), which tract runs faster with the same float32 result (--no-simplify: none).
  * OUT with .json instead of .onnx: the model card data the host reads (ngf, training step,
    sigma schedule, input range, output meaning, sha256 of the .onnx, ...).
  * --golden-dir (default: models/golden/ for the shipped OUT, else OUT's folder, so that an
    export elsewhere never overwrites the shipped golden pair): golden_input.f32,
    golden_output.f32 (raw little-endian float32, C order [4, 1, 28, 28]) and golden.json
    (shapes, the cases, sha256 of the model and of the two raw files, the checkpoint step).
    The output is PyTorch float32 on the CPU, one thread.

Checks (exit status 1 if one fails): onnxruntime reproduces PyTorch within --tol (1e-4 absolute)
at batch 1, 4 and 8, and the exported graph holds only the expected ops.
"""
import argparse
import datetime
import hashlib
import json
import os
import sys

import numpy as np
import torch

from models.data import mnist
from models.export.simplify import simplify
from models.train.ncsnv2 import NCSNv2, count_macs, count_params, geometric_sigmas

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))

EXPECTED_OPS = {'Conv', 'InstanceNormalization', 'ReduceMean', 'Elu', 'Relu', 'Min', 'Exp', 'MaxPool',
                'AveragePool',
                'Resize', 'Add', 'Sub', 'Mul', 'Div', 'Sqrt', 'Shape', 'Gather', 'Unsqueeze',
                'Concat', 'Reshape', 'Constant', 'Cast', 'Slice', 'Pow', 'ReduceSum', 'Expand',
                'ConstantOfShape', 'Squeeze', 'Identity', 'Range', 'Equal', 'Where', 'ReduceProd'}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def load_ema_model(checkpoint):
    """(model in eval mode with the EMA weights, config dict, step) from a checkpoint file."""
    ck = torch.load(checkpoint, map_location='cpu', weights_only=False)
    fmt = ck.get('format', '')
    if not fmt.startswith('qcs-ncsnv2-dsm-v1'):
        raise SystemExit(f'{checkpoint}: unknown checkpoint format {fmt!r}')
    cfg = ck['config']
    model = NCSNv2(cfg['ngf'])
    model.load_state_dict(ck['ema'])
    model.eval()
    return model, cfg, int(ck['step']), ck


def golden_inputs():
    """The 4 fixed golden inputs, float32 [4, 1, 28, 28] in [0, 1] (recipe in golden.json)."""
    test = mnist.images('test')[:, None]  # [1000, 1, 28, 28]
    d0 = test[0].astype(np.float32) / 255.0  # test image 0 (a "0")
    d7 = test[7].astype(np.float32) / 255.0  # test image 7 (a "7")
    rng = np.random.default_rng(20261202)
    uni = rng.random((1, 28, 28), dtype=np.float64).astype(np.float32)
    noise = rng.standard_normal((1, 28, 28)).astype(np.float32)
    noisy = np.clip(d7 + np.float32(0.3) * noise, 0.0, 1.0).astype(np.float32)
    cases = [
        'test image 0 (label 0) / 255',
        'uniform U[0,1) noise: numpy default_rng(20261202).random((1,28,28)) float64 -> float32',
        'test image 7 (label 7) / 255',
        'clip(test image 7 + 0.3 * default_rng(20261202).standard_normal((1,28,28)) [drawn after the '
        'uniform case] float32, 0, 1)',
    ]
    return np.stack([d0, uni, d7, noisy]).astype(np.float32), cases


def export(model, out, opset):
    dummy = torch.rand(2, 1, 28, 28)
    kwargs = dict(input_names=['x'], output_names=['body'], opset_version=opset,
                  dynamic_axes={'x': {0: 'batch'}, 'body': {0: 'batch'}}, do_constant_folding=True)
    try:
        torch.onnx.export(model, (dummy,), out, dynamo=False, **kwargs)
    except TypeError:  # older torch without the dynamo argument
        torch.onnx.export(model, (dummy,), out, **kwargs)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--out', default=os.path.join(REPO, 'models/ncsnv2-mnist.onnx'))
    p.add_argument('--golden-dir', default=None,
                   help="default: models/golden for the shipped --out, else --out's folder")
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--tol', type=float, default=1e-4)
    p.add_argument('--no-simplify', action='store_true', help='keep the graph as torch exports it')
    args = p.parse_args(argv)
    if args.golden_dir is None:
        shipped = os.path.abspath(args.out) == os.path.join(REPO, 'models/ncsnv2-mnist.onnx')
        args.golden_dir = (os.path.join(REPO, 'models/golden') if shipped
                           else os.path.dirname(os.path.abspath(args.out)))
    torch.set_num_threads(1)

    import onnx
    import onnxruntime as ort

    model, cfg, step, ck = load_ema_model(args.checkpoint)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    export(model, args.out, args.opset)
    m = onnx.load(args.out)
    if not args.no_simplify:
        m = simplify(m)
        onnx.save(m, args.out)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    unexpected = sorted(set(ops) - EXPECTED_OPS)
    model_sha = sha256_file(args.out)
    print(f'exported step {step} (ngf {cfg["ngf"]}) to {args.out}: {os.path.getsize(args.out):,} bytes, '
          f'opset {args.opset}, ops {ops}')
    ok = True
    if unexpected:
        print(f'FAIL: unexpected ops {unexpected}')
        ok = False

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(args.out, so, providers=['CPUExecutionProvider'])
    gen = torch.Generator().manual_seed(7)
    checks = {}
    for b in (1, 4, 8):
        x = torch.rand(b, 1, 28, 28, generator=gen)
        with torch.no_grad():
            ref = model(x).numpy()
        got = sess.run(['body'], {'x': x.numpy()})[0]
        err = float(np.max(np.abs(got - ref)))
        checks[f'batch{b}'] = err
        print(f'onnxruntime vs torch, batch {b}: max abs diff {err:.3e} (max |body| {np.max(np.abs(ref)):.3f})')
        if not (got.shape == ref.shape and err <= args.tol):
            print(f'FAIL: batch {b} differs by {err} > {args.tol}')
            ok = False

    # golden pair, PyTorch float32
    gx, cases = golden_inputs()
    with torch.no_grad():
        gy = model(torch.from_numpy(gx)).numpy().astype(np.float32)
    gerr = float(np.max(np.abs(sess.run(['body'], {'x': gx})[0] - gy)))
    print(f'golden batch 4: onnxruntime vs torch max abs diff {gerr:.3e}')
    if gerr > args.tol:
        ok = False
    os.makedirs(args.golden_dir, exist_ok=True)
    fin = os.path.join(args.golden_dir, 'golden_input.f32')
    fout = os.path.join(args.golden_dir, 'golden_output.f32')
    gx.astype('<f4').tofile(fin)
    gy.astype('<f4').tofile(fout)
    meta = {
        'model': os.path.relpath(os.path.abspath(args.out), REPO),
        'model_sha256': model_sha,
        'checkpoint_step': step,
        'dtype': 'float32 little-endian, C order (row-major)',
        'input_file': 'golden_input.f32', 'input_shape': list(gx.shape),
        'output_file': 'golden_output.f32', 'output_shape': list(gy.shape),
        'input_sha256': sha256_file(fin), 'output_sha256': sha256_file(fout),
        'output_meaning': 'body(x) = score(x, sigma) * sigma, computed by PyTorch float32 on CPU (1 thread)',
        'cases': cases,
        'onnxruntime_max_abs_diff': gerr,
        'output_max_abs': float(np.max(np.abs(gy))),
        'suggested_tolerance_abs': 1e-4,
        'torch_version': torch.__version__,
    }
    with open(os.path.join(args.golden_dir, 'golden.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')

    sig = geometric_sigmas(cfg['sigma_begin'], cfg['sigma_end'], cfg['num_levels'])
    card = {
        'name': 'ncsnv2-mnist',
        'file': os.path.basename(args.out),
        'sha256': model_sha,
        'bytes': os.path.getsize(args.out),
        'architecture': 'NCSNv2 (Song & Ermon 2020), 28x28 branch, InstanceNorm++, ELU, sigma-free body',
        'ngf': cfg['ngf'],
        'parameters': count_params(model),
        'conv_macs_per_image': count_macs(model),
        'opset': args.opset,
        'input': {'name': 'x', 'shape': ['batch', 1, 28, 28], 'dtype': 'float32',
                  'range': [0.0, 1.0], 'note': 'images in [0,1]; the body maps them to 2x-1 internally'},
        'output': {'name': 'body', 'shape': ['batch', 1, 28, 28], 'dtype': 'float32',
                   'meaning': 'output = score x sigma; score(x, sigma) = output / sigma'},
        'sigma_schedule': {'kind': 'geometric', 'begin': cfg['sigma_begin'], 'end': cfg['sigma_end'],
                           'levels': cfg['num_levels'],
                           'formula': 'exp(linspace(ln begin, ln end, levels)) in float64, cast to float32',
                           'first': float(sig[0]), 'last': float(sig[-1])},
        'training': {'step': step, 'batch': cfg.get('batch'), 'loss_ema': ck.get('loss_ema'),
                     'train_hours': (ck.get('elapsed_s') or 0.0) / 3600.0, 'saved_utc': ck.get('saved_utc'),
                     'ema_rate': cfg.get('ema_rate'), 'lr': cfg.get('lr'), 'seed': cfg.get('seed'),
                     'data': cfg.get('data'), 'train_images_sha256': cfg.get('train_images_sha256'),
                     'weights': 'EMA'},
        'check': {'onnxruntime_vs_torch_max_abs': checks, 'tolerance': args.tol},
        'golden': os.path.relpath(os.path.join(os.path.abspath(args.golden_dir), 'golden.json'), REPO),
        'exported_utc': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
        'torch_version': torch.__version__,
    }
    with open(os.path.splitext(args.out)[0] + '.json', 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')
    print(f'wrote {os.path.splitext(args.out)[0]}.json and {args.golden_dir}/golden.json; sha256 {model_sha}')
    if not ok:
        print('FAILED')
        return 1
    print('OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
