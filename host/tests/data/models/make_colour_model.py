"""A randomly initialised NCSNv2 for 3 x 32 x 32 colour images (issue 14: any image shape).

``ncsnv2_rgb32.onnx``: the body of ``models/train/ncsnv2.py`` with ``channels=3`` and ngf 4
(torch.manual_seed(14)), exported as the shipped model is (input ``x`` float32
``[batch, 3, 32, 32]`` in [0, 1], output ``body``, dynamic batch, opset 17); the weights are
random, so only the shapes and the data path are meaningful. The golden pair
``ncsnv2_rgb32_x.f32`` / ``ncsnv2_rgb32_body.f32`` (raw little-endian float32, NCHW
``[2, 3, 32, 32]``): a fixed input, numpy default_rng(14).random((2, 3, 32, 32)), and PyTorch's
float32 output on it, which host/tests/colour.rs checks the host's prior against (the host keeps
images channels last, as frames do, and the network takes them channels first).

Re-create from the repository root with
``PYTHONPATH=. python3 host/tests/data/models/make_colour_model.py`` (needs torch and onnx,
models/train/requirements.txt).
"""

from pathlib import Path

import numpy as np
import torch

from models.train.ncsnv2 import NCSNv2

HERE = Path(__file__).resolve().parent


def main():
    torch.manual_seed(14)
    model = NCSNv2(ngf=4, channels=3).eval()
    dummy = torch.rand(2, 3, 32, 32)
    torch.onnx.export(model, (dummy,), str(HERE / "ncsnv2_rgb32.onnx"), dynamo=False,
                      input_names=["x"], output_names=["body"], opset_version=17,
                      dynamic_axes={"x": {0: "batch"}, "body": {0: "batch"}},
                      do_constant_folding=True)
    x = np.random.default_rng(14).random((2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    x.astype("<f4").tofile(HERE / "ncsnv2_rgb32_x.f32")
    y.astype("<f4").tofile(HERE / "ncsnv2_rgb32_body.f32")
    print(f"wrote ncsnv2_rgb32.onnx and the golden pair (max |body| {np.abs(y).max():.3f})")


if __name__ == "__main__":
    main()
