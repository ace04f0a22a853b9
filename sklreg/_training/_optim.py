"""Registry of solvers: allowed values of ``solver``, the optimizers they build,
and the step size each optimizer's last update took (for proximal steps)."""

import inspect
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import torch
from torch import nn
from torch.optim.adam import adam
from torch.optim.sgd import sgd

from ..nn import weight_parameters

#: Whether PyTorch's functional updates take every argument the direct
#: optimizers below pass (``decoupled_weight_decay`` came with torch 2.6);
#: with an older torch its optimizer classes are used as they are.
_DIRECT = {"decoupled_weight_decay", "fused"} <= set(
    inspect.signature(adam).parameters
) and "fused" in inspect.signature(sgd).parameters


class _DirectOptimizer:
    """An optimizer of PyTorch's, built and stepped without ``torch._dynamo``.

    PyTorch's optimizers import ``torch._dynamo`` (about two seconds, once
    per process) the first time a parameter group is added and the first
    time ``step`` runs, to mark those methods as not compilable. sklreg
    never compiles them: these subclasses fill their parameter groups as
    unpickling does (``__setstate__``) and step through PyTorch's public
    functional update (``torch.optim.adam.adam``, ``torch.optim.sgd.sgd``)
    with the fused kernel, exactly as the parent's ``step`` does for the
    options sklreg uses. Everything else (state, ``state_dict``, hooks,
    pickling) is the parent's.
    """

    def __init__(self, params, defaults):
        groups = list(params)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        param_groups = []
        for group in groups:
            group = {**group, "params": list(group["params"])}
            for key, value in defaults.items():
                group.setdefault(key, value)
            param_groups.append(group)
        self.__setstate__(
            {
                "defaults": defaults,
                "state": defaultdict(dict),
                "param_groups": param_groups,
            }
        )
        self._step_supports_amp_scaling = True  # as the parent's fused option
        self._warned_capturable_if_run_uncaptured = True

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update(group)
        return loss

    def _update(self, group: dict) -> None:
        """One step of the parameters of ``group`` that have a gradient."""
        raise NotImplementedError


class _FusedAdamStep(_DirectOptimizer):
    """Construction and update of :class:`FusedAdam` and :class:`FusedAdamW`."""

    def __init__(self, params, lr, betas, eps, decoupled_weight_decay):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": 0,
            "amsgrad": False,
            "maximize": False,
            "foreach": None,
            "capturable": False,
            "differentiable": False,
            "fused": True,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:  # as Adam._init_group initializes a fused state
                state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                state["exp_avg"] = torch.zeros_like(
                    p, memory_format=torch.preserve_format
                )
                state["exp_avg_sq"] = torch.zeros_like(
                    p, memory_format=torch.preserve_format
                )
            params.append(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        beta1, beta2 = group["betas"]
        adam(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            amsgrad=False,
            has_complex=False,
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
            foreach=None,
            capturable=False,
            differentiable=False,
            fused=True,
            grad_scale=None,
            found_inf=None,
            decoupled_weight_decay=group["decoupled_weight_decay"],
        )


class FusedAdam(_FusedAdamStep, torch.optim.Adam):
    """``torch.optim.Adam(fused=True)`` without ``torch._dynamo``."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr, betas, eps, decoupled_weight_decay=False)


class FusedAdamW(_FusedAdamStep, torch.optim.AdamW):
    """``torch.optim.AdamW(fused=True, weight_decay=0)`` (decay where a group
    sets it) without ``torch._dynamo``."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr, betas, eps, decoupled_weight_decay=True)


class FusedSGD(_DirectOptimizer, torch.optim.SGD):
    """``torch.optim.SGD(fused=True)`` without ``torch._dynamo``."""

    def __init__(self, params, lr, momentum, nesterov=False):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": 0,
            "weight_decay": 0,
            "nesterov": nesterov,
            "maximize": False,
            "foreach": None,
            "differentiable": False,
            "fused": True,
        }
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        momentum = group["momentum"]
        params, grads, buffers = [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            grads.append(p.grad)
            if momentum != 0:
                buffers.append(self.state[p].get("momentum_buffer"))
        sgd(
            params,
            grads,
            buffers,
            weight_decay=group["weight_decay"],
            momentum=momentum,
            lr=group["lr"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            maximize=False,
            has_sparse_grad=False,
            foreach=None,
            fused=True,
            grad_scale=None,
            found_inf=None,
        )
        if momentum != 0:
            for p, buffer in zip(params, buffers, strict=True):
                self.state[p]["momentum_buffer"] = buffer


def _adam(groups, *, lr, betas, eps, **unused):
    if not _DIRECT:
        return torch.optim.Adam(groups, lr=lr, betas=betas, eps=eps, fused=True)
    return FusedAdam(groups, lr=lr, betas=betas, eps=eps)


def _adamw(groups, *, lr, betas, eps, **unused):
    # decay only where a group sets it (PyTorch's default would decay every
    # parameter, biases included, by 1e-2)
    if not _DIRECT:
        return torch.optim.AdamW(
            groups, lr=lr, betas=betas, eps=eps, weight_decay=0.0, fused=True
        )
    return FusedAdamW(groups, lr=lr, betas=betas, eps=eps)


def _sgd(groups, *, lr, momentum, nesterov, **unused):
    # Nesterov's momentum needs some momentum (PyTorch refuses it at 0)
    nesterov = nesterov and momentum > 0
    if not _DIRECT:
        return torch.optim.SGD(
            groups, lr=lr, momentum=momentum, nesterov=nesterov, fused=True
        )
    return FusedSGD(groups, lr=lr, momentum=momentum, nesterov=nesterov)


def _by_group(
    optimizer: torch.optim.Optimizer, params: Sequence[torch.Tensor]
) -> Iterator[tuple[dict, list[int]]]:
    """``(group, positions in params)`` for each parameter group holding some of
    ``params``."""
    position = {id(p): i for i, p in enumerate(params)}
    for group in optimizer.param_groups:
        held = [position[id(p)] for p in group["params"] if id(p) in position]
        if held:
            yield group, held


def _sgd_step_sizes(optimizer, params, scale) -> list[float]:
    """``scale * lr / (1 - momentum)`` for each parameter (``lr`` without momentum).

    PyTorch's heavy-ball step is ``lr * b`` with ``b <- momentum * b + g``:
    ``lr / (1 - momentum)`` times ``(1 - momentum) * b``, an exponential
    moving average of the gradients. That is the step size along the
    averaged gradient, and the one a proximal step must use for its fixed
    points to be the minimisers of the penalized objective. Nesterov's
    momentum steps by ``lr * (g + momentum * b)``, which at a fixed point
    (``b = g / (1 - momentum)``) is the same ``lr / (1 - momentum)`` times
    ``g``, so the same step size applies. (Assumes no dampening, as ``_sgd``
    builds it.)
    """
    sizes = [0.0] * len(params)
    for group, held in _by_group(optimizer, params):
        size = scale * group["lr"] / (1.0 - group["momentum"])
        for i in held:
            sizes[i] = size
    return sizes


def _adam_step_sizes(optimizer, params, scale) -> list[torch.Tensor]:
    """``scale * lr / (sqrt(v_hat) + eps)`` entry by entry: Adam's step sizes.

    ``v_hat = exp_avg_sq / (1 - beta2**step)`` is the bias-corrected second
    moment, exactly as the update used it (the same for AdamW, whose
    decoupled decay is a separate shrinkage); Adam moves each entry by its
    step size times the bias-corrected first moment. Four fused calls per
    parameter group; the step count is read on the host only when it lives
    there, so a GPU never synchronises.
    """
    sizes = [None] * len(params)
    for group, held in _by_group(optimizer, params):
        states = [optimizer.state[params[i]] for i in held]
        key = "max_exp_avg_sq" if group["amsgrad"] else "exp_avg_sq"
        second = [state[key] for state in states]
        beta2, step = group["betas"][1], states[0]["step"]
        if step.device.type == "cpu":
            root = math.sqrt(1.0 - beta2 ** step.item())
        else:
            root = (1.0 - beta2**step).sqrt().to(second[0])
        # with root = sqrt(1 - beta2**step):
        # lr / (sqrt(v / root**2) + eps) = lr * root / (sqrt(v) + eps * root)
        group_sizes = torch._foreach_sqrt(second)
        torch._foreach_add_(group_sizes, group["eps"] * root)
        torch._foreach_reciprocal_(group_sizes)
        torch._foreach_mul_(group_sizes, scale * group["lr"] * root)
        for i, size in zip(held, group_sizes, strict=True):
            sizes[i] = size
    return sizes


class Solver(NamedTuple):
    """A value of ``solver``: how to build its optimizer, and how to read the
    step size each parameter took in the optimizer's last update."""

    build: Callable[..., torch.optim.Optimizer]
    step_sizes: Callable[[torch.optim.Optimizer, Sequence[torch.Tensor], float], list]


#: Maps each allowed value of the ``solver`` hyperparameter to its :class:`Solver`.
SOLVERS = {
    "adam": Solver(_adam, _adam_step_sizes),
    "adamw": Solver(_adamw, _adam_step_sizes),
    "sgd": Solver(_sgd, _sgd_step_sizes),
}


def build_optimizer(
    solver: str,
    module: nn.Module,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    *,
    nesterov: bool = False,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> torch.optim.Optimizer:
    """Build the optimizer of ``solver`` over the trainable parameters of ``module``.

    ``momentum`` and ``nesterov`` configure ``sgd``; ``betas`` and ``eps``
    ``adam`` and ``adamw``.

    ``weight_decay`` (the decoupled decay of ``adamw``) applies to the weights
    only: biases then form a second parameter group without decay. Without
    decay all parameters form one group, and each step is one call of
    PyTorch's fused kernel (per-group overhead dominates small networks).
    """
    params = [p for p in module.parameters() if p.requires_grad]
    groups = params
    if weight_decay:
        weights = weight_parameters(module)
        weight_ids = {id(p) for p in weights}
        biases = [p for p in params if id(p) not in weight_ids]
        groups = [{"params": weights, "weight_decay": weight_decay}]
        if biases:
            groups.append({"params": biases, "weight_decay": 0.0})
    return SOLVERS[solver].build(
        groups, lr=lr, momentum=momentum, nesterov=nesterov, betas=betas, eps=eps
    )


def step_sizes(
    solver: str,
    optimizer: torch.optim.Optimizer,
    params: Sequence[torch.Tensor],
    scale: float = 1.0,
) -> list:
    """``scale`` times the step size each of ``params`` took in the last update
    of ``optimizer`` (built for ``solver``).

    The step size of an entry is how far the update moved it per unit of its
    (momentum-averaged, bias-corrected) gradient: a float per parameter for
    ``sgd``, a tensor with one value per entry for ``adam`` and ``adamw``.
    """
    return SOLVERS[solver].step_sizes(optimizer, params, scale)
