"""Penalty objects: a pure norm function, its strength, and its targets."""

import copy
from collections.abc import Sequence
from functools import partial, reduce
from operator import add

import torch
from torch import nn

from ..nn import weight_parameters, weighted_mean
from ._functional import (
    NORMS,
    TIE_NORMS,
    group_soft_threshold_,
    input_group_norms,
    l1_norm,
    norm_shares,
    soft_threshold_,
    squared_l2_norm,
)

#: The penalty terms recorded in ``history_`` (each 0.0 when its regularizer is
#: off), in the order they appear there.
PENALTY_TERMS = ("norm_penalty", "tie_penalty", "activity_penalty", "feature_penalty")

#: How the L1 part of a weight penalty is minimised: by a proximal step after
#: each optimizer step, or by differentiating it with the rest of the objective.
L1_METHODS = ("proximal", "subgradient")


def scale_groups(module: nn.Module, tensors) -> list[tuple[float, list]]:
    """``tensors`` grouped by the weight their penalty has in the objective:
    ``[(scale, tensors), ...]`` in order of first appearance.

    A plain network weighs every tensor 1; an ensemble whose objective is
    the mean of its members' (:class:`~sklreg.nn.Ensemble`, ``'batch'``)
    weighs each member's own tensors ``1 / n_members`` and the shared ones 1
    (``module.penalty_scale(tensor)``).
    """
    scale_of = getattr(module, "penalty_scale", None)
    groups: dict[float, list] = {}
    for tensor in tensors:
        scale = 1.0 if scale_of is None else float(scale_of(tensor))
        groups.setdefault(scale, []).append(tensor)
    return list(groups.items())


class Penalty:
    """A term of the training objective, computed once per minibatch.

    Subclasses set ``name`` (the ``history_`` key of the term) and
    ``needs_hidden`` (whether the term needs the hidden activations of the
    minibatch), implement ``__call__`` and, when they apply to parameters,
    extend ``bind`` to resolve them on the bound copy.

    A penalty whose ``proximal`` is true is partly minimised by a proximal
    step: the training engine calls :meth:`prox_` after every optimizer step,
    and ``__call__`` returns that part without a gradient (its value is still
    recorded). A penalty whose ``sparse_weights`` is true drives weights to
    zero; the engine then records the fraction of exactly-zero weights.

    A penalty whose ``grads_parameters`` is true adds to the gradients of
    parameters directly (not through the network's activations). When it is
    the only such penalty and its ``handwritten_grad`` is true, the engine
    may call :meth:`detach_grad` on the bound copy: ``__call__`` then returns
    its value without a gradient, and the engine calls :meth:`add_grad_`
    after each backward pass instead, with the same numbers autograd would
    have added.
    """

    name: str = ""
    needs_hidden: bool = False
    proximal: bool = False
    sparse_weights: bool = False
    grads_parameters: bool = False
    handwritten_grad: bool = False
    detached_: bool = False

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

    def detach_grad(self) -> None:
        """From now on, return values without a gradient: :meth:`add_grad_`
        adds it after the backward pass."""
        self.detached_ = True

    def add_grad_(self) -> None:
        """Add this term's gradient to the parameters' ``grad`` (see
        :meth:`detach_grad`)."""
        raise NotImplementedError

    def prox_(self, step_sizes) -> None:
        """Apply the proximal operator of the non-differentiated part, in place.

        Parameters
        ----------
        step_sizes : callable
            ``step_sizes(tensors, scale)`` returns ``scale`` times the step
            size each tensor took in the optimizer's last update: a float, or
            a tensor with one step size per entry.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k[-1] != "_")
        return f"{type(self).__name__}({args})"


class WeightNormPenalty(Penalty):
    """``alpha * Omega(weights)`` over every weight tensor of the module.

    Weights are the parameters with two or more dimensions
    (:func:`sklreg.nn.weight_parameters`): linear weights and convolution kernels, never
    biases.

    Parameters
    ----------
    alpha : float
        Strength of the penalty.
    norm : {'l2', 'l1', 'elasticnet'}, default='l2'
        ``Omega``: squared L2 norm, L1 norm, or their ``l1_ratio`` mix.
    l1_ratio : float, default=0.5
        Weight of the L1 part for ``norm='elasticnet'``.
    l1_method : {'subgradient', 'proximal'}, default='subgradient'
        ``'subgradient'``: the whole term is differentiated. ``'proximal'``:
        the L1 part, of strength :attr:`l1_alpha`, is not differentiated but
        applied by :meth:`prox_` (soft-thresholding) after each optimizer
        step; the term's value still includes it.
    """

    name = "norm_penalty"
    grads_parameters = True

    def __init__(
        self,
        alpha: float,
        norm: str = "l2",
        l1_ratio: float = 0.5,
        l1_method: str = "subgradient",
    ):
        self.alpha = float(alpha)
        self.norm = norm
        self.l1_ratio = float(l1_ratio)
        self.l1_method = l1_method
        omega = NORMS[norm]
        self._omega = (
            partial(omega, l1_ratio=self.l1_ratio) if norm == "elasticnet" else omega
        )

    @property
    def l1_alpha(self) -> float:
        """Strength of the L1 part: ``alpha`` times its share of ``Omega``
        (:func:`~sklreg.penalties.norm_shares`)."""
        return self.alpha * norm_shares(self.norm, self.l1_ratio)[0]

    @property
    def proximal(self) -> bool:
        return self.l1_method == "proximal" and self.l1_alpha > 0

    @property
    def sparse_weights(self) -> bool:
        return self.l1_alpha > 0

    @property
    def handwritten_grad(self) -> bool:
        """The squared L2 norm's gradient, ``2 * alpha * w``, is one product
        per weight (autograd's is a graph of about five operations per
        weight, a good part of a small network's step)."""
        return self.norm == "l2"

    def bind(self, module: nn.Module) -> "WeightNormPenalty":
        bound = super().bind(module)
        bound.weights_ = weight_parameters(module)
        bound.groups_ = scale_groups(module, bound.weights_)
        bound.scaled_ = any(scale != 1.0 for scale, _ in bound.groups_)
        return bound

    def __call__(self, hidden=None, weight=None) -> torch.Tensor:
        if self.scaled_:
            return reduce(
                add,
                (scale * self._value(weights) for scale, weights in self.groups_),
            )
        return self._value(self.weights_)

    def _value(self, weights) -> torch.Tensor:
        if self.detached_:
            with torch.no_grad():
                return self.alpha * self._omega(weights)
        if not self.proximal:
            return self.alpha * self._omega(weights)
        with torch.no_grad():  # minimised by prox_; recorded, not differentiated
            value = self.l1_alpha * l1_norm(weights)
        l2_share = norm_shares(self.norm, self.l1_ratio)[1]
        if l2_share > 0:
            value = value + (self.alpha * l2_share) * squared_l2_norm(weights)
        return value

    @torch.no_grad()
    def add_grad_(self) -> None:
        """Add ``2 * alpha * w`` to the gradient of each weight ``w``.

        Autograd computes ``alpha * (2 * w)``, one rounding of the same
        product (scaling by 2 is exact), and adds it to the data loss's
        gradient; the sum of two terms does not depend on their order, so
        the gradients are bit for bit those of autograd.
        """
        for scale, weights in self.groups_:
            grads = [w.grad for w in weights]
            factor = 2.0 * self.alpha if scale == 1.0 else 2.0 * self.alpha * scale
            torch._foreach_add_(grads, torch._foreach_mul(weights, factor))

    def prox_(self, step_sizes) -> None:
        """Soft-threshold each weight by ``l1_alpha`` times its step size."""
        for scale, weights in self.groups_:
            alpha = self.l1_alpha if scale == 1.0 else self.l1_alpha * scale
            soft_threshold_(weights, step_sizes(weights, alpha))


class FeatureGroupPenalty(Penalty):
    """``alpha * sum over inputs j of ||W1[:, j]||_2``: group lasso on the inputs.

    ``W1`` is the first layer's weight matrix, as the module lists it in
    ``module.input_weights()`` (see :meth:`sklreg.nn.MLP.input_weights`):
    input ``j``'s group holds every first-layer weight that reads it (every
    tower's first layer, when the tasks share no layer). The penalty is
    minimised by proximal steps only (:meth:`prox_`, block
    soft-thresholding after each optimizer step), so that whole inputs
    reach exactly zero weights: the network then ignores them. ``__call__``
    returns the value without a gradient.

    Parameters
    ----------
    alpha : float
        Strength of the penalty.
    """

    name = "feature_penalty"
    proximal = True
    sparse_weights = True

    def __init__(self, alpha: float):
        self.alpha = float(alpha)

    def bind(self, module: nn.Module) -> "FeatureGroupPenalty":
        bound = super().bind(module)
        bound.weights_ = list(module.input_weights())
        return bound

    def __call__(self, hidden=None, weight=None) -> torch.Tensor:
        with torch.no_grad():  # minimised by prox_; recorded, not differentiated
            return self.alpha * input_group_norms(self.weights_).sum()

    def prox_(self, step_sizes) -> None:
        """Block soft-threshold each input's group by ``alpha`` times its step
        sizes (see :func:`~sklreg.penalties.group_soft_threshold_`)."""
        group_soft_threshold_(self.weights_, step_sizes(self.weights_, self.alpha))


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

    def bind(self, module: nn.Module) -> "ActivityPenalty":
        bound = super().bind(module)
        # an ensemble's members' terms may count with a weight (their mean)
        bound.alpha_ = self.alpha * getattr(module, "term_weight", 1.0)
        return bound

    def __call__(self, hidden=None, weight=None) -> torch.Tensor:
        alpha = getattr(self, "alpha_", self.alpha)
        if weight is None:  # the mean over rows of per-row sums: total / rows
            return (alpha / len(hidden[0])) * self._omega(hidden)
        if weight.ndim == 2:  # one column of weights per ensemble member,
            # whose units come first in each row: (n, n_members, ...)
            rows = [h.flatten(2) for h in hidden]
            values = self._omega(rows, dim=2)  # (n, n_members)
            means = (values * weight).sum(0) / weight.sum(0).clamp_min(
                torch.finfo(weight.dtype).tiny
            )
            return alpha * means.sum()
        rows = [h.flatten(1) for h in hidden]  # rows first; units may be n-D
        return alpha * weighted_mean(self._omega(rows, dim=1), weight)


class TiePenalty(Penalty):
    """``alpha * sum over groups, sum over pairs a < b of Omega(w_a - w_b)``.

    Pulls the parameters of each group towards each other (soft parameter
    sharing): a large ``alpha`` makes them nearly equal, ``alpha = 0`` leaves
    them independent.

    Parameters
    ----------
    alpha : float
        Strength of the penalty.
    groups : sequence of sequence of str
        Groups of parameter names (as in ``module.named_parameters()``); the
        parameters of a group must have one shape.
    norm : {'l2', 'l1'}, default='l2'
        ``Omega``: squared L2 norm or L1 norm of each difference.
    """

    name = "tie_penalty"
    grads_parameters = True

    def __init__(self, alpha: float, groups: Sequence[Sequence[str]], norm: str = "l2"):
        self.alpha = float(alpha)
        self.groups = tuple(tuple(group) for group in groups)
        self.norm = norm
        self._omega = TIE_NORMS[norm]

    def bind(self, module: nn.Module) -> "TiePenalty":
        bound = super().bind(module)
        params = dict(module.named_parameters())
        unknown = [n for group in self.groups for n in group if n not in params]
        if unknown:
            raise ValueError(f"The module has no parameter named {unknown[0]!r}.")
        bound.groups_ = [[params[name] for name in group] for group in self.groups]
        scale_of = getattr(module, "penalty_scale", None)
        bound.scales_ = [
            1.0 if scale_of is None else float(scale_of(group[0]))
            for group in bound.groups_
        ]
        return bound

    def __call__(self, hidden=None, weight=None) -> torch.Tensor:
        if any(scale != 1.0 for scale in self.scales_):
            values = (
                scale * self._omega(group)
                for scale, group in zip(self.scales_, self.groups_, strict=True)
            )
            return self.alpha * reduce(add, values)
        return self.alpha * reduce(add, map(self._omega, self.groups_))
