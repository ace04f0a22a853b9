"""The classifier layer shared by every sklreg classifier: target encoding,
``partial_fit`` with ``classes``, probabilities and labels.

Binary targets train one logit (binary cross-entropy), multiclass targets one
logit per class (cross-entropy), multilabel indicator targets one logit per
label (binary cross-entropy averaged over labels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._typing import ArrayLike, MatrixLike, NDArray, Predictions, fit_context

if TYPE_CHECKING:
    from typing_extensions import Self


class NetClassifierMixin(ClassifierMixin):
    """Classifier layer; combine with :class:`~sklreg._base.BaseRegularizedNet`."""

    def _encode_targets(self, y, *, reset, classes=None, incremental=False):
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        target_type = type_of_target(y, input_name="y")
        if target_type == "multilabel-indicator":
            return self._encode_multilabel(y, reset=reset)
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
        else:
            self._check_continued_classes(y, classes, incremental)
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            return codes.astype(np.float64).reshape(-1, 1), 1, "binary_cross_entropy"
        return codes.astype(np.int64), len(self.classes_), "cross_entropy"

    def _encode_multilabel(self, y, *, reset):
        if reset:
            self.classes_ = np.arange(y.shape[1])
            self.n_outputs_ = y.shape[1]
        elif getattr(self, "n_outputs_", 1) == 1 or y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} labels but the network was fitted with "
                f"{self._fitted_target_description()}."
            )
        return y.astype(np.float64), y.shape[1], "binary_cross_entropy"

    def _fitted_target_description(self) -> str:
        if self.n_outputs_ == 1:
            return f"single-label classes {self.classes_.tolist()}"
        return f"{self.n_outputs_} labels"

    def _check_continued_classes(self, y, classes, incremental):
        """The classes of a continued fit must be those of the first fit.

        As in scikit-learn's MLP: ``warm_start`` needs exactly the same
        classes; ``partial_fit`` accepts a subset, and its ``classes``, when
        given again, must not contradict the first call's.
        """
        if self.n_outputs_ != 1:
            raise ValueError(
                "y is single-label but the network was fitted with "
                f"{self._fitted_target_description()}."
            )
        if classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} is not the same as on the "
                f"first call to partial_fit, which fixed classes_ "
                f"{self.classes_.tolist()}."
            )
        seen = unique_labels(y)
        if not incremental:  # warm_start
            if not np.array_equal(seen, self.classes_):
                raise ValueError(
                    "warm_start can only be used where y has the same classes as "
                    f"in the previous call to fit: previously got "
                    f"{self.classes_.tolist()}, y has {seen.tolist()}."
                )
            return
        unseen = np.setdiff1d(seen, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} not in classes_ "
                f"{self.classes_.tolist()}: partial_fit needs the classes of the "
                "first call (pass every class to the first partial_fit with "
                "`classes`)."
            )

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> Self:
        """Run one epoch over ``(X, y)``, continuing from the current network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Targets (class labels or label indicators).
        classes : array-like of shape (n_classes,), default=None
            Every class that may appear; required on the first call for
            single-label targets. Later calls may omit it; if they pass it,
            it must be the same.
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

    def predict_proba(self, X: MatrixLike) -> NDArray[np.floating]:
        """Probability estimates.

        With ``mc_samples >= 1`` these are the probabilities averaged over
        that many thinned networks (Monte-Carlo dropout).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
            return self._forward(X, _binary_proba)
        return self._forward(X, _softmax)

    def predict_log_proba(self, X: MatrixLike) -> NDArray[np.floating]:
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        log_proba : ndarray of the shape of :meth:`predict_proba`
            ``log(predict_proba(X))`` (``-inf`` where a probability is 0).
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def predict(self, X: MatrixLike) -> Predictions:
        """Predict class labels (label indicators for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
    return torch.softmax(logits, dim=-1)


def _binary_proba(logit: torch.Tensor) -> torch.Tensor:
    """``[1 - p, p]`` of one logit, computed on the device (so that thinned
    networks average the two columns alike)."""
    p = torch.sigmoid(logit)
    return torch.cat([1 - p, p], dim=-1)
