"""The prediction path: forward passes over data in chunks, on the training device."""

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

#: Rows per forward pass at prediction time (bounds memory, not results: each
#: row's output does not depend on the other rows).
PREDICT_CHUNK = 4096


@torch.inference_mode()
def forward_outputs(
    module: nn.Module,
    X: torch.Tensor,
    link: Callable[[torch.Tensor], torch.Tensor] | None = None,
    chunk_size: int = PREDICT_CHUNK,
) -> np.ndarray:
    """Outputs of ``module`` on ``X`` in evaluation mode, as a NumPy array.

    Parameters
    ----------
    module : torch.nn.Module
    X : Tensor of shape (n_samples, ...)
        Already on the module's device and in its dtype.
    link : callable, default=None
        Applied to each chunk of outputs on the device (e.g. ``softmax``), so
        that passes are averaged on the scale users see (probabilities).
    chunk_size : int, default=PREDICT_CHUNK
    """
    was_training = module.training
    module.eval()
    try:
        chunks = []
        for start in range(0, len(X), chunk_size):
            out = module(X[start : start + chunk_size])
            chunks.append(out if link is None else link(out))
        return torch.cat(chunks).cpu().numpy()
    finally:
        module.train(was_training)
