"""RegularizedMLPRegressor(loss=...): squared, absolute, Huber and Poisson."""

import numpy as np
import pytest
import torch
from sklearn.metrics import r2_score

from sklreg import RegularizedMLPRegressor
from sklreg.nn import DataLoss

from .helpers import FAST


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    return X, X[:, 0] - 0.5 * X[:, 1] + 0.1 * rng.normal(size=n)


def test_the_losses_are_their_formulas():
    out = torch.tensor([[0.0, 2.0], [1.0, -3.0]], dtype=torch.float64)
    target = torch.tensor([[0.5, 0.0], [1.0, 1.0]], dtype=torch.float64)
    weight = torch.tensor([1.0, 3.0], dtype=torch.float64)
    r = (out - target).abs()
    huber = torch.where(r <= 1, r**2 / 2, r - 0.5)
    cases = {
        "absolute_error": r.mean(dim=1),
        "huber": huber.mean(dim=1),
    }
    for name, per_row in cases.items():
        loss = DataLoss(name)
        torch.testing.assert_close(loss(out, target), per_row.mean())
        torch.testing.assert_close(
            loss(out, target, weight), (per_row * weight).sum() / weight.sum()
        )
    counts = torch.tensor([[0.0, 2.0], [5.0, 1.0]], dtype=torch.float64)
    mu = out.exp()
    deviance = mu - counts * out + torch.xlogy(counts, counts) - counts
    torch.testing.assert_close(DataLoss("poisson")(out, counts), deviance.mean())
    # zero at the perfect fit
    perfect = torch.log(torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    zero = DataLoss("poisson")(perfect, torch.tensor([[1.0, 2.0]]).double())
    assert zero.item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber"])
def test_each_loss_fits(loss):
    X, y = _data()
    reg = RegularizedMLPRegressor(**FAST, loss=loss, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.9
    assert reg.net_.criterion_.name == loss


def test_squared_error_is_the_default_unchanged():
    X, y = _data()
    a = RegularizedMLPRegressor(**FAST, random_state=0).fit(X, y)
    b = RegularizedMLPRegressor(**FAST, loss="squared_error", random_state=0)
    np.testing.assert_array_equal(a.predict(X), b.fit(X, y).predict(X))


def test_absolute_and_huber_beat_squared_error_on_gross_outliers():
    X, y = _data(n=600)
    X_test, y_test = _data(n=400, seed=1)
    rng = np.random.default_rng(2)
    outliers = rng.choice(len(y), size=len(y) // 20, replace=False)
    y_dirty = y.copy()
    y_dirty[outliers] += 30.0
    settings = dict(FAST, max_iter=80, random_state=0)
    r2 = {
        loss: r2_score(
            y_test,
            RegularizedMLPRegressor(**settings, loss=loss)
            .fit(X, y_dirty)
            .predict(X_test),
        )
        for loss in ("squared_error", "absolute_error", "huber")
    }
    assert r2["absolute_error"] > r2["squared_error"] + 0.1
    assert r2["huber"] > r2["squared_error"] + 0.1
    assert r2["absolute_error"] > 0.9


def test_poisson_predicts_positive_means_with_a_log_link():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = rng.poisson(np.exp(1.0 + 0.8 * X[:, 0]))
    reg = RegularizedMLPRegressor(**FAST, loss="poisson", random_state=0).fit(X, y)
    far = 10 * rng.normal(size=(200, 3))
    assert np.all(reg.predict(far) > 0)
    assert np.all(reg.predict(X) > 0)
    # the network's output is the log of the prediction
    with torch.no_grad():
        log_mean = reg.module_(torch.as_tensor(X[:5])).numpy().ravel()
    np.testing.assert_allclose(reg.predict(X[:5]), np.exp(log_mean), rtol=1e-12)
    assert reg.score(X, y) > 0.5
    # Monte-Carlo predictions average the thinned networks' means
    dropout = RegularizedMLPRegressor(
        **FAST, loss="poisson", dropout=0.2, mc_samples=5, random_state=0
    ).fit(X, y)
    mean, std = dropout.predict(X, return_std=True)
    assert np.all(mean > 0) and np.all(std > 0)


@pytest.mark.parametrize(
    "y", [np.array([1.0, -1.0, 2.0, 0.0] * 25), np.zeros(100)], ids=["negative", "zero"]
)
def test_poisson_refuses_negative_or_all_zero_targets(y, forbid_training):
    X = np.random.default_rng(0).normal(size=(100, 3))
    with pytest.raises(ValueError, match="loss='poisson'"):
        RegularizedMLPRegressor(**FAST, loss="poisson").fit(X, y)
    with pytest.raises(ValueError, match="y_val.*loss='poisson'"):
        RegularizedMLPRegressor(**FAST, loss="poisson").fit(
            X, np.ones(100), X_val=X, y_val=y
        )
