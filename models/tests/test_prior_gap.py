"""models.bounds.prior_gap: pooling of paired runs, written out by hand for a small case."""
import math

import numpy as np
import pytest

from models.bounds import prior_gap as pg


def mixture_run(first, seed, g, k, other=(1, 2)):
    return {'first': first, 'chain_seed': seed, 'cells': [
        {'prior': 'mixture-10', 'operator': 'gaussian', 'psnr': g, 'other_class': other[0]},
        {'prior': 'mixture-10', 'operator': '1000', 'psnr': k, 'other_class': other[1]}]}


def test_pools_digit_seed_pairs_over_runs():
    """Two chain seeds of two digits: cost in dB and in MSE, mean and standard error of the four pairs."""
    runs = [mixture_run(0, 7, [20.0, 10.0], [17.0, 10.0]), mixture_run(0, 8, [20.0, 12.0], [19.0, 11.0], (0, 1))]
    s = pg.summarize(runs)[('mixture-10', 0, 0)]
    d = np.array([3.0, 0.0, 1.0, 1.0])
    assert s['pairs'] == 4 and s['chain_seeds'] == [7, 8]
    assert s['cost_db'][0] == pytest.approx(1.25)
    assert s['cost_db'][1] == pytest.approx(d.std(ddof=1) / 2.0)
    mse = lambda p: 10.0 ** (-p / 10.0)
    want = np.mean([mse(17) - mse(20), 0.0, mse(19) - mse(20), mse(11) - mse(12)])
    assert s['cost_mse'][0] == pytest.approx(want)
    assert (s['other_digit_gaussian'], s['other_digit_k1000']) == (1, 3)


def test_network_runs_count_the_default_schedule_only():
    """mixing.py outputs: only the K = 5 runs, and a seed given twice is refused."""
    run = {'first': 900, 'runs': [
        {'steps': 5, 'chain_seed': 7, 'operator': 'gaussian', 'psnr': [20.0]},
        {'steps': 5, 'chain_seed': 7, 'operator': '1000', 'psnr': [18.0]},
        {'steps': 10, 'chain_seed': 7, 'operator': 'gaussian', 'psnr': [25.0]},
        {'steps': 10, 'chain_seed': 7, 'operator': '1000', 'psnr': [10.0]}]}
    s = pg.summarize([run])[('network', 900, 0)]
    assert s['pairs'] == 1 and s['cost_db'][0] == pytest.approx(2.0) and math.isnan(s['cost_db'][1])
    assert 'other_digit_k1000' not in s
    with pytest.raises(ValueError, match='draw 0, chain seed 7: given twice'):
        pg.summarize([run, run])


def test_refuses_other_files():
    with pytest.raises(ValueError, match='neither a mixture_gap.py output'):
        pg.pairs_of({'eps': 1e-4})
