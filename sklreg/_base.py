"""Shared scikit-learn layer: hyperparameters, the fit template, prediction, tags.

The estimators validate and encode their inputs here, then hand tensors to the
training engine (:mod:`sklreg._training`). Subclasses say how targets are
encoded and which data loss applies (:mod:`sklreg._classifier`,
:mod:`sklreg._regressor`) and which network is trained (:mod:`sklreg._mlp`).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.metrics import get_scorer_names
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._early_stopping import (
    check_scorer,
    refit_epochs,
    validation_scorer,
    validation_split,
)
from ._training import (
    HISTORY_KEYS,
    SOLVERS,
    EarlyStopping,
    EpochLog,
    FitData,
    MaxNormConstraint,
    PenalizedNet,
    ProgressBar,
    as_rows,
    check_outcome,
    forward_outputs,
)
from ._typing import ArrayLike, MatrixLike, fit_context
from .nn import ACTIVATIONS
from .penalties import (
    L1_METHODS,
    NORMS,
    TIE_NORMS,
    ActivityPenalty,
    TiePenalty,
    WeightNormPenalty,
    check_tie_group_names,
    resolve_tie_groups,
    weight_parameters,
)
from .utils import derive_seeds, draw_seed, resolve_device, resolve_dtype

if TYPE_CHECKING:
    from typing_extensions import Self

#: Key that derives the seed of the Monte-Carlo dropout masks from the fit's seed.
_MC_SEED_KEY = 1


class BaseRegularizedNet(BaseEstimator, metaclass=ABCMeta):
    """Base class of sklreg's estimators; not for direct use.

    Subclasses define :meth:`_encode_targets` (the targets and data loss) and
    :meth:`_build_module` (the network); this class validates the
    hyperparameters and the data, runs the fit template on the training
    engine and predicts.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "norm": [StrOptions(set(NORMS))],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "l1_method": [StrOptions(set(L1_METHODS))],
        "max_norm": [None, Interval(Real, 0, None, closed="neither")],
        "shared_layers": [None, Interval(Integral, 0, None, closed="left")],
        "tie_groups": [None, StrOptions({"tasks"}), "array-like"],
        "tie_alpha": [Interval(Real, 0, None, closed="left")],
        "tie_norm": [StrOptions(set(TIE_NORMS))],
        "activity_alpha": [Interval(Real, 0, None, closed="left")],
        "activity_norm": [StrOptions({"l1", "l2"})],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "mc_samples": [Interval(Integral, 0, None, closed="left")],
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

    #: Resolved hyperparameters that fix the shapes of the network:
    #: ``warm_start`` and ``partial_fit`` refuse to continue when one changed.
    _architecture_keys: tuple = ("hidden_layer_sizes", "activation", "shared_layers")

    # -- what subclasses define -----------------------------------------------
    @abstractmethod
    def _encode_targets(self, y, *, reset, classes=None, incremental=False):
        """Validate ``y``, set the target attributes when ``reset``, and return
        ``(y_encoded, n_output_units, data_loss)``.

        When continuing a fit (not ``reset``), ``y`` must agree with the first
        fit: ``incremental`` tells ``partial_fit`` (which may see a subset of
        the classes) from ``warm_start``.

        ``y_encoded`` holds class indices (an integer array) or float targets,
        which train in the network's dtype; ``data_loss`` is the
        :class:`sklreg.nn.DataLoss` that compares the network's outputs with
        them.
        """

    @abstractmethod
    def _task_output_units(self, n_output_units):
        """Output units of each task's head, a tuple that sums to
        ``n_output_units`` (after :meth:`_encode_targets`): one entry per task
        of a network with one tower per task."""

    @abstractmethod
    def _build_module(self, n_features, n_outputs, config, dtype, generator):
        """The torch module to train, with its initial weights drawn from
        ``generator``; ``config`` is what :meth:`_check_params` resolved."""

    # -- hyperparameters --------------------------------------------------------
    def _check_params(self) -> SimpleNamespace:
        """Rules that tie hyperparameters together, checked before training.

        Returns the resolved values: ``hidden_layer_sizes`` (a tuple),
        ``dropout`` (one rate per hidden layer), ``activation``, ``device``,
        ``shared_layers`` (None or an int) and ``tie_groups`` (None,
        ``'tasks'``, or a tuple of groups of names).
        Subclasses extend it with their own rules and values. The rules that
        need the network (do the names of ``tie_groups`` exist, do their
        shapes agree) are checked by
        :func:`~sklreg.penalties.resolve_tie_groups` once it is built, still
        before training.
        """
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
        shared = self.shared_layers
        if shared is not None and shared > len(hidden):
            raise ValueError(
                f"The 'shared_layers' parameter must be at most the number of "
                f"hidden layers ({len(hidden)} for hidden_layer_sizes="
                f"{self.hidden_layer_sizes!r}), or None. Got {shared!r} instead."
            )
        tie_groups = self.tie_groups
        if isinstance(tie_groups, str) and shared is None:
            raise ValueError(
                "tie_groups='tasks' ties the towers of the tasks, but "
                "shared_layers=None builds no towers (one network for all "
                "outputs). Set shared_layers to the number of hidden layers the "
                "tasks share (0 for none)."
            )
        if tie_groups is not None and not isinstance(tie_groups, str):
            tie_groups = check_tie_group_names(tie_groups)
        proximal = any(penalty.proximal for penalty in self._build_penalties(None))
        if self.solver == "sgd" and self.momentum == 1 and proximal:
            raise ValueError(
                "momentum=1 never forgets a gradient, so the proximal L1 step of "
                "solver='sgd', whose threshold is learning_rate_init * alpha / "
                "(1 - momentum), is undefined. Use momentum < 1, or "
                "l1_method='subgradient'."
            )
        return SimpleNamespace(
            hidden_layer_sizes=hidden,
            dropout=rates,
            activation=self.activation,
            device=resolve_device(self.device),
            shared_layers=None if shared is None else int(shared),
            tie_groups=tie_groups,
        )

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(int(self.batch_size), n_samples)

    def _build_penalties(self, config):
        """Penalty objects of the objective (see :mod:`sklreg.penalties`).

        With ``solver='adamw'`` the L2 part of the weight penalty is applied as
        decoupled weight decay by the optimizer instead (see
        :meth:`_weight_decay`), so only its L1 part stays in the penalty. The
        L1 part is differentiated or applied by proximal steps, as
        ``l1_method`` says. ``config.tie_groups`` are the names resolved by
        :func:`~sklreg.penalties.resolve_tie_groups` (None: no tie penalty).
        """
        penalties = []
        alpha, norm = self.alpha, self.norm
        if self.solver == "adamw" and norm != "l1":
            alpha, norm = (
                (alpha * self.l1_ratio, "l1") if norm == "elasticnet" else (0, norm)
            )
        if alpha > 0:
            penalties.append(
                WeightNormPenalty(alpha, norm, self.l1_ratio, self.l1_method)
            )
        if self.tie_alpha > 0 and config is not None and config.tie_groups:
            penalties.append(
                TiePenalty(self.tie_alpha, config.tie_groups, self.tie_norm)
            )
        if self.activity_alpha > 0:
            penalties.append(ActivityPenalty(self.activity_alpha, self.activity_norm))
        return penalties + self._extra_penalties()

    def _extra_penalties(self):
        """Penalties a subclass adds after the shared ones (none here)."""
        return []

    def _weight_decay(self) -> float:
        """Decoupled weight decay of ``adamw``: ``2 * alpha`` times the L2 share."""
        if self.solver != "adamw" or self.norm == "l1":
            return 0.0
        share = 1.0 - self.l1_ratio if self.norm == "elasticnet" else 1.0
        return 2.0 * self.alpha * share

    # -- building blocks --------------------------------------------------------
    def _new_module(self, n_features, n_outputs, config, dtype):
        """A freshly initialized module, its weights seeded by ``random_state``."""
        generator = torch.Generator().manual_seed(self._seeds[0])
        return self._build_module(n_features, n_outputs, config, dtype, generator)

    def _build_net(
        self,
        module,
        data_loss,
        config,
        n_samples,
        *,
        epochs,
        max_updates=None,
        early_stopping=False,
        phase="training",
        title=None,
        header=True,
    ):
        """The training engine for one training call of ``epochs`` epochs.

        ``phase`` names the call on the progress bar (``verbose=2``);
        ``title`` is a line printed before its epoch log (``verbose >= 1``),
        whose header a continued table (``header=False``) leaves out.
        """
        penalties = self._build_penalties(config)
        callbacks = []
        if early_stopping:
            callbacks.append(("early_stopping", EarlyStopping(self.patience, self.tol)))
        if self.max_norm is not None:
            callbacks.append(("max_norm", MaxNormConstraint(self.max_norm)))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar(phase)))
        if self.verbose:
            log = self._epoch_log(penalties, early_stopping, title, header)
            callbacks.append(("epoch_log", log))
        net = PenalizedNet(
            module,
            data_loss,
            penalties=penalties,
            solver=self.solver,
            lr=self.learning_rate_init,
            momentum=self.momentum,
            weight_decay=self._weight_decay(),
            batch_size=self._batch_size(n_samples),
            shuffle=self.shuffle,
            random_seed=self._seeds[1],
            max_updates=max_updates,
            max_epochs=epochs,
            callbacks=callbacks,
            device=str(config.device),
            verbose=int(self.verbose),
        )
        return net.initialize()

    def _epoch_log(self, penalties, early_stopping, title, header) -> EpochLog:
        """The ``verbose`` table: the training loss, then the data loss and
        each active penalty (and the share of zero weights under an L1
        penalty), then the validation columns, the last marked on each new
        best epoch."""
        keys = ["train_loss"]
        if penalties:  # else the data loss is the training loss
            keys += ["data_loss", *(penalty.name for penalty in penalties)]
        if any(penalty.sparse_weights for penalty in penalties):
            keys.append("sparsity")  # the share of exactly-zero weights
        if early_stopping:  # without a scorer, valid_score is -valid_loss
            keys.append("valid_loss")
            if self.scoring is not None:
                keys.append("valid_score")
        marked = keys[-1] if early_stopping else None
        return EpochLog(keys, marked=marked, title=title, header=header)

    # -- fitting ----------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> Self:
        """Train the network on ``(X, y)`` for ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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

    def _validate_training_data(self, X, y, previous):
        """Validate ``(X, y)``; returns them with the training dtype.

        Continuing a fit (``previous`` is its net) keeps the network's dtype
        and checks the number of features against the first fit.
        """
        if previous is not None:
            dtype = next(previous.module_.parameters()).dtype
            X_dtype = np.float32 if dtype == torch.float32 else np.float64
        else:
            X_dtype = [np.float64, np.float32] if self.dtype is None else self.dtype
        X, y = validate_data(
            self,
            X,
            y,
            reset=previous is None,
            dtype=X_dtype,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=not hasattr(self, "predict_proba"),
        )
        if previous is None:
            dtype = resolve_dtype(self.dtype, X.dtype)
        return X, y, dtype

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        """The fit template: validate, encode, build or reuse the network, train."""
        config = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it runs one "
                "epoch on the data it is given. Use fit, or early_stopping=False."
            )
        previous = getattr(self, "net_", None)
        continuing = previous is not None and (incremental or self.warm_start)
        X, y, dtype = self._validate_training_data(
            X, y, previous if continuing else None
        )
        y_encoded, n_units, data_loss = self._encode_targets(
            y, reset=not continuing, classes=classes, incremental=incremental
        )
        weight = self._check_sample_weight(sample_weight, X)
        data = FitData(X, y_encoded, weight, dtype, config.device)

        if continuing:
            self._check_architecture(config)
            module = previous.module_
            module.set_dropout(config.dropout, self.input_dropout)
        else:
            self._seeds = derive_seeds(draw_seed(self.random_state), n=3)
            module = self._new_module(X.shape[1], n_units, config, dtype)
        config.tie_groups = resolve_tie_groups(config.tie_groups, module)
        self._architecture = {
            key: getattr(config, key) for key in self._architecture_keys
        }

        train, fit_kwargs, title = None, {}, None
        if self.early_stopping:  # train on one part, score the other each epoch
            split_seed = derive_seeds(
                self._seeds[2], len(previous.history) if continuing else 0
            )[0]
            train, valid = validation_split(
                y_encoded,
                weight,
                self._stratify_labels(y_encoded),
                self.validation_fraction,
                split_seed,
            )
            fit_kwargs = dict(
                valid_data=data.rows(valid),
                valid_scorer=validation_scorer(self, self.scoring, X, y, weight, valid),
            )
            title = (
                f"Training on {len(train)} rows; early stopping validates on the "
                f"other {len(valid)} (patience={self.patience})."
            )
        n_train = X.shape[0] if train is None else len(train)
        net = self._build_net(
            module,
            data_loss,
            config,
            n_train,
            epochs=1 if incremental else self.max_iter,
            early_stopping=self.early_stopping,
            title=title,
            header=not (incremental and continuing),
        )
        if continuing:
            self._continue(net, previous, keep_optimizer=incremental)
        self.net_ = net  # a validation scorer predicts through the net in training
        try:
            check_scorer(fit_kwargs.get("valid_scorer"), self.scoring, self)
        except ValueError:
            del self.net_
            if previous is not None:
                self.net_ = previous
            raise
        net.partial_fit(data.rows(train), **fit_kwargs)
        stopper = dict(net.callbacks_).get("early_stopping")
        self._check_outcome(net, stopper, "training")
        self._set_fitted_attributes(net)
        if stopper is None or stopper.best_epoch_ is None:
            return self
        self.best_epoch_ = stopper.best_epoch_
        self.best_validation_score_ = stopper.best_score_
        self.validation_scores_ = [row["valid_score"] for row in self.history_]
        if self.refit is not None and not net.interrupted_:
            module = self._new_module(X.shape[1], n_units, config, dtype)
            self._refit(module, data_loss, config, data, stopper)
        return self

    def _refit(self, module, data_loss, config, data, stopper):
        """Train ``module`` on all rows for the best epochs or updates."""
        n_samples = data.X.shape[0]
        epochs, updates = refit_epochs(
            self.refit, stopper, n_samples, self._batch_size(n_samples)
        )
        length = f"{epochs} epochs" if updates is None else f"{updates} updates"
        net = self._build_net(
            module,
            data_loss,
            config,
            n_samples,
            epochs=epochs,
            max_updates=updates,
            phase="refit",
            title=f"Refit on all {n_samples} rows for {length} (refit={self.refit!r}).",
        )
        self.net_ = net
        net.partial_fit(data.rows())
        self._check_outcome(net, None, "the refit on all rows")
        self.n_iter_ = self.refit_n_iter_ = len(net.history)
        self.t_ = self.refit_t_ = net.n_updates_

    def _check_outcome(self, net, stopper, phase):
        """:func:`~sklreg._training.check_outcome`; a network it refuses is
        discarded, so the estimator is left unfitted."""
        try:
            check_outcome(
                net,
                stopper,
                learning_rate_init=self.learning_rate_init,
                scoring=self.scoring,
                phase=phase,
            )
        except ValueError:
            del self.net_
            raise

    @staticmethod
    def _continue(net, previous, keep_optimizer):
        """Carry the history (and optionally the optimizer state) of ``previous``."""
        net.history_ = previous.history
        if keep_optimizer and previous.solver == net.solver:
            net.optimizer_.load_state_dict(previous.optimizer_.state_dict())

    def _stratify_labels(self, y_encoded):
        """Labels to stratify the validation split by (None: no stratification)."""
        return None

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

    def _check_architecture(self, config):
        """Refuse to continue training a network whose shape would change."""
        changed = [
            key
            for key in self._architecture_keys
            if getattr(config, key) != self._architecture[key]
        ]
        if changed:
            now = ", ".join(f"{key}={getattr(config, key)!r}" for key in changed)
            before = ", ".join(f"{key}={self._architecture[key]!r}" for key in changed)
            raise ValueError(
                f"{now} differs from the fitted network ({before}); warm_start and "
                "partial_fit continue training the same network (set "
                "warm_start=False to start afresh)."
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

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "net_")

    @property
    def module_(self) -> torch.nn.Module:
        """The trained ``torch.nn.Module``."""
        check_is_fitted(self)
        return self.net_.module_

    @property
    def sparsity_(self) -> dict:
        """Fraction of exactly-zero entries of each weight tensor, by name."""
        names = {id(p): name for name, p in self.module_.named_parameters()}
        with torch.no_grad():
            return {
                names[id(w)]: (w == 0).sum().item() / w.numel()
                for w in weight_parameters(self.module_)
            }

    # -- prediction ---------------------------------------------------------------
    def _forward(self, X, link=None, *, return_std=False):
        """Outputs of the trained network on ``X`` (after ``link``), averaged
        over ``mc_samples`` thinned networks when it is set."""
        check_is_fitted(self)
        validate_parameter_constraints(
            {"mc_samples": self._parameter_constraints["mc_samples"]},
            {"mc_samples": self.mc_samples},
            caller_name=type(self).__name__,
        )
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=[np.float64, np.float32],
            accept_sparse=["csr", "csc"],
        )
        param = next(self.net_.module_.parameters())
        generator = None
        if self.mc_samples:
            seed = derive_seeds(self._seeds[0], _MC_SEED_KEY)[0]
            generator = torch.Generator().manual_seed(seed)
        return forward_outputs(
            self.net_.module_,
            as_rows(X, param.dtype, param.device),
            link,
            mc_samples=self.mc_samples,
            generator=generator,
            return_std=return_std,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
