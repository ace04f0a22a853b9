"""Early stopping, seen from the scikit-learn layer: the validation split,
the validation scorer and the refit schedule.

The engine side (the best snapshot, patience) is the
:class:`~sklreg._training.EarlyStopping` callback; this module decides which
rows validate, how they are scored and how long a refit trains.
"""

import math

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split


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
