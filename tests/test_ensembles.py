"""Ensembles in one network: ``n_members``, ``bootstrap``, ``member_sharing``
and ``member(i)``."""

import pickle

import numpy as np
import pytest
import scipy.sparse
import torch
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)
from sklreg._training._data import bootstrap_weights

from .helpers import fast


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(120, 6, noise=5.0, random_state=0)
    return X, y / 100


def _params(est):
    return {
        name: p.detach().numpy().copy() for name, p in est.module_.named_parameters()
    }


def _mean_member_proba(est, X):
    k = est.n_members
    return np.mean([est.member(i).predict_proba(X) for i in range(k)], axis=0)


# -- one member is the plain network ----------------------------------------------
@pytest.mark.filterwarnings("ignore:member_sharing='batch' is ignored")
@pytest.mark.parametrize(
    "extra", [{"member_sharing": "batch"}, {"n_members": 1}, {"bootstrap": False}]
)
def test_one_member_is_the_plain_network_bit_for_bit(small_digits, extra):
    X, y = small_digits
    plain = RegularizedMLPClassifier(**fast(max_iter=3), random_state=0).fit(X, y)
    same = RegularizedMLPClassifier(**fast(max_iter=3), random_state=0, **extra)
    same.fit(X, y)
    for name, value in _params(plain).items():
        np.testing.assert_array_equal(_params(same)[name], value)
    assert same.loss_curve_ == plain.loss_curve_


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_each_member_trains_as_if_alone(small_digits, solver):
    """Without dropout or early stopping, member 0 is the plain network, and
    a larger ensemble leaves the first members unchanged (round-off aside)."""
    X, y = small_digits
    settings = dict(
        **fast(max_iter=4), solver=solver, alpha=1e-2, dtype="float64", random_state=0
    )
    plain = RegularizedMLPClassifier(**settings).fit(X, y)
    two = RegularizedMLPClassifier(**settings, n_members=2).fit(X, y)
    three = RegularizedMLPClassifier(**settings, n_members=3).fit(X, y)
    for got, want in zip(two.member(0).coefs_, plain.coefs_, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    for got, want in zip(three.member(1).coefs_, two.member(1).coefs_, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    # the members differ from each other
    assert not np.allclose(two.member(0).coefs_[0], two.member(1).coefs_[0])


# -- prediction averages the members ------------------------------------------------
@pytest.mark.parametrize("sharing", ["none", "batch"])
@pytest.mark.parametrize("shared_layers", [None, 0, 1])
def test_prediction_is_the_mean_of_the_members(small_digits, sharing, shared_layers):
    X, y = small_digits
    Y = np.c_[y % 2, y % 3] if shared_layers is not None else y
    est = RegularizedMLPClassifier(
        **fast(hidden_layer_sizes=(8, 8), max_iter=3),
        shared_layers=shared_layers,
        n_members=3,
        member_sharing=sharing,
        random_state=0,
    ).fit(X, Y)
    proba = est.predict_proba(X)
    members = [est.member(i).predict_proba(X) for i in range(3)]
    if isinstance(proba, list):  # one array per output
        for j, p in enumerate(proba):
            mean = np.mean([m[j] for m in members], axis=0)
            np.testing.assert_allclose(p, mean, atol=1e-6)
    else:
        np.testing.assert_allclose(proba, np.mean(members, axis=0), atol=1e-6)
        np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(1)])


@pytest.mark.parametrize("sharing", ["none", "batch"])
@pytest.mark.parametrize("share_weights", [True, False])
def test_conv_prediction_is_the_mean_of_the_members(
    small_digits, sharing, share_weights
):
    X, y = small_digits
    est = SharedConvClassifier(
        image_shape=(8, 8),
        conv_channels=(3,),
        hidden_layer_sizes=(8,),
        max_iter=2,
        n_members=3,
        member_sharing=sharing,
        share_weights=share_weights,
        random_state=0,
    ).fit(X, y)
    np.testing.assert_allclose(
        est.predict_proba(X), _mean_member_proba(est, X), atol=1e-6
    )


def test_regressor_std_is_the_spread_of_the_members(regression):
    X, y = regression
    est = RegularizedMLPRegressor(**fast(max_iter=20), n_members=4, random_state=0)
    est.fit(X, y)
    mean, std = est.predict(X, return_std=True)
    members = np.array([est.member(i).predict(X) for i in range(4)])
    np.testing.assert_allclose(mean, members.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, members.std(0), rtol=1e-4, atol=1e-6)
    assert std.min() > 0


def test_mc_dropout_spread_covers_members_and_thinned_networks(regression):
    X, y = regression
    est = RegularizedMLPRegressor(
        **fast(max_iter=5), n_members=3, dropout=0.3, random_state=0
    ).fit(X, y)
    _, members_std = est.predict(X, return_std=True)
    est.set_params(mc_samples=8)
    mean, std = est.predict(X, return_std=True)
    again = est.predict(X, return_std=True)
    np.testing.assert_array_equal(mean, again[0])  # reproducible masks
    assert np.mean(std) > np.mean(members_std)  # thinned networks add spread
    # each member draws its own masks: a row's prediction does not depend
    # on the other rows
    np.testing.assert_allclose(est.predict(X[:5]), mean[:5], rtol=1e-5, atol=1e-6)


# -- the objective --------------------------------------------------------------
@pytest.mark.parametrize("sharing", ["none", "batch"])
def test_history_records_what_one_member_pays(small_digits, sharing):
    """One step of negligible size: the recorded terms are those of the
    initial members, averaged over the members (with 'batch', the shared
    weights' penalty is paid once)."""
    X, y = small_digits
    est = RegularizedMLPClassifier(
        (8,),
        alpha=1e-2,
        learning_rate_init=1e-12,
        batch_size=len(X),
        max_iter=1,
        tol=0.0,
        n_members=3,
        member_sharing=sharing,
        dtype="float64",
        random_state=0,
    ).fit(X, y)
    record = est.history_[0]
    members = [est.member(i) for i in range(3)]
    data = np.mean([log_loss(y, m.predict_proba(X)) for m in members])
    assert record["data_loss"] == pytest.approx(data, rel=1e-6)
    if sharing == "none":
        penalty = np.mean([1e-2 * sum((c**2).sum() for c in m.coefs_) for m in members])
    else:  # the shared weight once, each member's own head on average
        params = dict(est.module_.named_parameters())
        shared = params["hidden.0.weight"].detach().numpy()
        heads = params["output.weight"].detach().numpy()  # (k, out, in)
        penalty = 1e-2 * ((shared**2).sum() + (heads**2).sum(axis=(1, 2)).mean())
    assert record["norm_penalty"] == pytest.approx(penalty, rel=1e-6)
    assert record["train_loss"] == pytest.approx(data + penalty, rel=1e-6)


def test_early_stopping_scores_the_averaged_prediction(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(**fast(max_iter=2), n_members=3, random_state=0).fit(
        X[:200], y[:200], X_val=X[200:], y_val=y[200:]
    )
    # the validation loss of the last epoch is that of the final ensemble
    want = log_loss(y[200:], est.predict_proba(X[200:]), labels=est.classes_)
    assert est.history_[-1]["valid_loss"] == pytest.approx(want, rel=1e-5)
    members = np.mean(
        [log_loss(y[200:], m.predict_proba(X[200:])) for m in map(est.member, range(3))]
    )
    assert est.history_[-1]["valid_loss"] < members  # averaging helps


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_validation_loss_of_the_averaged_prediction(loss):
    rng = np.random.RandomState(0)
    X = rng.randn(150, 4)
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    est = RegularizedMLPRegressor(
        **fast(max_iter=3), loss=loss, n_members=3, random_state=0
    ).fit(X[:100], y[:100], X_val=X[100:], y_val=y[100:])
    pred = est.predict(X[100:])
    if loss == "squared_error":
        want = mean_squared_error(y[100:], pred)
    else:  # half Poisson deviance
        yv = y[100:]
        want = np.mean(
            pred
            - yv * np.log(pred)
            + np.where(yv > 0, yv * np.log(np.maximum(yv, 1)), 0)
            - yv
        )
    assert est.history_[-1]["valid_loss"] == pytest.approx(want, rel=1e-4)


def test_multilabel_validation_loss_of_the_averaged_probabilities(small_digits):
    X, y = small_digits
    Y = np.c_[y % 2, y > 4]
    est = RegularizedMLPClassifier(**fast(max_iter=2), n_members=2, random_state=0)
    est.fit(X[:200], Y[:200], X_val=X[200:], y_val=Y[200:])
    p = np.clip(est.predict_proba(X[200:]), 1e-12, 1 - 1e-12)
    Yv = Y[200:]
    want = -np.mean(Yv * np.log(p) + (1 - Yv) * np.log(1 - p))
    assert est.history_[-1]["valid_loss"] == pytest.approx(want, rel=1e-4)


def test_early_stopping_and_refit_with_members(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=30),
        n_members=2,
        early_stopping=True,
        patience=2,
        refit="epochs",
        random_state=0,
    ).fit(X, y)
    assert est.best_epoch_ is not None
    assert est.refit_n_iter_ == est.best_epoch_
    assert est.module_.n_members == 2


# -- bootstrap ------------------------------------------------------------------
def test_bootstrap_counts_are_bagging_samples():
    counts = bootstrap_weights(None, 1000, (1, 2, 3), np.float64)
    assert counts.shape == (1000, 3)
    np.testing.assert_array_equal(counts.sum(0), 1000)
    assert np.all(counts == np.round(counts))
    # a bootstrap sample holds about 1 - 1/e of the rows
    np.testing.assert_allclose((counts > 0).mean(0), 1 - np.exp(-1), atol=0.03)
    assert not np.array_equal(counts[:, 0], counts[:, 1])
    # row weights multiply in; one member gives one column
    weight = np.arange(1000.0)
    np.testing.assert_array_equal(
        bootstrap_weights(weight, 1000, (2,), np.float64), counts[:, 1] * weight
    )


def test_bootstrap_member_equals_weighted_fit(small_digits):
    """A bootstrap member is the plain network fitted with its counts as
    sample weights; member i's counts depend on random_state and i only."""
    X, y = small_digits
    settings = dict(**fast(max_iter=3), dtype="float64", random_state=0)
    bagged = RegularizedMLPClassifier(**settings, n_members=2, bootstrap=True)
    bagged.fit(X, y)
    counts = bootstrap_weights(None, len(X), bagged._seeds.bootstraps(1), np.float64)
    weighted = RegularizedMLPClassifier(**settings).fit(X, y, sample_weight=counts)
    for got, want in zip(bagged.member(0).coefs_, weighted.coefs_, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    one = RegularizedMLPClassifier(**settings, bootstrap=True).fit(X, y)
    np.testing.assert_allclose(one.coefs_[0], weighted.coefs_[0], rtol=1e-9)
    plain = RegularizedMLPClassifier(**settings, n_members=2).fit(X, y)
    assert not np.allclose(plain.member(1).coefs_[0], bagged.member(1).coefs_[0])


def test_bootstrap_members_are_reproducible(small_digits):
    X, y = small_digits
    settings = dict(**fast(max_iter=3), n_members=3, bootstrap=True)
    a = RegularizedMLPClassifier(**settings, random_state=1).fit(X, y)
    b = RegularizedMLPClassifier(**settings, random_state=1).fit(X, y)
    c = RegularizedMLPClassifier(**settings, random_state=2).fit(X, y)
    for name, value in _params(a).items():
        np.testing.assert_array_equal(_params(b)[name], value)
    assert not np.allclose(_params(c)["hidden.0.weight"], _params(a)["hidden.0.weight"])
    # each member its own sample: the members differ from each other
    assert not np.allclose(a.member(0).coefs_[0], a.member(1).coefs_[0])


def test_bootstrap_composes_with_sample_weight(small_digits):
    """Bootstrap counts multiply the sample weights: a class whose rows all
    weigh zero is never learned by any member."""
    X, y = small_digits
    weight = np.where(y == 0, 0.0, 1.0)
    est = RegularizedMLPClassifier(
        **fast(max_iter=30), n_members=3, bootstrap=True, random_state=0
    ).fit(X, y, sample_weight=weight)
    assert 0 in est.classes_  # known, as with any zero-weight class
    for i in range(3):
        assert not np.any(est.member(i).predict(X) == 0)
    assert not np.any(est.predict(X) == 0)
    assert est.predict_proba(X)[:, 0].max() < 0.05
    assert est.score(X[y != 0], y[y != 0]) > 0.9


def test_bootstrap_with_sample_weight_and_early_stopping(small_digits):
    X, y = small_digits
    weight = np.where(y == 0, 0.0, 1.0)
    est = RegularizedMLPClassifier(
        **fast(max_iter=5),
        n_members=3,
        bootstrap=True,
        early_stopping=True,
        activity_alpha=1e-3,
        random_state=0,
    ).fit(X, y, sample_weight=weight)
    assert np.isfinite([row["train_loss"] for row in est.history_]).all()
    assert np.isfinite([row["valid_loss"] for row in est.history_]).all()


@pytest.mark.parametrize("Estimator", [RegularizedMLPClassifier, SharedConvClassifier])
def test_n_parameters_counts_every_member(small_digits, Estimator):
    X, y = small_digits
    extra = dict(image_shape=(8, 8)) if Estimator is SharedConvClassifier else {}
    one = Estimator(**extra, max_iter=1, random_state=0).fit(X, y)
    five = Estimator(**extra, max_iter=1, n_members=5, random_state=0).fit(X, y)
    assert five.n_parameters_ == 5 * one.n_parameters_
    assert five.n_parameters_ == sum(p.numel() for p in five.module_.parameters())


def test_batch_members_cost_about_one_wide_network(small_digits):
    """With wide hidden layers the shared weights dominate: 8 batch members
    hold between one and two networks' parameters."""
    X, y = small_digits
    wide = dict(hidden_layer_sizes=(256, 256), max_iter=1, random_state=0)
    one = RegularizedMLPClassifier(**wide).fit(X, y)
    batch = RegularizedMLPClassifier(**wide, n_members=8, member_sharing="batch")
    batch.fit(X, y)
    assert one.n_parameters_ < batch.n_parameters_ < 2 * one.n_parameters_
    assert batch.n_parameters_ == sum(p.numel() for p in batch.module_.parameters())


# -- every regularizer, per member ----------------------------------------------------
def test_max_norm_bounds_every_unit_of_every_member(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(learning_rate_init=0.1, max_iter=5),
        max_norm=0.5,
        n_members=3,
        random_state=0,
    ).fit(X, y)
    for i in range(3):
        for coef in est.member(i).coefs_:
            norms = np.linalg.norm(coef, axis=0)  # incoming weights of a unit
            assert norms.max() <= 0.5 + 1e-5
            assert norms.max() > 0.45


def test_proximal_l1_and_feature_selection_per_member(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=10),
        alpha=2e-3,
        norm="l1",
        feature_alpha=0.05,
        n_members=3,
        random_state=0,
    ).fit(X, y)
    assert min(est.sparsity_.values()) > 0
    first = est.module_.input_weights()[0].detach().numpy()  # (k, units, d)
    removed = [np.flatnonzero(~first[i].any(axis=0)) for i in range(3)]
    assert all(len(r) for r in removed)  # every member removes inputs
    importances = est.feature_importances_
    mean = np.mean(
        [np.linalg.norm(est.member(i).coefs_[0], axis=1) for i in range(3)], axis=0
    )
    np.testing.assert_allclose(importances, mean, rtol=1e-5, atol=1e-7)
    everywhere = set.intersection(*map(set, removed))
    assert np.all(importances[list(everywhere)] == 0)
    assert est.n_features_selected_ == X.shape[1] - len(everywhere)


def test_batch_sharing_shares_the_weights(small_digits):
    X, y = small_digits
    k = 4
    est = RegularizedMLPClassifier(
        (16,), max_iter=2, n_members=k, member_sharing="batch", random_state=0
    ).fit(X, y)
    one = RegularizedMLPClassifier((16,), max_iter=1, random_state=0).fit(X, y)
    # the hidden weight is shared; each member has its factors, its biases
    # and its own output layer (as TabM has)
    hidden, head = one.coefs_
    per_member = 64 + 16 + head.size + sum(b.size for b in one.intercepts_)
    assert est.n_parameters_ == hidden.size + k * per_member
    shapes = {n: p.shape for n, p in est.module_.named_parameters()}
    assert shapes["hidden.0.weight"] == (16, 64)
    assert shapes["hidden.0.r"] == (k, 64) and shapes["hidden.0.s"] == (k, 16)
    assert shapes["output.weight"] == (k, 10, 16)
    # a member's effective weight: W * outer(s_i, r_i)
    module = est.module_
    W = module.hidden[0].weight.detach().numpy()
    r = module.hidden[0].r.detach().numpy()
    s = module.hidden[0].s.detach().numpy()
    np.testing.assert_allclose(
        est.member(2).coefs_[0], (W * np.outer(s[2], r[2])).T, rtol=1e-6
    )


def test_tasks_tying_within_each_member(small_digits):
    X, y = small_digits
    Y = np.c_[y % 2, y % 3 == 0]
    tied = RegularizedMLPClassifier(
        **fast(max_iter=10),
        shared_layers=0,
        tie_groups="tasks",
        tie_alpha=10.0,
        n_members=2,
        random_state=0,
    ).fit(X, Y)
    free = clone(tied).set_params(tie_alpha=0.0).fit(X, Y)

    def gap(est):
        w = dict(est.module_.named_parameters())
        a = w["towers.0.hidden.0.weight"].detach()
        b = w["towers.1.hidden.0.weight"].detach()
        return (a - b).norm(dim=(1, 2)).numpy()  # one distance per member

    assert np.all(gap(tied) < 0.5 * gap(free))
    assert tied.history_[-1]["tie_penalty"] > 0


# -- the estimator's life cycle -----------------------------------------------------
def test_member_errors(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(**fast(max_iter=1), n_members=3)
    with pytest.raises(NotFittedError):
        est.member(0)
    est.fit(X, y)
    for bad in (3, -4, 10):
        with pytest.raises(IndexError, match="n_members=3"):
            est.member(bad)
    with pytest.raises(TypeError, match="integer"):
        est.member(1.0)
    last = est.member(-1)
    assert last.n_members == 1
    np.testing.assert_array_equal(last.coefs_[0], est.member(2).coefs_[0])
    with pytest.raises(AttributeError, match=r"member\(i\)"):
        est.coefs_  # noqa: B018
    # the member is an estimator of its own: it can be trained further
    before = last.coefs_[0].copy()
    last.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert not np.allclose(last.coefs_[0], before)
    np.testing.assert_array_equal(est.member(2).coefs_[0], before)  # untouched


def test_warm_start_and_partial_fit_continue_the_ensemble(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=2), n_members=2, warm_start=True, random_state=0
    ).fit(X, y)
    before = _params(est)
    est.fit(X, y)
    assert len(est.history_) == 4
    assert not np.allclose(before["hidden.0.weight"], _params(est)["hidden.0.weight"])
    with pytest.raises(ValueError, match="n_members"):
        est.set_params(n_members=3).fit(X, y)
    inc = RegularizedMLPClassifier(**fast(), n_members=2, member_sharing="batch")
    inc.partial_fit(X[:100], y[:100], classes=np.unique(y))
    inc.partial_fit(X[100:], y[100:])
    assert len(inc.history_) == 2
    assert inc.history_[1]["train_loss"] < inc.history_[0]["train_loss"]


def test_sparse_input_pickle_and_clone(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=2), n_members=3, member_sharing="batch", random_state=0
    )
    dense = clone(est).fit(X, y)
    sparse = clone(est).fit(scipy.sparse.csr_matrix(X), y)
    np.testing.assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    restored = pickle.loads(pickle.dumps(dense))
    np.testing.assert_array_equal(restored.predict_proba(X), dense.predict_proba(X))
    assert restored.member(1).predict(X[:3]).shape == (3,)


@pytest.mark.filterwarnings("ignore:member_sharing='batch' is ignored")
def test_grid_search_over_members_and_sharing(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(**fast(max_iter=3), random_state=0)
    grid = {"n_members": [1, 3], "member_sharing": ["none", "batch"]}
    search = GridSearchCV(est, grid, cv=2, scoring="neg_log_loss").fit(X, y)
    results = search.cv_results_
    for params, score in zip(
        results["params"], results["mean_test_score"], strict=True
    ):
        candidate = clone(est).set_params(**params)
        cv = cross_val_score(candidate, X, y, cv=2, scoring="neg_log_loss")
        assert cv.mean() == pytest.approx(score, rel=1e-12)
    # three members score apart from one, with either sharing
    assert len(set(results["mean_test_score"])) == 3
    best = search.best_estimator_
    assert best.n_members == search.best_params_["n_members"]
    assert best.predict_proba(X).shape == (len(X), 10)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_members_on_the_gpu(small_digits):
    X, y = small_digits
    settings = dict(**fast(max_iter=2), n_members=3, random_state=0)
    gpu = RegularizedMLPClassifier(**settings, device="cuda").fit(X, y)
    cpu = RegularizedMLPClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(
        gpu.predict_proba(X), cpu.predict_proba(X), rtol=1e-3, atol=1e-4
    )
    assert gpu.member(0).module_.hidden[0].weight.device.type == "cuda"
