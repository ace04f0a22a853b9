"""Inverted dropout with dtype-independent masks and a Monte-Carlo mode.

In training, every row gets its own mask, drawn from the device's global
generator (which the training engine seeds) always in float32, so that a
float32 and a float64 network see the same masks. In Monte-Carlo mode (see
:func:`mc_dropout`) the layer applies ``k`` fixed masks, one per thinned
network, each shared by every row: the input gains a leading dimension of
size ``k`` at the first dropout layer and keeps it up to the output.
"""

import contextlib

import torch
from torch import nn


class Dropout(nn.Module):
    """Inverted dropout: kept units are scaled by ``1 / (1 - rate)``.

    Parameters
    ----------
    rate : float, default=0.0
        Probability of dropping a unit, in ``[0, 1)``.
    unit_dims : int, default=1
        Trailing dimensions of the input that index one row's units (1 for
        the features of a dense layer, 3 for ``(C, H, W)`` feature maps). The
        dimension before them indexes rows; in Monte-Carlo mode one more
        leading dimension indexes the thinned networks.

    Notes
    -----
    Evaluation mode (``module.eval()``) is the identity, unless Monte-Carlo
    masks are set by :func:`mc_dropout`.
    """

    def __init__(self, rate: float = 0.0, unit_dims: int = 1):
        super().__init__()
        self.rate = float(rate)
        self.unit_dims = int(unit_dims)
        self._mc = None  # (n_samples, generator) in Monte-Carlo mode
        self._mc_mask = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.rate:
            return x
        if self._mc is not None:
            return self._mc_forward(x)
        if not self.training:
            return x
        keep = 1.0 - self.rate
        mask = torch.empty(x.shape, dtype=torch.float32, device=x.device)
        mask.bernoulli_(keep).div_(keep)
        return x * mask.to(x.dtype)

    def _mc_forward(self, x: torch.Tensor) -> torch.Tensor:
        n_samples, generator = self._mc
        units = x.shape[x.ndim - self.unit_dims :]
        if self._mc_mask is None:  # drawn once, reused for every chunk of rows
            keep = 1.0 - self.rate
            mask = torch.empty((n_samples, *units), dtype=torch.float32)
            mask.bernoulli_(keep, generator=generator).div_(keep)
            self._mc_mask = mask.to(x.device)
        if x.ndim == self.unit_dims + 1:  # the first dropout layer: add k
            x = x.unsqueeze(0)
        mask = self._mc_mask.to(x.dtype).unsqueeze(1)  # shared by every row
        return x * mask

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


@contextlib.contextmanager
def mc_dropout(module: nn.Module, n_samples: int, generator: torch.Generator):
    """Inside the block, ``module`` evaluates ``n_samples`` thinned networks.

    Every :class:`Dropout` layer of ``module`` with a non-zero rate draws
    ``n_samples`` masks (one per thinned network, shared by every row) from
    the CPU ``generator`` at its first forward pass, in the order the layers
    run, and reuses them for every later pass inside the block. The output of
    the module then has a leading dimension of size ``n_samples``, unless the
    module has no active dropout layer.

    Parameters
    ----------
    module : torch.nn.Module
    n_samples : int
        Number of thinned networks.
    generator : torch.Generator
        CPU generator of the masks.
    """
    layers = [m for m in module.modules() if isinstance(m, Dropout) and m.rate]
    for layer in layers:
        layer._mc, layer._mc_mask = (int(n_samples), generator), None
    try:
        yield
    finally:
        for layer in layers:
            layer._mc = layer._mc_mask = None
