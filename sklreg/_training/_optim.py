"""Registry of solvers: allowed values of ``solver`` and the optimizers they build."""

import torch
from torch import nn

from ..penalties import weight_parameters


def _adam(groups, lr, momentum, fused):
    return torch.optim.Adam(groups, lr=lr, fused=fused)


def _adamw(groups, lr, momentum, fused):
    # decay only where a group sets it (PyTorch's default would decay every
    # parameter, biases included, by 1e-2)
    return torch.optim.AdamW(groups, lr=lr, weight_decay=0.0, fused=fused)


def _sgd(groups, lr, momentum, fused):
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, fused=fused)


#: Maps each allowed value of the ``solver`` hyperparameter to an optimizer factory.
SOLVERS = {"adam": _adam, "adamw": _adamw, "sgd": _sgd}


def build_optimizer(
    solver: str,
    module: nn.Module,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """Build the optimizer of ``solver`` over the trainable parameters of ``module``.

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
    return SOLVERS[solver](groups, lr=lr, momentum=momentum, fused=True)
