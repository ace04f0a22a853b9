"""Settings and data shared by the tests, and the one place where tests read
inside a fitted estimator.

Import from here (``from .helpers import FAST``); fixtures live in
``conftest.py``.
"""

import torch
from sklearn.datasets import make_classification

#: Small, fast settings for the estimators in tests: tiny networks, few epochs.
FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=1e-2, max_iter=40)

#: Early stopping on :func:`noisy_data` with a wide network: the validation
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


def fast(**overrides):
    """``FAST`` with some settings replaced."""
    return {**FAST, **overrides}


def noisy_data():
    """Small, noisy classification data (200 rows, 20 features, 20% flipped)."""
    return make_classification(
        n_samples=200, n_features=20, n_informative=5, flip_y=0.2, random_state=0
    )


def mc_generator(estimator) -> torch.Generator:
    """A generator in the state from which ``estimator`` draws its
    Monte-Carlo dropout masks at prediction.

    The test hook: the seed is named in the fitted estimator's seeds
    (:class:`sklreg._plan.Seeds`), as documented there.
    """
    return torch.Generator().manual_seed(estimator._seeds.mc_masks)
