#!/usr/bin/env python3
"""Export-time rewrites of the score network's ONNX graph into operators tract runs faster, each
an exact identity of real arithmetic and, in tract, of float32 arithmetic too (issue 17).

    python3 -m models.export.simplify IN.onnx [OUT.onnx]      (OUT defaults to IN)

* ``Elu(x)`` (alpha 1) -> ``Relu(x) + (Exp(Min(x, 0)) - 1)``. For x >= 0 the second term is
  exp(0) - 1 = 0 exactly; for x < 0 the first is 0 and the second is ELU's own exp(x) - 1. tract
  lowers Elu into a comparison, a select and an Exp (the comparison alone took 13 % of a call);
  the rewrite becomes two fused element-wise chains.
* ``MaxPool`` k_h x k_w, stride 1 -> ``MaxPool`` k_h x 1 then 1 x k_w (the max over a rectangle is
  the max of the row maxima; padding is -inf in both). 25 comparisons per output become 10.

`host/benches/profile_compare.py` and BENCHMARKS.md have the measured effect; the host's output
with the rewritten model equals the original's bit for bit (BENCHMARKS.md gives the check).
"""

from __future__ import annotations

import sys

import numpy as np


def _attrs(node):
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def simplify(model):
    """A copy of `model` (onnx.ModelProto) with the rewrites above; other nodes unchanged."""
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    nodes = []
    consts_needed = False
    for n in g.node:
        a = _attrs(n)
        if n.op_type == "Elu" and float(a.get("alpha", 1.0)) == 1.0:
            consts_needed = True
            x, y, p = n.input[0], n.output[0], n.name or n.output[0]
            nodes += [
                helper.make_node("Relu", [x], [f"{p}/pos"], name=f"{p}/relu"),
                helper.make_node("Min", [x, "simplify/zero"], [f"{p}/neg"], name=f"{p}/min"),
                helper.make_node("Exp", [f"{p}/neg"], [f"{p}/exp"], name=f"{p}/exp"),
                helper.make_node("Sub", [f"{p}/exp", "simplify/one"], [f"{p}/expm1"], name=f"{p}/sub"),
                helper.make_node("Add", [f"{p}/pos", f"{p}/expm1"], [y], name=f"{p}/add"),
            ]
        elif (
            n.op_type == "MaxPool"
            and len(a.get("kernel_shape", [])) == 2
            and list(a.get("strides", [1, 1])) == [1, 1]
            and list(a.get("dilations", [1, 1])) == [1, 1]
            and not a.get("ceil_mode", 0)
            and a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
            and len(n.output) == 1
        ):
            kh, kw = a["kernel_shape"]
            top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
            p, mid = n.name or n.output[0], f"{n.output[0]}/rows"
            nodes += [
                helper.make_node(
                    "MaxPool", [n.input[0]], [mid], name=f"{p}/rows", kernel_shape=[kh, 1],
                    pads=[top, 0, bottom, 0], strides=[1, 1],
                ),
                helper.make_node(
                    "MaxPool", [mid], [n.output[0]], name=f"{p}/cols", kernel_shape=[1, kw],
                    pads=[0, left, 0, right], strides=[1, 1],
                ),
            ]
        else:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    if consts_needed:
        g.initializer.extend(
            [
                numpy_helper.from_array(np.array(0.0, np.float32), "simplify/zero"),
                numpy_helper.from_array(np.array(1.0, np.float32), "simplify/one"),
            ]
        )
    onnx.checker.check_model(m)
    return m


def main(argv=None):
    import onnx

    argv = sys.argv[1:] if argv is None else argv
    if not 1 <= len(argv) <= 2:
        raise SystemExit(__doc__)
    src, dst = argv[0], argv[-1]
    m = onnx.load(src)
    before = sorted({n.op_type for n in m.graph.node})
    out = simplify(m)
    onnx.save(out, dst)
    print(f"{src} -> {dst}: {len(m.graph.node)} -> {len(out.graph.node)} nodes; ops {before} -> "
          f"{sorted({n.op_type for n in out.graph.node})}")


if __name__ == "__main__":
    main()
