"""Penalty objects: a pure norm function, its strength, and its targets."""

import copy
from functools import partial

import torch
from torch import nn

from ..nn import weighted_mean
from ._functional import NORMS

#: The penalty terms recorded in ``history_`` (each 0.0 when its regularizer is
#: off), in the order they appear there.
PENALTY_TERMS = ("norm_penalty", "tie_penalty", "activity_penalty")


def weight_parameters(module: nn.Module) -> list[nn.Parameter]:
    """Parameters with two or more dimensions: weights, never biases."""
    return [p for p in module.parameters() if p.requires_grad and p.ndim >= 2]


class Penalty:
    """A term of the training objective, computed once per minibatch.

    Subclasses set ``name`` (the ``history_`` key of the term) and
    ``needs_hidden`` (whether the term needs the hidden activations of the
    minibatch), implement ``__call__`` and, when they apply to parameters,
    extend ``bind`` to resolve them on the bound copy.
    """

    name: str = ""
    needs_hidden: bool = False

    def bind(self, module: nn.Module) -> "Penalty":
        """A copy of this penalty that applies to the tensors of ``module``.

        The configured object never holds tensors, so it pickles small and
        can be bound again to another (or a reloaded) module.
        """
        return copy.copy(self)

    def __call__(
        self,
        hidden: list[torch.Tensor] | None = None,
        weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k[-1] != "_")
        return f"{type(self).__name__}({args})"


class WeightNormPenalty(Penalty):
    """``alpha * Omega(weights)`` over every weight tensor of the module.

    Parameters
    ----------
    alpha : float
        Strength of the penalty.
    norm : {'l2', 'l1', 'elasticnet'}, default='l2'
        ``Omega``: squared L2 norm, L1 norm, or their ``l1_ratio`` mix.
    l1_ratio : float, default=0.5
        Weight of the L1 part for ``norm='elasticnet'``.
    """

    name = "norm_penalty"

    def __init__(self, alpha: float, norm: str = "l2", l1_ratio: float = 0.5):
        self.alpha = float(alpha)
        self.norm = norm
        self.l1_ratio = float(l1_ratio)
        omega = NORMS[norm]
        self._omega = (
            partial(omega, l1_ratio=self.l1_ratio) if norm == "elasticnet" else omega
        )

    def bind(self, module: nn.Module) -> "WeightNormPenalty":
        bound = super().bind(module)
        bound.weights_ = weight_parameters(module)
        return bound

    def __call__(self, hidden=None, weight=None) -> torch.Tensor:
        return self.alpha * self._omega(self.weights_)


class ActivityPenalty(Penalty):
    """``alpha * mean over rows of Omega(hidden activations of the row)``.

    For each row, ``Omega`` is summed over all units of all hidden layers
    (each hidden tensor has rows on its first dimension; its units may span
    several, e.g. feature maps or towers); the rows are then averaged with
    the same sample weights as the data loss, so that zero-weight rows are
    ignored and an integer weight equals repeating the row.

    Parameters
    ----------
    alpha : float
        Strength of the penalty.
    norm : {'l1', 'l2'}, default='l1'
        ``Omega``: L1 norm (sparse activations) or squared L2 norm.
    """

    name = "activity_penalty"
    needs_hidden = True

    def __init__(self, alpha: float, norm: str = "l1"):
        self.alpha = float(alpha)
        self.norm = norm
        self._omega = NORMS[norm]

    def __call__(self, hidden=None, weight=None) -> torch.Tensor:
        if weight is None:  # the mean over rows of per-row sums: total / rows
            return (self.alpha / len(hidden[0])) * self._omega(hidden)
        rows = [h.flatten(1) for h in hidden]  # rows first; units may be n-D
        return self.alpha * weighted_mean(self._omega(rows, dim=1), weight)
