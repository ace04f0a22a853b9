"""A fit whose objective grew instead of falling is never silent."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor

from .helpers import FAST


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16, y[:600]


def test_an_exploding_classifier_warns(digits):
    X, y = digits
    clf = RegularizedMLPClassifier((32,), learning_rate_init=10.0, max_iter=5)
    with pytest.warns(
        ConvergenceWarning,
        match=r"objective grew instead of falling.*learning_rate_init \(now 10.0\)",
    ):
        clf.set_params(random_state=0).fit(X, y)
    assert clf.score(X, y) < 0.5  # the warning told the truth


def test_a_healthy_fit_is_silent(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # tol=None: a set number of epochs, which max_iter ends by design
        clf = RegularizedMLPClassifier(
            **{**FAST, "max_iter": 20}, tol=None, random_state=0
        )
        clf.fit(X, y)
        reg = RegularizedMLPRegressor(**FAST, tol=None, random_state=0)
        reg.fit(X, y / 9)
    assert clf.score(X, y) > 0.8 and reg.score(X, y / 9) > 0.5


def test_the_growth_is_measured_from_the_first_update(digits):
    X, y = digits
    clf = RegularizedMLPClassifier((32,), learning_rate_init=10.0, max_iter=3)
    with pytest.warns(ConvergenceWarning) as record:
        clf.set_params(random_state=0).fit(X, y)
    message = str(record[0].message)
    final = clf.history_[-1]["train_loss"]
    assert f"to {final:.6g} at epoch 3" in message
    start = float(message.split("from ")[1].split(" ")[0])
    assert start < final / 10 and np.log(10) < start < 5
