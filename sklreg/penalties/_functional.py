"""Norms of lists of tensors, the building blocks of every penalty, and
soft-thresholding, the proximal operator of the L1 norm.

``input_group_norms`` and ``group_soft_threshold_`` are the group lasso on
the inputs of a layer: the L2 norm of each input's weights, and its proximal
operator (block soft-thresholding).

Each norm function takes a sequence of tensors and returns the norm summed over
all of them. With ``dim=None`` the result is a scalar; with ``dim=d`` every
tensor is reduced over dimension ``d`` only (e.g. one value per row of
activations), and the per-tensor results, which must then have equal shapes,
are added.

The pairwise functions take tensors of one shape and return the norm of their
differences summed over every pair: the building block of parameter tying.
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


@torch.no_grad()
def soft_threshold_(
    tensors: Sequence[torch.Tensor],
    thresholds: Sequence[float] | Sequence[torch.Tensor],
) -> None:
    """Soft-threshold ``tensors`` in place: the proximal operator of the L1 norm.

    Every entry ``t`` of ``tensors[i]`` with threshold ``b`` becomes
    ``sign(t) * max(|t| - b, 0)``: it moves towards zero by ``b`` and stops at
    exactly ``0.0`` instead of crossing it. With ``b = alpha * step_size`` this
    is the minimiser of ``alpha * |u| + (u - t)**2 / (2 * step_size)``, the L1
    step of proximal gradient methods.

    Parameters
    ----------
    tensors : sequence of Tensor
        Modified in place.
    thresholds : sequence of float or sequence of Tensor
        One threshold per tensor: a float, or a tensor of the tensor's shape
        holding one threshold per entry (e.g. scaled by the per-entry step
        sizes of Adam). Floats and tensors are not mixed.
    """
    tensors = list(tensors)
    if not tensors:
        return
    if isinstance(thresholds[0], torch.Tensor):
        clipped = torch._foreach_minimum(tensors, thresholds)
        torch._foreach_maximum_(clipped, torch._foreach_neg(thresholds))
    else:
        clipped = torch._foreach_clamp_max(tensors, list(thresholds))
        torch._foreach_clamp_min_(clipped, [-b for b in thresholds])
    # t - clamp(t, -b, b): exactly 0.0 where |t| <= b, else t moved by b
    torch._foreach_sub_(tensors, clipped)


def norm_shares(norm: str, l1_ratio: float = 0.5) -> tuple[float, float]:
    """``(l1_share, l2_share)``: the weights of the L1 norm and of the squared
    L2 norm in ``Omega`` for ``norm`` (``l1_ratio`` and ``1 - l1_ratio`` for
    the elastic net; 1 and 0, or 0 and 1, for the plain norms)."""
    if norm == "elasticnet":
        return float(l1_ratio), 1.0 - l1_ratio
    return (1.0, 0.0) if norm == "l1" else (0.0, 1.0)


def input_group_norms(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """L2 norm of each input's weights: ``||W[..., :, j]||_2`` over all tensors.

    Parameters
    ----------
    tensors : sequence of Tensor of shape (..., units, n_features)
        Weight matrices that read the same inputs (e.g. the first layers of
        several towers); their unit counts may differ. Leading dimensions, if
        any, index independent networks: each has its own groups.

    Returns
    -------
    norms : Tensor of shape (..., n_features)
        For each input ``j``, the L2 norm of every weight that reads it.
    """
    return _reduce([t.square() for t in tensors], dim=-2).sqrt()


#: Newton steps of the preconditioned block soft-thresholding (see
#: :func:`group_soft_threshold_`); each multiplies the number of correct digits.
GROUP_PROX_NEWTON_STEPS = 4


@torch.no_grad()
def group_soft_threshold_(
    tensors: Sequence[torch.Tensor],
    thresholds: Sequence[float] | Sequence[torch.Tensor],
    newton_steps: int = GROUP_PROX_NEWTON_STEPS,
) -> None:
    """Block soft-threshold the inputs' weight groups in place.

    The proximal operator of ``sum_j ||W[:, j]||_2`` (group lasso over the
    inputs, with the groups of :func:`input_group_norms`). With one
    threshold ``b`` for a whole group ``w``, it is block soft-thresholding:
    ``w * max(0, 1 - b / ||w||)``, the minimiser of ``alpha * ||u|| +
    ||u - w||**2 / (2 * step_size)`` for ``b = alpha * step_size``: the
    group shrinks towards zero by ``b`` in norm, and becomes exactly zero
    when its norm is at most ``b``.

    With one threshold per entry ``b_i = alpha * d_i`` (Adam's per-entry
    step sizes ``d_i``), it is the preconditioned (variable-metric)
    proximal step, the minimiser of ``alpha * ||u|| + sum_i (u_i - w_i)**2
    / (2 * d_i)``, whose fixed points after a preconditioned gradient step
    are exactly the minimisers of the penalized objective. The group
    becomes exactly zero when ``||w / b||_2 <= 1``; otherwise
    ``u_i = w_i * r / (r + b_i)``, where ``r = ||u||`` solves
    ``sum_i (w_i / (r + b_i))**2 = 1``. ``r`` is found by ``newton_steps``
    Newton steps on ``1 / ||w / (r + b)||_2 = 1``, a concave increasing
    equation in ``r``, from ``r = max(0, ||w|| - sum_i w_i**2 b_i /
    ||w||**2)`` (the single-threshold answer with the ``w**2``-weighted
    mean threshold, exact when the ``b_i`` of a group are equal), which
    lies below the root: the steps increase ``r`` monotonically towards
    the root, with quadratic convergence. A zero group stays exactly
    zero.

    Parameters
    ----------
    tensors : sequence of Tensor of shape (..., units, n_features)
        Modified in place; input ``j``'s group is every ``[..., :, j]``
        entry of every tensor (leading dimensions index separate groups).
    thresholds : sequence of float or sequence of Tensor
        One threshold per tensor: a float, or a tensor of the tensor's shape
        holding one threshold per entry (all positive).
    newton_steps : int, default=GROUP_PROX_NEWTON_STEPS
        Newton steps for per-entry thresholds.
    """
    tensors = list(tensors)
    if not tensors:
        return
    norms = input_group_norms(tensors).unsqueeze(-2)  # (..., 1, n_features)
    if not isinstance(thresholds[0], torch.Tensor) and len(set(thresholds)) == 1:
        # one threshold for every group: the closed form
        scale = 1.0 - thresholds[0] / norms.clamp_min(torch.finfo(norms.dtype).tiny)
        scale.clamp_(min=0.0)
        torch._foreach_mul_(tensors, [scale] * len(tensors))
        return
    b = [
        b if isinstance(b, torch.Tensor) else torch.full_like(t, b)
        for t, b in zip(tensors, thresholds, strict=True)
    ]
    # the w**2-weighted mean threshold: r + mean_b bounds the power mean
    # M_-2(r + b) = 1 / ||(w / ||w||) / (r + b)|| from above, so that
    # ||w|| - mean_b lies below the root
    squares = [w.square() for w in tensors]
    weighted = _reduce(
        [sq.mul_(bi) for sq, bi in zip(squares, b, strict=True)], dim=-2
    ).unsqueeze(-2)
    tiny = torch.finfo(norms.dtype).tiny
    radius = (norms - weighted / norms.square().clamp_min(tiny)).clamp_(min=0.0)
    for _ in range(newton_steps):
        # phi = sum (w / (r + b))**2; the Newton step on phi**(-1/2) = 1 is
        # phi * (sqrt(phi) - 1) / sum (w**2 / (r + b)**3)
        denominators = [radius + bi for bi in b]
        ratios = [(w / d).square_() for w, d in zip(tensors, denominators, strict=True)]
        phi = _reduce(ratios, dim=-2).unsqueeze(-2)
        torch._foreach_div_(ratios, denominators)
        slope = _reduce(ratios, dim=-2).unsqueeze(-2)
        step = phi * (phi.sqrt() - 1.0) / slope.clamp_min(tiny)
        radius = (radius + step).clamp_(min=0.0)
    # u = w * r / (r + b): exactly 0.0 where r = 0
    torch._foreach_mul_(tensors, [radius / (radius + bi) for bi in b])


#: Maps each allowed value of the ``norm`` hyperparameter to its function.
NORMS = {
    "l1": l1_norm,
    "l2": squared_l2_norm,
    "elasticnet": elastic_net_norm,
}


def pairwise_l1_norm(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """``sum over pairs a < b of sum |t_a - t_b|`` for tensors of one shape.

    Computed without forming the pairs: at each position, with the ``m``
    values sorted, ``sum_{a<b} |x_a - x_b| = sum_k (2k - m + 1) x_(k)``
    (``k`` from 0). Memory and time grow with the number of tensors, not
    with the number of pairs.
    """
    stacked = torch.stack(list(tensors))
    m = len(stacked)
    ordered = stacked.sort(dim=0).values
    rank = torch.arange(m, dtype=stacked.dtype, device=stacked.device)
    coefficient = (2 * rank - (m - 1)).reshape(-1, *([1] * (stacked.ndim - 1)))
    return (coefficient * ordered).sum()


class _PairwiseSquaredL2(torch.autograd.Function):
    """``m * sum_a ||t_a - mean||**2`` with its gradient in one pass.

    The gradient with respect to ``t_a`` is ``2 * m * (t_a - mean)``: the
    mean's own dependence on ``t_a`` drops out, because the deviations sum to
    zero. Computing it directly, from the deviations kept from the forward
    pass, takes a third of the elementwise passes autograd would make
    through ``stack``, ``mean``, ``sub`` and ``square``.
    """

    @staticmethod
    def forward(ctx, *tensors):
        stacked = torch.stack(tensors)
        deviations = stacked - stacked.mean(dim=0)
        flat = deviations.view(-1)
        ctx.save_for_backward(deviations)
        return len(tensors) * torch.dot(flat, flat)

    @staticmethod
    def backward(ctx, grad):
        (deviations,) = ctx.saved_tensors
        return (deviations * (2 * len(deviations) * grad)).unbind(0)


def pairwise_squared_l2_norm(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """``sum over pairs a < b of sum (t_a - t_b)**2`` for tensors of one shape.

    Computed without forming the pairs, as ``m`` times the squared distance
    of the ``m`` tensors to their mean (the deviations are formed
    explicitly, so nearly equal tensors lose no precision), with a
    hand-written gradient, ``2 * m * (t_a - mean)`` for ``t_a``.
    """
    return _PairwiseSquaredL2.apply(*tensors)


#: Maps each allowed value of the ``tie_norm`` hyperparameter to its function.
TIE_NORMS = {
    "l1": pairwise_l1_norm,
    "l2": pairwise_squared_l2_norm,
}
