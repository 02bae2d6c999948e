"""The reference sampler's self-tests: the likelihood scores against mpmath (`sampler selftest`,
needs torch) and the replay of the golden files alone (numpy, scipy, onnxruntime)."""
import pytest


def test_sampler_selftest():
    pytest.importorskip('torch')
    pytest.importorskip('mpmath')
    from models.reference import sampler
    assert sampler.selftest(None) == 0


def test_replay_golden_short_cases():
    """`python3 -m models.reference.replay_golden` (the short cases; --full needs torch and 35 s)."""
    pytest.importorskip('onnxruntime')
    pytest.importorskip('scipy')
    from models.reference import replay_golden
    assert replay_golden.main([]) == 0
