"""sklreg.nn's softmax over few classes: PyTorch's values and gradients,
computed over a leading dimension where that is faster."""

import pytest
import torch

from sklreg.nn import log_softmax, softmax
from sklreg.nn._softmax import _narrow_rows, _vector_lanes


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(300, 2), (300, 10), (4, 50, 3), (200, 40), (1, 5)])
def test_values_and_gradients_are_pytorchs(dtype, shape):
    generator = torch.Generator().manual_seed(0)
    x = (4 * torch.randn(*shape, dtype=dtype, generator=generator)).requires_grad_()
    grad = torch.randn(*shape, dtype=dtype, generator=generator)
    rtol = 1e-5 if dtype == torch.float32 else 1e-12
    for ours, theirs in ((log_softmax, torch.log_softmax), (softmax, torch.softmax)):
        got, want = ours(x), theirs(x, dim=-1)
        assert got.shape == want.shape and got.is_contiguous()
        torch.testing.assert_close(got, want, rtol=rtol, atol=rtol)
        (got_grad,) = torch.autograd.grad(got, x, grad)
        (want_grad,) = torch.autograd.grad(want, x, grad)
        if ours is log_softmax:  # training: the products read its gradient
            assert got_grad.is_contiguous()
        torch.testing.assert_close(got_grad, want_grad, rtol=rtol, atol=rtol)


def test_the_leading_route_is_taken_for_narrow_rows_only():
    lanes = _vector_lanes(torch.float32)
    assert lanes >= 4
    assert _narrow_rows(torch.zeros(100, lanes - 1))
    assert not _narrow_rows(torch.zeros(100, lanes))
    assert not _narrow_rows(torch.zeros(1, 3))  # one row: nothing to gain
    assert not _narrow_rows(torch.zeros(3))
    assert _vector_lanes(torch.float64) == max(1, lanes // 2)


def test_log_softmax_gradcheck():
    x = torch.randn(20, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(log_softmax, (x,))
