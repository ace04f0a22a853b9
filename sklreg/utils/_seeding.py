"""Seeds: from scikit-learn's ``random_state`` to the torch generators."""

import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state

_MAX_SEED = np.iinfo(np.int32).max


def draw_seed(random_state) -> int:
    """Draw one integer seed from ``random_state`` (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(_MAX_SEED))


def derive_seeds(seed: int, *keys: int, n: int = 1) -> list[int]:
    """``n`` independent seeds determined by ``seed`` and ``keys``."""
    state = np.random.SeedSequence([seed, *keys]).generate_state(n)
    return [int(s) for s in state]


@contextlib.contextmanager
def torch_rng(seed: int, device: str | torch.device = "cpu"):
    """Seed torch's global generator of ``device`` (and the CPU's) inside the block.

    The generators' previous states are restored on exit, so training with a
    ``random_state`` neither depends on nor advances the caller's torch seed.
    """
    device = torch.device(device)
    cuda = []
    if device.type == "cuda":
        index = device.index
        cuda = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.default_generators[cuda[0]].manual_seed(seed)
        yield
