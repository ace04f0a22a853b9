"""What the training engine relies on in a network: the :class:`Network` contract.

Every network an estimator trains (:class:`~sklreg.nn.MLP`,
:class:`~sklreg.nn.MultiTaskMLP`, :class:`~sklreg.nn.ConvNet`) derives from
:class:`Network`. The engine, the penalties and the prediction path use
nothing of a network beyond what this class declares; the parts every
network shares (the dropout accessors, the Glorot reset) are written here
once. Which parameters are *weights* (penalized, constrained, decayed) is
decided here too: :func:`weight_parameters`.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from ._dropout import Dropout
from ._init import glorot_uniform_
from ._locally_connected import LocallyConnected


def weight_parameters(module: nn.Module) -> list[nn.Parameter]:
    """The weights of ``module``: its trainable parameters with two or more
    dimensions (linear weights, convolution kernels), never biases.

    Norm penalties, max-norm constraints, decoupled weight decay and the
    reported sparsity apply to these tensors, in the order of
    ``module.parameters()``. A :class:`Network` says which are its weights
    (:meth:`Network.weights`): an ensemble's stacked biases have two
    dimensions, yet are biases.
    """
    if isinstance(module, Network):
        return module.weights()
    return _weights(module)


def _weights(module: nn.Module) -> list[nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad and p.ndim >= 2]


def layer_fans(layer: nn.Module) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of one unit of ``layer``, from its weight's shape.

    A linear weight ``(out, in)`` gives ``(in, out)``; a kernel ``(units,
    in_channels, *window)`` of a convolution or a locally connected layer
    gives the fans of its receptive field, ``in_channels * prod(window)`` and
    ``out_channels * prod(window)`` (as in Keras and PyTorch's
    ``_calculate_fan_in_and_fan_out``).
    """
    shape = layer.weight.shape
    if len(shape) == 2:
        return int(shape[1]), int(shape[0])
    receptive_field = 1
    for size in shape[2:]:
        receptive_field *= int(size)
    return int(shape[1]) * receptive_field, int(layer.out_channels) * receptive_field


#: Layers whose weight and bias :func:`glorot_reset_` draws.
_GLOROT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, LocallyConnected)


@torch.no_grad()
def glorot_reset_(
    modules: Iterable[nn.Module],
    activation: str,
    generator: torch.Generator | None = None,
) -> None:
    """Draw the weight, then the bias, of every layer in ``modules``, in order,
    from the Glorot uniform distribution with the fans of :func:`layer_fans`
    (see :func:`~sklreg.nn.glorot_uniform_`). Other modules are skipped."""
    for layer in modules:
        if isinstance(layer, _GLOROT_LAYERS):
            fan_in, fan_out = layer_fans(layer)
            for tensor in (layer.weight, layer.bias):
                glorot_uniform_(tensor, fan_in, fan_out, activation, generator)


class Network(nn.Module, metaclass=ABCMeta):
    """A network the training engine can train: the contract, and what every
    network shares.

    A subclass provides:

    * ``forward(X, return_hidden=False)``: the output logits of the rows of
      ``X`` (which may carry extra leading dimensions, one per thinned
      network in Monte-Carlo prediction) and, when ``return_hidden`` is
      true, also the list of hidden activations (after the nonlinearity),
      which activity penalties read;
    * ``activation`` (the name of its nonlinearity) and ``width``, the
      largest number of values one row has at any layer (prediction sizes
      its chunks by it);
    * ``input_drop``, the :class:`~sklreg.nn.Dropout` of its input, and
      :meth:`hidden_dropouts`, the one after each hidden layer;
    * :meth:`output_layers`, the layers that compute the output logits;
    * :meth:`tower_weight_groups`, when it has one tower per task;
    * :meth:`input_weights`, when its first layer is dense (the feature
      penalty's groups).

    In return it gets the dropout accessors (:attr:`dropout`,
    :attr:`input_dropout`, :meth:`set_dropout`) and the initial weights
    (:meth:`reset_parameters`).
    """

    activation: str
    width: int
    input_drop: Dropout

    @abstractmethod
    def forward(self, X: torch.Tensor, return_hidden: bool = False):
        """Output logits, and the hidden activations when ``return_hidden``."""

    @abstractmethod
    def hidden_dropouts(self) -> Sequence[Dropout]:
        """The dropout layer after each hidden layer, in order."""

    def weights(self) -> list[nn.Parameter]:
        """The weights (see :func:`weight_parameters`): the trainable
        parameters with two or more dimensions."""
        return _weights(self)

    def unit_weights(self) -> list[torch.Tensor]:
        """Each weight as a tensor whose first dimension indexes units (what
        the max-norm constraint bounds, unit by unit): the weights
        themselves."""
        return self.weights()

    @abstractmethod
    def output_layers(self) -> Sequence[nn.Module]:
        """The layers that compute the output logits (one head per task
        with towers)."""

    def tower_weight_groups(self) -> list[list[str]] | None:
        """Names of corresponding tower weights, one group per tower layer
        (what ``tie_groups='tasks'`` ties); None when the network has no
        towers."""
        return None

    def input_weights(self) -> list[nn.Parameter]:
        """The weight matrices ``(units, n_features)`` that read the inputs,
        whose columns are the inputs' groups in the feature penalty
        (:class:`~sklreg.penalties.FeatureGroupPenalty`)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no dense layer that reads the inputs"
        )

    @property
    def dropout(self) -> tuple[float, ...]:
        """Dropout rate after each hidden layer."""
        return tuple(layer.rate for layer in self.hidden_dropouts())

    @property
    def input_dropout(self) -> float:
        """Dropout rate of the input."""
        return self.input_drop.rate

    def set_dropout(self, dropout: Sequence[float] = (), input_dropout: float = 0.0):
        """Set the dropout rates (one per hidden layer, or none) and the input's."""
        layers = self.hidden_dropouts()
        rates = tuple(float(rate) for rate in dropout) or (0.0,) * len(layers)
        if len(rates) != len(layers):
            raise ValueError(
                f"dropout has {len(rates)} rates for {len(layers)} hidden layers"
            )
        for layer, rate in zip(layers, rates, strict=True):
            layer.rate = rate
        self.input_drop.rate = float(input_dropout)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every weight and bias from the Glorot uniform distribution
        (:func:`glorot_reset_`), layer after layer in the order of
        ``named_parameters()``, each weight before its bias."""
        glorot_reset_(self.modules(), self.activation, generator)
