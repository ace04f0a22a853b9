"""Convergence without early stopping, as MLPClassifier users know it: a fit
stops once the training objective has not improved by more than ``tol`` for
``patience`` epochs, and warns when ``max_iter`` came first."""

import types
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from skorch.history import History

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)
from sklreg._training import Convergence

from .helpers import fast


def _stop_epoch(losses, patience, tol):
    """The epoch after which the callback stops training on ``losses``
    (None: it never does)."""
    net = types.SimpleNamespace(history=History(), stop_training_=False, verbose=0)
    callback = Convergence(patience, tol)
    callback.on_train_begin(net)
    for epoch, loss in enumerate(losses, start=1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("train_loss", loss)
        callback.on_epoch_end(net)
        if net.stop_training_:
            return epoch
    return None


def test_the_rule_on_a_loss_sequence():
    # decreases of more than tol keep training going
    assert _stop_epoch([1.0, 0.8, 0.6, 0.4, 0.2], patience=2, tol=0.1) is None
    # epochs 3 and 4 do not fall more than tol=0.1 below the lowest so far
    # (0.5, then 0.45): stop after epoch 4
    assert _stop_epoch([1.0, 0.5, 0.45, 0.42, 0.1], patience=2, tol=0.1) == 4
    # a decrease of exactly tol is no progress; more than tol is
    assert _stop_epoch([1.0, 0.5, 0.4, 0.4], patience=2, tol=0.1) == 4
    assert _stop_epoch([1.0, 0.5, 0.39, 0.38], patience=2, tol=0.1) is None
    # as in MLPClassifier, small steps do not add up: each is measured
    # against the lowest value before it
    assert _stop_epoch([0.5, 0.47, 0.44, 0.41, 0.3], patience=3, tol=0.1) == 4
    # progress resets the count
    assert _stop_epoch([1.0, 0.95, 0.8, 0.79, 0.78], patience=2, tol=0.1) == 5
    assert _stop_epoch([1.0, 0.95, 0.8, 0.79, 0.6], patience=3, tol=0.1) is None
    # an objective that rises is no progress; non-finite values neither
    assert _stop_epoch([1.0, 1.5, 2.0, 3.0], patience=3, tol=0.0) == 4
    assert _stop_epoch([1.0, np.nan, np.inf], patience=2, tol=0.0) == 3
    # patience=1: the first epoch without progress stops
    assert _stop_epoch([1.0, 0.9, 0.95], patience=1, tol=0.0) == 3


def test_digits_stop_where_mlpclassifier_stops():
    """Tried as a new user would: on the standardized digits, with the
    defaults, MLPClassifier stops after 130 epochs and sklreg after 126 (its
    patience is one epoch shorter than n_iter_no_change + 1), not 200."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    sklearn_epochs = MLPClassifier(random_state=0).fit(X, y).n_iter_
    est = RegularizedMLPClassifier(random_state=0).fit(X, y)
    assert est.n_iter_ < 200
    assert abs(est.n_iter_ - sklearn_epochs) <= 15
    losses = np.array(est.loss_curve_)
    lowest = np.minimum.accumulate(losses)
    # the last `patience` epochs each failed to beat the lowest before them
    assert np.all(losses[-10:] >= lowest[-11:-1] - est.tol)
    assert losses[-11] < lowest[-12] - est.tol  # the epoch before them did


def test_a_fit_on_a_plateau_stops_and_says_so(small_digits, capsys):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=300), tol=1e-2, patience=5, verbose=1, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # converged: none
        est.fit(X, y)
    assert est.n_iter_ < 300
    losses = np.array(est.loss_curve_)
    lowest = np.minimum.accumulate(losses)
    # each of the last `patience` epochs stayed within tol of the lowest before
    assert np.all(losses[-5:] >= lowest[-6:-1] - est.tol)
    assert f"Converged after epoch {est.n_iter_}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor]
)
def test_max_iter_first_warns(small_digits, Estimator):
    X, y = small_digits
    est = Estimator(**fast(max_iter=3), random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3.*tol=0.0001") as record:
        est.fit(X, y.astype(float) if Estimator is RegularizedMLPRegressor else y)
    assert est.n_iter_ == 3
    assert record[0].filename == __file__  # it points at the user's fit


def test_conv_max_iter_first_warns(small_digits):
    X, y = small_digits
    est = SharedConvClassifier(conv_channels=(2,), hidden_layer_sizes=(4,), max_iter=2)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        est.fit(X, y)


def test_tol_none_runs_every_epoch_without_warning(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(**fast(max_iter=30), tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert est.n_iter_ == 30
    # a huge tol stops after `patience` epochs; None never stops
    stopped = RegularizedMLPClassifier(**fast(max_iter=30), tol=100.0, patience=3)
    assert stopped.fit(X, y).n_iter_ == 4


def test_the_rule_does_not_change_the_epochs_it_runs(small_digits):
    """Training stops sooner, but every epoch it runs is the epoch a fit
    without the rule runs."""
    X, y = small_digits
    settings = dict(**fast(max_iter=60), random_state=0)
    stopped = RegularizedMLPClassifier(**settings, tol=2e-2, patience=2).fit(X, y)
    full = RegularizedMLPClassifier(**settings, tol=None).fit(X, y)
    assert stopped.n_iter_ < full.n_iter_ == 60
    assert stopped.loss_curve_ == full.loss_curve_[: stopped.n_iter_]


def test_partial_fit_never_stops_or_warns(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(**fast(), tol=100.0, patience=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for _ in range(3):
            est.partial_fit(X, y, classes=np.unique(y))
    assert est.n_iter_ == 3


def test_warm_start_applies_the_rule_per_call(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=50), tol=100.0, patience=2, warm_start=True, random_state=0
    )
    est.fit(X, y)
    assert est.n_iter_ == 3  # the first epoch improves on nothing
    est.fit(X, y)
    assert est.n_iter_ == 6


def test_early_stopping_at_max_iter_warns(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=3), early_stopping=True, patience=5, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="validation score still rose"):
        est.fit(X, y)
    # stopped by its patience: no warning, and the refit runs its set length
    stopped = RegularizedMLPClassifier(
        **fast(max_iter=200),
        early_stopping=True,
        patience=2,
        tol=1.0,
        refit="epochs",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        stopped.fit(X, y)
    assert stopped.best_epoch_ == 1 and len(stopped.history_) == 3
    assert stopped.refit_n_iter_ == stopped.best_epoch_
    # tol=None: every epoch runs, the best one is restored, no warning
    every = RegularizedMLPClassifier(
        **fast(max_iter=25), early_stopping=True, tol=None, patience=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        every.fit(X, y)
    assert len(every.history_) == 25
    scores = every.validation_scores_
    assert every.best_epoch_ == 1 + int(np.argmax(scores))


def test_adaptive_schedule_with_convergence(small_digits):
    X, y = small_digits
    est = RegularizedMLPClassifier(
        **fast(max_iter=500), learning_rate="adaptive", tol=1e-3, random_state=0
    )
    est.fit(X, y)
    assert est.n_iter_ < 500
    rates = [row["lr"] for row in est.history_]
    assert rates[-1] < rates[0]  # the plateau first divided the rate


@pytest.mark.parametrize("tol", [-1e-4, "small", [1e-4]])
def test_invalid_tol_names_the_parameter(small_digits, tol, forbid_training):
    X, y = small_digits
    with pytest.raises((ValueError, TypeError), match="'tol' parameter"):
        RegularizedMLPClassifier(tol=tol).fit(X, y)
