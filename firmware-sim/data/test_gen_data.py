"""gen_data.py, run by pytest on a copy of itself (reading models/data): digits.bin and recon.bin
must come out byte-identical to the committed ones."""
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_gen_data_reproduces_committed_files(tmp_path):
    (tmp_path / 'firmware-sim' / 'data').mkdir(parents=True)
    (tmp_path / 'models').mkdir()
    (tmp_path / 'models' / 'data').symlink_to(ROOT / 'models' / 'data')
    script = tmp_path / 'firmware-sim' / 'data' / 'gen_data.py'
    shutil.copy(HERE / 'gen_data.py', script)
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=True, stdout=subprocess.DEVNULL)
    for name in ('digits.bin', 'recon.bin'):
        assert (script.parent / name).read_bytes() == (HERE / name).read_bytes(), name
