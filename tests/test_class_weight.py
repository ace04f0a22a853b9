"""class_weight: folded into sample_weight once, as scikit-learn computes it."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight

from sklreg import RegularizedMLPClassifier, SharedConvClassifier

from .helpers import FAST


def _imbalanced(random_state=0):
    return make_classification(
        n_samples=600,
        n_features=10,
        n_informative=4,
        weights=[0.95, 0.05],
        flip_y=0.0,
        class_sep=0.8,
        random_state=random_state,
    )


def _same_fit(a, b, X):
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.parametrize("Estimator", [RegularizedMLPClassifier, SharedConvClassifier])
def test_dict_equals_the_matching_sample_weight_bit_for_bit(Estimator):
    X, y = _imbalanced()
    labels = np.array(["no", "yes"])[y]
    settings = dict(FAST, max_iter=5, random_state=0)
    if Estimator is SharedConvClassifier:
        settings.update(conv_channels=(2,), hidden_layer_sizes=(8,))
    weights = {"no": 0.5, "yes": 7.0}
    a = Estimator(**settings, class_weight=weights).fit(X, labels)
    b = Estimator(**settings).fit(X, labels, sample_weight=np.where(y == 1, 7.0, 0.5))
    _same_fit(a, b, X)
    # both together multiply
    sw = np.linspace(0.5, 2.0, len(y))
    c = Estimator(**settings, class_weight=weights).fit(X, labels, sample_weight=sw)
    d = Estimator(**settings).fit(
        X, labels, sample_weight=sw * np.where(y == 1, 7.0, 0.5)
    )
    _same_fit(c, d, X)


def test_balanced_is_scikit_learns_and_applies_to_early_stopping():
    X, y = _imbalanced()
    settings = dict(FAST, max_iter=5, random_state=0)
    a = RegularizedMLPClassifier(**settings, class_weight="balanced").fit(X, y)
    b = RegularizedMLPClassifier(**settings).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    _same_fit(a, b, X)
    settings.update(early_stopping=True, patience=2)
    a = RegularizedMLPClassifier(**settings, class_weight="balanced").fit(X, y)
    b = RegularizedMLPClassifier(**settings).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    assert a.validation_scores_ == b.validation_scores_


def test_balanced_raises_minority_recall():
    X, y = _imbalanced()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    recall = {}
    for class_weight in (None, "balanced"):
        clf = RegularizedMLPClassifier(
            (16,), max_iter=60, class_weight=class_weight, random_state=0
        ).fit(X_train, y_train)
        recall[class_weight] = recall_score(y_test, clf.predict(X_test))
    assert recall["balanced"] > recall[None] + 0.2


def test_a_dict_per_column_for_multilabel_and_multioutput_targets():
    X, y = _imbalanced()
    rng = np.random.default_rng(0)
    multilabel = np.column_stack([y, rng.integers(0, 2, len(y))])
    weights = [{0: 1.0, 1: 5.0}, {1: 2.0}]
    settings = dict(FAST, max_iter=3, random_state=0)
    a = RegularizedMLPClassifier(**settings, class_weight=weights).fit(X, multilabel)
    b = RegularizedMLPClassifier(**settings).fit(
        X, multilabel, sample_weight=compute_sample_weight(weights, multilabel)
    )
    _same_fit(a, b, X)
    multiclass = np.column_stack([y, rng.integers(0, 3, len(y))])
    weights = [{1: 4.0}, {0: 2.0, 2: 0.5}]
    a = RegularizedMLPClassifier(**settings, class_weight=weights).fit(X, multiclass)
    expected = np.where(y == 1, 4.0, 1.0) * np.choose(multiclass[:, 1], [2.0, 1.0, 0.5])
    b = RegularizedMLPClassifier(**settings).fit(X, multiclass, sample_weight=expected)
    for p, q in zip(a.predict_proba(X), b.predict_proba(X), strict=True):
        np.testing.assert_array_equal(p, q)


def test_partial_fit_weighs_each_batch():
    X, y = _imbalanced()
    clf = RegularizedMLPClassifier(**FAST, class_weight={1: 3.0}, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    ref = RegularizedMLPClassifier(**FAST, random_state=0)
    ref.partial_fit(X, y, classes=[0, 1], sample_weight=np.where(y == 1, 3.0, 1.0))
    _same_fit(clf, ref, X)
    # 'balanced': the class frequencies of the batch
    half = slice(0, 300)
    clf = RegularizedMLPClassifier(**FAST, class_weight="balanced", random_state=0)
    clf.partial_fit(X[half], y[half], classes=[0, 1])
    ref = RegularizedMLPClassifier(**FAST, random_state=0)
    ref.partial_fit(
        X[half],
        y[half],
        classes=[0, 1],
        sample_weight=compute_sample_weight("balanced", y[half]),
    )
    _same_fit(clf, ref, X)


@pytest.mark.parametrize(
    ("class_weight", "y_kind", "message"),
    [
        ("even", "single", "class_weight"),
        ({0: -1.0}, "single", "class_weight"),
        ({0: float("nan")}, "single", "class_weight"),
        ({0: "heavy"}, "single", "class_weight"),
        ({7: 2.0}, "single", r"class_weight has weights for \[7\]"),
        ([{0: 1.0}], "single", "class_weight is a list"),
        ({0: 1.0}, "multilabel", "class_weight must be 'balanced' or a list"),
        ([{0: 1.0}], "multilabel", "class_weight holds 1 dicts"),
        ([{0: 1.0}, {5: 1.0}], "multilabel", r"column 1 of y"),
        ({0: 0.0, 1: 0.0}, "single", "zero weight"),
    ],
)
def test_invalid_class_weight_is_a_clear_error(
    class_weight, y_kind, message, forbid_training
):
    X, y = _imbalanced()
    if y_kind == "multilabel":
        y = np.column_stack([y, 1 - y])
    clf = RegularizedMLPClassifier(**FAST, class_weight=class_weight)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
