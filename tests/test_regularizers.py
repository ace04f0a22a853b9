"""Each regularizer does what it says, seen through the public API."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor

from .helpers import FAST


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=200, n_features=20, n_informative=4, n_redundant=0, random_state=0
    )
    return X, y


def first_layer(est):
    return est.module_.hidden[0].weight.detach().numpy()


def test_subgradient_l1_shrinks_far_more_first_layer_weights_to_near_zero(data):
    X, y = data
    params = dict(FAST, norm="l1", l1_method="subgradient", random_state=0)
    plain = RegularizedMLPClassifier(**params, alpha=0.0)
    sparse = RegularizedMLPClassifier(**params, alpha=0.05)
    lr = FAST["learning_rate_init"]
    # subgradient steps leave L1-zeroed weights within about one step of zero
    # (proximal steps, the default, set them to exactly zero: test_l1_sparsity)
    n_plain = (np.abs(first_layer(plain.fit(X, y))) < lr).sum()
    n_sparse = (np.abs(first_layer(sparse.fit(X, y))) < lr).sum()
    assert n_sparse > 3 * n_plain
    assert n_sparse > 0.5 * first_layer(sparse).size


def test_larger_l2_alpha_shrinks_weight_norm(data):
    X, y = data
    norms = []
    for alpha in (0.0, 1e-2, 1e-1):
        est = RegularizedMLPClassifier(**FAST, alpha=alpha, random_state=0).fit(X, y)
        norms.append(sum((w.detach() ** 2).sum().item() for w in _weights(est)))
    assert norms[0] > norms[1] > norms[2]


def _weights(est):
    return [p for p in est.module_.parameters() if p.ndim >= 2]


def test_biases_are_not_penalized():
    # 80/20 classes, features carry no signal: with an overwhelming penalty
    # the weights vanish but the output bias still learns the class prior.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = (np.arange(300) % 5 == 0).astype(int)
    est = RegularizedMLPClassifier(
        (8,), alpha=10.0, learning_rate_init=0.05, max_iter=150, random_state=0
    ).fit(X, y)
    assert max(np.abs(w.detach().numpy()).max() for w in _weights(est)) < 0.05
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], 0.2, atol=0.02)
    assert abs(est.module_.output.bias.item() - np.log(0.2 / 0.8)) < 0.15


def test_norm_penalty_is_recorded_as_added(data):
    X, y = data
    est = RegularizedMLPClassifier(
        **FAST, alpha=1e-2, batch_size=1000, random_state=0
    ).fit(X, y)
    # full batch: the penalty of the last epoch is computed on the weights
    # before the last update, so it is close to (not equal to) the final one
    final = 1e-2 * sum((w.detach() ** 2).sum().item() for w in _weights(est))
    last = est.history_[-1]
    assert last["norm_penalty"] == pytest.approx(final, rel=0.05)
    assert last["train_loss"] == pytest.approx(
        last["data_loss"] + last["norm_penalty"] + last["activity_penalty"]
    )
    assert last["tie_penalty"] == 0.0 and last["activity_penalty"] == 0.0


def test_elasticnet_sits_between_l1_and_l2(data):
    X, y = data
    penalties = {}
    for norm in ("l1", "elasticnet", "l2"):
        params = dict(FAST, alpha=1e-2, norm=norm, l1_ratio=0.5, max_iter=1)
        est = RegularizedMLPClassifier(**params, random_state=0).fit(X, y)
        penalties[norm] = est.history_[0]["norm_penalty"]
    assert penalties["elasticnet"] == pytest.approx(
        0.5 * penalties["l1"] + 0.5 * penalties["l2"], rel=1e-3
    )


def test_activity_penalty_lowers_hidden_activations(data):
    X, y = data
    means = []
    for activity_alpha in (0.0, 0.1):
        est = RegularizedMLPClassifier(
            **FAST, activity_alpha=activity_alpha, random_state=0
        ).fit(X, y)
        with torch.no_grad():
            _, hidden = est.module_(torch.as_tensor(X), return_hidden=True)
        means.append(hidden[0].abs().mean().item())
        assert (est.history_[-1]["activity_penalty"] > 0) == (activity_alpha > 0)
    assert means[1] < 0.5 * means[0]


def test_max_norm_holds_after_fit(data):
    X, y = data
    est = RegularizedMLPClassifier(**FAST, alpha=0.0, max_norm=0.5, random_state=0).fit(
        X, y
    )
    unconstrained = RegularizedMLPClassifier(**FAST, alpha=0.0, random_state=0)
    unconstrained.fit(X, y)
    for w, free in zip(_weights(est), _weights(unconstrained), strict=True):
        row_norms = w.detach().norm(dim=1)  # each unit's incoming weights
        assert (row_norms <= 0.5 + 1e-6).all()
        # the bound was reached, where training alone would have passed it
        assert row_norms.max() >= 0.5 - 1e-6
        assert free.detach().norm(dim=1).max() > 0.5


def test_adamw_applies_l2_as_decoupled_decay(data):
    X, y = data
    base = dict(FAST, solver="adamw", random_state=0)
    free = RegularizedMLPClassifier(**base, alpha=0.0).fit(X, y)
    # no penalty, no decay (not PyTorch's default AdamW decay of 1e-2)
    assert [g["weight_decay"] for g in free.net_.optimizer_.param_groups] == [0.0]
    decayed = RegularizedMLPClassifier(**base, alpha=2.0).fit(X, y)
    assert decayed.net_.optimizer_.param_groups[0]["weight_decay"] == 4.0
    assert decayed.net_.optimizer_.param_groups[1]["weight_decay"] == 0.0
    assert decayed.history_[-1]["norm_penalty"] == 0.0  # not in the objective
    norm = lambda est: sum((w.detach() ** 2).sum().item() for w in _weights(est))  # noqa: E731
    assert norm(decayed) < 0.5 * norm(free)
    mixed = RegularizedMLPClassifier(**base, alpha=0.5, norm="elasticnet", l1_ratio=0.2)
    mixed.fit(X, y)
    assert mixed.net_.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(0.8)
    assert mixed.history_[-1]["norm_penalty"] > 0  # the L1 part


def test_dropout_per_layer_and_input(data):
    X, y = data
    est = RegularizedMLPClassifier(
        (16, 8), dropout=[0.5, 0.1], input_dropout=0.2, max_iter=5, random_state=0
    ).fit(X, y)
    assert est.module_.dropout == (0.5, 0.1)
    assert est.module_.input_dropout == 0.2
    # prediction is the whole network (dropout off); training thins it
    module, rows = est.module_, torch.as_tensor(X)
    with torch.no_grad():
        whole = torch.sigmoid(module.eval()(rows))[:, 0].numpy()  # binary: 1 logit
        thinned = torch.sigmoid(module.train()(rows))[:, 0].numpy()
    module.eval()
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], whole, rtol=1e-12)
    assert not np.allclose(thinned, whole)


def test_dropout_is_reproducible_and_seeded(data):
    X, y = data
    params = dict(FAST, dropout=0.5, input_dropout=0.2)
    a = RegularizedMLPClassifier(**params, random_state=3).fit(X, y).predict_proba(X)
    b = RegularizedMLPClassifier(**params, random_state=3).fit(X, y).predict_proba(X)
    c = RegularizedMLPClassifier(**params, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_training_leaves_the_global_torch_seed_alone(data):
    X, y = data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    RegularizedMLPClassifier(**FAST, dropout=0.3, random_state=0).fit(X, y)
    torch.testing.assert_close(torch.rand(3), expected)


@pytest.mark.parametrize(
    "Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor]
)
def test_same_random_state_is_bit_identical(Estimator, data):
    X, y = data
    est = Estimator(**FAST, batch_size=32, random_state=7)
    np.testing.assert_array_equal(est.fit(X, y).predict(X), est.fit(X, y).predict(X))
    free = Estimator(**FAST, batch_size=32)
    if Estimator is RegularizedMLPRegressor:
        assert not np.array_equal(free.fit(X, y).predict(X), free.fit(X, y).predict(X))
    else:
        assert not np.array_equal(
            free.fit(X, y).predict_proba(X), free.fit(X, y).predict_proba(X)
        )
