"""scikit-learn's estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor

from .conftest import FAST

ESTIMATORS = [
    RegularizedMLPClassifier(**FAST, random_state=0),
    RegularizedMLPRegressor(**FAST, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
