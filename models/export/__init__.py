"""ONNX export of the EMA weights and the golden files (`export_onnx`)."""
