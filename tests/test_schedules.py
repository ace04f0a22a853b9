"""Learning-rate schedules, Adam's constants and Nesterov's momentum."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor
from sklreg._training import adaptive_rates

from .helpers import FAST, NOISY_EARLY_STOPPING


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=10, random_state=0)


def _rates(est):
    return [row["lr"] for row in est.history_]


def test_adaptive_divides_by_five_after_two_epochs_without_gain():
    tol = 0.01
    # epoch:   1    2     3       4        5     6     7       8    9      10
    losses = [1.0, 0.8, 0.7999, 0.79995, 0.75, 0.76, 0.7501, 0.7, 0.745, 0.68]
    rates = adaptive_rates(losses, 1.0, tol)
    # epochs 3 and 4 fail to beat 0.8 by tol: epoch 5 runs at 1/5; epochs 6
    # and 7 fail to beat 0.75: epoch 8 runs at 1/25; one failure (epoch 9)
    # between gains changes nothing
    expected = [1.0] * 4 + [0.2] * 3 + [0.04] * 4
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    # a score (greater is better) with early stopping
    scores = [-x for x in losses]
    np.testing.assert_allclose(
        adaptive_rates(scores, 1.0, tol, mode="max"), expected, rtol=1e-12
    )


def test_adaptive_follows_the_training_loss_of_the_fit(data):
    X, y = data
    est = RegularizedMLPClassifier(
        **dict(FAST, max_iter=30, learning_rate_init=0.05),
        learning_rate="adaptive",
        tol=0.02,
        random_state=0,
    ).fit(X, y)
    rates = _rates(est)
    assert rates == adaptive_rates(est.loss_curve_, 0.05, 0.02)[:-1]
    assert min(rates) < 0.05  # the plateau was reached


def test_adaptive_watches_the_validation_score_with_early_stopping(noisy):
    X, y = noisy
    est = RegularizedMLPClassifier(
        **dict(NOISY_EARLY_STOPPING, patience=30, max_iter=40, tol=1e-3),
        learning_rate="adaptive",
    ).fit(X, y)
    scores = [row["valid_score"] for row in est.history_]
    rates = _rates(est)
    assert rates == adaptive_rates(scores, 3e-3, 1e-3, mode="max")[:-1]
    assert min(rates) < 3e-3


def test_invscaling_is_scikit_learns(data):
    X, y = data
    settings = dict(FAST, max_iter=6, random_state=0)
    est = RegularizedMLPClassifier(
        **settings, learning_rate="invscaling", power_t=0.25
    ).fit(X, y)
    n = len(y)
    expected = [1e-2 / (epoch * n + 1) ** 0.25 for epoch in range(6)]
    np.testing.assert_allclose(_rates(est), expected, rtol=1e-12)
    constant = RegularizedMLPClassifier(**settings).fit(X, y)
    assert _rates(constant) == [1e-2] * 6
    assert est.loss_curve_[0] == constant.loss_curve_[0]
    assert est.loss_curve_[1:] != constant.loss_curve_[1:]


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_warm_start_and_partial_fit_continue_the_schedule(schedule, data):
    X, y = data
    settings = dict(
        FAST, learning_rate=schedule, learning_rate_init=0.05, tol=0.02, random_state=0
    )

    def expected(est):  # the schedule of the whole recorded history
        if schedule == "invscaling":
            return [0.05 / (epoch * len(y) + 1) ** 0.5 for epoch in range(12)]
        return adaptive_rates(est.loss_curve_, 0.05, 0.02)[:-1]

    partial = RegularizedMLPClassifier(**settings)
    for _ in range(12):
        partial.partial_fit(X, y, classes=[0, 1])
    warm = RegularizedMLPClassifier(**{**settings, "max_iter": 6}).fit(X, y)
    warm.set_params(warm_start=True).fit(X, y)
    for est in (partial, warm):
        np.testing.assert_allclose(_rates(est), expected(est), rtol=1e-12)
        assert min(_rates(est)) < 0.05


def test_adams_constants_and_nesterov_reach_the_optimizer(data):
    X, y = data
    settings = dict(FAST, max_iter=3, random_state=0)
    est = RegularizedMLPClassifier(
        **settings, beta_1=0.5, beta_2=0.9, epsilon=1e-3
    ).fit(X, y)
    group = est.net_.optimizer_.param_groups[0]
    assert group["betas"] == (0.5, 0.9) and group["eps"] == 1e-3
    default = RegularizedMLPClassifier(**settings).fit(X, y)
    assert default.net_.optimizer_.param_groups[0]["betas"] == (0.9, 0.999)
    assert est.loss_curve_ != default.loss_curve_
    sgd = dict(settings, solver="sgd")
    nesterov = RegularizedMLPRegressor(**sgd, nesterovs_momentum=True).fit(X, y)
    plain = RegularizedMLPRegressor(**sgd, nesterovs_momentum=False).fit(X, y)
    assert nesterov.net_.optimizer_.param_groups[0]["nesterov"] is True
    assert plain.net_.optimizer_.param_groups[0]["nesterov"] is False
    assert nesterov.loss_curve_ != plain.loss_curve_
    # Nesterov's momentum needs momentum: off without it
    still = RegularizedMLPRegressor(**sgd, momentum=0.0, nesterovs_momentum=True)
    assert still.fit(X, y).net_.optimizer_.param_groups[0]["nesterov"] is False


def test_proximal_steps_use_the_current_learning_rate(data):
    X, y = data
    est = RegularizedMLPClassifier(
        **dict(FAST, max_iter=4),
        alpha=1e-2,
        norm="l1",
        solver="sgd",
        momentum=0.0,
        learning_rate="invscaling",
        random_state=0,
    ).fit(X, y)
    # the step size of the next proximal step is the rate after 4 epochs
    sizes = est.net_._step_sizes(list(est.module_.parameters()))
    np.testing.assert_allclose(sizes, 1e-2 / (4 * len(y) + 1) ** 0.5, rtol=1e-12)
    assert est.history_[-1]["lr"] == pytest.approx(1e-2 / (3 * len(y) + 1) ** 0.5)


def test_verbose_shows_the_learning_rate_of_a_schedule(data, capsys):
    X, y = data
    RegularizedMLPClassifier(
        **dict(FAST, max_iter=2), learning_rate="invscaling", verbose=1
    ).fit(X, y)
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header[-2:] == ["lr", "dur"]
    RegularizedMLPClassifier(**dict(FAST, max_iter=2), verbose=1).fit(X, y)
    assert "lr" not in capsys.readouterr().out.splitlines()[0].split()
