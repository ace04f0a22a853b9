"""One member of a fitted ensemble as an estimator of its own (``member(i)``)."""

from __future__ import annotations

import copy
import dataclasses
import operator

import torch

from .nn import Ensemble


def member_estimator(estimator, i):
    """A fitted copy of ``estimator`` with ``n_members=1`` that computes
    member ``i`` of its ensemble alone (see ``BaseRegularizedNet.member``)."""
    module = estimator.module_  # raises NotFittedError before fit
    n_members = module.n_members if isinstance(module, Ensemble) else 1
    try:
        index = operator.index(i)
    except TypeError:
        raise TypeError(
            f"member() takes an integer index; got {type(i).__name__} {i!r}."
        ) from None
    if not -n_members <= index < n_members:
        raise IndexError(
            f"member index {i} is out of range for an ensemble of "
            f"{n_members} member{'s' * (n_members != 1)} (n_members="
            f"{n_members}): use 0 to {n_members - 1}."
        )
    if n_members == 1:
        return copy.deepcopy(estimator)
    index %= n_members
    member = copy.copy(estimator)
    # every fitted attribute copied, except the ensemble's engine
    member.__dict__ = copy.deepcopy(
        {key: value for key, value in estimator.__dict__.items() if key != "net_"}
    )
    member.set_params(n_members=1, member_sharing="none")
    architecture = dataclasses.replace(
        estimator._fitted_architecture, n_members=1, member_sharing="none"
    )
    member._fitted_architecture = architecture
    param = next(module.parameters())
    plain = estimator._build_module(
        estimator.n_features_in_,
        estimator._n_output_units,
        architecture,
        param.dtype,
        torch.Generator(),
    )
    plain.load_state_dict(module.member_state_dict(index))
    plain.to(param.device)
    plain.train(module.training)
    net = copy.copy(estimator.net_)
    net.module = net.module_ = plain
    net.criterion = net.criterion_ = estimator.net_.criterion_.data_loss
    net.history_ = copy.deepcopy(estimator.net_.history_)
    net.initialize_optimizer()  # the member's own (fresh) optimizer state
    member.net_ = net
    named = list(plain.named_parameters())
    member.parameter_names_ = [name for name, _ in named]
    member.n_parameters_ = sum(p.numel() for _, p in named if p.requires_grad)
    return member
