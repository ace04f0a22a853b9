"""Per-sample data losses and their sample-weighted mean.

Each loss maps ``(output, target)`` to one value per row; the objective's data
term is the sample-weighted mean of those values (``sum(w * l) / sum(w)``), so
that an integer weight is equivalent to repeating the row and a zero weight to
dropping it.
"""

import torch
import torch.nn.functional as F
from torch import nn


def cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy of logits ``(n, n_classes)`` against class indices."""
    return F.cross_entropy(output, target, reduction="none")


def binary_cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sigmoid cross-entropy of logits ``(n, n_labels)``, averaged over labels."""
    loss = F.binary_cross_entropy_with_logits(output, target, reduction="none")
    return loss.mean(dim=1)


def squared_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared error ``(n, n_outputs)``, averaged over outputs (no 1/2 factor)."""
    return (output - target).square().mean(dim=1)


def weighted_mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values`` weighted by ``weight`` (plain mean when ``None``)."""
    if weight is None:
        return values.mean()
    return torch.dot(values, weight) / weight.sum()


#: Maps a data-loss name to its per-sample function.
DATA_LOSSES = {
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "squared_error": squared_error,
}

#: The unweighted mean of each loss as one fused call (equal to
#: ``DATA_LOSSES[name](...).mean()``, cheaper per minibatch).
_MEAN_LOSSES = {
    "cross_entropy": F.cross_entropy,
    "binary_cross_entropy": F.binary_cross_entropy_with_logits,
    "squared_error": F.mse_loss,
}


class DataLoss(nn.Module):
    """Sample-weighted mean of a per-sample loss: the data term of the objective.

    Parameters
    ----------
    name : {'cross_entropy', 'binary_cross_entropy', 'squared_error'}
        Key of :data:`DATA_LOSSES`.
    """

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self._per_sample = DATA_LOSSES[name]
        self._mean = _MEAN_LOSSES[name]

    def forward(
        self,
        output: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if weight is None:
            return self._mean(output, target)
        return weighted_mean(self._per_sample(output, target), weight)

    def extra_repr(self) -> str:
        return repr(self.name)
