"""The MNIST subset of models/data: its gzipped IDX files, their reader and writer, the split.

The one data module of the Python under models/ (split rule, format and provenance:
models/data/README.md):

    from models.data import mnist
    mnist.images('test')        # uint8 [1000, 28, 28], interleaved: label of image i is i mod 10
    mnist.labels('train')       # uint8 [9000], ordered by class
    mnist.path('train', 'images')   # .../models/data/mnist-train-images-idx3-ubyte.gz
    mnist.read_images(path)     # any gzipped IDX image file, uint8 [n, rows, cols]

IDX: big-endian u32 magic (0x00000803 images, 0x00000801 labels: u8 data, 3 or 1 dimensions),
the dimensions as big-endian u32, then the u8 data.  The arrays returned are read-only views of
the file's bytes (copy or convert them before writing).
"""
import gzip
import os
import struct

import numpy as np

DIR = os.path.dirname(os.path.abspath(__file__))
SPLITS = ('train', 'test')
ROWS = COLS = 28
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def file_name(split, kind):
    """`mnist-{split}-images-idx3-ubyte.gz` or `mnist-{split}-labels-idx1-ubyte.gz`."""
    if split not in SPLITS:
        raise ValueError(f'split {split!r}: expected one of {SPLITS}')
    if kind == 'images':
        return f'mnist-{split}-images-idx3-ubyte.gz'
    if kind == 'labels':
        return f'mnist-{split}-labels-idx1-ubyte.gz'
    raise ValueError(f"kind {kind!r}: expected 'images' or 'labels'")


def path(split, kind):
    """Absolute path of a file of the split in models/data."""
    return os.path.join(DIR, file_name(split, kind))


def decode_idx(buf, name='IDX data'):
    """The array of an (uncompressed) IDX buffer of u8 images or labels."""
    magic = struct.unpack('>I', buf[:4])[0]
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise ValueError(f'{name}: bad IDX magic {magic:#010x} (u8 images {IMAGES_MAGIC:#010x} '
                         f'or labels {LABELS_MAGIC:#010x})')
    ndim = magic & 0xFF
    dims = struct.unpack(f'>{ndim}I', buf[4:4 + 4 * ndim])
    return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def read_idx(path):
    """The array of a gzipped IDX file: images uint8 [n, rows, cols] or labels uint8 [n]."""
    with gzip.open(path, 'rb') as f:
        return decode_idx(f.read(), path)


def read_images(path):
    """uint8 [n, rows, cols] of a gzipped IDX image file (magic 0x00000803)."""
    arr = read_idx(path)
    if arr.ndim != 3:
        raise ValueError(f'{path}: not an IDX image file (magic {IMAGES_MAGIC:#010x})')
    return arr


def read_labels(path):
    """uint8 [n] of a gzipped IDX label file (magic 0x00000801)."""
    arr = read_idx(path)
    if arr.ndim != 1:
        raise ValueError(f'{path}: not an IDX label file (magic {LABELS_MAGIC:#010x})')
    return arr


def images(split):
    """uint8 [n, 28, 28] images of the split ('train': 9,000, 'test': 1,000)."""
    return read_images(path(split, 'images'))


def labels(split):
    """uint8 [n] labels 0-9 of the split."""
    return read_labels(path(split, 'labels'))


def encode_images(imgs, rows=ROWS, cols=COLS):
    """Uncompressed IDX bytes of a list of images, each rows * cols u8 bytes (row-major)."""
    return struct.pack('>IIII', IMAGES_MAGIC, len(imgs), rows, cols) + b''.join(imgs)


def encode_labels(values):
    """Uncompressed IDX bytes of a list of u8 labels."""
    return struct.pack('>II', LABELS_MAGIC, len(values)) + bytes(values)
