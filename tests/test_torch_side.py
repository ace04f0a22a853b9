"""The torch side without scikit-learn: modules, losses, penalties, batches."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from sklreg._training import TensorBatchIterator, TensorData
from sklreg._training._data import ALIGNMENT, aligned
from sklreg.nn import (
    MLP,
    DataLoss,
    MultiTaskMLP,
    dropout_generator,
    mc_dropout,
    parameter_names,
    weight_parameters,
)
from sklreg.penalties import (
    ActivityPenalty,
    TiePenalty,
    WeightNormPenalty,
    elastic_net_norm,
    l1_norm,
    pairwise_l1_norm,
    pairwise_squared_l2_norm,
    squared_l2_norm,
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


def small_towers(task_outputs=(2, 3, 2), shared_layers=1, **kwargs):
    return MultiTaskMLP(
        3,
        (4, 5),
        task_outputs,
        shared_layers=shared_layers,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(0),
        **kwargs,
    )


@pytest.mark.parametrize("shared_layers", [0, 1, 2])
def test_towers_compute_each_task_as_its_own_network(shared_layers):
    towers = small_towers(shared_layers=shared_layers)
    names = [name for name, _ in towers.named_parameters()]
    assert names == parameter_names(2, n_tasks=3, shared_layers=shared_layers)
    X = torch.randn(7, 3, dtype=torch.float64)
    out, hidden = towers(X, return_hidden=True)

    def one_task(t):
        h = X
        for i in range(2):
            layer = (
                towers.hidden[i]
                if i < shared_layers
                else towers.towers[t].hidden[str(i)]
            )
            h = torch.relu(layer(h))
        return towers.towers[t].output(h)

    expected = torch.cat([one_task(t) for t in range(3)], dim=1)
    assert out.shape == (7, 2 + 3 + 2)
    torch.testing.assert_close(out, expected)
    assert [h.shape for h in hidden] == [
        (7, 4) if shared_layers > 0 else (7, 3, 4),
        (7, 5) if shared_layers > 1 else (7, 3, 5),
    ]
    # towers do not mix: task 0's loss has no gradient in the other towers
    out[:, :2].sum().backward()
    for name, param in towers.named_parameters():
        if name.startswith(("towers.1.", "towers.2.")):
            assert param.grad is None or not param.grad.any(), name
        elif name.startswith("towers.0."):
            assert param.grad.any(), name


def test_one_tower_is_the_plain_mlp():
    tower = small_towers(task_outputs=(2,), shared_layers=0)
    mlp = small_mlp()
    for p, q in zip(tower.parameters(), mlp.parameters(), strict=True):
        assert torch.equal(p, q)  # the same initial draws
    X = torch.randn(7, 3, dtype=torch.float64)
    torch.testing.assert_close(tower(X), mlp(X))
    assert tower.tower_weight_groups() == []


def test_tower_weight_groups_pair_layers_and_heads_of_one_shape():
    towers = small_towers(task_outputs=(2, 3, 2), shared_layers=1)
    assert towers.tower_weight_groups() == [
        [f"towers.{t}.hidden.1.weight" for t in range(3)],
        ["towers.0.output.weight", "towers.2.output.weight"],
    ]
    assert towers.width == max(3, 4, 3 * 5, 3 * 3)


def test_towers_in_monte_carlo_mode():
    towers = small_towers(shared_layers=1, dropout=(0.3, 0.5), input_dropout=0.2)
    towers.eval()
    X = torch.randn(9, 3, dtype=torch.float64)
    with mc_dropout(towers, 4, torch.Generator().manual_seed(0)):
        out = towers(X)
        again = towers(X[3:5])  # the same masks: rows do not depend on others
    assert out.shape == (4, 9, 7)
    torch.testing.assert_close(again, out[:, 3:5])
    assert not torch.allclose(out[0], out[1])  # thinned networks differ
    torch.testing.assert_close(towers(X), towers(X))  # deterministic again


def test_tower_dropout_drops_units_of_each_tower_independently():
    towers = small_towers(task_outputs=(1, 1), shared_layers=0, dropout=(0.5, 0.5))
    layer = towers.hidden_drop[0]
    assert layer.unit_dims == 2
    h = torch.ones(200, 2, 4, dtype=torch.float64)
    dropped = layer(h) == 0
    assert 0.3 < dropped.double().mean() < 0.7
    assert not torch.equal(dropped[:, 0], dropped[:, 1])


def test_task_cross_entropy_is_the_mean_over_tasks():
    n_classes = (3, 2, 3)
    out = torch.randn(6, sum(n_classes), dtype=torch.float64, requires_grad=True)
    target = torch.tensor([[0, 1, 2], [2, 0, 0], [1, 1, 1]] * 2)
    w = torch.tensor([1.0, 0.0, 2.0, 1.0, 3.0, 0.5], dtype=torch.float64)
    blocks = out.split(n_classes, dim=1)
    per_task = torch.stack(
        [
            F.cross_entropy(b, target[:, t], reduction="none")
            for t, b in enumerate(blocks)
        ],
        dim=1,
    )
    loss = DataLoss("cross_entropy", n_classes=n_classes)
    torch.testing.assert_close(loss(out, target), per_task.mean())
    weighted = loss(out, target, w)
    torch.testing.assert_close(weighted, (per_task.mean(1) * w).sum() / w.sum())
    weighted.backward()
    assert torch.isfinite(out.grad).all()
    expected = torch.autograd.grad(
        (per_task.mean(1) * w).sum() / w.sum(), out, retain_graph=False
    )[0]
    torch.testing.assert_close(out.grad, expected)
    with pytest.raises(ValueError, match="cross_entropy"):
        DataLoss("squared_error", n_classes=n_classes)


def test_pairwise_norms_sum_over_pairs():
    tensors = [torch.randn(3, 2, dtype=torch.float64) for _ in range(4)]
    pairs = list(itertools.combinations(tensors, 2))
    l1 = sum((a - b).abs().sum() for a, b in pairs)
    l2 = sum((a - b).square().sum() for a, b in pairs)
    torch.testing.assert_close(pairwise_l1_norm(tensors), l1)
    torch.testing.assert_close(pairwise_squared_l2_norm(tensors), l2)
    a = torch.tensor([1.0, -2.0])
    assert pairwise_l1_norm([a, a + 3]).item() == 6.0
    assert pairwise_squared_l2_norm([a, a + 3]).item() == 18.0


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_pairwise_norm_gradients_match_the_pairs(norm):
    leaves = [torch.randn(5, dtype=torch.float64, requires_grad=True) for _ in range(3)]
    fast = {"l1": pairwise_l1_norm, "l2": pairwise_squared_l2_norm}[norm]
    omega = {"l1": lambda d: d.abs().sum(), "l2": lambda d: d.square().sum()}[norm]
    grads = torch.autograd.grad(fast(leaves), leaves)
    slow = sum(omega(a - b) for a, b in itertools.combinations(leaves, 2))
    for g, h in zip(grads, torch.autograd.grad(slow, leaves), strict=True):
        torch.testing.assert_close(g, h)


def test_pairwise_squared_l2_gradient_passes_gradcheck():
    # the squared L2 norm has a hand-written gradient: check it numerically,
    # on matrices, and with a tensor that needs no gradient in the group
    leaves = [
        torch.randn(3, 2, dtype=torch.float64, requires_grad=True) for _ in range(3)
    ]
    assert torch.autograd.gradcheck(lambda *t: pairwise_squared_l2_norm(t), leaves)
    fixed = torch.randn(3, 2, dtype=torch.float64)
    (grad,) = torch.autograd.grad(
        pairwise_squared_l2_norm([leaves[0], fixed]), leaves[0]
    )
    torch.testing.assert_close(grad, 2 * (leaves[0] - fixed).detach())


def test_tie_penalty_applies_to_the_named_groups_only():
    towers = small_towers(task_outputs=(1, 1, 1), shared_layers=1)
    params = dict(towers.named_parameters())
    groups = [
        ["towers.0.hidden.1.weight", "towers.2.hidden.1.weight"],
        ["towers.0.output.bias", "towers.1.output.bias", "towers.2.output.bias"],
    ]
    penalty = TiePenalty(0.5, groups, norm="l2").bind(towers)
    assert penalty.name == "tie_penalty"
    value = penalty()
    expected = 0.5 * sum(
        pairwise_squared_l2_norm([params[n] for n in group]) for group in groups
    )
    torch.testing.assert_close(value, expected)
    value.backward()
    named = {n for group in groups for n in group}
    for name, param in towers.named_parameters():
        assert (param.grad is not None) == (name in named), name
    w0, w2 = params["towers.0.hidden.1.weight"], params["towers.2.hidden.1.weight"]
    torch.testing.assert_close(w0.grad, 0.5 * 2 * (w0 - w2).detach())
    with pytest.raises(ValueError, match="towers.5.output.weight"):
        TiePenalty(1.0, [["towers.0.output.weight", "towers.5.output.weight"]]).bind(
            towers
        )


def test_batch_iterator_reusing_memory_yields_the_same_batches(monkeypatch):
    import sklreg._training._data as data_module

    monkeypatch.setattr(data_module, "GATHER_BYTES", 2 * 3 * 8)  # 2 batches/block
    X = torch.arange(11.0).reshape(11, 1)
    data = TensorData(X, torch.arange(11.0))
    fresh = [
        (xb.clone(), yb.clone())
        for xb, yb, _ in TensorBatchIterator(data, batch_size=3, shuffle=True, seed=0)
    ]
    reused = TensorBatchIterator(
        data, batch_size=3, shuffle=True, seed=0, reuse_memory=True
    )
    kept = []  # batches stay referenced: fresh blocks would need new memory
    for (xb, yb, _), (x_fresh, y_fresh) in zip(reused, fresh, strict=True):
        # each batch is read before the next is asked for, as the loop does
        assert torch.equal(xb, x_fresh) and torch.equal(yb, y_fresh)
        kept.append(xb)
    # two blocks of two batches, gathered into the same memory
    assert len({xb.data_ptr() for xb in kept}) == 2
    assert X.ravel().tolist() == list(range(11))  # the data is never written
