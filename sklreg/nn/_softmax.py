"""Softmax over a few classes, at full speed on the CPU.

PyTorch's CPU kernels for ``softmax`` and ``log_softmax`` over the last
dimension vectorize along that dimension; when it is narrower than one
vector register (fewer than 16 float32 values with AVX-512, 8 with AVX2:
digits' 10 classes, a binary problem's 2) they fall back to a scalar loop,
about 60 ns a row. Over a leading dimension the kernels vectorize across
the rows instead: 5 to 10 times faster for such narrow rows. The results
agree to round-off (the vectorized ``exp`` and ``log`` round a few units
in the last place differently), so the estimators use these functions
where nothing was computed before them: the rows of ensemble members,
whose ``k`` times one network's rows would otherwise spend a fifth of a
training step and most of a prediction there; a single network keeps
PyTorch's functions and its numbers.
"""

from __future__ import annotations

import functools

import torch

#: Bytes in one vector register of the kernels PyTorch dispatches to.
_VECTOR_BYTES = {"AVX512": 64, "AVX2": 32}


@functools.cache
def _vector_lanes(dtype: torch.dtype) -> int:
    """Values of ``dtype`` in one vector register of PyTorch's CPU kernels."""
    width = _VECTOR_BYTES.get(torch.backends.cpu.get_cpu_capability(), 16)
    return max(1, width // torch.empty((), dtype=dtype).element_size())


def _narrow_rows(x: torch.Tensor) -> bool:
    """Whether the last-dimension kernel would run its scalar loop on ``x``
    (CPU, several rows narrower than a vector register)."""
    return (
        x.device.type == "cpu"
        and x.ndim >= 2
        and x.shape[-1] < _vector_lanes(x.dtype)
        and x.numel() > x.shape[-1]
    )


class _LeadingLogSoftmax(torch.autograd.Function):
    """``log_softmax`` over the last dimension of ``x``, computed over a
    leading one (``x`` transposed); output and gradient are contiguous, so
    the products around it read them at full speed."""

    @staticmethod
    def forward(ctx, x):
        out = torch.log_softmax(x.mT.contiguous(), dim=-2)
        ctx.save_for_backward(out)
        return out.mT.contiguous()

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        grad = torch._log_softmax_backward_data(
            grad.mT.contiguous(), out, -2, out.dtype
        )
        return grad.mT.contiguous()


def log_softmax(x: torch.Tensor) -> torch.Tensor:
    """``torch.log_softmax(x, dim=-1)`` (to round-off), fast on narrow rows."""
    if _narrow_rows(x):
        return _LeadingLogSoftmax.apply(x)
    return torch.log_softmax(x, dim=-1)


def softmax(x: torch.Tensor) -> torch.Tensor:
    """``torch.softmax(x, dim=-1)`` (to round-off), fast on narrow rows."""
    if _narrow_rows(x):
        return torch.softmax(x.mT.contiguous(), dim=-2).mT.contiguous()
    return torch.softmax(x, dim=-1)
