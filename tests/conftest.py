"""Fixtures of the test suite (settings and data to import are in ``helpers``)."""

import numpy as np
import pytest
import torch

from sklreg._training import PenalizedNet

from .helpers import noisy_data


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


@pytest.fixture(scope="module")
def small_digits():
    """The first 300 of scikit-learn's digits, pixels in [0, 1]."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


@pytest.fixture(scope="module")
def noisy():
    """Small, noisy classification data (see :func:`helpers.noisy_data`)."""
    return noisy_data()


@pytest.fixture
def forbid_training(monkeypatch):
    """Fail the test if any fit builds its training engine: what is checked
    before training must raise first."""

    def initialize(self):
        raise AssertionError("training started: the check should have raised first")

    monkeypatch.setattr(PenalizedNet, "initialize", initialize)
