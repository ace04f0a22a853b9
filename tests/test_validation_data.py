"""fit(..., X_val=, y_val=, sample_weight_val=): the user's validation data."""

import math

import numpy as np
import pytest
import sklearn
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)

from .helpers import FAST, NOISY_EARLY_STOPPING


@pytest.fixture(scope="module")
def split(noisy):
    X, y = noisy
    return X[:150], y[:150], X[150:], y[150:]


def test_validation_data_drives_early_stopping(split):
    X, y, X_val, y_val = split
    w_val = np.random.RandomState(0).randint(1, 4, size=len(y_val)).astype(float)
    est = RegularizedMLPClassifier(**NOISY_EARLY_STOPPING).fit(
        X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val
    )
    assert est.best_epoch_ < est.n_iter_  # stopped early, on X_val's loss
    # the restored network's validation loss is the best recorded one
    loss = log_loss(y_val, est.predict_proba(X_val), sample_weight=w_val)
    recorded = est.history_[est.best_epoch_ - 1]["valid_loss"]
    assert loss == pytest.approx(recorded, rel=1e-9)
    assert recorded == min(row["valid_loss"] for row in est.history_)
    # every row of X trains: no validation_fraction split
    batch_size = NOISY_EARLY_STOPPING["batch_size"]
    assert est.t_ == est.n_iter_ * math.ceil(len(y) / batch_size)


def test_refit_trains_on_X_and_X_val_together(split):
    X, y, X_val, y_val = split
    settings = dict(NOISY_EARLY_STOPPING, refit="updates")
    est = RegularizedMLPClassifier(**settings).fit(X, y, X_val=X_val, y_val=y_val)
    batch_size = settings["batch_size"]
    best_updates = est.best_epoch_ * math.ceil(len(y) / batch_size)
    assert est.refit_t_ == best_updates
    # the refit's epochs run over all 200 rows
    per_epoch = math.ceil((len(y) + len(y_val)) / batch_size)
    assert est.refit_n_iter_ == math.ceil(best_updates / per_epoch)


def test_without_early_stopping_the_curves_are_recorded_and_training_unchanged(
    split,
):
    X, y, X_val, y_val = split
    settings = dict(FAST, max_iter=5, scoring="accuracy", random_state=0)
    plain = RegularizedMLPClassifier(**settings).fit(X, y)
    curves = RegularizedMLPClassifier(**settings).fit(X, y, X_val=X_val, y_val=y_val)
    assert curves.loss_curve_ == plain.loss_curve_
    np.testing.assert_array_equal(curves.predict_proba(X), plain.predict_proba(X))
    assert curves.best_epoch_ is None
    assert curves.validation_scores_ == [row["valid_score"] for row in curves.history_]
    assert curves.validation_scores_[-1] == curves.score(X_val, y_val)
    assert curves.history_[-1]["valid_loss"] == pytest.approx(
        log_loss(y_val, curves.predict_proba(X_val)), rel=1e-9
    )
    assert "valid_loss" not in plain.history_[-1]


@pytest.mark.parametrize("Estimator", [RegularizedMLPRegressor, SharedConvClassifier])
def test_every_estimator_takes_validation_data(Estimator, split):
    X, y, X_val, y_val = split
    settings = dict(FAST, max_iter=3, early_stopping=True, random_state=0)
    if Estimator is SharedConvClassifier:
        settings.update(conv_channels=(2,), image_shape=(4, 5))
        X_val = X_val.reshape(-1, 1, 4, 5)  # images are flattened like X
    est = Estimator(**settings).fit(X, y, X_val=X_val, y_val=y_val)
    assert est.history_[-1]["valid_loss"] > 0


@pytest.mark.parametrize(
    ("given", "match"),
    [
        (dict(X_val="X"), "X_val was given without y_val"),
        (dict(y_val="y"), "y_val was given without X_val"),
        (dict(sample_weight_val="w"), "sample_weight_val was given without"),
        (dict(X_val="X3", y_val="y"), "X_val, y_val: X has 3 features"),
        (dict(X_val="X", y_val="y5"), "X_val, y_val: Found input variables"),
        (dict(X_val="X", y_val="y+7"), r"y_val contains labels \[7, 8\]"),
        (dict(X_val="X", y_val="y", sample_weight_val="w5"), "sample_weight_val"),
        (dict(X_val="X", y_val="y", sample_weight_val="w0"), "sample_weight_val"),
        (dict(X_val="X", y_val="Y2"), "y_val does not fit the targets of y"),
    ],
)
def test_half_given_or_mismatched_validation_data_is_a_clear_error(
    given, match, split, forbid_training
):
    X, y, X_val, y_val = split
    values = {
        "X": X_val,
        "X3": X_val[:, :3],
        "y": y_val,
        "y5": y_val[:5],
        "y+7": y_val + 7,
        "Y2": np.column_stack([y_val, y_val]),
        "w": np.ones(len(y_val)),
        "w5": np.ones(5),
        "w0": np.zeros(len(y_val)),
    }
    kwargs = {name: values[key] for name, key in given.items()}
    with pytest.raises(ValueError, match=match):
        RegularizedMLPClassifier(**FAST).fit(X, y, **kwargs)


def test_routed_through_a_pipeline_and_grid_search(split):
    X, y, X_val, y_val = split
    X, X_val = 100 * X + 5, 100 * X_val + 5
    settings = dict(FAST, max_iter=3, random_state=0)
    scaler = StandardScaler().fit(X)
    direct = RegularizedMLPClassifier(**settings).fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )
    with sklearn.config_context(enable_metadata_routing=True):
        clf = RegularizedMLPClassifier(**settings).set_fit_request(
            X_val=True, y_val=True
        )
        pipe = Pipeline(
            [("scale", StandardScaler()), ("clf", clf)], transform_input=["X_val"]
        )
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
        assert pipe[-1].history_ == [
            {**row, "dur": pipe[-1].history_[i]["dur"]}
            for i, row in enumerate(direct.history_)
        ]
        search = GridSearchCV(pipe, {"clf__alpha": [1e-4, 1e-2]}, cv=2)
        search.fit(X, y, X_val=X_val, y_val=y_val)
        assert "valid_loss" in search.best_estimator_[-1].history_[-1]
    # without routing: the step's own parameter, which skips the scaler
    pipe = make_pipeline(StandardScaler(), RegularizedMLPClassifier(**settings))
    pipe.fit(
        X,
        y,
        regularizedmlpclassifier__X_val=scaler.transform(X_val),
        regularizedmlpclassifier__y_val=y_val,
    )
    assert pipe[-1].history_[-1]["valid_loss"] == direct.history_[-1]["valid_loss"]
