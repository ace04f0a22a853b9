"""Shared fixtures and the small, fast settings used across the test suite."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

#: Small, fast settings for the estimators in tests: tiny networks, few epochs.
FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=1e-2, max_iter=40)


@pytest.fixture(autouse=True)
def _single_thread():
    """Keep torch on one thread: the suite runs many tiny fits. (sklreg
    chooses one thread for small networks itself, which is what the doctests
    under ``sklreg/``, outside this fixture, rely on; this fixture also
    covers the tests that build wider networks.)"""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


#: Early stopping on :func:`noisy` data with a wide network: the validation
#: loss turns up early.
NOISY_EARLY_STOPPING = dict(
    hidden_layer_sizes=(64,),
    learning_rate_init=3e-3,
    max_iter=300,
    batch_size=40,
    early_stopping=True,
    validation_fraction=0.25,
    patience=8,
    alpha=1e-3,
    random_state=0,
)


@pytest.fixture(scope="module")
def noisy():
    """Small, noisy classification data (200 rows, 20 features, 20% flipped)."""
    return make_classification(
        n_samples=200, n_features=20, n_informative=5, flip_y=0.2, random_state=0
    )


def fast(**overrides):
    """``FAST`` with some settings replaced."""
    return {**FAST, **overrides}
