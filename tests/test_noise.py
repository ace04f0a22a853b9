"""Noise as a regularizer: Gaussian input noise and label smoothing."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import make_classification

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)
from sklreg.nn import DataLoss

from .helpers import FAST


@pytest.fixture(scope="module")
def separable():
    return make_classification(
        n_samples=300, n_features=8, class_sep=3.0, flip_y=0.0, random_state=0
    )


def test_input_noise_changes_training_but_not_prediction(separable):
    X, y = separable
    settings = dict(FAST, max_iter=10, random_state=0)
    plain = RegularizedMLPClassifier(**settings).fit(X, y)
    noisy = RegularizedMLPClassifier(**settings, input_noise=0.5).fit(X, y)
    again = RegularizedMLPClassifier(**settings, input_noise=0.5).fit(X, y)
    assert noisy.loss_curve_ != plain.loss_curve_
    assert noisy.loss_curve_ == again.loss_curve_  # seeded by random_state
    # prediction sees the inputs as given: deterministic, the plain forward pass
    proba = noisy.predict_proba(X)
    np.testing.assert_array_equal(proba, noisy.predict_proba(X))
    with torch.no_grad():
        logit = noisy.module_(torch.as_tensor(X)).numpy().ravel()
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logit)), rtol=1e-12)


def test_input_noise_draws_do_not_depend_on_the_dtype(separable):
    X, y = separable
    settings = dict(FAST, max_iter=5, input_noise=0.3, random_state=0)
    f64 = RegularizedMLPClassifier(**settings).fit(X, y)
    f32 = RegularizedMLPClassifier(**settings).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(f64.loss_curve_, f32.loss_curve_, rtol=1e-4)


@pytest.mark.parametrize("Estimator", [RegularizedMLPRegressor, SharedConvClassifier])
def test_input_noise_on_every_estimator(Estimator, separable):
    X, y = separable
    settings = dict(FAST, max_iter=3, random_state=0)
    if Estimator is SharedConvClassifier:
        settings.update(conv_channels=(2,), image_shape=(2, 4))
    plain = Estimator(**settings).fit(X, y)
    noisy = Estimator(**settings, input_noise=0.5).fit(X, y)
    assert noisy.loss_curve_ != plain.loss_curve_


def test_input_noise_leaves_the_dropout_masks_alone(separable):
    """With noise, the dropout masks are still those of the same seed: a
    vanishing noise gives (almost) the same fit."""
    X, y = separable
    settings = dict(FAST, max_iter=5, dropout=0.3, random_state=0)
    plain = RegularizedMLPClassifier(**settings).fit(X, y)
    tiny = RegularizedMLPClassifier(**settings, input_noise=1e-9).fit(X, y)
    np.testing.assert_allclose(tiny.loss_curve_, plain.loss_curve_, rtol=1e-6)


def test_label_smoothing_keeps_probabilities_from_certainty(separable):
    X, y = separable
    settings = dict(FAST, max_iter=100, random_state=0)
    sharp = RegularizedMLPClassifier(**settings).fit(X, y)
    smooth = RegularizedMLPClassifier(**settings, label_smoothing=0.2).fit(X, y)
    assert sharp.predict_proba(X).max() > 0.999
    # the smoothed targets are 0.1 and 0.9: confidence stays near 0.9
    assert smooth.predict_proba(X).max() < 0.99
    assert np.median(smooth.predict_proba(X).max(axis=1)) < 0.95
    assert smooth.score(X, y) == sharp.score(X, y) == 1.0


def test_smoothed_losses_are_pytorchs():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    weight = torch.arange(1.0, 7.0, dtype=torch.float64)
    ce = DataLoss("cross_entropy", label_smoothing=0.1)
    expected = F.cross_entropy(logits, labels, reduction="none", label_smoothing=0.1)
    torch.testing.assert_close(ce(logits, labels), expected.mean())
    torch.testing.assert_close(
        ce(logits, labels, weight), (expected * weight).sum() / weight.sum()
    )
    # binary (and multilabel): each 0/1 target smoothed to eps/2, 1 - eps/2
    bce = DataLoss("binary_cross_entropy", label_smoothing=0.2)
    targets = (logits > 0).double()
    torch.testing.assert_close(
        bce(logits, targets),
        F.binary_cross_entropy_with_logits(logits, targets * 0.8 + 0.1),
    )
    # tasks of different widths: each task's smoothed softmax, averaged
    tasks = DataLoss("cross_entropy", n_classes=[2, 3], label_smoothing=0.1)
    out = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    target = torch.tensor([[0, 2], [1, 0], [1, 1], [0, 2]])
    per_task = [
        F.cross_entropy(out[:, :2], target[:, 0], label_smoothing=0.1),
        F.cross_entropy(out[:, 2:], target[:, 1], label_smoothing=0.1),
    ]
    torch.testing.assert_close(tasks(out, target), sum(per_task) / 2)
    with pytest.raises(ValueError, match="label_smoothing"):
        DataLoss("squared_error", label_smoothing=0.1)


def test_label_smoothing_on_multilabel_and_multioutput_targets(separable):
    X, y = separable
    rng = np.random.default_rng(0)
    settings = dict(FAST, max_iter=3, label_smoothing=0.1, random_state=0)
    multilabel = np.column_stack([y, 1 - y])
    clf = RegularizedMLPClassifier(**settings).fit(X, multilabel)
    assert clf.net_.criterion_.label_smoothing == 0.1
    tasks = np.column_stack([y, rng.integers(0, 3, len(y))])
    clf = RegularizedMLPClassifier(**settings).fit(X, tasks)
    assert np.isfinite(clf.loss_curve_).all()
