"""Seeds: from scikit-learn's ``random_state`` to the torch generators."""

import numpy as np
from sklearn.utils import check_random_state

_MAX_SEED = np.iinfo(np.int32).max


def draw_seed(random_state) -> int:
    """Draw one integer seed from ``random_state`` (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(_MAX_SEED))


def derive_seeds(seed: int, *keys: int, n: int = 1) -> list[int]:
    """``n`` independent seeds determined by ``seed`` and ``keys``."""
    state = np.random.SeedSequence([seed, *keys]).generate_state(n)
    return [int(s) for s in state]
