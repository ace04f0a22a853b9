"""Multi-layer perceptron whose forward pass can expose its hidden activations."""

from collections.abc import Sequence

import torch
from torch import nn

from ._activations import ACTIVATIONS
from ._dropout import Dropout
from ._init import uninitialized
from ._network import Network


def _linear(fan_in: int, fan_out: int, dtype: torch.dtype) -> nn.Linear:
    """An ``nn.Linear`` whose parameters are left uninitialized (see
    :meth:`Network.reset_parameters`)."""
    return uninitialized(nn.Linear, int(fan_in), int(fan_out), dtype=dtype)


class MLP(Network):
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

    Attributes
    ----------
    width : int
        Largest number of values one row has at any layer (bounds the memory
        of Monte-Carlo prediction).

    See Also
    --------
    MultiTaskMLP : A shared trunk and one tower per task.

    Notes
    -----
    Weights and biases start from the Glorot uniform distribution that
    scikit-learn's ``MLPClassifier`` uses (see
    :func:`~sklreg.nn.glorot_uniform_`), drawn in float64 whatever ``dtype``.
    Dropout is inverted dropout (:class:`~sklreg.nn.Dropout`): kept units are
    scaled by ``1 / (1 - rate)`` during training, so evaluation needs no
    rescaling. The input may have extra leading dimensions (e.g. one per
    thinned network in Monte-Carlo mode).
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
        self.activation = activation
        self._activation_fn = ACTIVATIONS[activation]
        self.hidden = nn.ModuleList(
            _linear(fan_in, fan_out, dtype)
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.output = _linear(sizes[-1], n_outputs, dtype)
        self.input_drop = Dropout()
        self.hidden_drop = nn.ModuleList(Dropout() for _ in self.hidden)
        self.set_dropout(dropout, input_dropout)
        self.width = max(*sizes, int(n_outputs))
        self.reset_parameters(generator)

    def hidden_dropouts(self) -> Sequence[Dropout]:
        """The dropout layer after each hidden layer."""
        return tuple(self.hidden_drop)

    def output_layers(self) -> Sequence[nn.Linear]:
        """The output layer."""
        return (self.output,)

    def input_weights(self) -> list[nn.Parameter]:
        """The weight matrices that read the inputs: the first layer's.

        Returns
        -------
        weights : list of Parameter of shape (units, n_features)
            ``[hidden.0.weight]``; column ``j`` holds input ``j``'s outgoing
            weights (the group of the feature penalty,
            :class:`~sklreg.penalties.FeatureGroupPenalty`).
        """
        return [self.hidden[0].weight]

    def forward(self, X: torch.Tensor, return_hidden: bool = False):
        """Compute the output logits (and, optionally, the hidden activations).

        Parameters
        ----------
        X : Tensor of shape (..., n_samples, n_features)
        return_hidden : bool, default=False
            Also return the list of hidden activations (after the nonlinearity,
            before dropout), one tensor per hidden layer.

        Returns
        -------
        output : Tensor of shape (..., n_samples, n_outputs)
        hidden : list of Tensor
            Only when ``return_hidden`` is true.
        """
        # each dropout layer feeds a linear layer: drop.mc_linear(h, layer) is
        # layer(drop(h)), computed more cheaply in Monte-Carlo prediction
        h, drop = X, self.input_drop
        hidden = []
        activation = self._activation_fn
        for layer, next_drop in zip(self.hidden, self.hidden_drop, strict=True):
            h = activation(drop.mc_linear(h, layer))
            if return_hidden:
                hidden.append(h)
            drop = next_drop
        output = drop.mc_linear(h, self.output)
        if return_hidden:
            return output, hidden
        return output
