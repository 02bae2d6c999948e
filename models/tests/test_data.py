"""models/data: the one IDX reader and the split (numpy only)."""
import gzip
import hashlib
import struct

import numpy as np
import pytest

from models.data import convert_mnist, mnist

# models/data/README.md; the training checkpoint records the first one (train_images_sha256)
SHA256 = {
    ('train', 'images'): '784d47a2bf4c5352bb0a4cf583cf8a02d57d1a4f1aac771dce150991b24c2ab0',
    ('train', 'labels'): '42037190d5b1919f70edee1a549ec91b4ffc2d29c6c1215dcf10da147dfbb05a',
    ('test', 'images'): 'ece7bc5ffe719ada288d0eb407867daa4f0253f0e5887157ef935ae9db01d276',
    ('test', 'labels'): '4be2bdca844401fb73e73e8be1b32300cb4554c0dbd42f4943c88fea46497d5a',
}
TRAIN_CLASS_COUNTS = [901, 1027, 891, 932, 880, 763, 914, 970, 844, 878]


@pytest.mark.parametrize('split,kind', sorted(SHA256))
def test_files_are_the_documented_ones(split, kind):
    with open(mnist.path(split, kind), 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == SHA256[split, kind]


def test_split_shapes_and_rule():
    xtr, ytr = mnist.images('train'), mnist.labels('train')
    xte, yte = mnist.images('test'), mnist.labels('test')
    assert xtr.shape == (9000, 28, 28) and xte.shape == (1000, 28, 28)
    assert xtr.dtype == xte.dtype == ytr.dtype == yte.dtype == np.uint8
    assert (yte == np.arange(1000) % 10).all()  # interleaved test set
    assert (np.diff(ytr.astype(int)) >= 0).all()  # train ordered by class
    assert np.bincount(ytr, minlength=10).tolist() == TRAIN_CLASS_COUNTS
    assert not {r.tobytes() for r in xtr} & {r.tobytes() for r in xte}  # no image in both


def test_writer_reproduces_the_files_byte_for_byte(tmp_path):
    """convert_mnist's IDX encoder and gzip writer give back the committed files from the arrays."""
    for split in mnist.SPLITS:
        imgs = [im.tobytes() for im in mnist.images(split)]
        for kind, payload in (('images', mnist.encode_images(imgs)),
                              ('labels', mnist.encode_labels(mnist.labels(split).tolist()))):
            out = tmp_path / mnist.file_name(split, kind)
            assert convert_mnist.write_gz(str(out), payload) == SHA256[split, kind]


def test_reader_checks_magic_and_kind(tmp_path):
    bad = tmp_path / 'bad.gz'
    with gzip.open(bad, 'wb') as f:
        f.write(struct.pack('>IIII', 0x00000804, 1, 1, 1) + b'\0')
    with pytest.raises(ValueError, match='bad IDX magic'):
        mnist.read_idx(str(bad))
    with pytest.raises(ValueError, match='not an IDX image file'):
        mnist.read_images(mnist.path('test', 'labels'))
    with pytest.raises(ValueError, match='not an IDX label file'):
        mnist.read_labels(mnist.path('test', 'images'))
    with pytest.raises(ValueError):
        mnist.path('validation', 'images')
