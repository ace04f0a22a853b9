"""Multi-layer perceptron whose forward pass can expose its hidden activations."""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import skip_init

from ._activations import ACTIVATIONS


class MLP(nn.Module):
    """Fully connected network: ``input -> hidden layers -> linear output``.

    Parameters are named ``hidden.{i}.weight``, ``hidden.{i}.bias`` (``i`` counts
    hidden layers from 0) and ``output.weight``, ``output.bias``.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    n_outputs : int
        Width of the (linear) output layer.
    activation : {'relu', 'tanh', 'logistic', 'gelu', 'identity'}, default='relu'
        Nonlinearity after each hidden layer.
    dropout : sequence of float, default=()
        Dropout rate after each hidden layer (empty: no dropout).
    input_dropout : float, default=0.0
        Dropout rate on the input features.
    dtype : torch.dtype, default=torch.float32
        Floating dtype of the parameters.
    generator : torch.Generator, default=None
        Source of randomness for the initial weights (the global generator is
        neither used nor advanced).

    Notes
    -----
    Weights and biases start from the Glorot uniform distribution that
    scikit-learn's ``MLPClassifier`` uses: ``U(-b, b)`` with
    ``b = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` for ``logistic``).
    Dropout is inverted dropout: kept units are scaled by ``1 / (1 - rate)``
    during training, so evaluation needs no rescaling.
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        n_outputs: int,
        activation: str = "relu",
        dropout: Sequence[float] = (),
        input_dropout: float = 0.0,
        dtype: torch.dtype = torch.float32,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        sizes = [int(n_features), *map(int, hidden_layer_sizes)]
        dropout = tuple(float(rate) for rate in dropout) or (0.0,) * (len(sizes) - 1)
        if len(dropout) != len(sizes) - 1:
            raise ValueError(
                f"dropout has {len(dropout)} rates for {len(sizes) - 1} hidden layers"
            )
        self.activation = activation
        self.dropout = dropout
        self.input_dropout = float(input_dropout)
        self._activation_fn = ACTIVATIONS[activation]
        self.hidden = nn.ModuleList(
            skip_init(nn.Linear, fan_in, fan_out, dtype=dtype)
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.output = skip_init(nn.Linear, sizes[-1], int(n_outputs), dtype=dtype)
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every weight and bias from the Glorot uniform distribution."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        for layer in [*self.hidden, self.output]:
            fan_out, fan_in = layer.weight.shape
            bound = math.sqrt(factor / (fan_in + fan_out))
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, X: torch.Tensor, return_hidden: bool = False):
        """Compute the output logits (and, optionally, the hidden activations).

        Parameters
        ----------
        X : Tensor of shape (n_samples, n_features)
        return_hidden : bool, default=False
            Also return the list of hidden activations (after the nonlinearity,
            before dropout), one tensor per hidden layer.

        Returns
        -------
        output : Tensor of shape (n_samples, n_outputs)
        hidden : list of Tensor
            Only when ``return_hidden`` is true.
        """
        h = X
        if self.input_dropout:
            h = F.dropout(h, self.input_dropout, self.training)
        hidden = []
        activation = self._activation_fn
        for layer, rate in zip(self.hidden, self.dropout, strict=True):
            h = activation(layer(h))
            if return_hidden:
                hidden.append(h)
            if rate:
                h = F.dropout(h, rate, self.training)
        output = self.output(h)
        if return_hidden:
            return output, hidden
        return output
