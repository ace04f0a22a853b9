"""A convolution without weight sharing: its own kernel at every position."""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._shapes import check_kernel


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
    :func:`torch.nn.utils.skip_init`): :class:`~sklreg.nn.ConvNet` draws them, or fill
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
        check_kernel(kernel_size, input_size, padding, padding, padding)
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
        return self.product(x) + self.bias.view(self.out_channels, *self.output_size)

    def product(self, x: torch.Tensor) -> torch.Tensor:
        """The layer without its bias: ``(n, out_channels, *output_size)``."""
        n = x.shape[0]
        if len(self.input_size) == 1:
            x = x.unsqueeze(2)
        # (n, in_channels * kernel volume, positions), channels outermost, as
        # in the weight's (in_channels, *kernel) layout
        patches = F.unfold(x, **self._unfold)
        weight = self.weight.view(self.out_channels, self.n_positions, -1)
        out = torch.einsum("nkp,cpk->ncp", patches, weight)
        return out.reshape(n, self.out_channels, *self.output_size)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"input_size={self.input_size}, padding={self.padding}"
        )
