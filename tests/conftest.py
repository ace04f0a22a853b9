"""Shared fixtures and the small, fast settings used across the test suite."""

import numpy as np
import pytest
import torch

#: Small, fast settings for the estimators in tests: tiny networks, few epochs.
FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=1e-2, max_iter=40)


@pytest.fixture(autouse=True)
def _single_thread():
    """Keep torch on one thread: the suite runs many tiny fits."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def fast(**overrides):
    """``FAST`` with some settings replaced."""
    return {**FAST, **overrides}
