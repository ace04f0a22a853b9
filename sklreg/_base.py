"""Shared scikit-learn layer: hyperparameters, the fit template, prediction, tags.

The estimators validate and encode their inputs here, then hand tensors to the
training engine (:mod:`sklreg._training`). Subclasses only say how targets are
encoded, which data loss applies and how outputs become predictions.
"""

import math
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._training import (
    HISTORY_KEYS,
    SOLVERS,
    BatchProgressBar,
    EarlyStopping,
    MaxNormConstraint,
    PenalizedNet,
    TensorData,
    forward_outputs,
    to_tensor,
)
from .nn import ACTIVATIONS, MLP, DataLoss
from .penalties import NORMS, ActivityPenalty, WeightNormPenalty
from .utils import derive_seeds, draw_seed, resolve_device, resolve_dtype


class _FitData:
    """Validated, encoded training arrays and where their tensors go."""

    def __init__(self, X, y_encoded, weight, dtype, device):
        self.X, self.y, self.weight = X, y_encoded, weight
        self.dtype, self.device = dtype, device

    def rows(self, index=None) -> TensorData:
        """Rows ``index`` (all when None) as tensors on the training device.

        Class indices become int64 tensors; everything else takes the
        training dtype.
        """
        X, y, w = self.X, self.y, self.weight
        if index is not None:
            X, y = X[index], y[index]
            w = None if w is None else w[index]
        y_dtype = torch.int64 if y.dtype.kind in "iu" else self.dtype
        return TensorData(
            to_tensor(X, self.dtype, self.device),
            to_tensor(y, y_dtype, self.device),
            None if w is None else to_tensor(w, self.dtype, self.device),
        )


class BaseRegularizedMLP(BaseEstimator, metaclass=ABCMeta):
    """Base class of the regularized MLP estimators; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "norm": [StrOptions(set(NORMS))],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_norm": [None, Interval(Real, 0, None, closed="neither")],
        "activity_alpha": [Interval(Real, 0, None, closed="left")],
        "activity_norm": [StrOptions({"l1", "l2"})],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "refit": [None, StrOptions({"epochs", "updates"})],
        "solver": [StrOptions(set(SOLVERS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "warm_start": ["boolean"],
        "dtype": [None, StrOptions({"float32", "float64"})],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        alpha=1e-4,
        norm="l2",
        l1_ratio=0.5,
        max_norm=None,
        activity_alpha=0.0,
        activity_norm="l1",
        dropout=0.0,
        input_dropout=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        scoring=None,
        refit=None,
        solver="adam",
        learning_rate_init=1e-3,
        momentum=0.9,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        warm_start=False,
        dtype=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.norm = norm
        self.l1_ratio = l1_ratio
        self.max_norm = max_norm
        self.activity_alpha = activity_alpha
        self.activity_norm = activity_norm
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.scoring = scoring
        self.refit = refit
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- what subclasses define -----------------------------------------------
    @abstractmethod
    def _encode_targets(self, y, *, reset, classes=None):
        """Validate ``y``, set the target attributes when ``reset``, and return
        ``(y_encoded, n_output_units, data_loss_name)``.

        ``y_encoded`` holds class indices (an integer array) or float targets,
        which train in the network's dtype.
        """

    # -- hyperparameters --------------------------------------------------------
    def _check_params(self):
        """Rules that tie hyperparameters together; returns the resolved values
        ``(hidden_layer_sizes, dropout_rates, device)``."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(np.ravel(sizes))
        if not sizes or not all(
            isinstance(h, Integral) and not isinstance(h, bool) and h >= 1
            for h in sizes
        ):
            raise ValueError(
                "The 'hidden_layer_sizes' parameter must be a positive integer or a "
                "non-empty sequence of positive integers. Got "
                f"{self.hidden_layer_sizes!r} instead."
            )
        hidden = tuple(int(h) for h in sizes)
        if isinstance(self.dropout, Real):
            rates = (float(self.dropout),) * len(hidden)
        else:
            try:
                rates = tuple(np.asarray(self.dropout, dtype=float).ravel().tolist())
            except (TypeError, ValueError):
                rates = ()
            if len(rates) != len(hidden) or not all(0 <= r < 1 for r in rates):
                raise ValueError(
                    "The 'dropout' parameter must be a float in [0, 1) or one such "
                    f"rate per hidden layer ({len(hidden)} here). Got "
                    f"{self.dropout!r} instead."
                )
        if self.refit is not None and not self.early_stopping:
            raise ValueError(
                f"refit={self.refit!r} retrains after early stopping; it needs "
                "early_stopping=True."
            )
        return hidden, rates, resolve_device(self.device)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(int(self.batch_size), n_samples)

    def _build_penalties(self):
        """Penalty objects of the objective (see :mod:`sklreg.penalties`).

        With ``solver='adamw'`` the L2 part of the weight penalty is applied as
        decoupled weight decay by the optimizer instead (see
        :meth:`_weight_decay`), so only its L1 part stays in the objective.
        """
        penalties = []
        alpha, norm = self.alpha, self.norm
        if self.solver == "adamw" and norm != "l1":
            alpha, norm = (
                (alpha * self.l1_ratio, "l1") if norm == "elasticnet" else (0, norm)
            )
        if alpha > 0:
            penalties.append(WeightNormPenalty(alpha, norm, self.l1_ratio))
        if self.activity_alpha > 0:
            penalties.append(ActivityPenalty(self.activity_alpha, self.activity_norm))
        return penalties

    def _weight_decay(self) -> float:
        """Decoupled weight decay of ``adamw``: ``2 * alpha`` times the L2 share."""
        if self.solver != "adamw" or self.norm == "l1":
            return 0.0
        share = 1.0 - self.l1_ratio if self.norm == "elasticnet" else 1.0
        return 2.0 * self.alpha * share

    # -- building blocks --------------------------------------------------------
    def _build_module(self, n_features, n_outputs, hidden, rates, dtype, generator):
        """The torch module to train (subclasses may build other architectures)."""
        return MLP(
            n_features,
            hidden,
            n_outputs,
            activation=self.activation,
            dropout=rates,
            input_dropout=self.input_dropout,
            dtype=dtype,
            generator=generator,
        )

    def _build_net(
        self,
        module,
        loss_name,
        device,
        n_samples,
        *,
        early_stopping=False,
        max_updates=None,
    ):
        callbacks = []
        if early_stopping:
            callbacks.append(("early_stopping", EarlyStopping(self.patience, self.tol)))
        if self.max_norm is not None:
            callbacks.append(("max_norm", MaxNormConstraint(self.max_norm)))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", BatchProgressBar()))
        net = PenalizedNet(
            module,
            DataLoss(loss_name),
            penalties=self._build_penalties(),
            solver=self.solver,
            lr=self.learning_rate_init,
            momentum=self.momentum,
            weight_decay=self._weight_decay(),
            batch_size=self._batch_size(n_samples),
            shuffle=self.shuffle,
            random_seed=self._seeds[1],
            max_updates=max_updates,
            max_epochs=self.max_iter,
            callbacks=callbacks,
            device=str(device),
            verbose=int(self.verbose),
        )
        return net.initialize()

    # -- fitting ----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)`` for ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (class labels, label indicators or values).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the data loss (and in the
            activity penalty): an integer weight is equivalent to repeating the
            row, a zero weight to leaving it out.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        """The fit template: validate, encode, build or reuse the network, train."""
        hidden, rates, device = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it runs one "
                "epoch on the data it is given. Use fit, or early_stopping=False."
            )
        previous = getattr(self, "net_", None)
        continuing = previous is not None and (incremental or self.warm_start)
        if continuing:
            dtype = next(previous.module_.parameters()).dtype
            X_dtype = np.float32 if dtype == torch.float32 else np.float64
        else:
            X_dtype = [np.float64, np.float32] if self.dtype is None else self.dtype
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            dtype=X_dtype,
            multi_output=True,
            y_numeric=not hasattr(self, "predict_proba"),
        )
        if not continuing:
            dtype = resolve_dtype(self.dtype, X.dtype)
        y_encoded, n_units, loss_name = self._encode_targets(
            y, reset=not continuing, classes=classes
        )
        weight = self._check_sample_weight(sample_weight, X)
        data = _FitData(X, y_encoded, weight, dtype, device)

        def new_module():
            generator = torch.Generator().manual_seed(self._seeds[0])
            return self._build_module(
                X.shape[1], n_units, hidden, rates, dtype, generator
            )

        if continuing:
            module = previous.module_
            self._check_architecture(module, hidden)
            module.dropout, module.input_dropout = rates, float(self.input_dropout)
        else:
            self._seeds = derive_seeds(draw_seed(self.random_state), n=3)
            module = new_module()
        epochs = 1 if incremental else self.max_iter

        train, fit_kwargs = None, {}
        if self.early_stopping:  # train on one part, score the other each epoch
            split_seed = derive_seeds(
                self._seeds[2], len(previous.history) if continuing else 0
            )[0]
            train, valid = self._validation_split(y_encoded, weight, split_seed)
            fit_kwargs = dict(
                valid_data=data.rows(valid),
                valid_scorer=self._validation_scorer(X, y, weight, valid),
            )
        n_train = len(X) if train is None else len(train)
        net = self._build_net(
            module, loss_name, device, n_train, early_stopping=self.early_stopping
        )
        if continuing:
            self._continue(net, previous, keep_optimizer=incremental)
        self.net_ = net  # a validation scorer predicts through the net in training
        net.partial_fit(data.rows(train), epochs=epochs, **fit_kwargs)
        self._set_fitted_attributes(net)
        if not self.early_stopping:
            return self

        stopper = dict(net.callbacks_)["early_stopping"]
        if stopper.best_epoch_ is None:
            n_epochs = len(net.history) - stopper.first_epoch_ + 1
            raise ValueError(
                f"early_stopping saw no finite validation score in {n_epochs} "
                f"epochs (scoring={self.scoring!r} on {len(valid)} validation rows): "
                "the loss diverged or the score is undefined on so few rows. Lower "
                "learning_rate_init, or raise validation_fraction."
            )
        self.best_epoch_ = stopper.best_epoch_
        self.best_validation_score_ = stopper.best_score_
        self.validation_scores_ = [row["valid_score"] for row in self.history_]
        if self.refit is not None:
            self._refit(new_module(), loss_name, device, data, stopper)
        return self

    def _refit(self, module, loss_name, device, data, stopper):
        """Train ``module`` on all rows for the best epochs or updates."""
        n_samples = len(data.X)
        updates = stopper.best_updates_ if self.refit == "updates" else None
        net = self._build_net(module, loss_name, device, n_samples, max_updates=updates)
        if updates is None:
            epochs = stopper.best_epoch_
        else:
            epochs = math.ceil(updates / math.ceil(n_samples / net.batch_size))
        self.net_ = net
        net.partial_fit(data.rows(), epochs=epochs)
        self.n_iter_ = self.refit_n_iter_ = len(net.history)
        self.t_ = self.refit_t_ = net.n_updates_

    @staticmethod
    def _continue(net, previous, keep_optimizer):
        """Carry the history (and optionally the optimizer state) of ``previous``."""
        net.history_ = previous.history
        if keep_optimizer and previous.solver == net.solver:
            net.optimizer_.load_state_dict(previous.optimizer_.state_dict())

    def _stratify_labels(self, y_encoded):
        """Labels to stratify the validation split by (None: no stratification)."""
        return None

    def _validation_split(self, y_encoded, weight, seed):
        """Indices ``(train, valid)`` of the early-stopping split.

        ``validation_fraction`` of the rows with non-zero weight, stratified by
        :meth:`_stratify_labels`, form the validation part; every other row
        (zero-weight rows included) trains.
        """
        n_samples = len(y_encoded)
        candidates = np.arange(n_samples) if weight is None else np.flatnonzero(weight)
        stratify = self._stratify_labels(y_encoded)
        try:
            _, valid = train_test_split(
                candidates,
                test_size=self.validation_fraction,
                stratify=None if stratify is None else stratify[candidates],
                random_state=seed,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping cannot split {len(candidates)} rows"
                f"{' with non-zero weight' if weight is not None else ''} into "
                f"training and validation parts with validation_fraction="
                f"{self.validation_fraction}: {exc}"
            ) from exc
        valid = np.sort(valid)
        train = np.setdiff1d(np.arange(n_samples), valid)
        return train, valid

    def _validation_scorer(self, X, y, weight, valid):
        """``scorer()`` of the validation rows for ``scoring``, or None (loss)."""
        if self.scoring is None:
            return None
        scorer = check_scoring(self, scoring=self.scoring)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        X_valid, y_valid = X[valid], y[valid]
        kwargs = {} if weight is None else {"sample_weight": weight[valid]}
        return lambda: scorer(self, X_valid, y_valid, **kwargs)

    def _check_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return None
        weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if not weight.sum() > 0:
            raise ValueError(
                "sample_weight must contain at least one non-zero weight; all "
                "weights are zero."
            )
        return weight

    @staticmethod
    def _check_architecture(module, hidden):
        trained = tuple(layer.out_features for layer in module.hidden)
        if trained != hidden:
            raise ValueError(
                f"hidden_layer_sizes={hidden} differs from the architecture of the "
                f"fitted network {trained}; warm_start and partial_fit continue "
                "training the same network (set warm_start=False to start afresh)."
            )

    def _set_fitted_attributes(self, net):
        """Attributes that describe the training run of ``net``."""
        self.history_ = [
            {key: row[key] for key in HISTORY_KEYS if key in row} for row in net.history
        ]
        self.loss_curve_ = [row["train_loss"] for row in self.history_]
        self.n_iter_ = len(self.history_)
        self.t_ = net.n_updates_
        named = list(net.module_.named_parameters())
        self.parameter_names_ = [name for name, _ in named]
        self.n_parameters_ = sum(p.numel() for _, p in named if p.requires_grad)
        self.best_epoch_ = self.best_validation_score_ = None
        self.validation_scores_ = None
        self.refit_n_iter_ = self.refit_t_ = None

    @property
    def module_(self) -> torch.nn.Module:
        """The trained ``torch.nn.Module``."""
        check_is_fitted(self)
        return self.net_.module_

    # -- prediction ---------------------------------------------------------------
    def _forward(self, X, link=None) -> np.ndarray:
        """Outputs of the trained network on ``X`` (after ``link``)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        param = next(self.net_.module_.parameters())
        return forward_outputs(
            self.net_.module_, to_tensor(X, param.dtype, param.device), link
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
