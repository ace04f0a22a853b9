"""Shapes of convolution and pooling layers: padding, output sizes, and the
check that a kernel fits its input.

Shapes are channels first: one input row is ``C * prod(spatial)`` values,
read as ``(C, L)`` (a signal, 1-D kernels) or ``(C, H, W)`` (an image, 2-D
kernels) in C order, as ``numpy.reshape`` reads them.
"""

import math
from collections.abc import Sequence

#: Allowed values of ``padding``.
PADDINGS = ("same", "valid")


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


def check_kernel(kernel_size, input_size, before, after, padding, where="", advice=""):
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
    """Shapes of the trunk of a :class:`~sklreg.nn.ConvNet`, layer by layer.

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
        check_kernel(
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
