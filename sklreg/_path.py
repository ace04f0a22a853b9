"""The feature-selection path: one network trained along a sequence of
``feature_alpha`` values, each fit starting from the previous one."""

from __future__ import annotations

import copy
from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch

from ._mlp import BaseRegularizedMLP
from ._typing import ArrayLike, MatrixLike


def feature_selection_path(
    estimator: BaseRegularizedMLP,
    X: MatrixLike,
    y: ArrayLike,
    feature_alphas: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
) -> Bunch:
    """Train one network along a sequence of ``feature_alpha`` values.

    A copy of ``estimator`` is fitted with the first value for its
    ``max_iter`` epochs, then with each next value for ``max_iter`` more
    epochs, starting from the network the previous value left
    (``warm_start=True``), as :func:`sklearn.linear_model.lasso_path` and
    LassoNet compute their paths. Go from weak to strong (dense to sparse,
    LassoNet's direction): the network first learns what every input
    contributes, then drops the inputs it needs least. Starting strong
    instead, an input whose usefulness only shows once other inputs are in
    use (an interaction) is removed before it is learned. Each step ends
    with the inputs that survive at that strength; starting with
    ``feature_alpha=0`` fits the dense network first.

    Parameters
    ----------
    estimator : RegularizedMLPClassifier or RegularizedMLPRegressor
        The configuration to train (not modified); its ``max_iter`` is the
        number of epochs of each step, its ``feature_alpha`` is ignored.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Input rows, on one scale (standardize them).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    feature_alphas : array-like of shape (n_alphas,)
        Non-negative strengths, in the order they are applied.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows, passed to every ``fit``.

    Returns
    -------
    path : :class:`~sklearn.utils.Bunch`
        ``feature_alphas`` (ndarray of shape (n_alphas,)),
        ``n_features_selected`` (ndarray of int, the inputs kept at the end
        of each step), ``feature_importances`` (ndarray of shape (n_alphas,
        n_features)) and ``estimators`` (a list of fitted copies, one per
        step, e.g. to score each on held-out data).

    See Also
    --------
    sklearn.linear_model.lasso_path : The lasso's path, for linear models.
    sklearn.model_selection.GridSearchCV : To choose ``feature_alpha`` by
        cross-validation (each fit then starts afresh).

    Examples
    --------
    >>> import numpy as np
    >>> from sklreg import RegularizedMLPRegressor, feature_selection_path
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 8))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> reg = RegularizedMLPRegressor((16,), learning_rate_init=1e-2,
    ...                               max_iter=30, random_state=0)
    >>> path = feature_selection_path(reg, X, y, [0.0, 0.03, 0.1, 0.3])
    >>> path.n_features_selected.tolist()[0], path.n_features_selected.tolist()[-1]
    (8, 2)
    """
    if not isinstance(estimator, BaseRegularizedMLP):
        raise TypeError(
            "feature_selection_path trains a RegularizedMLPClassifier or "
            f"RegularizedMLPRegressor; got {type(estimator).__name__}."
        )
    alphas = np.ravel(np.asarray(feature_alphas, dtype=object))
    if alphas.size == 0 or not all(
        isinstance(a, Real) and not isinstance(a, bool) and a >= 0 for a in alphas
    ):
        raise ValueError(
            "feature_alphas must be a non-empty sequence of non-negative numbers; "
            f"got {feature_alphas!r}."
        )
    alphas = alphas.astype(float)
    model = clone(estimator).set_params(warm_start=True)
    estimators = []
    for alpha in alphas:
        model.set_params(feature_alpha=float(alpha))
        model.fit(X, y, sample_weight=sample_weight)
        estimators.append(copy.deepcopy(model).set_params(warm_start=False))
    importances = np.stack([est.feature_importances_ for est in estimators])
    return Bunch(
        feature_alphas=alphas,
        n_features_selected=np.count_nonzero(importances, axis=1),
        feature_importances=importances,
        estimators=estimators,
    )
