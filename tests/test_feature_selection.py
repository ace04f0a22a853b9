"""Feature selection by the group lasso on the inputs (``feature_alpha``)."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.feature_selection import SelectFromModel

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    feature_selection_path,
    plot_history,
)
from sklreg.nn import MLP, MultiTaskMLP
from sklreg.penalties import (
    FeatureGroupPenalty,
    group_soft_threshold_,
    input_group_norms,
)

from .helpers import FAST

INFORMATIVE = [0, 1, 2]
#: The documented threshold: keeps exactly the inputs of nonzero importance.
THRESHOLD = np.finfo(float).tiny


@pytest.fixture(scope="module")
def few_informative():
    """20 standard normal inputs; the label depends on the first three only."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 20))
    y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(int)
    return X, y


def _removed(est):
    return np.flatnonzero(est.feature_importances_ == 0)


# -- the torch side ----------------------------------------------------------------
def test_group_norms_cover_every_tensor_that_reads_an_input():
    a = torch.tensor([[3.0, 0.0], [0.0, 1.0]])
    b = torch.tensor([[4.0, 0.0]])
    torch.testing.assert_close(input_group_norms([a, b]), torch.tensor([5.0, 1.0]))
    # leading dimensions are separate networks, each with its own groups
    stacked = torch.stack([a, 2 * a])
    torch.testing.assert_close(
        input_group_norms([stacked]), torch.tensor([[3.0, 1.0], [6.0, 2.0]])
    )


def test_block_soft_threshold_with_one_threshold_is_the_closed_form():
    w = torch.tensor([[3.0, 0.3, 0.0], [4.0, 0.4, 0.0]])
    group_soft_threshold_([w], [1.0])
    # the norms 5, 0.5 and 0 shrink by 1 (to 4, 0 and 0), directions kept
    torch.testing.assert_close(
        w, torch.tensor([[2.4, 0.0, 0.0], [3.2, 0.0, 0.0]]), rtol=0, atol=1e-6
    )
    assert (w[:, 1:] == 0).all()


def _objective(u, w, b):
    """``||u|| + sum (u - w)**2 / (2 * b)`` for one group (strength 1)."""
    return u.norm() + ((u - w) ** 2 / (2 * b)).sum()


def test_preconditioned_block_soft_threshold_minimises_its_objective():
    # per-entry thresholds b_i = alpha * d_i: the minimiser of
    # alpha * ||u|| + sum (u_i - w_i)**2 / (2 * d_i), column by column
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(6, 40, generator=gen, dtype=torch.float64)
    b = torch.exp(torch.randn(6, 40, generator=gen, dtype=torch.float64))
    u = w.clone()
    group_soft_threshold_([u], [b])
    zero = (u == 0).all(dim=0)
    # a group is removed exactly when ||w / b|| <= 1 (0 is then optimal)
    assert zero.any() and not zero.all()
    torch.testing.assert_close(zero, (w / b).norm(dim=0) <= 1)
    for j in range(w.shape[1]):
        best = _objective(u[:, j], w[:, j], b[:, j])
        for _ in range(20):  # no nearby point does better
            trial = u[:, j] + 1e-4 * torch.randn(6, generator=gen, dtype=w.dtype)
            assert best <= _objective(trial, w[:, j], b[:, j]) + 1e-12
        if not zero[j]:  # stationarity: (u - w) / b + u / ||u|| = 0
            residual = (u[:, j] - w[:, j]) / b[:, j] + u[:, j] / u[:, j].norm()
            assert residual.abs().max() < 1e-9


def test_group_across_tensors_is_one_group():
    # two towers reading the same inputs: the same step as one stacked matrix
    gen = torch.Generator().manual_seed(1)
    w = torch.randn(8, 5, generator=gen, dtype=torch.float64)
    b = 1.5 * torch.rand(8, 5, generator=gen, dtype=torch.float64) + 0.5
    top, bottom = w[:3].clone(), w[3:].clone()
    group_soft_threshold_([top, bottom], [b[:3], b[3:]])
    group_soft_threshold_([w], [b])
    torch.testing.assert_close(torch.cat([top, bottom]), w)


def test_modules_list_their_input_weights():
    mlp = MLP(5, (4, 3), 2)
    assert mlp.input_weights() == [mlp.hidden[0].weight]
    towers = MultiTaskMLP(5, (4,), (1, 1), shared_layers=0)
    assert towers.input_weights() == [t.hidden["0"].weight for t in towers.towers]
    trunk = MultiTaskMLP(5, (4, 3), (1, 1), shared_layers=1)
    assert trunk.input_weights() == [trunk.hidden[0].weight]


def test_penalty_value_and_no_gradient():
    mlp = MLP(3, (2,), 1, dtype=torch.float64)
    with torch.no_grad():
        mlp.hidden[0].weight.copy_(torch.tensor([[3.0, 0.0, 1.0], [4.0, 0.0, 0.0]]))
    penalty = FeatureGroupPenalty(0.5).bind(mlp)
    value = penalty()
    assert value.item() == pytest.approx(0.5 * (5.0 + 0.0 + 1.0))
    assert not value.requires_grad and penalty.proximal


# -- the estimators ----------------------------------------------------------------
def test_strong_penalty_removes_whole_inputs_and_keeps_the_informative(
    few_informative,
):
    X, y = few_informative
    est = RegularizedMLPClassifier(**FAST, feature_alpha=0.03, random_state=0)
    est.fit(X, y)
    importances = est.feature_importances_
    assert (importances[INFORMATIVE] > 0).all()
    removed = _removed(est)
    assert len(removed) >= 12  # most of the 17 noise inputs
    first = est.module_.hidden[0].weight.detach().numpy()
    assert (first[:, removed] == 0).all()  # whole columns, exactly
    assert est.n_features_selected_ == 20 - len(removed)
    assert est.score(X, y) > 0.9
    # the removed inputs no longer affect the predictions
    X_changed = X.copy()
    X_changed[:, removed] = 100.0
    np.testing.assert_array_equal(est.predict_proba(X_changed), est.predict_proba(X))
    assert est.history_[-1]["feature_penalty"] == pytest.approx(
        0.03 * importances.sum(), rel=0.03
    )  # the mean over the epoch's minibatches, near its end value
    # sparsity counts the zero weights among all weights (16x20 and 1x16)
    assert est.history_[-1]["sparsity"] == pytest.approx(
        16 * len(removed) / (16 * 20 + 16)
    )
    assert est.sparsity_["hidden.0.weight"] == len(removed) / 20


def test_stronger_penalty_never_keeps_more_inputs(few_informative):
    X, y = few_informative
    kept = [
        RegularizedMLPClassifier(**FAST, feature_alpha=a, random_state=0)
        .fit(X, y)
        .n_features_selected_
        for a in (0.0, 0.01, 0.03, 0.1)
    ]
    assert kept[0] == 20
    assert kept[-1] < kept[1]
    assert all(
        later <= earlier + 1 for earlier, later in zip(kept[:-1], kept[1:], strict=True)
    )


def test_select_from_model_keeps_exactly_the_surviving_inputs(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifier(**FAST, feature_alpha=0.03, random_state=0)
    selector = SelectFromModel(est, threshold=THRESHOLD).fit(X, y)
    kept = selector.estimator_.feature_importances_ != 0
    np.testing.assert_array_equal(selector.get_support(), kept)
    assert selector.transform(X).shape == (
        len(X),
        selector.estimator_.n_features_selected_,
    )
    assert set(INFORMATIVE) <= set(np.flatnonzero(selector.get_support()))


def test_feature_alpha_zero_changes_nothing_bit_for_bit(few_informative):
    X, y = few_informative
    plain = RegularizedMLPClassifier(**FAST, random_state=0).fit(X, y)
    zero = RegularizedMLPClassifier(**FAST, feature_alpha=0.0, random_state=0)
    zero.fit(X, y)
    for (name, a), (_, b) in zip(
        plain.module_.state_dict().items(),
        zero.module_.state_dict().items(),
        strict=True,
    ):
        assert torch.equal(a, b), name
    assert [row["feature_penalty"] for row in zero.history_] == [0.0] * 40
    assert "sparsity" not in zero.history_[-1]
    assert zero.n_features_selected_ == 20


@pytest.mark.parametrize("shared_layers", [0, 1])
def test_towers_remove_an_input_from_every_tower(shared_layers):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 12))
    y = np.column_stack([X[:, 0] - X[:, 1], X[:, 1] + X[:, 2]])
    est = RegularizedMLPRegressor(
        (8, 8),
        shared_layers=shared_layers,
        feature_alpha=0.1,
        learning_rate_init=1e-2,
        max_iter=60,
        random_state=0,
    ).fit(X, y)
    importances = est.feature_importances_
    assert (importances[:3] > 0).all()
    removed = _removed(est)
    assert len(removed) >= 8  # of the 9 noise inputs
    assert est.n_features_selected_ == 12 - len(removed)
    first = [
        p.detach().numpy()
        for name, p in est.module_.named_parameters()
        if name.endswith("hidden.0.weight")
    ]
    assert len(first) == (2 if shared_layers == 0 else 1)
    for weight in first:
        assert (weight[:, removed] == 0).all()
    assert est.score(X, y) > 0.8


def test_multi_output_regressor_selects_the_inputs_of_all_outputs():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(200, 10))
    y = np.column_stack([X[:, 0], X[:, 1] - X[:, 0], X[:, 2]])
    est = RegularizedMLPRegressor(
        (16,), feature_alpha=0.1, learning_rate_init=1e-2, max_iter=60, random_state=0
    ).fit(X, y)
    assert (est.feature_importances_[:3] > 0).all()
    assert est.n_features_selected_ <= 4
    assert est.score(X, y) > 0.9


def test_sparse_group_lasso_combines_both_proximal_steps(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifier(
        **FAST, alpha=3e-3, norm="l1", feature_alpha=0.03, random_state=0
    ).fit(X, y)
    last = est.history_[-1]
    assert last["norm_penalty"] > 0 and last["feature_penalty"] > 0
    first = est.module_.hidden[0].weight.detach().numpy()
    kept = np.flatnonzero(est.feature_importances_)
    # whole inputs removed, and zeros inside the kept inputs' columns too
    assert 3 <= len(kept) < 20
    assert (first[:, kept] == 0).any()


@pytest.mark.parametrize("solver", ["sgd", "adamw"])
def test_other_solvers_remove_inputs(few_informative, solver):
    X, y = few_informative
    est = RegularizedMLPClassifier(
        **{**FAST, "learning_rate_init": 1e-2 if solver == "adamw" else 5e-2},
        solver=solver,
        feature_alpha=0.03,
        random_state=0,
    ).fit(X, y)
    assert (est.feature_importances_[INFORMATIVE] > 0).all()
    assert est.n_features_selected_ < 15


def test_verbose_log_and_plot_show_the_feature_penalty(few_informative, capsys):
    X, y = few_informative
    est = RegularizedMLPClassifier(
        **{**FAST, "max_iter": 2}, feature_alpha=0.01, verbose=1, random_state=0
    ).fit(X, y)
    header = capsys.readouterr().out.splitlines()[0].split()
    assert "feature_penalty" in header and "sparsity" in header
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_history(est)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "feature penalty" in labels
    import matplotlib.pyplot as plt

    plt.close("all")


def test_warm_start_with_a_stronger_penalty_removes_more(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifier(
        **FAST, feature_alpha=0.005, warm_start=True, random_state=0
    ).fit(X, y)
    before = est.n_features_selected_
    est.set_params(feature_alpha=0.05, max_iter=20).fit(X, y)
    assert est.n_features_selected_ < before
    assert est.history_[-1]["feature_penalty"] > 0


@pytest.mark.parametrize("value", [-0.1, "strong", None])
def test_invalid_feature_alpha_names_the_parameter(few_informative, value):
    X, y = few_informative
    est = RegularizedMLPClassifier(**FAST, feature_alpha=value)
    with pytest.raises((ValueError, TypeError), match="feature_alpha"):
        est.fit(X, y)
    assert not hasattr(est, "net_")


def test_feature_alpha_is_an_mlp_parameter_only():
    from sklreg import SharedConvClassifier

    assert "feature_alpha" in RegularizedMLPRegressor().get_params()
    assert "feature_alpha" not in SharedConvClassifier().get_params()
    assert clone(RegularizedMLPClassifier(feature_alpha=0.1)).feature_alpha == 0.1


# -- the path ------------------------------------------------------------------------
def test_feature_selection_path_warm_starts_from_dense_to_sparse(few_informative):
    X, y = few_informative
    est = RegularizedMLPClassifier(**{**FAST, "max_iter": 20}, random_state=0)
    path = feature_selection_path(est, X, y, [0.0, 0.01, 0.03, 0.1])
    assert not hasattr(est, "net_") and est.warm_start is False  # untouched
    np.testing.assert_array_equal(path.feature_alphas, [0.0, 0.01, 0.03, 0.1])
    assert path.feature_importances.shape == (4, 20)
    kept = path.n_features_selected
    assert kept[0] == 20 and kept[-1] < kept[1]
    for step, fitted in enumerate(path.estimators):
        assert fitted.feature_alpha == path.feature_alphas[step]
        assert fitted.n_features_selected_ == kept[step]
        # each step continues the previous one: the history grows by max_iter
        assert fitted.n_iter_ == 20 * (step + 1)
    assert (path.feature_importances[-1, INFORMATIVE] > 0).all()
    assert path.estimators[-1].score(X, y) > 0.9


@pytest.mark.parametrize("alphas", [[], [-0.1], ["a"], [0.1, None]])
def test_feature_selection_path_rejects_bad_alphas(few_informative, alphas):
    with pytest.raises(ValueError, match="feature_alphas"):
        feature_selection_path(RegularizedMLPClassifier(), *few_informative, alphas)


def test_feature_selection_path_needs_an_mlp(few_informative):
    from sklreg import SharedConvClassifier

    with pytest.raises(TypeError, match="RegularizedMLPClassifier"):
        feature_selection_path(SharedConvClassifier(), *few_informative, [0.1])
