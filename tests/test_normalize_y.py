"""RegularizedMLPRegressor(normalize_y=True): targets on their own scale."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPRegressor

from .helpers import FAST


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_same_predictions_for_y_and_an_affine_y_up_to_scale(diabetes):
    X, y = diabetes
    settings = dict(FAST, max_iter=5, dropout=0.2, mc_samples=3, random_state=0)
    a = RegularizedMLPRegressor(**settings, normalize_y=True).fit(X, y)
    b = RegularizedMLPRegressor(**settings, normalize_y=True).fit(X, 1000 * y + 5)
    mean_a, std_a = a.predict(X, return_std=True)
    mean_b, std_b = b.predict(X, return_std=True)
    np.testing.assert_allclose(mean_b, 1000 * mean_a + 5, rtol=1e-10)
    np.testing.assert_allclose(std_b, 1000 * std_a, rtol=1e-10)
    assert a.loss_curve_ == pytest.approx(b.loss_curve_, rel=1e-10)
    assert std_a.max() > 0


def test_raw_targets_fit_once_standardized(diabetes):
    X, y = diabetes
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    settings = dict(FAST, max_iter=30, random_state=0)
    raw = RegularizedMLPRegressor(**settings).fit(X_train, y_train)
    scaled = RegularizedMLPRegressor(**settings, normalize_y=True)
    scaled.fit(X_train, y_train)
    assert raw.score(X_test, y_test) < 0
    assert scaled.score(X_test, y_test) > 0.2


def test_weighted_scale_and_kept_by_continued_fits(diabetes):
    X, y = diabetes
    w = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    settings = dict(FAST, max_iter=3, normalize_y=True, random_state=0)
    weighted = RegularizedMLPRegressor(**settings).fit(X, y, sample_weight=w)
    repeat = np.repeat(np.arange(len(y)), w.astype(int))
    repeated = RegularizedMLPRegressor(**settings).fit(X[repeat], y[repeat])
    # the same standardized targets: one epoch of one minibatch agrees
    one = dict(settings, max_iter=1, batch_size=len(repeat), shuffle=False)
    a = RegularizedMLPRegressor(**one).fit(X, y, sample_weight=w)
    b = RegularizedMLPRegressor(**one).fit(X[repeat], y[repeat])
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-9)
    assert weighted.n_iter_ == repeated.n_iter_ == 3
    # partial_fit keeps the scale of the first call
    est = RegularizedMLPRegressor(**settings)
    est.partial_fit(X, y)
    first = est.predict(X)
    est.partial_fit(X, y + 1e6)  # another scale: trained on, never rescaled
    assert est.loss_curve_[-1] > 1e6 and np.isfinite(first).all()


def test_poisson_refuses_it(diabetes, forbid_training):
    X, y = diabetes
    with pytest.raises(ValueError, match="normalize_y=True.*poisson"):
        RegularizedMLPRegressor(**FAST, loss="poisson", normalize_y=True).fit(X, y)
