"""scikit-learn's estimator checks.

The default configuration passes every check with no expected failure. The
regularizers are checked too: every penalty and constraint together passes
everything; dropout passes everything but sample-weight equivalence, which it
cannot meet exactly (see ``DROPOUT_REASON``). The convolutional classifier
passes everything, shared and unshared, on the checks' tiny inputs (signals
and images of one to a few dozen values).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)

from .conftest import FAST

REGULARIZED = dict(
    alpha=1e-3, norm="elasticnet", activity_alpha=1e-4, max_norm=2.0, solver="adamw"
)
DROPOUT = dict(dropout=0.2, input_dropout=0.1)
DROPOUT_REASON = (
    "dropout draws an independent mask for every row, so a row repeated k "
    "times gets k masks while a row of weight k gets one: the two fits agree "
    "in expectation, not exactly"
)

ESTIMATORS = [
    Estimator(**FAST, **extra, random_state=0)
    for Estimator in (RegularizedMLPClassifier, RegularizedMLPRegressor)
    for extra in ({}, REGULARIZED, DROPOUT)
] + [
    SharedConvClassifier(
        **FAST, conv_channels=(4,), share_weights=share_weights, random_state=0
    )
    for share_weights in (True, False)
]


def expected_failed_checks(estimator):
    if estimator.dropout or estimator.input_dropout:
        return {
            f"check_sample_weight_equivalence_on_{kind}_data": DROPOUT_REASON
            for kind in ("dense", "sparse")
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
