"""Proximal L1: exact zeros, the right solution, feature selection, reporting."""

import numpy as np
import pytest
import torch
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import Lasso

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor
from sklreg._training import PenalizedNet, TensorData
from sklreg._training._optim import build_optimizer, step_sizes
from sklreg.nn import DataLoss
from sklreg.penalties import WeightNormPenalty, soft_threshold_

from .helpers import FAST, fast

INFORMATIVE = [0, 1, 2]


@pytest.fixture(scope="module")
def few_informative():
    """20 standard normal inputs; the label depends on the first three only."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 20))
    y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(int)
    return X, y


@pytest.fixture
def selector(few_informative):
    """``SelectFromModel`` around a strongly L1-penalized classifier (fitted)."""
    est = RegularizedMLPClassifier(**FAST, alpha=0.03, norm="l1", random_state=0)
    return SelectFromModel(est).fit(*few_informative)


# -- the torch side ----------------------------------------------------------------
def test_soft_threshold_stops_at_exactly_zero():
    a = torch.tensor([[0.5, -0.05], [-2.0, 0.1]])
    b = torch.tensor([0.3, -0.3, 0.0])
    soft_threshold_([a, b], [0.1, 0.3])
    torch.testing.assert_close(a, torch.tensor([[0.4, 0.0], [-1.9, 0.0]]))
    assert (a[:, 1] == 0).all() and (b[:2] == 0).all() and b[2] == 0
    # one threshold per entry
    c = torch.tensor([1.0, -1.0, 0.5])
    soft_threshold_([c], [torch.tensor([0.5, 2.0, 0.1])])
    assert c.tolist() == pytest.approx([0.5, 0.0, 0.4])
    assert c[1] == 0


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_step_sizes_are_the_steps_the_optimizer_took(solver):
    # each update moved every entry by its step size times the averaged,
    # bias-corrected gradient (Adam's first moment; SGD's EMA of gradients)
    torch.manual_seed(0)
    module = torch.nn.Linear(4, 3, dtype=torch.float64)
    optimizer = build_optimizer(solver, module, lr=0.1, momentum=0.9)
    for t in range(1, 4):  # bias corrections differ from one step to the next
        module.weight.grad = torch.randn(3, 4, dtype=torch.float64)
        module.bias.grad = None
        before = module.weight.detach().clone()
        optimizer.step()
        (size,) = step_sizes(solver, optimizer, [module.weight], scale=2.0)
        state = optimizer.state[module.weight]
        if solver == "sgd":
            averaged = (1 - 0.9) * state["momentum_buffer"]
        else:
            averaged = state["exp_avg"] / (1 - 0.9**t)
        torch.testing.assert_close(before - module.weight.detach(), size / 2 * averaged)


@pytest.mark.parametrize(("solver", "lr"), [("sgd", 0.05), ("adam", 0.03)])
def test_proximal_l1_reaches_the_lasso_solution(solver, lr):
    # a linear model minimising mean squared error + a * ||w||_1 is the lasso
    # with alpha = a / 2; momentum and Adam's scaling must not change the
    # solution, and the zeros must be exact
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 8))
    y = X @ [2.0, -1.5, 1.0, 0.3, 0, 0, 0, 0] + 0.5 * rng.normal(size=100) + 1.0
    a = 0.2
    lasso = Lasso(alpha=a / 2, tol=1e-12, max_iter=100_000).fit(X, y)
    torch.manual_seed(0)
    module = torch.nn.Linear(8, 1, dtype=torch.float64)
    penalty = WeightNormPenalty(a, "l1", l1_method="proximal")
    net = PenalizedNet(
        module,
        DataLoss("squared_error"),
        penalties=[penalty],
        solver=solver,
        lr=lr,
        momentum=0.9,
        batch_size=100,
        shuffle=False,
        verbose=0,
    ).initialize()
    # ten copies of the rows, in order: each epoch is ten full-gradient steps
    copies = TensorData(
        torch.as_tensor(np.tile(X, (10, 1))), torch.as_tensor(np.tile(y, 10)[:, None])
    )
    net.partial_fit(copies, epochs=25)
    coef = module.weight.detach().numpy().ravel()
    np.testing.assert_allclose(coef, lasso.coef_, atol=1e-4)
    np.testing.assert_array_equal(coef == 0, lasso.coef_ == 0)
    assert (coef == 0).sum() == 4


# -- the estimators ---------------------------------------------------------------
def test_proximal_l1_zeroes_whole_uninformative_inputs(selector):
    est = selector.estimator_
    weights = est.coefs_[0]  # (n_features, n_hidden)
    assert (weights == 0).mean() > 0.8
    zero_inputs = np.flatnonzero((weights == 0).all(axis=1))
    assert len(zero_inputs) >= 10
    assert not set(zero_inputs) & set(INFORMATIVE)
    assert (est.feature_importances_[INFORMATIVE] > 0).all()
    np.testing.assert_array_equal(est.feature_importances_[zero_inputs], 0.0)
    # the reported sparsity is the count of exact zeros
    assert est.sparsity_["hidden.0.weight"] == (weights == 0).mean()
    all_weights = np.concatenate([w.ravel() for w in est.coefs_])
    assert est.history_[-1]["sparsity"] == pytest.approx((all_weights == 0).mean())


def test_select_from_model_keeps_the_informative_inputs(selector, few_informative):
    X, _ = few_informative
    support = selector.get_support()
    assert support[INFORMATIVE].all()
    assert support.sum() <= 6
    assert selector.transform(X).shape == (len(X), support.sum())


def test_no_penalty_zeroes_nothing(few_informative):
    est = RegularizedMLPClassifier(**FAST, alpha=0.0, norm="l1", random_state=0)
    est.fit(*few_informative)
    assert all((w != 0).all() for w in est.coefs_)
    assert (est.feature_importances_ > 0).all()
    assert "sparsity" not in est.history_[-1]


def test_subgradient_l1_leaves_weights_near_zero_not_at_it(few_informative):
    params = dict(FAST, alpha=0.03, norm="l1", random_state=0)
    est = RegularizedMLPClassifier(**params, l1_method="subgradient")
    weights = est.fit(*few_informative).coefs_[0]
    assert (weights == 0).mean() < 0.01
    assert (np.abs(weights) < FAST["learning_rate_init"]).mean() > 0.5
    assert est.history_[-1]["sparsity"] < 0.01


@pytest.mark.parametrize(
    ("norm", "solver"),
    [("l1", "adam"), ("l1", "sgd"), ("elasticnet", "adam"), ("elasticnet", "adamw")],
)
def test_norm_penalty_is_recorded_with_proximal_steps(norm, solver, few_informative):
    X, y = few_informative
    alpha, l1_ratio = 0.02, 0.7
    est = RegularizedMLPRegressor(
        **FAST,
        alpha=alpha,
        norm=norm,
        l1_ratio=l1_ratio,
        solver=solver,
        batch_size=1000,
        random_state=0,
    ).fit(X, X[:, 0] - X[:, 1])
    weights = est.coefs_
    l1 = sum(np.abs(w).sum() for w in weights)
    l2 = sum((w**2).sum() for w in weights)
    if norm == "l1":
        expected = alpha * l1
    elif solver == "adamw":  # the L2 part is decoupled decay, not a term
        expected = alpha * l1_ratio * l1
    else:
        expected = alpha * (l1_ratio * l1 + (1 - l1_ratio) * l2)
    last = est.history_[-1]
    # full batch: recorded on the weights before the last update
    assert last["norm_penalty"] == pytest.approx(expected, rel=0.05)
    assert last["train_loss"] == pytest.approx(last["data_loss"] + last["norm_penalty"])
    assert last["sparsity"] > 0


def test_coefs_and_intercepts_are_the_module_parameters():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 5)), rng.randint(3, size=60)
    est = RegularizedMLPClassifier((7, 4), max_iter=2, random_state=0).fit(X, y)
    layers = [*est.module_.hidden, est.module_.output]
    assert [w.shape for w in est.coefs_] == [(5, 7), (7, 4), (4, 3)]
    assert [b.shape for b in est.intercepts_] == [(7,), (4,), (3,)]
    for layer, coef, intercept in zip(layers, est.coefs_, est.intercepts_, strict=True):
        np.testing.assert_array_equal(coef, layer.weight.detach().numpy().T)
        np.testing.assert_array_equal(intercept, layer.bias.detach().numpy())
    np.testing.assert_allclose(
        est.feature_importances_, np.linalg.norm(est.coefs_[0], axis=1), rtol=1e-12
    )
    # copies: writing to them leaves the network alone
    est.coefs_[0][:] = 0.0
    est.intercepts_[0][:] = 0.0
    assert (est.coefs_[0] != 0).any() and (est.intercepts_[0] != 0).any()


def test_verbose_shows_sparsity_with_an_l1_penalty(few_informative, capsys):
    X, y = few_informative
    RegularizedMLPClassifier(**fast(max_iter=1), norm="l1", verbose=1).fit(X, y)
    assert "sparsity" in capsys.readouterr().out
    RegularizedMLPClassifier(**fast(max_iter=1), verbose=1).fit(X, y)
    assert "sparsity" not in capsys.readouterr().out


def test_sgd_momentum_one_has_no_proximal_step(few_informative):
    est = RegularizedMLPClassifier(solver="sgd", momentum=1.0, norm="l1")
    with pytest.raises(ValueError, match="momentum=1"):
        est.fit(*few_informative)
    assert not hasattr(est, "net_")
