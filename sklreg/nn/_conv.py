"""Convolutional networks whose kernels are shared across positions, or not.

:class:`ConvNet` is a trunk of convolution layers (each followed by the
activation and max pooling) whose flattened output feeds a dense head (an
:class:`MLP`, or a :class:`MultiTaskMLP` with one tower per task). With
``share_weights=False`` every convolution becomes a
:class:`LocallyConnected` layer: the same receptive fields, padding, stride
(one) and output shape, but its own kernel at every output position. The
difference in accuracy between the two measures what weight sharing buys.

Shapes are channels first: one input row is ``C * prod(spatial)`` values,
read as ``(C, L)`` (a signal, 1-D kernels) or ``(C, H, W)`` (an image, 2-D
kernels) in C order, as ``numpy.reshape`` reads them.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._activations import ACTIVATIONS
from ._dropout import Dropout
from ._init import glorot_uniform_, uninitialized
from ._multitask import MultiTaskMLP, dense_network

#: Allowed values of ``padding``.
PADDINGS = ("same", "valid")

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d}


def padding_sides(kernel_size: int, padding: str) -> tuple[int, int]:
    """Zeros added ``(before, after)`` along each spatial dimension.

    ``'valid'`` adds none. ``'same'`` adds ``kernel_size - 1`` in all, so that
    the output is as large as the input: half before and half after, the odd
    one after (as PyTorch's ``padding='same'`` does for even kernels).
    """
    if padding == "valid":
        return 0, 0
    total = kernel_size - 1
    return total // 2, total - total // 2


def _check_kernel(kernel_size, input_size, before, after, padding, where="", advice=""):
    """Raise when the kernel does not fit the padded input: the message names
    ``kernel_size``, the input's spatial size and the padding."""
    if any(size + before + after < kernel_size for size in input_size):
        shape = " x ".join(map(str, input_size))
        raise ValueError(
            f"kernel_size={kernel_size} is larger than the padded input{where}: "
            f"{shape} with padding={padding!r}.{advice}"
        )


def conv_output_size(
    input_size: Sequence[int], kernel_size: int, padding: str
) -> tuple[int, ...]:
    """Spatial size after a stride-one convolution (``'same'`` keeps it)."""
    before, after = padding_sides(kernel_size, padding)
    return tuple(size + before + after - kernel_size + 1 for size in input_size)


def pool_windows(input_size: Sequence[int], pool_size: int) -> tuple[int, ...]:
    """Max-pooling window along each spatial dimension.

    ``pool_size``, clamped to the dimension: a dimension shorter than
    ``pool_size`` is pooled whole (to size one), and one of size one is left
    alone.
    """
    return tuple(min(pool_size, size) for size in input_size)


def pool_output_size(input_size: Sequence[int], pool_size: int) -> tuple[int, ...]:
    """Spatial size after max pooling with :func:`pool_windows`.

    Windows do not overlap, and the last window of a dimension that is not a
    multiple of its window is shorter (ceil mode): every position belongs to
    exactly one window, so none is dropped.
    """
    windows = pool_windows(input_size, pool_size)
    return tuple(
        math.ceil(size / window)
        for size, window in zip(input_size, windows, strict=True)
    )


def conv_shapes(
    input_shape: Sequence[int],
    conv_channels: Sequence[int],
    kernel_size: int,
    pool_size: int,
    padding: str = "same",
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Shapes of the trunk of a :class:`ConvNet`, layer by layer.

    Parameters
    ----------
    input_shape : sequence of int
        ``(C, L)`` or ``(C, H, W)``.
    conv_channels : sequence of int
        Output channels of each convolution layer.
    kernel_size : int
        Side of the (square) kernels.
    pool_size : int
        Max-pooling window and stride (see :func:`pool_windows`).
    padding : {'same', 'valid'}, default='same'
        See :func:`padding_sides`.

    Returns
    -------
    shapes : list of (tuple of int, tuple of int)
        For each layer, the shape of its feature maps ``(C_out, *spatial)``
        and their shape after pooling.

    Raises
    ------
    ValueError
        If a kernel is larger than the padded input of its layer.
    """
    shapes = []
    channels, *size = input_shape
    for i, out_channels in enumerate(conv_channels):
        _check_kernel(
            kernel_size,
            size,
            *padding_sides(kernel_size, padding),
            padding,
            where=f" of convolution layer {i} (input shape {(channels, *size)})",
            advice=" Use a smaller kernel_size, padding='same', a smaller "
            "pool_size or fewer convolution layers.",
        )
        size = conv_output_size(size, kernel_size, padding)
        pooled = pool_output_size(size, pool_size)
        shapes.append(((out_channels, *size), (out_channels, *pooled)))
        channels, size = out_channels, pooled
    return shapes


class LocallyConnected(nn.Module):
    """A convolution that has its own kernel at every output position.

    The layer sees the same receptive fields as a stride-one convolution with
    the same ``kernel_size`` and ``padding`` (:class:`torch.nn.Conv1d`,
    :class:`torch.nn.Conv2d`), and its output has the same shape, but no
    weight is shared between positions. It is computed as one batched product
    of the unfolded input patches (:func:`torch.nn.functional.unfold`) with
    the per-position kernels, with no Python loop over positions.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int
        Side of the (square) kernels.
    input_size : sequence of int
        Spatial size of the input: ``(L,)`` (1-D kernels) or ``(H, W)``
        (2-D kernels). The layer only accepts inputs of this size: it has
        one kernel per output position.
    padding : int, default=0
        Zeros added on both sides of each spatial dimension, as the integer
        ``padding`` of a PyTorch convolution.
    dtype : torch.dtype, default=None
        dtype of the parameters (PyTorch's default when None).

    Attributes
    ----------
    weight : Parameter of shape (out_channels * n_positions, in_channels, *kernel)
        One kernel per output unit, a unit being an output channel at an
        output position: unit ``c * n_positions + p`` is channel ``c`` at
        position ``p`` (positions in C order). Like a convolution's
        ``(out_channels, in_channels, *kernel)`` weight, its first dimension
        indexes the units that own a kernel.
    bias : Parameter of shape (out_channels * n_positions,)
        One bias per output unit, in the same order.
    output_size : tuple of int
        Spatial size of the output.
    n_positions : int
        Number of output positions, ``prod(output_size)``.

    Notes
    -----
    A convolution has ``out_channels * (in_channels * k**d + 1)`` parameters;
    this layer has ``n_positions`` times as many.

    The parameters are allocated but not initialized (as with
    :func:`torch.nn.utils.skip_init`): :class:`ConvNet` draws them, or fill
    them yourself.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        input_size: Sequence[int],
        padding: int = 0,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        input_size = tuple(int(size) for size in input_size)
        if len(input_size) not in (1, 2):
            raise ValueError(
                f"input_size must have one or two spatial dimensions; got {input_size}"
            )
        padding = int(padding)
        _check_kernel(kernel_size, input_size, padding, padding, padding)
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = int(kernel_size)
        self.input_size = input_size
        self.padding = padding
        self.output_size = tuple(
            size + 2 * padding - self.kernel_size + 1 for size in input_size
        )
        self.n_positions = math.prod(self.output_size)
        n_units = self.out_channels * self.n_positions
        kernel = (self.kernel_size,) * len(input_size)
        self.weight = nn.Parameter(
            torch.empty(n_units, self.in_channels, *kernel, dtype=dtype)
        )
        self.bias = nn.Parameter(torch.empty(n_units, dtype=dtype))
        # F.unfold reads 2-D maps: a signal is a map of height one
        if len(input_size) == 1:
            self._unfold = dict(kernel_size=(1, *kernel), padding=(0, padding))
        else:
            self._unfold = dict(kernel_size=kernel, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer to ``x`` of shape ``(n, in_channels, *input_size)``."""
        n = x.shape[0]
        if len(self.input_size) == 1:
            x = x.unsqueeze(2)
        # (n, in_channels * kernel volume, positions), channels outermost, as
        # in the weight's (in_channels, *kernel) layout
        patches = F.unfold(x, **self._unfold)
        weight = self.weight.view(self.out_channels, self.n_positions, -1)
        out = torch.einsum("nkp,cpk->ncp", patches, weight)
        out = out + self.bias.view(self.out_channels, self.n_positions)
        return out.view(n, self.out_channels, *self.output_size)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"input_size={self.input_size}, padding={self.padding}"
        )


class ConvNet(nn.Module):
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
    ):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
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
        self._reset_conv(generator)
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

    def tower_weight_groups(self) -> list[list[str]]:
        """The head's groups of corresponding tower weights (see
        :meth:`MultiTaskMLP.tower_weight_groups`), named as parameters of
        this network; only with a head of towers (``shared_layers`` set)."""
        if not isinstance(self.head, MultiTaskMLP):
            raise AttributeError(
                "tower_weight_groups: the head has no towers (shared_layers=None)"
            )
        groups = self.head.tower_weight_groups()
        return [[f"head.{name}" for name in group] for group in groups]

    @property
    def dropout(self) -> tuple[float, ...]:
        """Dropout rate after each hidden layer of the head."""
        return self.head.dropout

    @property
    def input_dropout(self) -> float:
        """Dropout rate of the input values."""
        return self.input_drop.rate

    def set_dropout(self, dropout: Sequence[float] = (), input_dropout: float = 0.0):
        """Set the head's dropout rates (one per hidden layer, or none) and the
        input's."""
        self.head.set_dropout(dropout, 0.0)
        self.input_drop.rate = float(input_dropout)

    @torch.no_grad()
    def _reset_conv(self, generator):
        receptive_field = self.kernel_size ** (len(self.input_shape) - 1)
        for layer in self.conv:
            in_channels = layer.weight.shape[1]
            fan_in = in_channels * receptive_field
            fan_out = layer.out_channels * receptive_field
            for tensor in (layer.weight, layer.bias):
                glorot_uniform_(tensor, fan_in, fan_out, self.activation, generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every kernel, weight and bias anew: the convolutions, then the
        head (the order of the first draw)."""
        self._reset_conv(generator)
        self.head.reset_parameters(generator)

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
