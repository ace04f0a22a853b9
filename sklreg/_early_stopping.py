"""Early stopping, seen from the scikit-learn layer: the validation split or
the validation data given to ``fit``, the validation scorer and the refit
schedule.

The engine side (the best snapshot, patience) is the
:class:`~sklreg._training.EarlyStopping` callback; this module decides which
rows validate, how they are scored and how long a refit trains.
"""

import math

import numpy as np
import torch
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import validate_data

from ._training import FitData


def check_validation_arguments(X_val, y_val, sample_weight_val) -> bool:
    """Whether ``fit`` was given validation data; raises when it was given
    by halves."""
    if (X_val is None) != (y_val is None):
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{given} was given without {missing}: validation data needs both "
            "X_val and y_val (or neither)."
        )
    if sample_weight_val is not None and X_val is None:
        raise ValueError(
            "sample_weight_val was given without X_val and y_val: it weighs "
            "the rows of the validation data passed to fit."
        )
    return X_val is not None


def validation_data(estimator, validation, plan, dtype) -> FitData:
    """The validation rows given to ``fit``, validated like the training
    rows (same features, targets of the fitted kind, classes among those of
    ``y``), weighted (``sample_weight_val`` times ``class_weight``) and
    encoded; its ``raw`` holds ``(X_val, y_val, weight)`` for the scorer.

    ``validation`` is ``(X_val, y_val, sample_weight_val)``; ``dtype`` the
    training dtype.
    """
    X_val, y_val, sample_weight_val = validation
    try:
        X_val, y_val = validate_data(
            estimator,
            estimator._validation_rows(X_val),
            y_val,
            reset=False,
            dtype=np.float32 if dtype == torch.float32 else np.float64,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=not hasattr(estimator, "predict_proba"),
        )
    except ValueError as exc:
        raise ValueError(f"Invalid validation data X_val, y_val: {exc}") from exc
    try:
        estimator._check_validation_labels(y_val)
        y_encoded, _, _ = estimator._encode_targets(
            y_val, reset=False, incremental=True, objective=plan.objective
        )
    except ValueError as exc:
        raise ValueError(f"y_val does not fit the targets of y: {exc}") from exc
    try:
        weight = estimator._check_sample_weight(sample_weight_val, X_val)
    except ValueError as exc:
        raise ValueError(f"Invalid sample_weight_val: {exc}") from exc
    weight = estimator._weight_classes(
        plan.objective.class_weight, y_val, weight, X_val.dtype, incremental=False
    )
    raw = (X_val, y_val, weight)
    return FitData(X_val, y_encoded, weight, dtype, plan.runtime.device, raw=raw)


def given_validation(estimator, validation, plan, dtype, n_train):
    """``(given, fit_kwargs, title)`` of a fit with the user's validation
    data: the rows (:func:`validation_data`), what the engine's ``fit``
    takes to score them after every epoch, and the log's title line with
    early stopping (else None)."""
    schedule = plan.schedule
    given = validation_data(estimator, validation, plan, dtype)
    scorer = validation_scorer(
        estimator, schedule.scoring, *given.raw, np.arange(len(given.y))
    )
    fit_kwargs = dict(valid_data=given.rows(), valid_scorer=scorer)
    title = None
    if schedule.early_stopping:
        title = (
            f"Training on {n_train} rows; early stopping validates on the "
            f"{len(given.y)} rows of X_val (patience={schedule.patience})."
        )
    return given, fit_kwargs, title


def split_validation(estimator, plan, data, X, y, seed):
    """``(train, fit_kwargs, title)`` of early stopping on a part of the
    training rows: the rows left for training, what the engine's ``fit``
    takes to score the others after every epoch (:func:`validation_split`,
    :func:`validation_scorer`), and the log's title line."""
    schedule = plan.schedule
    train, valid = validation_split(
        data.y,
        data.weight,
        estimator._stratify_labels(data.y),
        schedule.validation_fraction,
        seed,
    )
    scorer = validation_scorer(estimator, schedule.scoring, X, y, data.weight, valid)
    fit_kwargs = dict(valid_data=data.rows(valid, resample=False), valid_scorer=scorer)
    title = (
        f"Training on {len(train)} rows; early stopping validates on the "
        f"other {len(valid)} (patience={schedule.patience})."
    )
    return train, fit_kwargs, title


def validation_split(y_encoded, weight, stratify, fraction, seed):
    """Indices ``(train, valid)`` of the early-stopping split.

    ``fraction`` of the rows with non-zero weight, stratified by ``stratify``
    (per-row labels, or None), form the validation part; every other row
    (zero-weight rows included) trains.
    """
    n_samples = len(y_encoded)
    candidates = np.arange(n_samples) if weight is None else np.flatnonzero(weight)
    try:
        _, valid = train_test_split(
            candidates,
            test_size=fraction,
            stratify=None if stratify is None else stratify[candidates],
            random_state=seed,
        )
    except ValueError as exc:
        raise ValueError(
            f"early_stopping cannot split {len(candidates)} rows"
            f"{' with non-zero weight' if weight is not None else ''} into "
            f"training and validation parts with validation_fraction="
            f"{fraction}: {exc}"
        ) from exc
    valid = np.sort(valid)
    train = np.setdiff1d(np.arange(n_samples), valid)
    return train, valid


def validation_scorer(estimator, scoring, X, y, weight, valid):
    """``scorer()`` of the validation rows for ``scoring``, or None (the loss).

    The scorer predicts through ``estimator`` as it trains, so it sees the
    parameters of the current epoch.
    """
    if scoring is None:
        return None
    scorer = check_scoring(estimator, scoring=scoring)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    X_valid, y_valid = X[valid], y[valid]
    kwargs = {} if weight is None else {"sample_weight": weight[valid]}
    return lambda: scorer(estimator, X_valid, y_valid, **kwargs)


def check_scorer(scorer, scoring, estimator):
    """Score once before training, so that a scorer that cannot score this
    estimator's predictions fails before any training, naming ``scoring``."""
    if scorer is None:
        return
    try:
        scorer()
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"scoring={scoring!r} cannot score the predictions of "
            f"{type(estimator).__name__}: {exc}"
        ) from exc


def refit_epochs(refit, stopper, n_samples, batch_size):
    """``(epochs, max_updates)`` of a refit on ``n_samples`` rows.

    ``'epochs'`` trains ``best_epoch_`` epochs; ``'updates'`` trains exactly
    as many parameter updates as the best snapshot had, which may end in the
    middle of an epoch.
    """
    if refit == "epochs":
        return stopper.best_epoch_, None
    updates = stopper.best_updates_
    return math.ceil(updates / math.ceil(n_samples / batch_size)), updates
