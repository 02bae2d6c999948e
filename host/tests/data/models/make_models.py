"""Tiny ONNX models that declare inputs the receiver must refuse (host/tests/cli.rs).

Each is an Identity (or Cast) graph, so only the declared input matters:

* ``input_32x32.onnx``: float32 ``[batch, 1, 32, 32]`` (another image size than MNIST's).
* ``input_int64.onnx``: int64 ``[batch, 1, 28, 28]`` (not an f32 image).
* ``fixed_batch2.onnx``: float32 ``[2, 1, 28, 28]`` (a fixed batch of 2).
* ``input_rank2.onnx``: float32 ``[batch, 784]`` (not ``[batch, C, H, W]``).

Re-create with ``python3 host/tests/data/models/make_models.py`` (needs the ``onnx`` package of
``models/train/requirements.txt``); the output is byte-identical.
"""

from pathlib import Path

import onnx
from onnx import TensorProto, helper

HERE = Path(__file__).resolve().parent


def save(name, in_type, in_shape, out_shape, cast=False):
    x = helper.make_tensor_value_info("x", in_type, in_shape)
    y = helper.make_tensor_value_info("body", TensorProto.FLOAT, out_shape)
    if cast:
        node = helper.make_node("Cast", ["x"], ["body"], to=TensorProto.FLOAT)
    else:
        node = helper.make_node("Identity", ["x"], ["body"])
    graph = helper.make_graph([node], name.removesuffix(".onnx"), [x], [y])
    model = helper.make_model(
        graph,
        producer_name="qcs-tests",
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    (HERE / name).write_bytes(model.SerializeToString())


def main():
    save("input_32x32.onnx", TensorProto.FLOAT, ["batch", 1, 32, 32], ["batch", 1, 32, 32])
    save("input_int64.onnx", TensorProto.INT64, ["batch", 1, 28, 28], ["batch", 1, 28, 28], cast=True)
    save("fixed_batch2.onnx", TensorProto.FLOAT, [2, 1, 28, 28], [2, 1, 28, 28])
    save("input_rank2.onnx", TensorProto.FLOAT, ["batch", 784], ["batch", 784])


if __name__ == "__main__":
    main()
