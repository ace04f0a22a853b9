"""Initial weights drawn independently of the training dtype and device."""

import math

import torch


@torch.no_grad()
def glorot_uniform_(
    tensor: torch.Tensor,
    fan_in: int,
    fan_out: int,
    activation: str = "relu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Fill ``tensor`` in place from Glorot's uniform distribution ``U(-b, b)``.

    ``b = sqrt(6 / (fan_in + fan_out))``, or ``sqrt(2 / (fan_in + fan_out))``
    for the ``logistic`` activation, as in scikit-learn's MLP. The numbers are
    drawn in float64 on the CPU and then cast, as scikit-learn does, so that
    the same ``generator`` gives the same initial network in float32 and in
    float64 (up to float32 round-off) and on every device.

    Parameters
    ----------
    tensor : Tensor
        Weight or bias to fill (any shape, dtype and device).
    fan_in, fan_out : int
        Inputs and outputs of the unit the tensor belongs to.
    activation : str, default='relu'
        Activation after the layer (``'logistic'`` narrows the range).
    generator : torch.Generator, default=None
        CPU generator the numbers are drawn from.

    Returns
    -------
    tensor : Tensor
        The filled tensor.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = math.sqrt(factor / (fan_in + fan_out))
    values = torch.empty(tensor.shape, dtype=torch.float64)
    values.uniform_(-bound, bound, generator=generator)
    return tensor.copy_(values)


def uninitialized(module_cls, *args, **kwargs) -> torch.nn.Module:
    """``module_cls(*args, **kwargs)`` on the CPU with its parameters left
    uninitialized, for the caller to draw (as
    :func:`torch.nn.utils.skip_init`, whose ``empty_like`` on the meta
    device imports SymPy, a second's work, the first time in a process).

    The module is built on the meta device (no memory, no draws from torch's
    global generator), then each parameter and buffer is replaced by an
    empty CPU tensor of the same shape and dtype.
    """
    module = module_cls(*args, device="meta", **kwargs)
    for sub in module.modules():
        for name, param in list(sub.named_parameters(recurse=False)):
            empty = torch.empty(param.shape, dtype=param.dtype)
            setattr(sub, name, torch.nn.Parameter(empty, param.requires_grad))
        for name, buffer in list(sub.named_buffers(recurse=False)):
            sub.register_buffer(name, torch.empty(buffer.shape, dtype=buffer.dtype))
    return module
