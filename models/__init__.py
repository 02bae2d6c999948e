"""Python under models/: data, NCSNv2 training, ONNX export, reference sampler, classifier.

A package run from the repository root: `python3 -m models.<folder>.<script> ...`
(e.g. `python3 -m models.reference.sampler selftest`); models/README.md lists the commands.
"""
