"""The committed checkpoint and exported model against the scripts that use them (need torch)."""
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip('torch')

from models.export import export_onnx  # noqa: E402
from models.train import train  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO, 'models', 'golden')
SHIPPED_EMA = 'models/ncsnv2-mnist.ema.pt'


@pytest.fixture(scope='module')
def checkpoint():
    return torch.load(os.path.join(REPO, 'models/train/checkpoint.pt'), map_location='cpu', weights_only=False)


def test_training_command_resumes_the_checkpoint(checkpoint):
    """The README's training command builds the config the checkpoint holds, so it resumes
    (train.py refuses a change of a FIXED_KEYS entry, e.g. of the training data's sha256)."""
    args = train.parse_args(['--device', 'cpu', '--threads', '1', '--ngf', '16', '--batch', '64',
                             '--checkpoint', 'models/train/checkpoint.pt', '--save-every-min', '10'])
    config = train.make_config(args)
    assert checkpoint['format'] == train.CKPT_FORMAT
    assert {k: checkpoint['config'][k] for k in train.FIXED_KEYS} == {k: config[k] for k in train.FIXED_KEYS}
    assert checkpoint['config'] == config  # nothing else changed either (no "resuming with changed")


def test_golden_pair():
    """export_onnx's golden inputs are the committed ones, and the shipped model's EMA weights
    (models/ncsnv2-mnist.ema.pt, the export the ONNX came from; the training checkpoint moves on
    without it) map them to the committed outputs within the golden file's tolerance."""
    with open(os.path.join(GOLDEN, 'golden.json')) as f:
        meta = json.load(f)
    gx, cases = export_onnx.golden_inputs()
    assert cases == meta['cases']
    assert gx.tobytes() == np.fromfile(os.path.join(GOLDEN, 'golden_input.f32'), dtype='<f4').tobytes()
    model, _, step, _ = export_onnx.load_ema_model(os.path.join(REPO, SHIPPED_EMA))
    assert step == meta['checkpoint_step']
    torch.set_num_threads(1)
    with torch.no_grad():
        gy = model(torch.from_numpy(gx)).numpy()
    want = np.fromfile(os.path.join(GOLDEN, 'golden_output.f32'), dtype='<f4').reshape(meta['output_shape'])
    assert np.abs(gy - want).max() <= meta['suggested_tolerance_abs']


def test_shipped_weights_are_the_model_cards_step():
    """The model card of the shipped ONNX names the step of the EMA weights it was exported from,
    and the training checkpoint is at or past it (training only moves forward)."""
    with open(os.path.join(REPO, 'models', 'ncsnv2-mnist.json')) as f:
        card = json.load(f)
    ema = torch.load(os.path.join(REPO, SHIPPED_EMA), map_location='cpu', weights_only=False)
    assert ema['format'] == train.CKPT_FORMAT + '-ema'
    assert ema['step'] == card['training']['step']
    ck = torch.load(os.path.join(REPO, 'models/train/checkpoint.pt'), map_location='cpu', weights_only=False)
    assert ck['step'] >= ema['step']
