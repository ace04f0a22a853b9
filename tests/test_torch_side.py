"""The torch side without scikit-learn: modules, losses, penalties, batches."""

import math

import pytest
import torch

from sklreg._training import TensorBatchIterator, TensorData
from sklreg._training._data import ALIGNMENT, aligned
from sklreg.nn import MLP, DataLoss, dropout_generator
from sklreg.penalties import (
    ActivityPenalty,
    WeightNormPenalty,
    elastic_net_norm,
    l1_norm,
    squared_l2_norm,
    weight_parameters,
)


def small_mlp(**kwargs):
    params = dict(n_features=3, hidden_layer_sizes=(4, 5), n_outputs=2)
    params.update(kwargs)
    return MLP(
        **params, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )


def test_norm_values_on_small_tensors():
    a = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    b = torch.tensor([-4.0])
    assert l1_norm([a, b]).item() == 10.0
    assert squared_l2_norm([a, b]).item() == 1 + 4 + 9 + 16
    assert elastic_net_norm([a, b], l1_ratio=0.25).item() == pytest.approx(
        0.25 * 10 + 0.75 * 30
    )
    # per-row reduction, as used for activations
    assert l1_norm([a, a], dim=1).tolist() == [6.0, 6.0]


def test_norm_gradients():
    w = torch.tensor([[1.5, -2.0, 0.5]], requires_grad=True)
    (l1_norm([w]) + squared_l2_norm([w])).backward()
    assert w.grad.tolist() == [[1 + 3.0, -1 - 4.0, 1 + 1.0]]


def test_weight_penalty_ignores_biases():
    mlp = small_mlp()
    penalty = WeightNormPenalty(alpha=0.5, norm="l2").bind(mlp)
    names = {name for name, p in mlp.named_parameters() if p.ndim >= 2}
    assert names == {"hidden.0.weight", "hidden.1.weight", "output.weight"}
    expected = 0.5 * sum(p.square().sum() for p in weight_parameters(mlp))
    value = penalty()
    assert value.item() == pytest.approx(expected.item())
    value.backward()
    for name, p in mlp.named_parameters():
        if name.endswith("bias"):
            assert p.grad is None
        else:
            torch.testing.assert_close(p.grad, 2 * 0.5 * p.detach())


def test_activity_penalty_is_weighted_mean_over_rows():
    h1 = torch.tensor([[1.0, -1.0], [0.0, 2.0], [3.0, 0.0]])
    h2 = torch.tensor([[1.0], [1.0], [1.0]])
    per_row = torch.tensor([3.0, 3.0, 4.0])
    penalty = ActivityPenalty(alpha=2.0, norm="l1")
    assert penalty([h1, h2]).item() == pytest.approx(2.0 * per_row.mean().item())
    w = torch.tensor([1.0, 0.0, 3.0])
    assert penalty([h1, h2], w).item() == pytest.approx(2.0 * (3 + 12) / 4)
    squared = ActivityPenalty(alpha=1.0, norm="l2")([h1, h2], w)
    assert squared.item() == pytest.approx((3 * 1 + 3 * 10) / 4)


def test_data_losses_match_definitions():
    out = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w = torch.tensor([1.0, 2.0, 0.0])
    ce = DataLoss("cross_entropy")(out, torch.tensor([0, 1, 0]), w)
    per_row = -torch.log_softmax(out, dim=1)[[0, 1, 2], [0, 1, 0]]
    assert ce.item() == pytest.approx(((per_row * w).sum() / 3).item())
    target = torch.tensor([[1.0, 3.0], [0.0, 0.0], [5.0, 5.0]])
    se = DataLoss("squared_error")(out, target)
    assert se.item() == pytest.approx(((1 + 9) / 2 + 1 / 2 + 32 / 2) / 3)
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    bce = DataLoss("binary_cross_entropy")(out, labels)
    p = torch.sigmoid(out)
    manual = -(labels * p.log() + (1 - labels) * (1 - p).log()).mean()
    assert bce.item() == pytest.approx(manual.item())


def test_mlp_forward_shapes_and_hidden():
    mlp = small_mlp()
    X = torch.randn(7, 3, dtype=torch.float64)
    out, hidden = mlp(X, return_hidden=True)
    assert out.shape == (7, 2)
    assert [h.shape for h in hidden] == [(7, 4), (7, 5)]
    assert (hidden[0] >= 0).all()  # after the relu
    torch.testing.assert_close(mlp(X), out)


def test_mlp_init_is_seeded_glorot_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b = small_mlp(), small_mlp()
    assert torch.equal(torch.random.get_rng_state(), state)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
    bound = math.sqrt(6 / (3 + 4))
    assert a.hidden[0].weight.abs().max() <= bound
    assert a.hidden[0].weight.abs().max() > 0.5 * bound


def test_mlp_dropout_only_in_training():
    mlp = small_mlp(dropout=(0.5, 0.5), input_dropout=0.5)
    X = torch.randn(50, 3, dtype=torch.float64)
    mlp.eval()
    torch.testing.assert_close(mlp(X), mlp(X))
    mlp.train()
    assert not torch.equal(mlp(X), mlp(X))


def test_dropout_generator_draws_the_training_masks():
    mlp = small_mlp(dropout=(0.5, 0.5), input_dropout=0.5)
    X = torch.randn(50, 3, dtype=torch.float64)
    state = torch.random.get_rng_state()
    outputs = []
    for seed in (0, 0, 1):
        with dropout_generator(mlp, torch.Generator().manual_seed(seed)):
            outputs.append(mlp(X))
    assert torch.equal(outputs[0], outputs[1])
    assert not torch.equal(outputs[0], outputs[2])
    assert torch.equal(torch.random.get_rng_state(), state)
    # outside the block, the masks come from the global generator again
    torch.manual_seed(0)
    first = mlp(X)
    torch.manual_seed(0)
    torch.testing.assert_close(mlp(X), first)


def misaligned(tensor, offset):
    """A copy of ``tensor`` whose data starts ``offset`` bytes past an
    ``ALIGNMENT``-byte boundary."""
    size = tensor.element_size()
    buffer = torch.empty(tensor.numel() + 2 * ALIGNMENT // size, dtype=tensor.dtype)
    start = (-buffer.data_ptr() % ALIGNMENT + offset) // size
    view = buffer[start : start + tensor.numel()].view(tensor.shape)
    assert view.data_ptr() % ALIGNMENT == offset
    return view.copy_(tensor)


def test_aligned_copies_only_misaligned_rows():
    X = torch.randn(7, 3, dtype=torch.float64)
    assert aligned(X) is X  # torch allocates aligned memory
    shifted = misaligned(X, 8)
    copy = aligned(shifted)
    assert copy.data_ptr() % ALIGNMENT == 0
    assert torch.equal(copy, X)


@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_iterator_yields_the_same_batches_wherever_the_data_lives(shuffle):
    X = torch.randn(30, 3, dtype=torch.float64)
    y = torch.randn(30, 1, dtype=torch.float64)

    def batches(X, y):
        it = TensorBatchIterator(TensorData(X, y), batch_size=8, shuffle=shuffle)
        return list(it)

    for (xa, ya, _), (xb, yb, _) in zip(
        batches(X, y), batches(misaligned(X, 8), misaligned(y, 24)), strict=True
    ):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
        # each block starts aligned, so a batch sits at the same alignment
        assert xa.data_ptr() % ALIGNMENT == xb.data_ptr() % ALIGNMENT


def test_batch_iterator_covers_each_row_once_per_epoch():
    X = torch.arange(10.0).reshape(10, 1)
    data = TensorData(X, torch.arange(10), torch.ones(10))
    it = TensorBatchIterator(data, batch_size=4, shuffle=True, seed=3)
    assert len(it) == 3
    epoch1 = torch.cat([xb for xb, _, _ in it]).ravel()
    epoch2 = torch.cat([xb for xb, _, _ in it]).ravel()
    assert sorted(epoch1.tolist()) == list(range(10))
    assert epoch1.tolist() != epoch2.tolist()
    for xb, yb, wb in it:  # rows, targets and weights stay aligned
        assert xb.ravel().long().tolist() == yb.tolist()
        assert len(wb) == len(xb)
    again = TensorBatchIterator(data, batch_size=4, shuffle=True, seed=3)
    assert torch.cat([xb for xb, _, _ in again]).ravel().tolist() == epoch1.tolist()


def test_batch_iterator_keeps_order_when_one_batch_holds_all_rows():
    data = TensorData(torch.arange(5.0).reshape(5, 1), torch.arange(5))
    it = TensorBatchIterator(data, batch_size=5, shuffle=True, seed=0)
    ((xb, yb, wb),) = list(it)
    assert yb.tolist() == [0, 1, 2, 3, 4] and wb is None


def test_batch_iterator_gathers_in_blocks(monkeypatch):
    import sklreg._training._data as data_module

    # 8 bytes per row (float32 feature + float32 target): a block of 2 batches
    monkeypatch.setattr(data_module, "GATHER_BYTES", 2 * 3 * 8)
    X = torch.arange(11.0).reshape(11, 1)
    data = TensorData(X, torch.arange(11.0))
    it = TensorBatchIterator(data, batch_size=3, shuffle=True, seed=0)
    assert it._rows_per_gather() == 6
    batches = list(it)
    assert [len(xb) for xb, _, _ in batches] == [3, 3, 3, 2]
    rows = torch.cat([xb for xb, _, _ in batches]).ravel()
    assert sorted(rows.tolist()) == list(range(11))
    for xb, yb, _ in batches:
        assert xb.ravel().tolist() == yb.tolist()
    # the same seed gives the same order as one big gather would
    monkeypatch.setattr(data_module, "GATHER_BYTES", 2**30)
    whole = TensorBatchIterator(data, batch_size=3, shuffle=True, seed=0)
    assert torch.cat([xb for xb, _, _ in whole]).ravel().tolist() == rows.tolist()
