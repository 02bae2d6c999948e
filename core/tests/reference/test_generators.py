"""The golden-value generators of this folder, run by pytest: each runs on a copy of itself in a
scratch tree (so it writes there, not into the repository), its own checks included (the frame
reader/writer's self-checks and corrupted-frame errors), and every file it writes must equal the
committed one byte for byte (core/tests/data, core/fuzz/corpus), or, for a text file, token for token
with every number within FLOAT64_REL of the committed one: numpy/scipy's OpenBLAS picks its float64
kernels per CPU (DYNAMIC_ARCH), so iterative references round differently on another machine
(worst measured: 2.3e-10 relative, pnp_golden.txt on an AMD EPYC against files written on an
AVX-512 Intel machine)."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

# script -> the packages it needs (the test skips when one is missing)
GENERATORS = {
    'frame_reference.py': ['numpy'],
    'operators_seeded.py': ['numpy'],
    'sampler_golden.py': ['numpy', 'scipy'],
    'pnp_golden.py': ['numpy', 'scipy'],
    'likelihood_golden.py': ['numpy', 'mpmath'],
    'gauss_golden.py': ['numpy', 'mpmath'],
    'gauss_variance_golden.py': ['numpy', 'mpmath'],
    'ep_golden.py': ['numpy', 'mpmath'],
    'metrics_golden.py': ['numpy', 'skimage'],
}


FLOAT64_REL = 1e-8


def same_up_to_float64_rounding(new: bytes, old: bytes) -> bool:
    """Equal bytes, or equal text whose tokens differ only in numbers within FLOAT64_REL."""
    if new == old:
        return True
    try:
        a, b = re.split(r'([\s,;]+)', new.decode()), re.split(r'([\s,;]+)', old.decode())
    except UnicodeDecodeError:
        return False
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not abs(fx - fy) <= FLOAT64_REL * max(abs(fx), abs(fy)):
            return False
    return True


def test_the_comparison_tolerates_rounding_only():
    assert same_up_to_float64_rounding(b'x 1.0000000000001, 2', b'x 1.0, 2')
    assert not same_up_to_float64_rounding(b'x 1.00001 2', b'x 1.0 2')
    assert not same_up_to_float64_rounding(b'y 1.0 2', b'x 1.0 2')
    assert not same_up_to_float64_rounding(b'x 1.0 2 3', b'x 1.0 2')
    assert not same_up_to_float64_rounding(b'\xff\x00', b'\xfe\x00')


@pytest.mark.parametrize('script', sorted(GENERATORS))
def test_generator_reproduces_committed_data(script, tmp_path):
    for module in GENERATORS[script]:
        pytest.importorskip(module)
    rel = HERE.relative_to(ROOT)
    (tmp_path / rel).mkdir(parents=True)
    (tmp_path / rel.parent / 'data').mkdir()
    shutil.copy(HERE / script, tmp_path / rel / script)
    subprocess.run([sys.executable, str(tmp_path / rel / script)], cwd=tmp_path, check=True,
                   stdout=subprocess.DEVNULL)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob('*') if p.is_file() and p.suffix != '.py')
    assert written, f'{script} wrote nothing'
    differ = [str(p) for p in written
              if not same_up_to_float64_rounding((tmp_path / p).read_bytes(), (ROOT / p).read_bytes())]
    assert not differ, f'{script} no longer reproduces: {differ}'
