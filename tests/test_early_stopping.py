"""Early stopping: best snapshot, patience, scorers, refit by epochs or updates."""

import math
import pickle
import weakref

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score

import sklreg._early_stopping
from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor
from sklreg._training import EarlyStopping

from .helpers import NOISY_EARLY_STOPPING, fast

ES = NOISY_EARLY_STOPPING


@pytest.fixture
def split_spy(monkeypatch):
    """Record the (train, valid) indices of every early-stopping split."""
    splits = []
    original = sklreg._early_stopping.validation_split

    def spy(*args, **kwargs):
        splits.append(original(*args, **kwargs))
        return splits[-1]

    monkeypatch.setattr(sklreg._early_stopping, "validation_split", spy)
    return splits


def test_stops_after_patience_epochs_without_improvement(noisy):
    X, y = noisy
    est = RegularizedMLPClassifier(**ES).fit(X, y)
    assert 3 < est.best_epoch_ and est.n_iter_ < ES["max_iter"]
    assert est.n_iter_ - est.best_epoch_ == ES["patience"]
    assert len(est.history_) == len(est.validation_scores_) == est.n_iter_
    assert est.t_ == est.n_iter_ * math.ceil(150 / 40)
    best = est.history_[est.best_epoch_ - 1]
    assert est.best_validation_score_ == best["valid_score"] == -best["valid_loss"]
    assert est.best_validation_score_ == max(est.validation_scores_)
    later = [row["valid_loss"] for row in est.history_[est.best_epoch_ :]]
    assert min(later) >= best["valid_loss"] - 1e-4  # tol
    assert est.refit_n_iter_ is None and est.refit_t_ is None


def test_restored_parameters_reproduce_best_validation_loss(noisy, split_spy):
    X, y = noisy
    w = np.random.RandomState(0).randint(1, 4, size=len(y)).astype(float)
    est = RegularizedMLPClassifier(**ES).fit(X, y, sample_weight=w)
    _, valid = split_spy[-1]
    # weighted data loss of the validation rows, penalty excluded
    loss = log_loss(y[valid], est.predict_proba(X[valid]), sample_weight=w[valid])
    recorded = est.history_[est.best_epoch_ - 1]["valid_loss"]
    assert loss == pytest.approx(recorded, rel=1e-9)
    assert est.history_[-1]["valid_loss"] != pytest.approx(recorded, rel=1e-6)


def test_validation_split_is_stratified_and_skips_zero_weights(noisy, split_spy):
    X, y = noisy
    w = np.ones(len(y))
    w[::4] = 0.0
    RegularizedMLPClassifier(**fast(early_stopping=True, max_iter=3)).fit(
        X, y, sample_weight=w
    )
    train, valid = split_spy[-1]
    assert (w[valid] > 0).all()
    assert sorted(np.r_[train, valid].tolist()) == list(range(len(y)))
    assert len(valid) == math.ceil(0.1 * (w > 0).sum())
    fractions = np.bincount(y[valid]) / len(valid)
    np.testing.assert_allclose(
        fractions, np.bincount(y[w > 0]) / (w > 0).sum(), atol=0.07
    )


def test_snapshot_is_a_single_host_copy(noisy, monkeypatch):
    X, y = noisy
    original = EarlyStopping.on_epoch_end
    checks = {"epochs": 0, "released": 0}
    previous = []

    def watch(self, net, **kwargs):
        original(self, net, **kwargs)
        checks["epochs"] += 1
        state = net.module_.state_dict()
        assert set(self.snapshot_) == set(state)
        for name, tensor in self.snapshot_.items():
            assert tensor.device.type == "cpu"
            assert tensor.data_ptr() != state[name].data_ptr()  # a copy
        # an improvement replaces the snapshot: the old copy is freed
        if previous and previous[-1][0] != id(self.snapshot_):
            assert all(ref() is None for ref in previous[-1][1])
            checks["released"] += 1
        refs = [weakref.ref(t) for t in self.snapshot_.values()]
        previous.append((id(self.snapshot_), refs))

    monkeypatch.setattr(EarlyStopping, "on_epoch_end", watch)
    est = RegularizedMLPClassifier(**ES).fit(X, y)
    assert checks["epochs"] == est.n_iter_ and checks["released"] >= 3
    stopper = dict(est.net_.callbacks_)["early_stopping"]
    assert stopper.snapshot_ is None  # loaded back into the module, then released
    assert stopper.best_epoch_ == est.best_epoch_


def test_refit_epochs_trains_best_epoch_epochs_on_all_rows(noisy):
    X, y = noisy
    stopped = RegularizedMLPClassifier(**ES).fit(X, y)
    est = RegularizedMLPClassifier(**ES, refit="epochs").fit(X, y)
    assert est.best_epoch_ == stopped.best_epoch_
    # the early-stopping run stays visible
    assert [dict(row, dur=0) for row in est.history_] == [
        dict(row, dur=0) for row in stopped.history_
    ]
    assert est.n_iter_ == est.refit_n_iter_ == est.best_epoch_
    assert est.t_ == est.refit_t_ == est.best_epoch_ * math.ceil(200 / 40)
    assert len(est.net_.history) == est.best_epoch_
    assert "valid_loss" not in est.net_.history[-1]
    assert not np.allclose(est.predict_proba(X), stopped.predict_proba(X))


def test_refit_true_means_epochs_and_false_none(noisy):
    X, y = noisy
    epochs = RegularizedMLPClassifier(**ES, refit="epochs").fit(X, y)
    true = RegularizedMLPClassifier(**ES, refit=True).fit(X, y)
    np.testing.assert_array_equal(true.predict_proba(X), epochs.predict_proba(X))
    assert true.refit_n_iter_ == epochs.refit_n_iter_
    assert RegularizedMLPClassifier(**ES, refit=False).fit(X, y).refit_n_iter_ is None
    # refit=False needs no early stopping
    RegularizedMLPClassifier(max_iter=1, refit=False).fit(X, y)


def test_refit_updates_matches_the_snapshot_update_count(noisy):
    X, y = noisy
    est = RegularizedMLPClassifier(**ES, refit="updates").fit(X, y)
    snapshot_updates = est.best_epoch_ * math.ceil(150 / 40)  # 4 per epoch
    assert snapshot_updates % 5 != 0  # so the refit's last epoch is partial
    assert est.t_ == est.refit_t_ == snapshot_updates
    # 5 updates per epoch on all 200 rows: the refit may end mid-epoch
    assert est.n_iter_ == est.refit_n_iter_ == math.ceil(snapshot_updates / 5)
    counts = [row["train_batch_count"] for row in est.net_.history]
    assert sum(counts) == snapshot_updates and counts[-1] < 5


def test_scorer_name_switches_the_monitored_figure(noisy, split_spy):
    X, y = noisy
    est = RegularizedMLPClassifier(**ES, scoring="accuracy").fit(X, y)
    _, valid = split_spy[-1]
    scores = est.validation_scores_
    assert all(0 <= s <= 1 for s in scores)
    assert scores != [-row["valid_loss"] for row in est.history_]
    assert est.best_validation_score_ == max(scores)
    assert est.n_iter_ - est.best_epoch_ == ES["patience"]
    restored = accuracy_score(y[valid], est.predict(X[valid]))
    assert restored == est.best_validation_score_


def test_regression_scorer(split_spy):
    X, y = make_regression(n_samples=160, n_features=10, noise=30, random_state=0)
    params = dict(ES, scoring="neg_root_mean_squared_error")
    est = RegularizedMLPRegressor(**params).fit(X, y / y.std())
    assert all(s <= 0 for s in est.validation_scores_)
    assert est.best_validation_score_ == max(est.validation_scores_)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"patience": 0}, "patience"),
        ({"tol": -1.0}, "tol"),
        ({"scoring": "accurcy"}, "scoring"),
        ({"refit": "best"}, "refit"),
        ({"early_stopping": False, "refit": "epochs"}, "refit"),
    ],
)
def test_invalid_early_stopping_settings(params, match, noisy):
    X, y = noisy
    with pytest.raises(ValueError, match=match):
        RegularizedMLPClassifier(**{**ES, **params}).fit(X, y)


def test_too_few_rows_to_split_is_a_clear_error():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="cannot split 4 rows.*validation_fraction"):
        RegularizedMLPClassifier(**ES).fit(X, [0, 1, 0, 1])


def test_undefined_validation_score_is_a_clear_error():
    # r2 is undefined (NaN) on a single validation row: no epoch can be best
    X, y = make_regression(n_samples=20, n_features=3, random_state=0)
    params = dict(ES, scoring="r2", validation_fraction=0.05, patience=3)
    with pytest.warns(UserWarning, match="R\\^2 score is not well-defined"):
        with pytest.raises(ValueError, match="no finite validation score in 3 epochs"):
            RegularizedMLPRegressor(**params).fit(X, y)


def test_partial_fit_refuses_early_stopping(noisy):
    X, y = noisy
    with pytest.raises(ValueError, match="early_stopping"):
        RegularizedMLPClassifier(**ES).partial_fit(X, y, classes=[0, 1])


def test_inside_grid_search_and_cross_validation(noisy):
    X, y = noisy
    params = dict(ES, max_iter=60)
    search = GridSearchCV(
        RegularizedMLPClassifier(**params), {"patience": [3, 6]}, cv=2
    ).fit(X, y)
    assert search.best_estimator_.best_epoch_ >= 1
    scores = cross_val_score(
        RegularizedMLPClassifier(**params, refit="epochs"), X, y, cv=3
    )
    assert scores.mean() > 0.7


def test_warm_start_continues_with_a_new_patience_window(noisy):
    X, y = noisy
    est = RegularizedMLPClassifier(**ES, warm_start=True).fit(X, y)
    first = est.n_iter_
    est.fit(X, y)
    assert est.n_iter_ > first
    assert est.n_iter_ - est.best_epoch_ <= ES["patience"]


def test_no_early_stopping_attributes_are_none(noisy):
    X, y = noisy
    est = RegularizedMLPClassifier(**fast(max_iter=2)).fit(X, y)
    assert est.best_epoch_ is None and est.best_validation_score_ is None
    assert est.validation_scores_ is None and "valid_loss" not in est.history_[0]


def test_early_stopped_model_pickles(noisy):
    X, y = noisy
    est = RegularizedMLPClassifier(**ES, scoring="accuracy").fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert restored.best_epoch_ == est.best_epoch_


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss"])
def test_a_scorer_that_cannot_score_fails_before_training(scoring, monkeypatch):
    import sklreg._training

    epochs = []
    original = sklreg._training.PenalizedNet.run_single_epoch

    def spy(self, *args, **kwargs):
        epochs.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sklreg._training.PenalizedNet, "run_single_epoch", spy)
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    est = RegularizedMLPRegressor(**fast(early_stopping=True, scoring=scoring))
    with pytest.raises(ValueError, match=f"scoring='{scoring}' cannot score"):
        est.fit(X, y)
    assert epochs == [] and not hasattr(est, "net_")
