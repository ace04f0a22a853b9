"""Convolutional networks whose kernels are shared across positions, or not.

:class:`ConvNet` is a trunk of convolution layers (each followed by the
activation and max pooling) whose flattened output feeds a dense head (an
:class:`MLP`, or a :class:`MultiTaskMLP` with one tower per task). With
``share_weights=False`` every convolution becomes a
:class:`~sklreg.nn.LocallyConnected` layer: the same receptive fields,
padding, stride (one) and output shape, but its own kernel at every output
position. The difference in accuracy between the two measures what weight
sharing buys. The shapes of the layers are computed in
:mod:`sklreg.nn._shapes`.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._activations import ACTIVATIONS
from ._dropout import Dropout
from ._init import uninitialized
from ._locally_connected import LocallyConnected
from ._multitask import dense_network
from ._network import Network, glorot_reset_
from ._shapes import PADDINGS, conv_shapes, padding_sides, pool_windows

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d}


class ConvNet(Network):
    """Convolution layers, then a fully connected head.

    ``input -> [convolution -> activation -> max pooling] * n_layers ->
    flatten -> dense head -> logits``. Parameters are named ``conv.{i}.weight``,
    ``conv.{i}.bias`` (``i`` counts convolution layers from 0), then the
    head's ``head.hidden.{j}.weight``, ``head.hidden.{j}.bias``,
    ``head.output.weight`` and ``head.output.bias`` (with towers, the names of
    :class:`MultiTaskMLP` after ``head.``).

    Parameters
    ----------
    input_shape : sequence of int
        Shape of one input, channels first: ``(C, L)`` for a signal (1-D
        kernels) or ``(C, H, W)`` for an image (2-D kernels). The module
        takes flat rows of ``prod(input_shape)`` values and reshapes them.
    conv_channels : sequence of int
        Output channels of each convolution layer.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer of the head.
    n_outputs : int or sequence of int
        Width of the (linear) output layer, or the output units of each
        task's head (their sum is the width of the output).
    kernel_size : int, default=3
        Side of the (square) kernels; the stride is one.
    pool_size : int, default=2
        Window and stride of the max pooling after each convolution (see
        :func:`pool_windows` and :func:`pool_output_size`); 1 skips pooling.
    padding : {'same', 'valid'}, default='same'
        Zero padding of each convolution (see :func:`padding_sides`).
    share_weights : bool, default=True
        ``False`` replaces each convolution with a :class:`LocallyConnected`
        layer of the same geometry.
    shared_layers : int or None, default=None
        The head's hidden layers shared by all tasks: None builds one
        :class:`MLP` head; an int builds a :class:`MultiTaskMLP` head with one
        tower per entry of ``n_outputs`` (see :func:`dense_network`). The
        convolutions are always shared by all tasks.
    activation : {'relu', 'tanh', 'logistic', 'gelu', 'identity'}, default='relu'
        Nonlinearity after each convolution and each hidden layer of the head.
    dropout : sequence of float, default=()
        Dropout rate after each hidden layer of the head (empty: no dropout).
    input_dropout : float, default=0.0
        Dropout rate of the input values (every value of every channel).
    dtype : torch.dtype, default=torch.float32
        Floating dtype of the parameters.
    generator : torch.Generator, default=None
        Source of randomness of the initial weights.
    channels_last : bool, default=False
        Whether each flat row holds its values channels last, ``(H, W, C)``
        (or ``(L, C)``) in C order, as ``images.reshape(n, -1)`` gives for
        images stored channels last; the module reads them as such and
        moves the channels first. ``input_shape`` stays channels first.

    Attributes
    ----------
    shapes : list of (tuple of int, tuple of int)
        Feature-map shape of each convolution layer, before and after pooling
        (see :func:`conv_shapes`).
    width : int
        Largest number of values one row has at any layer (bounds the memory
        of Monte-Carlo prediction).

    Notes
    -----
    Kernels and biases start from the Glorot uniform distribution (see
    :func:`~sklreg.nn.glorot_uniform_`) with the fans of the receptive field,
    ``fan_in = in_channels * k**d`` and ``fan_out = out_channels * k**d`` (as
    in Keras and PyTorch's ``_calculate_fan_in_and_fan_out``), for shared and
    per-position kernels alike, so that both variants start from the same
    distribution. The convolution layers are drawn first, then the head.

    The input may have extra leading dimensions (e.g. one per thinned network
    in Monte-Carlo mode): they are folded into the batch for the convolutions
    and restored before the head.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        conv_channels: Sequence[int],
        hidden_layer_sizes: Sequence[int],
        n_outputs: int,
        kernel_size: int = 3,
        pool_size: int = 2,
        padding: str = "same",
        share_weights: bool = True,
        shared_layers: int | None = None,
        activation: str = "relu",
        dropout: Sequence[float] = (),
        input_dropout: float = 0.0,
        dtype: torch.dtype = torch.float32,
        generator: torch.Generator | None = None,
        channels_last: bool = False,
    ):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.channels_last = bool(channels_last)
        if len(self.input_shape) not in (2, 3):
            raise ValueError(
                f"input_shape must be (C, L) or (C, H, W); got {tuple(input_shape)}"
            )
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}; got {padding!r}")
        self.kernel_size = int(kernel_size)
        self.pool_size = int(pool_size)
        self.padding = padding
        self.share_weights = bool(share_weights)
        self.activation = activation
        self._activation_fn = ACTIVATIONS[activation]
        self.shapes = conv_shapes(
            self.input_shape, conv_channels, self.kernel_size, self.pool_size, padding
        )
        n_dims = len(self.input_shape) - 1
        # 'same' with an even kernel pads one more zero after than before: the
        # layer cannot do that itself, so the input is padded before it
        before, after = padding_sides(self.kernel_size, padding)
        self._layer_padding = before if before == after else 0
        self._pad = None if before == after else (before, after) * n_dims
        layers, windows = [], []
        in_shape = self.input_shape
        for maps, pooled in self.shapes:
            layers.append(self._layer(in_shape, maps[0], dtype))
            window = pool_windows(maps[1:], self.pool_size)
            windows.append(window if pooled != maps else None)
            in_shape = pooled
        self.conv = nn.ModuleList(layers)
        self._pool_windows = windows
        self.input_drop = Dropout(input_dropout)
        self._n_flat = math.prod(in_shape)
        glorot_reset_(self.conv, activation, generator)
        task_outputs = (
            (int(n_outputs),) if isinstance(n_outputs, int) else tuple(n_outputs)
        )
        self.head = dense_network(
            self._n_flat,
            hidden_layer_sizes,
            task_outputs,
            shared_layers,
            activation=activation,
            dropout=dropout,
            dtype=dtype,
            generator=generator,
        )
        self.width = max(
            math.prod(self.input_shape),
            *(math.prod(maps) for maps, _ in self.shapes),
            self.head.width,
        )

    def _layer(self, in_shape, out_channels, dtype):
        in_channels, *size = in_shape
        if self._pad is not None:
            size = [s + self.kernel_size - 1 for s in size]
        if self.share_weights:
            return uninitialized(
                _CONV[len(size)],
                in_channels,
                out_channels,
                self.kernel_size,
                padding=self._layer_padding,
                dtype=dtype,
            )
        return LocallyConnected(
            in_channels,
            out_channels,
            self.kernel_size,
            size,
            padding=self._layer_padding,
            dtype=dtype,
        )

    def hidden_dropouts(self) -> Sequence[Dropout]:
        """The dropout layer after each hidden layer of the head (the
        feature maps have none)."""
        return self.head.hidden_dropouts()

    def output_layers(self) -> Sequence[nn.Module]:
        """The head's output layers."""
        return self.head.output_layers()

    def tower_weight_groups(self) -> list[list[str]] | None:
        """The head's groups of corresponding tower weights (see
        :meth:`MultiTaskMLP.tower_weight_groups`), named as parameters of
        this network; None when the head has no towers (``shared_layers``
        None)."""
        groups = self.head.tower_weight_groups()
        if groups is None:
            return None
        return [[f"head.{name}" for name in group] for group in groups]

    def forward(self, X: torch.Tensor, return_hidden: bool = False):
        """Compute the output logits (and, optionally, the hidden activations).

        Parameters
        ----------
        X : Tensor of shape (..., n_samples, prod(input_shape))
            Flat rows.
        return_hidden : bool, default=False
            Also return the hidden activations (after the nonlinearity): the
            feature maps of each convolution layer, before pooling, of shape
            ``(..., n_samples, C, *spatial)``, then the head's hidden layers
            (before dropout).

        Returns
        -------
        output : Tensor of shape (..., n_samples, n_outputs)
        hidden : list of Tensor
            Only when ``return_hidden`` is true.
        """
        h = self.input_drop(X)
        lead = h.shape[:-1]
        if self.channels_last:
            channels, *spatial = self.input_shape
            h = h.reshape(math.prod(lead), *spatial, channels).movedim(-1, 1)
        else:
            h = h.reshape(math.prod(lead), *self.input_shape)
        hidden = []
        activation = self._activation_fn
        pool = _MAX_POOL[len(self.input_shape) - 1]
        for layer, window in zip(self.conv, self._pool_windows, strict=True):
            if self._pad is not None:
                h = F.pad(h, self._pad)
            h = activation(layer(h))
            if return_hidden:
                hidden.append(h.view(*lead, *h.shape[1:]))
            if window is not None:
                h = pool(h, window, window, ceil_mode=True)
        h = h.reshape(*lead, self._n_flat)
        if not return_hidden:
            return self.head(h)
        output, head_hidden = self.head(h, return_hidden=True)
        return output, hidden + head_hidden
