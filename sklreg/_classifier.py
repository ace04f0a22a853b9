"""The classifier layer shared by every sklreg classifier: target encoding,
``partial_fit`` with ``classes``, probabilities and labels.

Binary targets train one logit (binary cross-entropy), multiclass targets one
logit per class (cross-entropy), multilabel indicator targets one logit per
label (binary cross-entropy averaged over labels). Multi-output multiclass
targets (several columns of class labels) are tasks: each column has one
softmax head of one logit per class (two for a binary column), and the data
loss is the cross-entropy averaged over the tasks. They follow scikit-learn's
conventions for multi-output classifiers: ``classes_`` is a list with one
array per column, ``predict_proba`` a list with one array per column.
"""

from __future__ import annotations

from functools import partial
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._typing import ArrayLike, MatrixLike, NDArray, Predictions, fit_context
from .nn import DataLoss, softmax

if TYPE_CHECKING:
    from typing_extensions import Self


#: Constraints of the parameters that only classifiers have.
CLASSIFIER_CONSTRAINTS = {
    "class_weight": [None, StrOptions({"balanced"}), dict, list],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
}


class NetClassifierMixin(ClassifierMixin):
    """Classifier layer; combine with :class:`~sklreg._base.BaseRegularizedNet`."""

    def _check_validation_labels(self, y_val):
        """The labels of ``y_val`` must be classes of ``y`` (``classes_``)."""
        several = self._is_multioutput_multiclass()
        if not several and self.n_outputs_ > 1:
            return  # multilabel: 0/1 indicators, checked with the targets
        y_val = np.asarray(y_val)
        columns = y_val.reshape(len(y_val), -1).T if several else [y_val.ravel()]
        fitted = self.classes_ if several else [self.classes_]
        if len(columns) != len(fitted):
            return  # the wrong number of columns is reported with the targets
        for column, (labels, classes) in enumerate(zip(columns, fitted, strict=True)):
            unseen = np.setdiff1d(unique_labels(labels), classes)
            if unseen.size:
                where = f" (column {column})" if several else ""
                raise ValueError(
                    f"y_val contains labels {unseen.tolist()}{where} that y does "
                    f"not have: the classes are {classes.tolist()}."
                )

    def _weight_classes(self, class_weight, y, weight, dtype, *, incremental):
        """``weight`` (None or the checked ``sample_weight``) times the weight
        of each row's class under ``class_weight`` (the plan's), in ``dtype``
        (see :func:`class_sample_weight`). ``'balanced'`` uses the class
        frequencies of ``y``: in ``partial_fit``, those of the batch."""
        if class_weight is None:
            return weight
        classes = self.classes_
        if self.n_outputs_ > 1 and not self._is_multioutput_multiclass():
            # multilabel: each label is a binary target of classes 0 and 1
            classes = [np.array([0, 1])] * self.n_outputs_
        rows = class_sample_weight(class_weight, y, classes, weight).astype(dtype)
        if weight is not None:
            rows = weight * rows
        if not rows.sum() > 0:
            raise ValueError(
                "class_weight gives every row of y a zero weight (together "
                "with sample_weight): at least one weight must be non-zero."
            )
        return rows

    def _encode_targets(
        self,
        y,
        *,
        reset,
        classes=None,
        incremental=False,
        objective=None,
        sample_weight=None,
    ):
        smoothing = 0.0 if objective is None else objective.label_smoothing
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        target_type = type_of_target(y, input_name="y")
        per_task = _per_task(classes) if reset else self._is_multioutput_multiclass()
        if y.ndim == 2 and (target_type == "multiclass-multioutput" or per_task):
            return self._encode_tasks(
                y,
                reset=reset,
                classes=classes,
                incremental=incremental,
                smoothing=smoothing,
            )
        if reset and per_task:
            raise ValueError(
                "classes holds one array of classes per column of y, but y has "
                "a single column."
            )
        if target_type == "multilabel-indicator":
            return self._encode_multilabel(y, reset=reset, smoothing=smoothing)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} supports binary, multiclass, multilabel "
                f"and multi-output multiclass targets; got a {target_type!r} "
                "target."
            )
        if reset:
            labels = np.unique(y if classes is None else classes)
            if len(labels) < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {labels.tolist()[0]!r}."
                )
            if classes is not None:
                _check_labels(unique_labels(y), labels, warm_start=False)
            self.classes_ = labels
            self.n_outputs_ = 1
        else:
            self._check_continued_classes(y, classes, incremental)
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            return (
                codes.astype(np.float64).reshape(-1, 1),
                1,
                DataLoss("binary_cross_entropy", label_smoothing=smoothing),
            )
        loss = DataLoss("cross_entropy", label_smoothing=smoothing)
        return codes.astype(np.int64), len(self.classes_), loss

    def _encode_multilabel(self, y, *, reset, smoothing=0.0):
        if reset:
            self.classes_ = np.arange(y.shape[1])
            self.n_outputs_ = y.shape[1]
        elif getattr(self, "n_outputs_", 1) == 1 or y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} labels but the network was fitted with "
                f"{self._fitted_target_description()}."
            )
        loss = DataLoss("binary_cross_entropy", label_smoothing=smoothing)
        return y.astype(np.float64), y.shape[1], loss

    def _encode_tasks(self, y, *, reset, classes, incremental, smoothing=0.0):
        """Multi-output multiclass targets: class indices, one column per task."""
        n_tasks = y.shape[1]
        if reset:
            if classes is None and incremental:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "one array of classes per column of y."
                )
            given = classes is not None
            labels = [np.unique(c) for c in (classes if given else y.T)]
            if len(labels) != n_tasks:
                raise ValueError(
                    f"classes has {len(labels)} arrays of classes but y has "
                    f"{n_tasks} columns."
                )
            for task, task_labels in enumerate(labels):
                if len(task_labels) < 2:
                    raise ValueError(
                        f"Column {task} of y has only one class, "
                        f"{task_labels[0]!r}: every column needs at least 2 "
                        "classes."
                    )
                if given:
                    _check_labels(
                        unique_labels(y[:, task]), task_labels, warm_start=False
                    )
            self.classes_ = labels
            self.n_outputs_ = n_tasks
        else:
            if not self._is_multioutput_multiclass() or n_tasks != self.n_outputs_:
                raise ValueError(
                    f"y has {n_tasks} columns of classes but the network was "
                    f"fitted with {self._fitted_target_description()}."
                )
            if classes is not None and not (
                _per_task(classes)
                and len(classes) == n_tasks
                and all(
                    np.array_equal(np.unique(c), fitted)
                    for c, fitted in zip(classes, self.classes_, strict=True)
                )
            ):
                raise ValueError(
                    "classes is not the same as on the first call to "
                    "partial_fit, which fixed classes_ "
                    f"{[c.tolist() for c in self.classes_]}."
                )
            for task, fitted in enumerate(self.classes_):
                _check_labels(
                    unique_labels(y[:, task]),
                    fitted,
                    warm_start=not incremental,
                    where=f" (column {task} of y)",
                )
        codes = np.column_stack(
            [
                np.searchsorted(c, column)
                for c, column in zip(self.classes_, y.T, strict=True)
            ]
        )
        n_classes = [len(c) for c in self.classes_]
        loss = DataLoss("cross_entropy", n_classes=n_classes, label_smoothing=smoothing)
        return codes.astype(np.int64), sum(n_classes), loss

    def _is_multioutput_multiclass(self) -> bool:
        """Whether the fitted target has several columns of classes."""
        return isinstance(getattr(self, "classes_", None), list)

    def _task_output_units(self, n_output_units):
        """Output units of each task's head: one softmax block per column of a
        multi-output multiclass target, one logit per label of a multilabel
        target, a single head otherwise."""
        if self._is_multioutput_multiclass():
            return tuple(len(c) for c in self.classes_)
        if self.n_outputs_ > 1:
            return (1,) * self.n_outputs_
        return (n_output_units,)

    def _fitted_target_description(self) -> str:
        if self._is_multioutput_multiclass():
            classes = [c.tolist() for c in self.classes_]
            return f"{self.n_outputs_} columns of classes {classes}"
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
        _check_labels(unique_labels(y), self.classes_, warm_start=not incremental)

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
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (class labels, label indicators, or one column of class
            labels per task).
        classes : array-like of shape (n_classes,) or list of array-like, \
                default=None
            Every class that may appear, or for multi-output multiclass
            targets one such array per column of ``y``; required on the first
            call for single-label and multi-output multiclass targets. Later
            calls may omit it; if they pass it, it must be the same.
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
        # single-label targets: stratify by class; several targets: no
        # stratification (a split stratified on every column at once would
        # need every combination of labels to appear twice)
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
        that many thinned networks (Monte-Carlo dropout), task by task.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or (n_samples, \
                n_labels), or list of ndarray
            Class probabilities (rows sum to one); for multilabel targets, the
            probability of each label; for multi-output multiclass targets, a
            list with one ``(n_samples, n_classes_t)`` array per column of
            ``y``, in the order of ``classes_``.
        """
        check_is_fitted(self)
        if self._is_multioutput_multiclass():
            n_classes = [len(c) for c in self.classes_]
            proba = self._forward(X, partial(_task_softmax, n_classes=n_classes))
            return np.split(proba, np.cumsum(n_classes)[:-1], axis=1)
        if self.n_outputs_ > 1:
            return self._forward(X, torch.sigmoid)
        if self._is_binary():
            return self._forward(X, _binary_proba)
        # the members' rows through sklreg.nn's softmax (fast on few classes)
        ensemble = self._fitted_architecture.ensemble
        return self._forward(X, softmax if ensemble else _softmax)

    def predict_log_proba(self, X: MatrixLike) -> NDArray[np.floating]:
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        log_proba : ndarray or list of ndarray, as :meth:`predict_proba`
            ``log(predict_proba(X))`` (``-inf`` where a probability is 0).
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            if isinstance(proba, list):
                return [np.log(p) for p in proba]
            return np.log(proba)

    def predict(self, X: MatrixLike) -> Predictions:
        """Predict class labels (label indicators for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted class labels, 0/1 label indicators, or for multi-output
            multiclass targets one column of class labels per task.
        """
        proba = self.predict_proba(X)
        if self._is_multioutput_multiclass():
            return np.column_stack(
                [
                    c[np.argmax(p, axis=1)]
                    for c, p in zip(self.classes_, proba, strict=True)
                ]
            )
        if self.n_outputs_ > 1:
            return (proba > 0.5).astype(np.int64)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the given data; subset accuracy for several targets.

        As scikit-learn's ``ClassifierMixin``: the share of rows whose
        prediction is right. For multilabel and multi-output multiclass
        targets a row counts as right only when every column is (the subset
        accuracy that ``accuracy_score`` computes for multilabel targets, and
        ``MultiOutputClassifier.score`` for multi-output ones).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        score : float
            Weighted share of correctly predicted rows.
        """
        check_is_fitted(self)
        if not self._is_multioutput_multiclass():
            return super().score(X, y, sample_weight=sample_weight)
        y = np.asarray(y)
        if y.ndim != 2 or y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y must have {self.n_outputs_} columns, one per task; got an "
                f"array of shape {y.shape}."
            )
        correct = np.all(y == self.predict(X), axis=1)
        return float(np.average(correct, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def class_sample_weight(class_weight, y, classes, sample_weight=None):
    """Per-row weights of ``class_weight`` on targets ``y`` (float64).

    ``classes`` is ``classes_`` (an array for one target, a list of arrays
    for several: the classes ``0, 1`` of each label of a multilabel target).
    ``class_weight`` is ``'balanced'``, a dict ``{class: weight}`` (classes
    left out weigh 1) or, for several targets, a list of such dicts, one
    per column, whose weights multiply. ``'balanced'`` gives class ``c`` the
    weight ``n / (n_classes * n_c)`` from the classes present in ``y``, with
    ``n`` and ``n_c`` summed over ``sample_weight`` when it is given, as
    scikit-learn's linear models compute it (``compute_class_weight``): a
    row repeated ``k`` times and a row of weight ``k`` then agree. Raises a
    ``ValueError`` naming ``class_weight`` when it does not fit ``y``.
    """
    several = isinstance(classes, list)
    if several:
        if not (class_weight == "balanced" or isinstance(class_weight, list)):
            raise ValueError(
                f"y has {len(classes)} columns, so class_weight must be "
                "'balanced' or a list of one dict {class: weight} per column; "
                f"got {class_weight!r}."
            )
        if isinstance(class_weight, list) and len(class_weight) != len(classes):
            raise ValueError(
                f"class_weight holds {len(class_weight)} dicts but y has "
                f"{len(classes)} columns: give one dict per column."
            )
    elif isinstance(class_weight, list):
        raise ValueError(
            "class_weight is a list of dicts, one per column of a multi-output "
            "target, but y is a single target: pass one dict {class: weight}."
        )
    y = np.asarray(y)
    columns = y.reshape(len(y), -1).T if several else [y.reshape(-1)]
    known = classes if several else [classes]
    per_column = class_weight if isinstance(class_weight, list) else None
    rows = np.ones(len(y))
    for column, (labels, fitted) in enumerate(zip(columns, known, strict=True)):
        weights = class_weight if per_column is None else per_column[column]
        where = f" (column {column} of y)" if several else ""
        if isinstance(weights, dict):
            unknown = [key for key in weights if key not in set(fitted.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight has weights for {unknown}, which are not "
                    f"classes of y{where}: {fitted.tolist()}."
                )
        # classes whose rows all weigh zero keep weight 1: their rows count
        # for nothing either way ('balanced' would divide by zero)
        kept = slice(None) if sample_weight is None else sample_weight > 0
        present = np.unique(labels[kept])
        by_class = _class_weights(
            weights,
            present,
            labels[kept],
            None if sample_weight is None else sample_weight[kept],
        )
        index = np.searchsorted(present, labels).clip(max=len(present) - 1)
        rows *= np.where(present[index] == labels, by_class[index], 1.0)
    return rows


def _class_weights(class_weight, classes, y, sample_weight):
    """The weight of each of ``classes`` (sorted, all present in ``y``), as
    scikit-learn's ``compute_class_weight`` gives them: ``'balanced'`` is
    ``sum of weights / (n_classes * weight of the class)`` with the rows
    counted by ``sample_weight`` (computed here, since scikit-learn before
    1.7 takes no sample weights there)."""
    if not isinstance(class_weight, str):
        return compute_class_weight(class_weight, classes=classes, y=y)
    counts = np.bincount(
        np.searchsorted(classes, y), weights=sample_weight, minlength=len(classes)
    ).astype(np.float64)
    return counts.sum() / (len(classes) * counts)


def _per_task(classes) -> bool:
    """Whether ``classes`` holds one array of classes per column of ``y``."""
    return (
        classes is not None
        and len(classes) > 0
        and all(np.ndim(c) == 1 for c in classes)
    )


def _check_labels(seen, fitted, *, warm_start, where=""):
    """Labels ``seen`` in ``y`` must be the ``fitted`` classes (``warm_start``,
    as in scikit-learn's MLP) or some of them (``partial_fit``)."""
    if warm_start:
        if not np.array_equal(seen, fitted):
            raise ValueError(
                "warm_start can only be used where y has the same classes as "
                f"in the previous call to fit: previously got {fitted.tolist()}, "
                f"y has {seen.tolist()}{where}."
            )
        return
    unseen = np.setdiff1d(seen, fitted)
    if unseen.size:
        raise ValueError(
            f"y contains labels {unseen.tolist()} not in classes_ "
            f"{fitted.tolist()}{where}: partial_fit needs the classes of the "
            "first call (pass every class to the first partial_fit with "
            "`classes`)."
        )


def _softmax(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits, dim=-1)


def _task_softmax(logits: torch.Tensor, n_classes: list[int]) -> torch.Tensor:
    """Softmax over each task's block of logits (blocks side by side)."""
    blocks = logits.split(n_classes, dim=-1)
    return torch.cat([torch.softmax(block, dim=-1) for block in blocks], dim=-1)


def _binary_proba(logit: torch.Tensor) -> torch.Tensor:
    """``[1 - p, p]`` of one logit, computed on the device (so that thinned
    networks average the two columns alike)."""
    p = torch.sigmoid(logit)
    return torch.cat([1 - p, p], dim=-1)
