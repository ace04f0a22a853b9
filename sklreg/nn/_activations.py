"""Registry of hidden-layer activations, keyed by their public name."""

import torch
import torch.nn.functional as F


def identity(x: torch.Tensor) -> torch.Tensor:
    """Return ``x`` unchanged (the ``"identity"`` activation)."""
    return x


#: Maps each allowed value of the ``activation`` hyperparameter to a function.
ACTIVATIONS = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "logistic": torch.sigmoid,
    "gelu": F.gelu,
    "identity": identity,
}
