"""MNIST subset: the IDX files, `mnist` (reader, split), `convert_mnist` (the converter)."""
