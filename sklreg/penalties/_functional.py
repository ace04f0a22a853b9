"""Norms of lists of tensors, the building blocks of every penalty.

Each function takes a sequence of tensors and returns the norm summed over all
of them. With ``dim=None`` the result is a scalar; with ``dim=d`` every tensor
is reduced over dimension ``d`` only (e.g. one value per row of activations),
and the per-tensor results, which must then have equal shapes, are added.
"""

from collections.abc import Sequence
from functools import reduce
from operator import add

import torch


def _reduce(tensors: Sequence[torch.Tensor], dim: int | None) -> torch.Tensor:
    if dim is None:
        return reduce(add, (t.sum() for t in tensors))
    return reduce(add, (t.sum(dim=dim) for t in tensors))


def l1_norm(tensors: Sequence[torch.Tensor], dim: int | None = None) -> torch.Tensor:
    """``sum |t|`` over every element of every tensor."""
    if dim is None:  # one fused call per tensor
        return reduce(add, (torch.linalg.vector_norm(t, 1) for t in tensors))
    return _reduce([t.abs() for t in tensors], dim)


def squared_l2_norm(
    tensors: Sequence[torch.Tensor], dim: int | None = None
) -> torch.Tensor:
    """``sum t * t``: the squared L2 norm (not its square root)."""
    return _reduce([t.square() for t in tensors], dim)


def elastic_net_norm(
    tensors: Sequence[torch.Tensor], dim: int | None = None, l1_ratio: float = 0.5
) -> torch.Tensor:
    """``l1_ratio * l1_norm + (1 - l1_ratio) * squared_l2_norm``."""
    return l1_ratio * l1_norm(tensors, dim) + (1.0 - l1_ratio) * squared_l2_norm(
        tensors, dim
    )


#: Maps each allowed value of the ``norm`` hyperparameter to its function.
NORMS = {
    "l1": l1_norm,
    "l2": squared_l2_norm,
    "elasticnet": elastic_net_norm,
}
