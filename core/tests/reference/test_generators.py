"""The golden-value generators of this folder, run by pytest: each runs on a copy of itself in a
scratch tree (so it writes there, not into the repository), its own checks included (the frame
reader/writer's self-checks and corrupted-frame errors), and every file it writes must equal the
committed one byte for byte (core/tests/data, core/fuzz/corpus)."""
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
    differ = [str(p) for p in written if (tmp_path / p).read_bytes() != (ROOT / p).read_bytes()]
    assert not differ, f'{script} no longer reproduces: {differ}'
