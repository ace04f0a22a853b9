"""The estimators inside scikit-learn's tools, and persistence."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import BaggingClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor

from .helpers import FAST, fast


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(
        n_samples=200, n_features=8, n_informative=5, random_state=0
    )
    return X, y


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(n_samples=150, n_features=6, noise=5.0, random_state=0)
    return X, y / y.std()


def test_pipeline_with_scaler(clf_data):
    X, y = clf_data
    pipe = make_pipeline(
        StandardScaler(), RegularizedMLPClassifier(**FAST, random_state=0)
    )
    assert pipe.fit(X, y).score(X, y) > 0.85


def test_grid_search_over_alpha_and_dropout(clf_data):
    X, y = clf_data
    search = GridSearchCV(
        RegularizedMLPClassifier(**FAST, random_state=0),
        {"alpha": [1e-4, 1e-1], "dropout": [0.0, 0.3]},
        cv=2,
        scoring="neg_log_loss",  # continuous: every candidate scores otherwise
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    # every candidate trained with its own settings (clone and set_params
    # carry them), reproducibly: a plain cross-validation scores the same
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
    ):
        est = RegularizedMLPClassifier(**FAST, random_state=0, **params)
        assert cross_val_score(est, X, y, cv=2, scoring="neg_log_loss").mean() == score
    assert len(set(search.cv_results_["mean_test_score"])) == 4
    best = search.best_estimator_
    assert best.get_params()["alpha"] == search.best_params_["alpha"]
    assert best.module_.dropout == (search.best_params_["dropout"],)
    assert best.n_iter_ == FAST["max_iter"]


def test_search_in_threads_equals_the_serial_search(clf_data):
    # Fits running at once in threads of one process (joblib's threading
    # backend, a Dask worker with several threads) each own their random
    # streams: dropout masks included, they reproduce the serial fits.
    X, y = clf_data
    search = GridSearchCV(
        RegularizedMLPClassifier(
            **fast(max_iter=10), dropout=0.3, input_dropout=0.1, random_state=0
        ),
        {"alpha": [1e-4, 1e-2], "max_norm": [None, 1.0]},
        cv=2,
        scoring="neg_log_loss",
    )
    serial = clone(search).fit(X, y)
    with joblib.parallel_config(backend="threading"):
        threaded = clone(search).set_params(n_jobs=4).fit(X, y)
    np.testing.assert_array_equal(
        threaded.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )


def test_cross_val_score(reg_data):
    X, y = reg_data
    scores = cross_val_score(
        RegularizedMLPRegressor(**FAST, random_state=0), X, y, cv=3
    )
    assert scores.shape == (3,)
    assert scores.mean() > 0.5


def test_bagging_passes_bootstrap_counts_as_sample_weights(clf_data, monkeypatch):
    X, y = clf_data
    seen = []
    original = RegularizedMLPClassifier._check_sample_weight

    def spy(self, sample_weight, X):
        seen.append(None if sample_weight is None else np.asarray(sample_weight))
        return original(self, sample_weight, X)

    monkeypatch.setattr(RegularizedMLPClassifier, "_check_sample_weight", spy)
    BaggingClassifier(
        RegularizedMLPClassifier(**fast(max_iter=2)), n_estimators=3, random_state=0
    ).fit(X, y)
    assert len(seen) == 3
    for counts in seen:  # bootstrap counts over all rows, not resampled rows
        assert counts is not None and len(counts) == len(X)
        np.testing.assert_array_equal(counts, np.round(counts))
        assert counts.sum() == len(X) and (counts == 0).any() and (counts > 1).any()


def test_bagging_ensemble(clf_data):
    X, y = clf_data
    bag = BaggingClassifier(
        RegularizedMLPClassifier(**FAST), n_estimators=3, random_state=0
    ).fit(X, y)
    assert len(bag.estimators_) == 3
    assert bag.score(X, y) > 0.85
    members = [m.predict_proba(X) for m in bag.estimators_]
    assert not np.allclose(members[0], members[1])


def test_sample_weights_change_the_fit(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**FAST, random_state=0)
    plain = clone(est).fit(X, y).predict_proba(X)
    weights = np.where(y == 1, 5.0, 1.0)
    weighted = clone(est).fit(X, y, sample_weight=weights).predict_proba(X)
    # upweighting class 1 raises its predicted probability on average
    assert weighted[:, 1].mean() > plain[:, 1].mean() + 0.02


@pytest.mark.parametrize(
    "Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor]
)
def test_zero_weight_rows_are_ignored(Estimator, clf_data):
    X, y = clf_data
    X, y = X[:150], y[:150].astype(float)
    rng = np.random.RandomState(1)
    X_junk = rng.normal(scale=10, size=(30, X.shape[1]))
    y_junk = 1 - y[:30]
    weights = np.r_[np.ones(len(X)), np.zeros(30)]
    est = Estimator(**FAST, batch_size=400, random_state=0)
    clean = clone(est).fit(X, y).predict(X)
    padded = clone(est).fit(np.r_[X, X_junk], np.r_[y, y_junk], sample_weight=weights)
    np.testing.assert_allclose(padded.predict(X), clean, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dump_load", ["pickle", "joblib"])
def test_persistence_round_trip(dump_load, clf_data, tmp_path):
    X, y = clf_data
    est = RegularizedMLPClassifier(
        **FAST, alpha=1e-3, dropout=0.2, max_norm=2.0, random_state=0
    )
    est.fit(X, y)
    if dump_load == "pickle":
        restored = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert restored.history_ == est.history_
    # the pickle holds the module once: penalties keep no bound tensors
    assert not hasattr(est.net_, "penalties_")
    assert all(not hasattr(p, "weights_") for p in est.net_.penalties)
    # the restored estimator can keep training
    restored.partial_fit(X, y)
    assert restored.n_iter_ == est.n_iter_ + 1


def test_pandas_input_and_feature_names(clf_data):
    X, y = clf_data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = RegularizedMLPClassifier(**FAST, random_state=0).fit(df, pd.Series(y))
    assert list(est.feature_names_in_) == list(df.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = est.predict_proba(X)
    np.testing.assert_allclose(est.predict_proba(df), from_array)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df[df.columns[::-1]])


def test_string_labels():
    X, y = make_classification(
        n_samples=200, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    labels = np.array(["cat", "dog", "emu"])[y]
    est = RegularizedMLPClassifier(**FAST, random_state=0).fit(X, labels)
    assert list(est.classes_) == ["cat", "dog", "emu"]
    pred = est.predict(X)
    assert pred.dtype == labels.dtype and set(pred) <= set(labels)
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert est.score(X, labels) > 0.6


def test_binary_string_labels(clf_data):
    X, y = clf_data
    labels = np.where(y == 1, "yes", "no")
    est = RegularizedMLPClassifier(**FAST, random_state=0).fit(X, labels)
    assert est.module_.output.out_features == 1  # one logit for two classes
    assert est.predict_proba(X).shape == (len(X), 2)
    assert est.score(X, labels) > 0.85


def test_multilabel_classification():
    X, Y = make_classification(n_samples=200, n_features=8, random_state=0), None
    X = X[0]
    Y = np.c_[X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.5].astype(int)
    est = RegularizedMLPClassifier(**FAST, random_state=0).fit(X, Y)
    assert est.n_outputs_ == 3
    assert est.predict(X).shape == Y.shape
    proba = est.predict_proba(X)
    assert proba.shape == Y.shape and ((proba >= 0) & (proba <= 1)).all()
    assert (est.predict(X) == Y).mean() > 0.9
    assert est.history_[-1]["data_loss"] < est.history_[0]["data_loss"]


def test_multi_output_regression(reg_data):
    X, y = reg_data
    Y = np.c_[y, -2 * y + X[:, 0]]
    est = RegularizedMLPRegressor(**FAST, random_state=0).fit(X, Y)
    assert est.n_outputs_ == 2
    assert est.predict(X).shape == Y.shape
    assert est.score(X, Y) > 0.7
    single = RegularizedMLPRegressor(**FAST, random_state=0).fit(X, y)
    assert single.predict(X).shape == (len(X),)
