"""Searches on a Dask cluster (the ``distributed`` extra) through joblib.

The cluster's workers are separate processes, as on a real cluster: estimators
and data travel to them by pickling, and fitted estimators travel back.
"""

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPClassifier

from .helpers import fast

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    """A local cluster of 2 single-threaded worker processes, shut down after
    the module's tests."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
    assert cluster.status.name == "closed"


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=240, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    return X, y


def _search():
    """A small search whose candidates use every random stream (initial
    weights, row order, dropout masks)."""
    return GridSearchCV(
        make_pipeline(
            StandardScaler(),
            RegularizedMLPClassifier(**fast(max_iter=10, dropout=0.2), random_state=0),
        ),
        {
            "regularizedmlpclassifier__alpha": [1e-4, 1e-1],
            "regularizedmlpclassifier__input_dropout": [0.0, 0.3],
        },
        cv=3,
        scoring="neg_log_loss",
        n_jobs=-1,
    )


def test_workers_train_with_the_clients_thread_count(client):
    # Dask starts its worker processes with OMP_NUM_THREADS=1, and the test
    # session trains on one thread too (see conftest): the arithmetic is the
    # same on both sides, which the bit-for-bit comparisons below rely on.
    threads = client.run(torch.get_num_threads)
    assert set(threads.values()) == {torch.get_num_threads()} == {1}


@pytest.mark.parametrize("scatter", [False, True])
def test_search_on_the_cluster_equals_the_serial_search(client, data, scatter):
    X, y = data
    serial = _search().set_params(n_jobs=None).fit(X, y)
    backend = dict(scatter=[X, y]) if scatter else {}
    with joblib.parallel_backend("dask", **backend):
        remote = _search().fit(X, y)
    assert remote.best_params_ == serial.best_params_
    for key, values in serial.cv_results_.items():
        if key.startswith(("split", "mean_test", "std_test", "rank_test")):
            np.testing.assert_array_equal(remote.cv_results_[key], values, err_msg=key)
    np.testing.assert_array_equal(remote.predict_proba(X), serial.predict_proba(X))


def test_a_model_fitted_on_a_worker_predicts_identically_in_the_client(client, data):
    X, y = data
    est = RegularizedMLPClassifier(
        **fast(max_iter=10), dropout=0.2, alpha=1e-3, norm="l1", random_state=0
    )
    fitted = client.submit(clone(est).fit, X, y)
    on_worker = client.submit(lambda model: model.predict_proba(X), fitted).result()
    in_client = fitted.result()  # unpickled here
    np.testing.assert_array_equal(in_client.predict_proba(X), on_worker)
    local = clone(est).fit(X, y)
    np.testing.assert_array_equal(in_client.predict_proba(X), local.predict_proba(X))
    assert in_client.loss_curve_ == local.loss_curve_
