"""The regressor layer: float targets, the regression losses (``loss``), and
predictions with their Monte-Carlo spread."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._typing import ArrayLike, MatrixLike, NDArray, fit_context
from .nn import LOG_LINK_LOSSES, DataLoss

#: Allowed values of the regressors' ``loss`` (scikit-learn's names).
REGRESSION_LOSSES = ("squared_error", "absolute_error", "huber", "poisson")

#: Constraints of the parameters that only regressors have.
REGRESSOR_CONSTRAINTS = {
    "loss": [StrOptions(set(REGRESSION_LOSSES))],
    "normalize_y": ["boolean"],
}

if TYPE_CHECKING:
    from typing_extensions import Self


def _target_scale(y, sample_weight):
    """``(mean, standard deviation)`` of each column of ``y``, weighted by
    ``sample_weight`` (a weight of 2 counts as two copies of the row); a
    constant column keeps the scale 1."""
    mean = np.average(y, axis=0, weights=sample_weight)
    std = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=sample_weight))
    return mean, np.where(std > 0, std, 1.0)


class NetRegressorMixin(RegressorMixin):
    """Regressor layer; combine with :class:`~sklreg._base.BaseRegularizedNet`."""

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
        loss = "squared_error" if objective is None else objective.loss
        y = np.asarray(y, dtype=np.float64)
        y = y.reshape(len(y), -1)
        if reset:  # the scale of the targets is that of the first fit
            normalize = objective is not None and objective.normalize_y
            self._y_shift, self._y_scale = (
                _target_scale(y, sample_weight) if normalize else (None, None)
            )
        if loss == "poisson" and (np.any(y < 0) or not np.all(y.sum(axis=0) > 0)):
            raise ValueError(
                "loss='poisson' models counts and rates: y must be non-negative "
                "and each output must have a positive sum; got "
                f"min(y) = {float(y.min())!r}."
            )
        if reset:
            self.n_outputs_ = y.shape[1]
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs but the network was fitted with "
                f"{self.n_outputs_}."
            )
        if getattr(self, "_y_scale", None) is not None:
            y = (y - self._y_shift) / self._y_scale
        return y, y.shape[1], DataLoss(loss)

    def _task_output_units(self, n_output_units):
        """Output units of each task's head: one per target."""
        return (1,) * n_output_units

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Run one epoch over ``(X, y)``, continuing from the current network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the data loss.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(
        self, X: MatrixLike, return_std: bool = False
    ) -> NDArray[np.floating] | tuple[NDArray[np.floating], NDArray[np.floating]]:
        """Predict the targets, optionally with their Monte-Carlo spread.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input rows.
        return_std : bool, default=False
            Also return the standard deviation of the prediction across the
            ``mc_samples`` thinned networks (population standard deviation,
            ``ddof=0``). It is zero everywhere when ``mc_samples`` is 0 or 1
            or the network has no dropout.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values, in the training dtype: the deterministic
            network's output, or the mean over the thinned networks when
            ``mc_samples >= 1``.
        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Standard deviation across the thinned networks; only when
            ``return_std`` is true. Shapes follow scikit-learn's
            ``GaussianProcessRegressor``.
        """
        check_is_fitted(self)
        # the network of loss='poisson' outputs the log of the prediction
        link = torch.exp if self.net_.criterion_.name in LOG_LINK_LOSSES else None
        if not return_std:
            return self._squeeze(self._to_target_scale(self._forward(X, link)))
        mean, std = self._forward(X, link, return_std=True)
        mean, std = self._to_target_scale(mean, std)
        return self._squeeze(mean), self._squeeze(std)

    def _to_target_scale(self, mean, std=None):
        """Predictions (and their spread) on the scale of ``y`` as given."""
        scale = getattr(self, "_y_scale", None)
        if scale is not None:
            mean = mean * scale.astype(mean.dtype) + self._y_shift.astype(mean.dtype)
            std = None if std is None else std * scale.astype(std.dtype)
        return mean if std is None else (mean, std)

    def _squeeze(self, y):
        return y[:, 0] if self.n_outputs_ == 1 else y
