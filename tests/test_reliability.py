"""Reliability: divergence, dtype independence, bad data, interrupts,
determinism, persistence and memory, through the public API."""

import io
import os
import pickle
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier

import sklreg._base
from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)
from sklreg._training import PenalizedNet

from .conftest import FAST, fast

ESTIMATORS = [RegularizedMLPClassifier, RegularizedMLPRegressor]


@pytest.fixture(scope="module")
def clf_data():
    return make_classification(n_samples=160, n_features=6, random_state=0)


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(n_samples=160, n_features=6, noise=1.0, random_state=0)
    return X, y / y.std()


def params_of(est):
    return [p.detach().clone() for p in est.module_.parameters()]


# -- divergence -------------------------------------------------------------------
EXPLODING = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=10.0)


def test_divergence_is_an_error_that_names_the_learning_rate(reg_data):
    X, y = reg_data
    est = RegularizedMLPRegressor(**EXPLODING, max_iter=50, random_state=0)
    with pytest.raises(ValueError, match=r"diverged.*learning_rate_init \(now 10.0\)"):
        est.fit(X, y)
    with pytest.raises(Exception, match="not fitted"):
        est.predict(X)  # never silently NaN


def test_divergence_stops_at_the_first_non_finite_epoch(reg_data, monkeypatch):
    X, y = reg_data
    epochs = []
    original = PenalizedNet.run_single_epoch

    def spy(self, iterator, training, *args, **kwargs):
        original(self, iterator, training, *args, **kwargs)
        if training:
            epochs.append(self.history[-1, "train_loss"])

    monkeypatch.setattr(PenalizedNet, "run_single_epoch", spy)
    with pytest.raises(ValueError, match="diverged"):
        RegularizedMLPRegressor(**EXPLODING, max_iter=50, random_state=0).fit(X, y)
    assert not np.isfinite(epochs[-1])
    assert np.isfinite(epochs[:-1]).all() and len(epochs) < 50


def test_divergence_after_early_stopping_snapshot_warns_and_restores(reg_data):
    X, y = reg_data
    # a rate that trains for a few epochs, then explodes
    est = RegularizedMLPRegressor(
        hidden_layer_sizes=(16,),
        solver="sgd",
        learning_rate_init=0.1,
        momentum=0.99,
        max_iter=100,
        early_stopping=True,
        patience=100,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged.*best epoch"):
        est.fit(X, y)
    assert not np.isfinite(est.history_[-1]["train_loss"])
    assert est.best_epoch_ < est.n_iter_
    assert np.isfinite(est.predict(X)).all()
    assert est.score(X, y) > 0.5


def test_partial_fit_divergence_is_an_error(reg_data):
    X, y = reg_data
    est = RegularizedMLPRegressor(**EXPLODING, random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        for _ in range(50):
            est.partial_fit(X, y)


# -- dtype independence -----------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_same_numbers_same_model_whatever_the_dtype(Estimator):
    rng = np.random.RandomState(0)
    X = rng.randint(-20, 20, size=(120, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    params = dict(fast(max_iter=5), dropout=0.3, input_dropout=0.1, random_state=0)
    inputs = {
        "float64": X.astype(np.float64),
        "float32": X.astype(np.float32),
        "int64": X.astype(np.int64),
        "int32": X.astype(np.int32),
        "DataFrame": pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]),
    }
    reference = Estimator(**params).fit(inputs["float64"], y)
    expected = params_of(reference)
    for name, X_in in inputs.items():
        est = Estimator(**params).fit(X_in, y)
        for got, want in zip(params_of(est), expected, strict=True):
            np.testing.assert_allclose(
                got.double().numpy(), want.numpy(), rtol=1e-3, atol=1e-5, err_msg=name
            )
    # forcing float32 on float64 input is the float32 fit
    forced = Estimator(**params, dtype="float32").fit(inputs["float64"], y)
    native = Estimator(**params).fit(inputs["float32"], y)
    for a, b in zip(params_of(forced), params_of(native), strict=True):
        assert a.dtype == torch.float32 and torch.equal(a, b)


# -- bad data ---------------------------------------------------------------------
BAD_DATA = {
    "NaN": (lambda X, y: (np.where(np.eye(*X.shape) > 0, np.nan, X), y), "NaN"),
    "inf": (lambda X, y: (np.where(np.eye(*X.shape) > 0, np.inf, X), y), "infinity"),
    "empty": (lambda X, y: (X[:0], y[:0]), "0 sample"),
    "mismatched": (lambda X, y: (X, y[:10]), "inconsistent numbers of samples"),
    "3-D": (lambda X, y: (X.reshape(len(X), 2, -1), y), "dim 3"),
    "object": (lambda X, y: (X.astype(str).astype(object) + "x", y), "convert string"),
    "complex": (lambda X, y: (X + 1j, y), "Complex data not supported"),
}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_data_is_a_clear_error_before_training(
    Estimator, case, clf_data, monkeypatch
):
    def no_training(*args, **kwargs):
        raise AssertionError("training started despite bad data")

    monkeypatch.setattr(sklreg._base, "PenalizedNet", no_training)
    X, y = clf_data
    make, match = BAD_DATA[case]
    X_bad, y_bad = make(X, y)
    with pytest.raises(ValueError, match=match):
        Estimator(**FAST).fit(X_bad, y_bad)


def test_single_class_and_single_row(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="only one class: 1"):
        RegularizedMLPClassifier(**FAST).fit(X, np.ones(len(X), dtype=int))
    with pytest.raises(ValueError, match="only one class"):
        RegularizedMLPClassifier(**FAST).fit(X[:1], y[:1])
    # one row is a valid regression problem, as in scikit-learn's MLPRegressor
    one = RegularizedMLPRegressor(**fast(max_iter=3)).fit(X[:1], [1.0])
    assert np.isfinite(one.predict(X)).all()
    with pytest.raises(ValueError, match="validation_fraction"):
        RegularizedMLPRegressor(**FAST, early_stopping=True).fit(X[:1], [1.0])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_wrong_number_of_features_at_prediction(Estimator, clf_data):
    X, y = clf_data
    est = Estimator(**fast(max_iter=2)).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 6"):
        est.predict(X[:, :3])


def test_unseen_labels_at_score_count_as_errors_as_in_scikit_learn(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**FAST, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier((16,), max_iter=40, random_state=0).fit(X, y)
    relabelled = np.where(y == 1, 7, y)  # class 7 was never seen
    assert est.score(X, relabelled) == pytest.approx(
        np.mean(est.predict(X) == relabelled)
    )
    assert ref.score(X, relabelled) == pytest.approx(
        np.mean(ref.predict(X) == relabelled)
    )
    assert est.score(X, relabelled) < est.score(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_nothing_the_user_passes_is_mutated(Estimator, clf_data):
    X, y = clf_data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    y = pd.Series(y.astype(float))
    w = np.linspace(0.5, 2.0, len(y))
    copies = df.copy(), y.copy(), w.copy()
    est = Estimator(**FAST, early_stopping=True, dropout=0.1, random_state=0)
    est.fit(df, y, sample_weight=w)
    est.predict(df)
    pd.testing.assert_frame_equal(df, copies[0])
    pd.testing.assert_series_equal(y, copies[1])
    np.testing.assert_array_equal(w, copies[2])


# -- what MLPClassifier users rely on ---------------------------------------------
def test_predict_log_proba_is_log_of_predict_proba(clf_data):
    X, y = clf_data
    for labels in (y, np.arange(len(y)) % 3):
        est = RegularizedMLPClassifier(**FAST, random_state=0).fit(X, labels)
        np.testing.assert_allclose(
            est.predict_log_proba(X), np.log(est.predict_proba(X)), rtol=1e-12
        )


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_input_gives_the_dense_model(Estimator, fmt, clf_data):
    X, y = clf_data
    X = np.where(np.abs(X) < 0.7, 0.0, X)  # about half zeros
    X_sparse = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    dense = Estimator(**FAST, batch_size=32, random_state=0).fit(X, y)
    sparse = Estimator(**FAST, batch_size=32, random_state=0).fit(X_sparse, y)
    for a, b in zip(params_of(dense), params_of(sparse), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sparse.predict(X_sparse), dense.predict(X))


def test_sparse_input_is_densified_a_block_at_a_time(clf_data, monkeypatch):
    import sklreg._training._data as data_module

    X, y = clf_data
    X_sparse = sp.csr_matrix(np.where(np.abs(X) < 0.7, 0.0, X))
    rows_densified = []
    original = data_module.SparseRows.__getitem__

    def spy(self, index):
        out = original(self, index)
        rows_densified.append(len(out))
        return out

    monkeypatch.setattr(data_module, "GATHER_BYTES", 32 * 6 * 8 * 2)  # two batches
    monkeypatch.setattr(data_module.SparseRows, "__getitem__", spy)
    est = RegularizedMLPClassifier(**fast(max_iter=2), batch_size=32).fit(X_sparse, y)
    assert rows_densified and max(rows_densified) <= 2 * 32 < len(X)
    monkeypatch.setattr(sklreg._training._predict, "PREDICT_CHUNK", 50)  # rows
    rows_densified.clear()
    est.predict(X_sparse)
    assert max(rows_densified) == 50 and sum(rows_densified) == len(X)


def test_partial_fit_classes_must_not_contradict_the_first_call(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**FAST)
    est.partial_fit(X, y, classes=[0, 1, 2])
    est.partial_fit(X, y, classes=[0, 1, 2])  # the same classes again: fine
    est.partial_fit(X[y == 0], y[y == 0])  # a subset of the classes: fine
    with pytest.raises(ValueError, match=r"classes=\[0, 1\] is not the same"):
        est.partial_fit(X, y, classes=[0, 1])


def test_warm_start_needs_the_same_classes(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**fast(max_iter=3), warm_start=True).fit(X, y)
    subset = y == 0
    with pytest.raises(ValueError, match="warm_start can only be used where y has"):
        est.fit(X[subset], y[subset])
    with pytest.raises(ValueError, match="warm_start can only be used where y has"):
        est.fit(X, np.where(y == 1, 5, y))
    assert list(est.classes_) == [0, 1]
    est.fit(X, y)  # the same classes: continues
    assert est.n_iter_ == 6


# -- hyperparameters: every parameter has a tested invalid value --------------------
def test_every_hyperparameter_has_an_invalid_value_test():
    from .test_conv import SHAPE_ERRORS
    from .test_fit_api import INVALID, MLP_INVALID

    tested = {name for name, _ in INVALID}
    conv_tested = tested | {name for params, *_ in SHAPE_ERRORS for name in params}
    mlp_tested = tested | {name for name, _ in MLP_INVALID}
    for Estimator in ESTIMATORS:
        missing = set(Estimator().get_params()) - mlp_tested
        assert not missing, f"no invalid-value test for {sorted(missing)}"
    missing = set(SharedConvClassifier().get_params()) - conv_tested
    assert not missing, f"no invalid-value test for {sorted(missing)}"


# -- interrupt --------------------------------------------------------------------
def _interrupt_at(monkeypatch, n_steps):
    original = PenalizedNet.train_step
    calls = {"n": 0}

    def step(self, batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == n_steps:
            raise KeyboardInterrupt
        return original(self, batch, **kwargs)

    monkeypatch.setattr(PenalizedNet, "train_step", step)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_interrupt_keeps_the_last_finished_epoch(Estimator, clf_data, monkeypatch):
    X, y = clf_data
    params = dict(FAST, batch_size=40, dropout=0.2, random_state=0)  # 4 steps/epoch
    three = Estimator(**{**params, "max_iter": 3}).fit(X, y)
    _interrupt_at(monkeypatch, 3 * 4 + 2)  # in the middle of epoch 4
    est = Estimator(**{**params, "max_iter": 10})
    with pytest.warns(UserWarning, match="interrupted after 3 finished epochs"):
        est.fit(X, y)
    assert est.n_iter_ == 3 and est.t_ == 12
    assert est.history_[-1]["interrupted"] is True
    assert "interrupted" not in est.history_[0]
    for a, b in zip(params_of(est), params_of(three), strict=True):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(est.predict(X), three.predict(X))


def test_interrupt_with_early_stopping_restores_the_best_snapshot(
    clf_data, monkeypatch
):
    X, y = clf_data
    _interrupt_at(monkeypatch, 30)
    est = RegularizedMLPClassifier(
        **FAST, batch_size=40, early_stopping=True, patience=50, random_state=0
    )
    with pytest.warns(UserWarning, match="best epoch"):
        est.fit(X, y)
    assert est.best_epoch_ is not None and est.best_epoch_ <= est.n_iter_
    assert est.history_[-1]["interrupted"] is True
    assert est.score(X, y) > 0.7


# -- determinism ------------------------------------------------------------------
def test_grid_search_workers_reproduce_the_serial_search(clf_data):
    X, y = clf_data
    grid = {"alpha": [1e-4, 1e-2], "dropout": [0.0, 0.2]}
    est = RegularizedMLPClassifier(**fast(max_iter=10), random_state=0)
    serial = GridSearchCV(est, grid, cv=2).fit(X, y)
    parallel = GridSearchCV(est, grid, cv=2, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )
    assert serial.best_params_ == parallel.best_params_
    np.testing.assert_array_equal(serial.predict_proba(X), parallel.predict_proba(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_random_state_none_differs_between_fits(Estimator, clf_data):
    X, y = clf_data
    est = Estimator(**fast(max_iter=3))
    first = params_of(clone(est).fit(X, y))
    second = params_of(clone(est).fit(X, y))
    assert not all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


# -- persistence ------------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dump_load", ["pickle", "joblib"])
def test_round_trips_predict_identically(Estimator, dump_load, clf_data, tmp_path):
    X, y = clf_data
    est = Estimator(**FAST, dropout=0.3, mc_samples=4, random_state=0).fit(X, y)
    if dump_load == "pickle":
        restored = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    restored.set_params(mc_samples=0)
    est.set_params(mc_samples=0)
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))


def test_a_gpu_trained_model_loads_and_predicts_without_a_gpu(clf_data, monkeypatch):
    """Pickle as if the tensors lived on ``cuda:0``; load on this CPU machine."""
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: see test_gpu_model_round_trip")
    X, y = clf_data
    est = RegularizedMLPClassifier(**FAST, random_state=0).fit(X, y)
    expected = est.predict_proba(X)
    est.net_.device = "cuda"
    with monkeypatch.context() as patch:  # tag every tensor storage as CUDA
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        payload = pickle.dumps(est)
    with pytest.raises(RuntimeError, match="CUDA"):  # the tags took effect
        torch.load(io.BytesIO(_torch_payload(est, monkeypatch)), weights_only=False)
    # skorch warns that CUDA is missing and that the device became the CPU
    with pytest.warns(UserWarning, match="(?i)cuda"):
        restored = pickle.loads(payload)
    assert str(restored.net_.device) == "cpu"
    assert next(restored.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


def _torch_payload(est, monkeypatch):
    buffer = io.BytesIO()
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        torch.save(est.module_.state_dict(), buffer)
    return buffer.getvalue()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_model_round_trip(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**FAST, device="cuda", random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))


# -- memory -----------------------------------------------------------------------
def _rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_repeated_fits_do_not_grow_memory(clf_data):
    X, y = clf_data
    X = np.tile(X, (10, 1))  # 1 600 rows
    y = np.tile(y, 10)
    est = RegularizedMLPClassifier(
        (32,), max_iter=2, early_stopping=True, dropout=0.2, random_state=0
    )
    for _ in range(5):  # warm up allocators and caches
        clone(est).fit(X, y).predict_proba(X)
    before = _rss_mb()
    for _ in range(50):
        clone(est).fit(X, y).predict_proba(X)
    assert _rss_mb() - before < 30, f"RSS grew from {before:.0f} MB"


def test_environment_is_not_changed_by_fitting(clf_data):
    X, y = clf_data
    threads, env = torch.get_num_threads(), dict(os.environ)
    RegularizedMLPClassifier(**fast(max_iter=2)).fit(X, y)
    assert torch.get_num_threads() == threads and dict(os.environ) == env
