"""RegularizedMLPClassifier and RegularizedMLPRegressor: the scikit-learn layer."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import BaseRegularizedMLP
from ._docs import fill_doc


@fill_doc
class RegularizedMLPClassifier(ClassifierMixin, BaseRegularizedMLP):
    """Multi-layer perceptron classifier with deep-learning regularizers.

    Minimises ``data_loss + alpha * Omega(weights) + activity penalty`` with
    minibatch gradient steps, where ``data_loss`` is the sample-weighted mean
    cross-entropy of the minibatch (binary cross-entropy averaged over labels
    for multilabel targets). Supports binary, multiclass and multilabel
    (indicator matrix) targets.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices
        ``0 .. n_labels - 1``).

    n_outputs_ : int
        Number of targets: 1 for binary and multiclass, the number of labels
        for multilabel targets.

    {attributes}

    See Also
    --------
    RegularizedMLPRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : Scikit-learn's MLP (L2 penalty only).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklreg import RegularizedMLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     RegularizedMLPClassifier((32,), alpha=1e-3, norm="l1", dropout=0.2,
    ...                              max_iter=50, random_state=0),
    ... ).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 2)
    >>> clf.score(X_test, y_test) > 0.9
    True
    """

    def _encode_targets(self, y, *, reset, classes=None):
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        target_type = type_of_target(y, input_name="y")
        if target_type == "multilabel-indicator":
            if reset:
                self.classes_ = np.arange(y.shape[1])
                self.n_outputs_ = y.shape[1]
            elif y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"y has {y.shape[1]} labels but the network was fitted with "
                    f"{self.n_outputs_}."
                )
            return y.astype(np.float64), y.shape[1], "binary_cross_entropy"
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} supports binary, multiclass and multilabel "
                f"targets; got a {target_type!r} target."
            )
        if reset:
            labels = np.unique(y if classes is None else classes)
            if len(labels) < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {labels[0]!r}."
                )
            self.classes_ = labels
            self.n_outputs_ = 1
        elif getattr(self, "n_outputs_", 1) != 1:
            raise ValueError("y is single-label but the network was fitted multilabel.")
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} not in classes_ "
                f"{self.classes_.tolist()}: warm_start and partial_fit need the "
                "classes of the first fit (pass every class to the first "
                "partial_fit with `classes`)."
            )
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            return codes.astype(np.float64).reshape(-1, 1), 1, "binary_cross_entropy"
        return codes.astype(np.int64), len(self.classes_), "cross_entropy"

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Targets (class labels, label indicators or values).
        classes : array-like of shape (n_classes,), default=None
            Every class that may appear; required on the first call for
            single-label targets, ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the data loss.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        if not hasattr(self, "net_") and classes is None and np.ndim(y) == 1:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _stratify_labels(self, y_encoded):
        # single-label targets: stratify by class; multilabel: no stratification
        return (
            y_encoded.reshape(len(y_encoded), -1)[:, 0]
            if self.n_outputs_ == 1
            else None
        )

    def _is_binary(self) -> bool:
        return self.n_outputs_ == 1 and len(self.classes_) == 2

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or (n_samples, n_labels)
            Class probabilities (rows sum to one); for multilabel targets, the
            probability of each label.
        """
        check_is_fitted(self)
        if self.n_outputs_ > 1:
            return self._forward(X, torch.sigmoid)
        if self._is_binary():
            p = self._forward(X, torch.sigmoid)
            return np.hstack([1 - p, p])
        return self._forward(X, _softmax)

    def predict(self, X):
        """Predict class labels (label indicators for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted class labels, or 0/1 label indicators.
        """
        proba = self.predict_proba(X)
        if self.n_outputs_ > 1:
            return (proba > 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _softmax(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits, dim=1)


@fill_doc
class RegularizedMLPRegressor(RegressorMixin, BaseRegularizedMLP):
    """Multi-layer perceptron regressor with deep-learning regularizers.

    Minimises ``data_loss + alpha * Omega(weights) + activity penalty`` with
    minibatch gradient steps, where ``data_loss`` is the sample-weighted mean
    over rows of the squared error averaged over outputs (no 1/2 factor).
    Supports single- and multi-output targets.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.

    {attributes}

    See Also
    --------
    RegularizedMLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : Scikit-learn's MLP (L2 penalty only).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklreg import RegularizedMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(
    ...     StandardScaler(),
    ...     RegularizedMLPRegressor((32,), learning_rate_init=1e-2, alpha=1e-3,
    ...                             max_iter=100, random_state=0),
    ... ).fit(X, y / y.std())
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    def _encode_targets(self, y, *, reset, classes=None):
        y = np.asarray(y, dtype=np.float64)
        y = y.reshape(len(y), -1)
        if reset:
            self.n_outputs_ = y.shape[1]
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs but the network was fitted with "
                f"{self.n_outputs_}."
            )
        return y, y.shape[1], "squared_error"

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (class labels, label indicators or values).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the data loss.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict the targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values, in the training dtype.
        """
        check_is_fitted(self)
        y = self._forward(X)
        return y[:, 0] if self.n_outputs_ == 1 else y
