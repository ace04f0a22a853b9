"""The thread policy: small fits and predictions compute on one thread, unless
the user chose a thread count; the caller's setting always comes back."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)
from sklreg._training import PenalizedNet, _predict, _threads

from .helpers import fast

#: A thread count other than the one torch had when sklreg was imported.
OTHER = 3 if _threads._THREADS_AT_IMPORT != 3 else 2


@pytest.fixture(autouse=True)
def _as_imported(monkeypatch):
    """Start every test as a user would: torch's default threads, no
    thread variable in the environment (the suite's one-thread fixture ran
    first; this one undoes it, and it restores that one's setting after)."""
    for name in _threads.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(_threads._THREADS_AT_IMPORT)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def data():
    return make_classification(n_samples=120, n_features=8, random_state=0)


@pytest.fixture
def seen_threads(monkeypatch):
    """Thread counts seen by each training step and prediction pass."""
    seen = {"fit": set(), "predict": set()}
    step = PenalizedNet.train_step

    def spy_step(self, batch, **kwargs):
        seen["fit"].add(torch.get_num_threads())
        return step(self, batch, **kwargs)

    chunk = _predict.aligned

    def spy_chunk(rows):
        seen["predict"].add(torch.get_num_threads())
        return chunk(rows)

    monkeypatch.setattr(PenalizedNet, "train_step", spy_step)
    monkeypatch.setattr(_predict, "aligned", spy_chunk)
    return seen


def test_small_networks_fit_and_predict_on_one_thread(data, seen_threads):
    X, y = data
    before = torch.get_num_threads()
    est = RegularizedMLPClassifier(**fast(max_iter=2)).fit(X, y)
    assert torch.get_num_threads() == before
    est.predict_proba(X)
    assert torch.get_num_threads() == before
    assert seen_threads == {"fit": {1}, "predict": {1}}


def test_large_work_keeps_the_callers_threads(data, seen_threads, monkeypatch):
    X, y = data
    monkeypatch.setattr(_threads, "MIN_PARALLEL_WORK", 0)
    RegularizedMLPClassifier(**fast(max_iter=2)).fit(X, y).predict(X)
    threads = _threads._THREADS_AT_IMPORT
    assert seen_threads == {"fit": {threads}, "predict": {threads}}


def test_the_work_decides(data):
    X, y = data
    est = RegularizedMLPClassifier((16, 8), max_iter=1, batch_size=50).fit(X, y)
    per_row = 8 * 16 + 16 * 8 + 8 * 1
    assert _threads.work_per_row(est.module_) == per_row
    limit = _threads.MIN_PARALLEL_WORK
    assert _threads.compute_threads(limit - 1) == 1
    assert _threads.compute_threads(limit) is None


def test_convolutions_count_every_position():
    X = np.random.RandomState(0).rand(40, 36)
    y = np.arange(40) % 2
    est = SharedConvClassifier(
        conv_channels=(4,), hidden_layer_sizes=(5,), max_iter=1, padding="same"
    ).fit(X, y)
    conv = est.module_.conv[0]
    # 6 x 6 positions (same padding), each a 3 x 3 kernel, 1 -> 4 channels;
    # then the head on the 3 x 3 x 4 pooled maps, one output unit (binary)
    expected = 36 * conv.weight.numel() + 36 * 5 + 5 * 1
    rows = torch.as_tensor(X, dtype=torch.float64)
    _threads._WORK_PER_ROW.pop(est.module_, None)
    assert _threads.work_per_row(est.module_, rows) == expected


@pytest.mark.parametrize(
    "choose",
    [
        pytest.param("set_num_threads", id="torch.set_num_threads"),
        pytest.param("threadpool_limits", id="threadpoolctl"),
        pytest.param("environment", id="OMP_NUM_THREADS"),
    ],
)
def test_an_explicit_choice_is_kept(choose, data, seen_threads, monkeypatch):
    X, y = data
    est = RegularizedMLPClassifier(**fast(max_iter=2))
    if choose == "environment":  # as joblib's loky workers and Dask's set it
        monkeypatch.setenv("OMP_NUM_THREADS", str(_threads._THREADS_AT_IMPORT))
        expected = _threads._THREADS_AT_IMPORT
        est.fit(X, y).predict(X)
    elif choose == "set_num_threads":
        torch.set_num_threads(OTHER)
        expected = OTHER
        est.fit(X, y).predict(X)
        assert torch.get_num_threads() == OTHER
    else:
        with threadpool_limits(limits=OTHER, user_api="openmp"):
            expected = torch.get_num_threads()
            assert expected != _threads._THREADS_AT_IMPORT
            est.fit(X, y).predict(X)
            assert torch.get_num_threads() == expected
    assert seen_threads == {"fit": {expected}, "predict": {expected}}


def _fails_at_step(monkeypatch, n_steps, error):
    original = PenalizedNet.train_step
    calls = {"n": 0}

    def step(self, batch, **kwargs):
        calls["n"] += 1
        assert torch.get_num_threads() == 1
        if calls["n"] == n_steps:
            raise error
        return original(self, batch, **kwargs)

    monkeypatch.setattr(PenalizedNet, "train_step", step)


def test_restored_after_an_error_in_fit(data, monkeypatch):
    X, y = data
    before = torch.get_num_threads()
    _fails_at_step(monkeypatch, 3, RuntimeError("boom"))
    with pytest.raises(RuntimeError, match="boom"):
        RegularizedMLPClassifier(**fast(batch_size=40)).fit(X, y)
    assert torch.get_num_threads() == before


def test_restored_after_an_interrupt(data, monkeypatch):
    X, y = data
    before = torch.get_num_threads()
    _fails_at_step(monkeypatch, 5, KeyboardInterrupt)
    with pytest.warns(UserWarning, match="interrupted"):
        est = RegularizedMLPClassifier(**fast(batch_size=40)).fit(X, y)
    assert est.n_iter_ == 1
    assert torch.get_num_threads() == before


def test_restored_after_partial_fit_and_a_failed_prediction(data, monkeypatch):
    X, y = data
    before = torch.get_num_threads()
    est = RegularizedMLPClassifier(**fast()).partial_fit(X, y, classes=[0, 1])
    est.partial_fit(X, y)
    assert torch.get_num_threads() == before

    def broken(*args, **kwargs):
        raise RuntimeError("broken link")

    with pytest.raises(RuntimeError, match="broken link"):
        est._forward(X, broken)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor]
)
def test_results_do_not_depend_on_the_thread_count(Estimator, monkeypatch):
    # wide enough that some kernels split their work across threads
    X, y = make_classification(n_samples=600, n_features=60, random_state=0)
    params = dict(
        hidden_layer_sizes=(256,),
        max_iter=3,
        batch_size=300,
        alpha=1e-3,
        norm="l1",
        activity_alpha=1e-4,
        dropout=0.2,
        mc_samples=3,
        random_state=0,
    )
    one = Estimator(**params).fit(X, y)
    monkeypatch.setattr(_threads, "MIN_PARALLEL_WORK", 0)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    torch.set_num_threads(2)
    two = Estimator(**params).fit(X, y)
    for a, b in zip(one.module_.parameters(), two.module_.parameters(), strict=True):
        assert torch.equal(a, b)
    method = "predict_proba" if hasattr(one, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(one, method)(X), getattr(two, method)(X))
