"""scikit-learn's estimator checks.

The default configuration passes every check with no expected failure. The
regularizers are checked too: every penalty and constraint together passes
everything (with adamw: decoupled L2 decay and proximal L1 steps), and so
does proximal L1 with momentum sgd; one tower per task, tied, passes
everything; dropout and input noise pass everything but sample-weight
equivalence, which they cannot meet exactly (see ``DROPOUT_REASON`` and
``NOISE_REASON``). Class weights, label smoothing, the learning-rate
schedules, Adam's constants, the Huber loss and the regressor's target
standardization pass everything. The
convolutional classifier
passes everything, shared and unshared, on the checks' tiny inputs (signals
and images of one to a few dozen values). Ensembles of three members pass
everything, independent or sharing their weights, on every estimator;
bagging in one fit (``bootstrap=True``) passes everything but sample-weight
equivalence (``BOOTSTRAP_REASON``).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)

from .helpers import FAST

REGULARIZED = dict(
    alpha=1e-3,
    norm="elasticnet",
    l1_method="proximal",
    activity_alpha=1e-4,
    max_norm=2.0,
    solver="adamw",
)
TOWERS = dict(shared_layers=0, tie_groups="tasks", tie_alpha=1e-2)
# Proximal L1 with momentum sgd, on the classifier: the regressor checks fit
# unscaled targets, on which sgd at FAST's learning rate diverges with or
# without a penalty (REGULARIZED checks the regressor's proximal steps).
PROXIMAL_SGD = dict(alpha=1e-3, norm="l1", l1_method="proximal", solver="sgd")
DROPOUT = dict(dropout=0.2, input_dropout=0.1)
DROPOUT_REASON = (
    "dropout draws an independent mask for every row, so a row repeated k "
    "times gets k masks while a row of weight k gets one: the two fits agree "
    "in expectation, not exactly"
)

ESTIMATORS = [
    Estimator(**FAST, **extra, random_state=0)
    for Estimator in (RegularizedMLPClassifier, RegularizedMLPRegressor)
    for extra in ({}, REGULARIZED, TOWERS, DROPOUT)
] + [
    RegularizedMLPClassifier(**FAST, **PROXIMAL_SGD, random_state=0),
    RegularizedMLPClassifier(**FAST, class_weight="balanced", random_state=0),
    RegularizedMLPClassifier(
        **{**FAST, "learning_rate_init": 0.1},
        learning_rate="invscaling",
        power_t=0.25,
        random_state=0,
    ),
    RegularizedMLPRegressor(
        **FAST, learning_rate="adaptive", beta_1=0.8, random_state=0
    ),
    RegularizedMLPRegressor(**FAST, loss="huber", random_state=0),
    RegularizedMLPRegressor(**FAST, normalize_y=True, random_state=0),
    RegularizedMLPClassifier(**FAST, label_smoothing=0.1, random_state=0),
    RegularizedMLPRegressor(**FAST, input_noise=0.1, random_state=0),
    *(
        SharedConvClassifier(
            **FAST, conv_channels=(4,), share_weights=share_weights, random_state=0
        )
        for share_weights in (True, False)
    ),
    # ensembles in one network: independent members and shared weights, on
    # every estimator; bagging in one fit
    *(
        Estimator(**FAST, **extra, n_members=3, random_state=0)
        for Estimator in (RegularizedMLPClassifier, RegularizedMLPRegressor)
        for extra in ({}, {"member_sharing": "batch"}, {"bootstrap": True})
    ),
    *(
        SharedConvClassifier(
            **FAST,
            conv_channels=(4,),
            n_members=3,
            member_sharing=sharing,
            share_weights=share_weights,
            random_state=0,
        )
        for sharing, share_weights in (("none", True), ("batch", False))
    ),
]


NOISE_REASON = (
    "input noise draws independent noise for every row, so a row repeated k "
    "times gets k draws while a row of weight k gets one: the two fits agree "
    "in expectation, not exactly"
)


BOOTSTRAP_REASON = (
    "bootstrap=True draws each member's bootstrap sample from the rows it "
    "is given: repeating a row k times changes the draws (n grows), while a "
    "row of weight k is drawn as one row, so the two fits see different "
    "samples"
)


def expected_failed_checks(estimator):
    reason = None
    if estimator.dropout or estimator.input_dropout:
        reason = DROPOUT_REASON
    elif estimator.input_noise:
        reason = NOISE_REASON
    elif estimator.bootstrap:
        reason = BOOTSTRAP_REASON
    if reason is None:
        return {}
    return {
        f"check_sample_weight_equivalence_on_{kind}_data": reason
        for kind in ("dense", "sparse")
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
