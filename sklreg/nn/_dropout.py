"""Inverted dropout with dtype-independent masks and a Monte-Carlo mode.

In training, every row gets its own mask, drawn always in float32, so that a
float32 and a float64 network see the same masks, from the generator that
:func:`dropout_generator` sets (the training engine's seeded one), or from
torch's global generator of the device outside such a block. In Monte-Carlo
mode (see :func:`mc_dropout`) the layer applies ``k`` fixed masks, one per
thinned network, each shared by every row: the input gains a leading
dimension of size ``k`` at the first dropout layer and keeps it up to the
output.
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
        self._generator = None  # of the training masks, see dropout_generator
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
        # empty_like: under torch.func.vmap (ensemble members) each member
        # gets masks of its own
        mask = torch.empty_like(
            x, dtype=torch.float32, memory_format=torch.contiguous_format
        )
        mask.bernoulli_(keep, generator=self._generator).div_(keep)
        return x * mask.to(x.dtype)

    def _ensure_mc_mask(self, x: torch.Tensor) -> None:
        """Draw the ``k`` Monte-Carlo masks at the first pass of the block;
        every later pass (every chunk of rows) reuses them."""
        if self._mc_mask is not None:
            return
        n_samples, generator = self._mc
        units = x.shape[x.ndim - self.unit_dims :]
        keep = 1.0 - self.rate
        mask = torch.empty((n_samples, *units), dtype=torch.float32)
        mask.bernoulli_(keep, generator=generator).div_(keep)
        self._mc_mask = mask.to(x.device)

    def _mc_forward(self, x: torch.Tensor) -> torch.Tensor:
        self._ensure_mc_mask(x)
        if x.ndim == self.unit_dims + 1:  # the first dropout layer: add k
            x = x.unsqueeze(0)
        mask = self._mc_mask.to(x.dtype).unsqueeze(1)  # shared by every row
        return x * mask

    def mc_linear(self, x: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
        """``linear(self(x))``, computed without repeating ``x`` ``k`` times.

        In Monte-Carlo mode, when ``x`` has no leading dimension of thinned
        networks yet (this is the first active dropout layer), the ``k`` masks
        multiply the columns of ``linear``'s weight instead of ``k`` copies of
        ``x``, ``(x * m_j) W^T = x (W * m_j)^T``, and the ``k`` products run as
        one batched product over a view of ``x``: the ``(k, n, units)``
        masked input is never built. Otherwise (training, evaluation, later
        layers) it is exactly ``linear(self(x))``.
        """
        if not self.rate:  # the identity: no call of this module
            return linear(x)
        if (
            self._mc is None
            or x.ndim != self.unit_dims + 1
            or not isinstance(linear, nn.Linear)
            or linear.weight.ndim != 2
            or hasattr(linear, "r")  # an ensemble member's shared layer
        ):
            return linear(self(x))
        self._ensure_mc_mask(x)
        mask = self._mc_mask.to(x.dtype)  # (k, in)
        weight = linear.weight.unsqueeze(0) * mask.unsqueeze(1)  # (k, out, in)
        shape = (len(mask), len(x), linear.out_features)
        inputs = x.expand(len(mask), *x.shape)  # a view: x is not copied
        if linear.bias is None:
            return torch.bmm(inputs, weight.transpose(1, 2))
        return torch.baddbmm(linear.bias.expand(shape), inputs, weight.transpose(1, 2))

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


def _active_layers(module: nn.Module) -> list[Dropout]:
    return [m for m in module.modules() if isinstance(m, Dropout) and m.rate]


@contextlib.contextmanager
def dropout_generator(module: nn.Module, generator: torch.Generator):
    """Inside the block, the training masks of ``module`` come from ``generator``.

    Every :class:`Dropout` layer of ``module`` with a non-zero rate draws its
    per-row training masks from ``generator`` (on the device of the data)
    instead of torch's global generator. A training run that owns its
    generator is reproducible even while other threads of the process
    train, or draw random numbers, at the same time, and it never reads or
    advances the global seed.

    Parameters
    ----------
    module : torch.nn.Module
    generator : torch.Generator
        Generator on the device the module runs on.
    """
    layers = _active_layers(module)
    for layer in layers:
        layer._generator = generator
    try:
        yield
    finally:
        for layer in layers:
            layer._generator = None


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
    layers = _active_layers(module)
    for layer in layers:
        layer._mc, layer._mc_mask = (int(n_samples), generator), None
    try:
        yield
    finally:
        for layer in layers:
            layer._mc = layer._mc_mask = None
