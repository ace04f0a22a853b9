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
