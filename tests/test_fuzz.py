"""Fuzzing: random hyperparameters and small data shapes for every estimator.

A draw with an invalid value (at most one is injected) must raise a
``ValueError`` / ``TypeError`` that names that parameter. Any other draw must
fit and predict finite values of the right shape, except where the data or
the settings make a fit impossible for a known reason (:func:`known_refusals`),
and then only with the message of that reason. The examples are
derandomized (a fixed sequence, no example database), so a failure
reproduces on every run.
"""

import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor  # noqa: E402

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Valid values of each hyperparameter ...
HYPERPARAMETERS = {
    "hidden_layer_sizes": st.sampled_from([(3,), (4, 2), 5, (2, 2, 2)]),
    "activation": st.sampled_from(["relu", "tanh", "logistic", "gelu", "identity"]),
    "alpha": st.sampled_from([0.0, 1e-4, 1e-1, 10.0]),
    "norm": st.sampled_from(["l2", "l1", "elasticnet"]),
    "l1_ratio": st.sampled_from([0.0, 0.3, 1.0]),
    "max_norm": st.sampled_from([None, 0.5, 3.0]),
    "activity_alpha": st.sampled_from([0.0, 1e-3, 1.0]),
    "activity_norm": st.sampled_from(["l1", "l2"]),
    "dropout": st.sampled_from([0.0, 0.3, 0.9]),
    "input_dropout": st.sampled_from([0.0, 0.2]),
    "mc_samples": st.sampled_from([0, 1, 5]),
    "early_stopping": st.booleans(),
    "validation_fraction": st.sampled_from([0.1, 0.5]),
    "patience": st.sampled_from([1, 3]),
    "scoring": st.sampled_from([None, "r2", "accuracy", "neg_log_loss"]),
    "refit": st.sampled_from([None, "epochs", "updates"]),
    "solver": st.sampled_from(["adam", "adamw", "sgd"]),
    "learning_rate_init": st.sampled_from([1e-3, 1e-2, 1.0, 100.0]),
    "batch_size": st.sampled_from(["auto", 1, 7, 1000]),
    "max_iter": st.sampled_from([1, 3]),
    "shuffle": st.booleans(),
    "dtype": st.sampled_from([None, "float32", "float64"]),
}

# ... and invalid ones, of which a draw gets at most one.
INVALID = {
    "hidden_layer_sizes": [(0,), (), "wide"],
    "alpha": [-1.0],
    "dropout": [1.0, [0.1, 0.2, 0.3, 0.4]],
    "mc_samples": [-2],
    "batch_size": [0],
    "learning_rate_init": [0.0],
    "scoring": ["no_such_scorer"],
}

TARGETS = ["binary", "multiclass", "multilabel", "continuous", "continuous2"]


@st.composite
def problems(draw):
    params = {name: draw(strategy) for name, strategy in HYPERPARAMETERS.items()}
    if not params["early_stopping"]:
        params["refit"] = None
    invalid = None
    if draw(st.integers(0, 4)) == 0:
        invalid = draw(st.sampled_from(sorted(INVALID)))
        params[invalid] = draw(st.sampled_from(INVALID[invalid]))
    target = draw(st.sampled_from(TARGETS))
    n_samples = draw(st.integers(1, 30))
    n_features = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    return params, invalid, target, n_samples, n_features, seed


def make_data(target, n_samples, n_features, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    if target == "binary":
        y = rng.randint(2, size=n_samples)
    elif target == "multiclass":
        y = rng.randint(3, size=n_samples)
    elif target == "multilabel":
        y = rng.randint(2, size=(n_samples, 2))
    elif target == "continuous":
        y = rng.normal(size=n_samples)
    else:
        y = rng.normal(size=(n_samples, 2))
    return X, y


def known_refusals(params, target, y):
    """Messages a fit of valid settings may raise on this draw: the reasons
    the data or the settings make training impossible (an empty list: the
    fit must succeed)."""
    refusals = []
    if target in ("binary", "multiclass") and len(np.unique(y)) < 2:
        refusals.append("at least 2 classes")
    regressor = target.startswith("continuous")
    if params["early_stopping"]:
        if regressor and params["scoring"] in ("accuracy", "neg_log_loss"):
            refusals.append(f"scoring='{params['scoring']}' cannot score")
        if len(y) < 20:  # too few rows to split, or to score each epoch
            refusals += ["early_stopping cannot split", "no finite validation score"]
    if params["learning_rate_init"] >= 1.0:  # large steps may diverge
        refusals += ["learning_rate_init", "no finite validation score"]
    return refusals


@FUZZ
@given(problems())
def test_every_draw_fits_or_raises_a_clear_error(problem):
    params, invalid, target, n_samples, n_features, seed = problem
    X, y = make_data(target, n_samples, n_features, seed)
    Estimator = (
        RegularizedMLPRegressor
        if target.startswith("continuous")
        else RegularizedMLPClassifier
    )
    est = Estimator(**params, random_state=seed)
    if invalid is not None:
        with pytest.raises((ValueError, TypeError), match=invalid):
            est.fit(X, y)
        return
    refusals = known_refusals(params, target, y)
    try:
        with warnings.catch_warnings():
            # divergence after a finite early-stopping snapshot, undefined
            # scores on tiny validation sets: warnings, not failures
            warnings.simplefilter("ignore")
            est.fit(X, y)
    except (ValueError, TypeError) as exc:
        if not any(reason in str(exc) for reason in refusals):
            raise
        return
    prediction = est.predict(X)
    assert prediction.shape == np.shape(y)
    assert np.isfinite(np.asarray(prediction, dtype=float)).all()
    if Estimator is RegularizedMLPClassifier:
        proba = est.predict_proba(X)
        assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    else:
        mean, std = est.predict(X, return_std=True)
        assert np.isfinite(std).all() and (std >= 0).all()
