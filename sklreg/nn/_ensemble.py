"""Ensembles in one network: ``k`` members of one architecture, trained together.

An :class:`Ensemble` holds the parameters of ``k`` networks of one
architecture stacked on a leading *member* dimension, and evaluates all of
them in one batched forward pass (:func:`torch.func.vmap` over the members
of the network's own ``forward``): every layer is one batched product for
all members, never a Python loop over them. Parameter names are those of
the single network, so that penalties, tie groups and ``parameter_names_``
read the same; each tensor has ``k`` in front.

Two ways to hold the members:

* ``sharing='none'``: independent members, each with all its parameters (a
  deep ensemble);
* ``sharing='batch'``: one weight tensor per hidden layer shared by every
  member, and per member the rank-one factors ``r``, ``s`` and the bias of
  :mod:`sklreg.nn._rank_one` (BatchEnsemble), and its own output layer (as
  TabM has).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call, vmap

from ._dropout import Dropout
from ._mlp import MLP
from ._network import Network
from ._rank_one import (
    RANK_ONE,
    MemberLinear,
    effective_weight,
    layer_factor_sizes,
    make_rank_one_,
)

#: Allowed values of ``sharing``.
MEMBER_SHARING = ("none", "batch")


def _random_signs(size: int, dtype, generator) -> torch.Tensor:
    """``size`` values of +1 or -1, each with probability 1/2."""
    bits = torch.randint(0, 2, (size,), generator=generator)
    return (2.0 * bits - 1.0).to(dtype)


class Ensemble(Network):
    """``k`` networks of one architecture, evaluated together.

    Parameters
    ----------
    members : sequence of Network
        The members, freshly built with their initial weights, all of one
        architecture (at least two). The first becomes the ensemble's
        template: its layers are kept (with the stacked parameters in place
        of its own); the others give their initial parameters.
    sharing : {'none', 'batch'}, default='none'
        ``'none'``: each member keeps all its parameters. ``'batch'``:
        every weight (a parameter with two or more dimensions) but those of
        the output layers is the first member's, shared by all; each
        member has its own biases, its own output layers and rank-one
        factors ``r`` (input units or channels) and ``s`` (output units or
        channels) in every shared layer. As TabM initializes them: the
        input factors of the layers that read the inputs are random signs
        drawn from ``generators``, the other factors ones, and the biases
        of the shared layers start equal (the first member's).
    generators : sequence of torch.Generator, default=None
        One per member: the source of its random signs (``'batch'``).

    Attributes
    ----------
    n_members : int
    sharing : str
    width : int
        ``n_members`` times a member's width (bounds the memory of
        Monte-Carlo prediction).

    Notes
    -----
    ``forward`` returns ``(n_members, ..., n_samples, n_outputs)``: one
    output per member, on a leading dimension. The hidden activations of
    ``forward(X, return_hidden=True)`` have rows first and the members as
    their first unit dimension, ``(n_samples, n_members, ...)``, so that a
    penalty that sums over units sums over the members too.

    The objective of a training step is the sum over the members of each
    member's objective with ``'none'`` (every member trains as if alone);
    with ``'batch'`` it is their mean (the shared weights train on one
    network's objective: the members' mean loss, and their penalty once).
    :attr:`term_weight` is the weight of each member's terms (1 or ``1 /
    n_members``; :meth:`penalty_scale` for each tensor's penalty) and
    :attr:`history_scale` turns a recorded term into what one member pays.
    """

    def __init__(
        self,
        members: Sequence[Network],
        sharing: str = "none",
        generators: Sequence[torch.Generator] | None = None,
    ):
        super().__init__()
        if sharing not in MEMBER_SHARING:
            raise ValueError(
                f"sharing must be one of {MEMBER_SHARING}; got {sharing!r}"
            )
        members = list(members)
        if len(members) < 2:
            raise ValueError(f"An ensemble has two or more members; got {len(members)}")
        template = members[0]
        self.n_members = len(members)
        self.sharing = sharing
        self.activation = template.activation
        self.width = self.n_members * template.width
        params = [dict(m.named_parameters()) for m in members]
        weights = {id(w) for w in template.weights()}
        self._weight_names = frozenset(
            name for name, p in params[0].items() if id(p) in weights
        )
        shared = frozenset()
        if sharing == "batch":  # every weight but the output heads'
            heads = {id(layer.weight) for layer in template.output_layers()}
            shared = frozenset(
                name
                for name, p in params[0].items()
                if id(p) in weights and id(p) not in heads
            )
        # the template's layers become the ensemble's: one set of modules,
        # holding the stacked parameters
        object.__setattr__(self, "_template", template)
        for name, child in template.named_children():
            self.add_module(name, child)
        with torch.no_grad():
            for name in params[0]:
                if name in shared:
                    continue
                stacked = torch.stack([p[name].detach() for p in params])
                _set_parameter(template, name, nn.Parameter(stacked))
            if sharing == "batch":
                self._add_factors(template, shared, generators)
        self._shared = shared
        self.input_drop = template.input_drop
        # a fully connected network runs its members natively, each dense
        # layer one batched product (torch.func.vmap serves the others, and
        # Monte-Carlo prediction)
        self._native = type(template) is MLP
        if self._native:
            for layer in template.modules():
                if type(layer) is nn.Linear:
                    layer.__class__ = MemberLinear

    def _add_factors(self, template, shared, generators):
        """Make every layer of the template whose weight is ``shared`` a
        rank-one layer (``'batch'``), initialized as TabM initializes
        BatchEnsemble: random signs for the input factors of the layers
        that read the inputs, ones for every other factor, and one bias for
        all members (the first member's)."""
        if generators is None:
            raise ValueError("sharing='batch' needs one generator per member")
        try:
            first = {id(w) for w in template.input_weights()}
        except NotImplementedError:  # no dense first layer: the first layer
            first = {id(next(iter(template.weights())))}
        k = len(generators)
        for name, layer in template.named_modules():
            if type(layer) not in RANK_ONE or f"{name}.weight" not in shared:
                continue
            n_in, n_out = layer_factor_sizes(layer)
            dtype = layer.weight.dtype
            if id(layer.weight) in first:
                r = torch.stack([_random_signs(n_in, dtype, g) for g in generators])
            else:
                r = torch.ones(k, n_in, dtype=dtype)
            layer.bias.copy_(layer.bias[:1].clone().expand_as(layer.bias))
            make_rank_one_(layer, r, torch.ones(k, n_out, dtype=dtype))

    # -- what the engine reads ---------------------------------------------------
    @property
    def template(self) -> Network:
        """The network whose ``forward`` every member runs."""
        return self._template

    @property
    def term_weight(self) -> float:
        """Weight of each member's data and activity terms in the objective."""
        return 1.0 if self.sharing == "none" else 1.0 / self.n_members

    @property
    def history_scale(self) -> float:
        """Factor from a training term to what one member pays (the mean
        over the members)."""
        return 1.0 / (self.n_members * self.term_weight)

    def penalty_scale(self, param: torch.Tensor) -> float:
        """Weight of ``param``'s penalty in the objective: 1 for a shared
        tensor, :attr:`term_weight` for the members' own (stacked) ones, so
        that every member pays its penalty with the weight its data term
        has."""
        for name in self._shared:
            if self.get_parameter(name) is param:
                return 1.0
        return self.term_weight

    def weights(self) -> list[nn.Parameter]:
        """The weights: the template's weights, stacked (``'none'``) or
        shared (``'batch'``); never biases or rank-one factors."""
        return [p for n, p in self.named_parameters() if n in self._weight_names]

    def unit_weights(self) -> list[torch.Tensor]:
        """Each weight as a view whose first dimension indexes units: the
        members' units one after the other for a stacked weight."""
        return [
            p if n in self._shared else p.flatten(0, 1)
            for n, p in self.named_parameters()
            if n in self._weight_names
        ]

    def hidden_dropouts(self) -> Sequence[Dropout]:
        return self._template.hidden_dropouts()

    def output_layers(self) -> Sequence[nn.Module]:
        return self._template.output_layers()

    def tower_weight_groups(self) -> list[list[str]] | None:
        return self._template.tower_weight_groups()

    def input_weights(self) -> list[nn.Parameter]:
        """The template's input weights: ``(n_members, units, n_features)``
        each (``'none'``), or the shared ``(units, n_features)``."""
        return self._template.input_weights()

    def _apply(self, fn, recurse=True):
        # the template holds buffers of its own (not in the shared children)
        self._template._apply(fn, recurse)
        return self

    # -- the members ---------------------------------------------------------------
    def stacked_state(self) -> dict[str, torch.Tensor]:
        """Every member's parameters as plain networks hold them, stacked:
        ``{name: (n_members, ...)}`` under the plain network's names (with
        ``'batch'``, the effective weights ``W * outer(s_i, r_i)``; the
        factors themselves are not listed)."""
        state = {}
        for module_name, module in self._template.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, param in module.named_parameters(recurse=False):
                if name in ("r", "s"):
                    continue
                if prefix + name in self._shared:
                    param = effective_weight(param, module.r, module.s, module)
                state[prefix + name] = param
        return state

    def member_state_dict(self, i: int) -> dict[str, torch.Tensor]:
        """The parameters of member ``i`` as one plain network holds them (a
        copy; see :meth:`stacked_state`)."""
        with torch.no_grad():
            return {
                name: value[i].clone() for name, value in self.stacked_state().items()
            }

    # -- forward -------------------------------------------------------------------
    def forward(self, X: torch.Tensor, return_hidden: bool = False):
        """Every member's output logits (and hidden activations).

        Parameters
        ----------
        X : Tensor of shape (n_samples, n_features)
        return_hidden : bool, default=False

        Returns
        -------
        output : Tensor of shape (n_members, ..., n_samples, n_outputs)
            Member after member; a Monte-Carlo block adds one dimension per
            member's thinned networks after the first.
        hidden : list of Tensor of shape (n_samples, n_members, ...)
            Only when ``return_hidden`` is true.
        """
        template = self._template
        named = dict(self.named_parameters())
        shared = {name: named.pop(name) for name in self._shared}
        layers = [
            layer
            for layer in template.modules()
            if isinstance(layer, Dropout) and layer.rate and layer._mc is not None
        ]
        if self._native and not layers:
            # every member draws its own input dropout masks: its own view
            if template.input_drop.rate:
                X = X.expand(self.n_members, *X.shape)
            out = template(X, return_hidden=return_hidden)
            if not return_hidden:
                return out
            output, hidden = out
            return output, [h.movedim(0, 1) for h in hidden]
        if layers and layers[0]._mc_mask is None:
            self._draw_mc_masks(layers, named, shared, X)
        masks = [layer._mc_mask for layer in layers]
        # with input dropout every member draws its own masks: its own view
        # of the rows; otherwise all members read the same rows (a dense
        # first layer is then one product for all members)
        shared_input = not template.input_drop.rate
        inputs = X if shared_input else X.expand(self.n_members, *X.shape)

        def member(params, masks, x):
            for layer, mask in zip(layers, masks, strict=True):
                layer._mc_mask = mask
            try:
                kwargs = {"return_hidden": True} if return_hidden else {}
                return functional_call(template, {**params, **shared}, (x,), kwargs)
            finally:
                for layer in layers:
                    layer._mc_mask = None

        try:
            in_dims = (0, 0, None if shared_input else 0)
            out = vmap(member, in_dims=in_dims, randomness="different")(
                named, masks, inputs
            )
        finally:
            for layer, mask in zip(layers, masks, strict=True):
                layer._mc_mask = mask
        if not return_hidden:
            return out
        output, hidden = out
        return output, [h.movedim(0, 1) for h in hidden]

    def _draw_mc_masks(self, layers, named, shared, X):
        """Draw every member's Monte-Carlo masks, once per prediction block.

        One pass of the first member on one row, with each layer asked for
        ``n_members * n_samples`` masks, draws them in the layers' order from
        the block's generator; member ``i`` then uses the ``i``-th run of
        ``n_samples`` masks of every layer.
        """
        n_samples, generator = layers[0]._mc
        for layer in layers:
            layer._mc = (self.n_members * n_samples, generator)
        try:
            first = {name: p[0] for name, p in named.items()}
            with torch.no_grad():
                functional_call(self._template, {**first, **shared}, (X[:1],))
        finally:
            for layer in layers:
                layer._mc = (n_samples, generator)
                layer._mc_mask = layer._mc_mask.unflatten(
                    0, (self.n_members, n_samples)
                )

    def extra_repr(self) -> str:
        return f"n_members={self.n_members}, sharing={self.sharing!r}"


def _set_parameter(module: nn.Module, name: str, param: nn.Parameter) -> None:
    """Replace the parameter ``name`` (dotted) of ``module``."""
    owner_name, _, attr = name.rpartition(".")
    owner = module.get_submodule(owner_name) if owner_name else module
    setattr(owner, attr, param)
