"""Shared scikit-learn layer: hyperparameters, the fit template, prediction, tags.

The estimators validate and encode their inputs here, then hand tensors to the
training engine (:mod:`sklreg._training`). Subclasses only say how targets are
encoded, which data loss applies and how outputs become predictions.
"""

from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
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
    MaxNormConstraint,
    PenalizedNet,
    TensorData,
    forward_outputs,
    to_tensor,
)
from .nn import ACTIVATIONS, MLP, DataLoss
from .penalties import NORMS, ActivityPenalty, WeightNormPenalty
from .utils import derive_seeds, draw_seed, resolve_device, resolve_dtype


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
            rates = tuple(np.asarray(self.dropout, dtype=float).reshape(-1).tolist())
            if len(rates) != len(hidden) or not all(0 <= r < 1 for r in rates):
                raise ValueError(
                    "The 'dropout' parameter must be a float in [0, 1) or one such "
                    f"rate per hidden layer ({len(hidden)} here). Got "
                    f"{self.dropout!r} instead."
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

    def _build_net(self, module, loss_name, device, n_samples, random_seed):
        callbacks = []
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
            random_seed=random_seed,
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
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
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
        hidden, rates, device = self._check_params()
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
        y, n_units, loss_name = self._encode_targets(
            y, reset=not continuing, classes=classes
        )
        weight = self._check_sample_weight(sample_weight, X)

        if continuing:
            module = previous.module_
            self._check_architecture(module, hidden)
            module.dropout, module.input_dropout = rates, float(self.input_dropout)
            random_seed = previous.random_seed
        else:
            init_seed, random_seed = derive_seeds(draw_seed(self.random_state), n=2)
            generator = torch.Generator().manual_seed(init_seed)
            module = self._build_module(
                X.shape[1], n_units, hidden, rates, dtype, generator
            )
        net = self._build_net(module, loss_name, device, X.shape[0], random_seed)
        if continuing:
            net.history_ = previous.history
            if incremental and previous.solver == net.solver:
                net.optimizer_.load_state_dict(previous.optimizer_.state_dict())

        data = TensorData(
            to_tensor(X, dtype, device),
            to_tensor(y, torch.int64 if y.dtype.kind in "iu" else dtype, device),
            None if weight is None else to_tensor(weight, dtype, device),
        )
        net.partial_fit(data, epochs=1 if incremental else self.max_iter)
        self.net_ = net
        self._set_fitted_attributes()
        return self

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

    def _set_fitted_attributes(self):
        net = self.net_
        self.history_ = [
            {key: row[key] for key in HISTORY_KEYS if key in row} for row in net.history
        ]
        self.loss_curve_ = [row["train_loss"] for row in self.history_]
        self.n_iter_ = len(self.history_)
        self.t_ = net.n_updates_
        named = list(net.module_.named_parameters())
        self.parameter_names_ = [name for name, _ in named]
        self.n_parameters_ = sum(p.numel() for _, p in named if p.requires_grad)

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
