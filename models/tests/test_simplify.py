"""models/export/simplify.py: the rewritten graph computes what the original does (onnxruntime,
float32), holds no Elu and only 1-D max pools, and leaves other nodes alone."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from models.export.simplify import simplify  # noqa: E402


def tiny_model():
    """x [B, 2, 9, 9] -> Conv 3x3 -> Elu -> MaxPool 5x5 (stride 1, pad 2) -> Elu(alpha 0.5)."""
    rng = np.random.default_rng(11)
    w = numpy_helper.from_array(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), "w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Elu", ["c"], ["e"], name="elu"),
        helper.make_node("MaxPool", ["e"], ["p"], name="pool", kernel_shape=[5, 5], pads=[2, 2, 2, 2]),
        helper.make_node("Elu", ["p"], ["y"], name="elu_half", alpha=0.5),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 9, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, 9, 9])],
        [w],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def run(model, x):
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {"x": x})[0]


def test_the_rewrites_compute_the_same_function():
    m = tiny_model()
    out = simplify(m)
    ops = [n.op_type for n in out.graph.node]
    # The alpha-1 Elu is rewritten, the alpha-0.5 one is not (the identity needs alpha 1).
    assert ops.count("Elu") == 1 and ops.count("Relu") == 1 and ops.count("Exp") == 1
    pools = [n for n in out.graph.node if n.op_type == "MaxPool"]
    shapes = sorted(tuple(a.ints) for n in pools for a in n.attribute if a.name == "kernel_shape")
    assert shapes == [(1, 5), (5, 1)]
    x = np.random.default_rng(3).standard_normal((2, 2, 9, 9)).astype(np.float32) * 3
    ref, got = run(m, x), run(out, x)
    assert got.shape == ref.shape
    # Max pooling is exact; exp(x) - 1 may differ from onnxruntime's Elu kernel by an ulp or so.
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
    # The input model is not modified.
    assert [n.op_type for n in m.graph.node] == ["Conv", "Elu", "MaxPool", "Elu"]
