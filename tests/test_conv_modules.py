"""The convolutional modules without scikit-learn: shapes, sharing, init."""

import math

import pytest
import torch

from sklreg.nn import (
    MLP,
    ConvNet,
    LocallyConnected,
    MultiTaskMLP,
    Network,
    conv_shapes,
    mc_dropout,
)
from sklreg.penalties import ActivityPenalty


def conv_net(input_shape, share_weights, **kwargs):
    params = dict(conv_channels=(3, 4), hidden_layer_sizes=(5,), n_outputs=2)
    params.update(kwargs)
    return ConvNet(
        input_shape,
        share_weights=share_weights,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(0),
        **params,
    )


@pytest.mark.parametrize(
    ("input_size", "padding"),
    [((6, 7), 1), ((6, 7), 0), ((9,), 1), ((9,), 0)],
)
def test_parameter_counts_match_their_formulas(input_size, padding):
    c_in, c_out, k = 3, 5, 3
    d = len(input_size)
    conv = (torch.nn.Conv1d, torch.nn.Conv2d)[d - 1](c_in, c_out, k, padding=padding)
    local = LocallyConnected(c_in, c_out, k, input_size, padding=padding)
    out_size = tuple(s + 2 * padding - k + 1 for s in input_size)
    per_kernel = c_out * (c_in * k**d + 1)
    assert sum(p.numel() for p in conv.parameters()) == per_kernel
    assert local.output_size == out_size
    assert (
        sum(p.numel() for p in local.parameters()) == math.prod(out_size) * per_kernel
    )
    x = torch.randn(2, c_in, *input_size)
    assert local(x).shape == conv(x).shape == (2, c_out, *out_size)


@pytest.mark.parametrize(
    ("input_shape", "kernel_size", "padding"),
    [
        *(
            (shape, k, "same")
            for shape in [(1, 8, 8), (2, 5, 7), (1, 10), (1, 1), (3, 2)]
            for k in (2, 3, 4)
        ),
        ((1, 8, 8), 2, "valid"),
        ((2, 5, 7), 2, "valid"),
        ((1, 10), 3, "valid"),
    ],
)
def test_locally_connected_with_tied_kernels_is_the_convolution(
    input_shape, kernel_size, padding
):
    """Same receptive fields, padding and output shape: copying each shared
    kernel to every position of the twin gives the same function."""
    shared = conv_net(input_shape, True, kernel_size=kernel_size, padding=padding)
    local = conv_net(input_shape, False, kernel_size=kernel_size, padding=padding)
    with torch.no_grad():
        for conv, twin in zip(shared.conv, local.conv, strict=True):
            units = (conv.out_channels, twin.n_positions)
            twin.weight.view(*units, *conv.weight.shape[1:]).copy_(conv.weight[:, None])
            twin.bias.view(units).copy_(conv.bias[:, None])
        local.head.load_state_dict(shared.head.state_dict())
    X = torch.randn(3, 7, math.prod(input_shape), dtype=torch.float64)
    torch.testing.assert_close(local(X), shared(X))  # leading dims kept
    assert shared(X).shape == (3, 7, 2)


def test_conv_net_shapes_hidden_maps_and_width():
    net = conv_net((1, 8, 8), True, conv_channels=(4, 6))
    assert net.shapes == [((4, 8, 8), (4, 4, 4)), ((6, 4, 4), (6, 2, 2))]
    X = torch.randn(7, 64, dtype=torch.float64)
    out, hidden = net(X, return_hidden=True)
    assert out.shape == (7, 2)
    assert [tuple(h.shape) for h in hidden] == [(7, 4, 8, 8), (7, 6, 4, 4), (7, 5)]
    assert all((h >= 0).all() for h in hidden)  # after the relu
    assert net.width == 4 * 8 * 8
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "conv.0.weight",
        "conv.0.bias",
        "conv.1.weight",
        "conv.1.bias",
        "head.hidden.0.weight",
        "head.hidden.0.bias",
        "head.output.weight",
        "head.output.bias",
    ]


def test_pooling_is_clamped_and_never_drops_positions():
    # 5 -> windows of 2 with a last window of 1 -> 3; 1 stays 1; 3 < 4 -> 1
    assert conv_shapes((1, 5, 1), (2,), 3, 2) == [((2, 5, 1), (2, 3, 1))]
    assert conv_shapes((1, 3), (2,), 3, 4) == [((2, 3), (2, 1))]
    assert conv_shapes((1, 6), (2,), 3, 1) == [((2, 6), (2, 6))]
    assert conv_shapes((1, 8), (2,), 3, 2, padding="valid") == [((2, 6), (2, 3))]
    # the last window sees only the last position
    net = conv_net((1, 3), True, conv_channels=(1,), kernel_size=1, pool_size=2)
    with torch.no_grad():
        net.conv[0].weight.fill_(1.0)
        net.conv[0].bias.zero_()
        _, hidden = net(torch.tensor([[1.0, 2.0, 5.0]], dtype=torch.float64), True)
    assert hidden[0].tolist() == [[[1.0, 2.0, 5.0]]]


def test_kernel_larger_than_padded_input_is_an_error():
    with pytest.raises(ValueError, match=r"kernel_size=5 .* layer 1 .*2 x 2"):
        conv_shapes((1, 8, 8), (2, 2), 5, 2, padding="valid")
    with pytest.raises(ValueError, match=r"kernel_size=4 .*3 x 3"):
        LocallyConnected(1, 2, 4, (3, 3))


def test_initial_weights_are_seeded_and_dtype_independent():
    state = torch.random.get_rng_state()
    for share_weights in (True, False):
        nets = [
            ConvNet(
                (1, 6, 6),
                (3,),
                (4,),
                2,
                share_weights=share_weights,
                dtype=dtype,
                generator=torch.Generator().manual_seed(0),
            )
            for dtype in (torch.float32, torch.float64)
        ]
        for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
            torch.testing.assert_close(a, b.float())
        fan_in, fan_out = 1 * 9, 3 * 9
        bound = math.sqrt(6 / (fan_in + fan_out))
        weight = nets[1].conv[0].weight
        assert bound / 2 < weight.abs().max() <= bound
    assert torch.equal(torch.random.get_rng_state(), state)


def test_activity_penalty_covers_feature_maps():
    net = conv_net((1, 6, 6), True)
    X = torch.rand(5, 36, dtype=torch.float64)
    _, hidden = net(X, return_hidden=True)
    per_row = sum(h.flatten(1).abs().sum(dim=1) for h in hidden)
    penalty = ActivityPenalty(alpha=0.1)
    torch.testing.assert_close(penalty(hidden), 0.1 * per_row.mean())
    w = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(penalty(hidden, w), 0.1 * (per_row * w).sum() / 4)


@pytest.mark.parametrize("share_weights", [True, False])
def test_monte_carlo_masks_fold_into_the_batch(share_weights):
    net = conv_net((1, 6, 6), share_weights, dropout=(0.5,), input_dropout=0.2)
    net.eval()
    X = torch.rand(4, 36, dtype=torch.float64)
    torch.testing.assert_close(net(X), net(X))  # no dropout in evaluation
    with mc_dropout(net, 3, torch.Generator().manual_seed(0)):
        out = net(X)
        again = net(X[:2])
    assert out.shape == (3, 4, 2)  # one output per thinned network
    torch.testing.assert_close(again, out[:, :2])  # masks shared by all rows
    assert not torch.allclose(out[0], out[1])
    net.set_dropout((0.1,), 0.3)
    assert net.dropout == (0.1,) and net.input_dropout == 0.3


@pytest.mark.parametrize(
    "network",
    [
        lambda: MLP(4, (5, 3), 2),
        lambda: MultiTaskMLP(4, (5, 3), (1, 1), shared_layers=1),
        lambda: ConvNet((1, 4, 4), (2,), (3,), 2),
        lambda: ConvNet((1, 4, 4), (2,), (3,), 2, share_weights=False),
    ],
)
def test_every_network_keeps_the_contract(network):
    net = network()
    assert isinstance(net, Network)
    assert net.dropout == (0.0,) * len(net.hidden_dropouts())
    rates = tuple(0.1 * (i + 1) for i in range(len(net.hidden_dropouts())))
    net.set_dropout(rates, 0.3)
    assert (net.dropout, net.input_dropout) == (rates, 0.3)
    with pytest.raises(ValueError, match="rates"):
        net.set_dropout((0.1,) * 5)
    # the Glorot reset draws every weight and bias, in a reproducible order
    before = [p.detach().clone() for p in net.parameters()]
    net.reset_parameters(torch.Generator().manual_seed(0))
    again = [p.detach().clone() for p in net.parameters()]
    net.reset_parameters(torch.Generator().manual_seed(0))
    for a, b, c in zip(before, again, net.parameters(), strict=True):
        torch.testing.assert_close(b, c.detach(), rtol=0, atol=0)
        assert not torch.equal(a, b)
    X = torch.randn(6, 16 if isinstance(net, ConvNet) else 4)
    output, hidden = net(X, return_hidden=True)
    assert output.shape == (6, 2) and len(hidden) >= len(net.hidden_dropouts())
    assert net.width >= max(h[0].numel() for h in hidden)
