"""Shared scikit-learn layer: the parameter table, the fit template, prediction, tags.

Each parameter is checked against ``_parameter_constraints`` when ``fit``
starts; :func:`sklreg._plan.resolve_plan` then applies the cross-parameter
rules and resolves every value once. The estimators validate and encode
their inputs here, build the network, penalties, optimizer settings and
callbacks from the plan, and hand tensors to the training engine
(:mod:`sklreg._training`). Subclasses say how targets are encoded and which
data loss applies (:mod:`sklreg._classifier`, :mod:`sklreg._regressor`) and
which network is trained (:mod:`sklreg._mlp`, :mod:`sklreg._conv`).
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
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
    check_validation_arguments,
    given_validation,
    refit_epochs,
    split_validation,
)
from ._ignored import warn_ignored_settings
from ._members import member_estimator
from ._plan import Plan, Seeds, resolve_plan
from ._training import (
    HISTORY_KEYS,
    LEARNING_RATES,
    SOLVERS,
    FitData,
    as_rows,
    build_net,
    check_outcome,
    forward_outputs,
)
from ._typing import ArrayLike, MatrixLike, fit_context
from .nn import ACTIVATIONS, MEMBER_SHARING, Ensemble, MemberLoss, weight_parameters
from .penalties import L1_METHODS, NORMS, TIE_NORMS, resolve_tie_groups
from .utils import resolve_dtype

if TYPE_CHECKING:
    from typing_extensions import Self


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
        "input_noise": [Interval(Real, 0, None, closed="left")],
        "mc_samples": [Interval(Integral, 0, None, closed="left")],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "bootstrap": ["boolean"],
        "member_sharing": [StrOptions(set(MEMBER_SHARING))],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "refit": [None, "boolean", StrOptions({"epochs", "updates"})],
        "solver": [StrOptions(set(SOLVERS))],
        "learning_rate": [StrOptions(set(LEARNING_RATES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
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

    # -- what subclasses define -----------------------------------------------
    @abstractmethod
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
        """Validate ``y``, set the target attributes when ``reset``, and return
        ``(y_encoded, n_output_units, data_loss)``; ``objective`` is the
        plan's :class:`~sklreg._plan.Objective` (which data loss, the target
        scaling), ``sample_weight`` the checked weights of the rows.

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
    def _build_module(self, n_features, n_outputs, architecture, dtype, generator):
        """The :class:`~sklreg.nn.Network` to train, with its initial weights
        drawn from ``generator``; ``architecture`` is the plan's
        :class:`~sklreg._plan.Architecture`."""

    # -- hyperparameters --------------------------------------------------------
    def _plan(self) -> Plan:
        """The resolved hyperparameters (:func:`sklreg._plan.resolve_plan`);
        raises for broken cross-parameter rules, before any training."""
        return resolve_plan(self.get_params(deep=False))

    # -- building blocks --------------------------------------------------------
    def _new_module(self, n_features, n_outputs, architecture, dtype):
        """A freshly initialized module, its weights seeded by ``random_state``
        (an :class:`~sklreg.nn.Ensemble` of ``n_members`` networks, member
        ``i`` seeded by ``random_state`` and ``i``)."""
        generators = [
            torch.Generator().manual_seed(self._seeds.member_weights(i))
            for i in range(architecture.n_members)
        ]
        members = [
            self._build_module(n_features, n_outputs, architecture, dtype, generator)
            for generator in generators
        ]
        if len(members) == 1:
            return members[0]
        return Ensemble(members, architecture.member_sharing, generators)

    # -- fitting ----------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        X_val: MatrixLike | None = None,
        y_val: ArrayLike | None = None,
        sample_weight_val: ArrayLike | None = None,
    ) -> Self:
        """Train the network on ``(X, y)`` for at most ``max_iter`` epochs.

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
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            Validation rows, with ``y_val``. With ``early_stopping=True`` they
            replace the ``validation_fraction`` split: all of ``X`` trains,
            ``X_val`` is scored after every epoch, and ``refit`` retrains on
            ``X`` and ``X_val`` together. Without early stopping their loss
            and score are still recorded in ``history_`` (learning curves).
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
                default=None
            Targets of ``X_val`` (classes among those of ``y``).
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows (``class_weight`` applies to them
            too).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

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

    def _fit(self, X, y, sample_weight, *, incremental, classes=None, validation=None):
        """The fit template: validate, encode, build or reuse the network, train."""
        plan = self._plan()
        schedule = plan.schedule
        validated = check_validation_arguments(*(validation or (None,) * 3))
        if incremental and schedule.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it runs one "
                "epoch on the data it is given. Use fit, or early_stopping=False."
            )
        previous = getattr(self, "net_", None)
        continuing = previous is not None and (incremental or schedule.warm_start)
        X, y, dtype = self._validate_training_data(
            X, y, previous if continuing else None
        )
        weight = self._check_sample_weight(sample_weight, X)
        y_encoded, n_units, data_loss = self._encode_targets(
            y,
            reset=not continuing,
            classes=classes,
            incremental=incremental,
            objective=plan.objective,
            sample_weight=weight,
        )
        weight = self._weight_classes(
            plan.objective.class_weight, y, weight, X.dtype, incremental=incremental
        )
        data = FitData(X, y_encoded, weight, dtype, plan.runtime.device)

        architecture = plan.architecture
        if continuing:
            architecture.check_continues(self._fitted_architecture)
            module = previous.module_
            module.set_dropout(architecture.dropout, architecture.input_dropout)
        else:
            self._seeds = Seeds.draw(self.random_state)
            module = self._new_module(X.shape[1], n_units, architecture, dtype)
        tie_groups = resolve_tie_groups(plan.objective.tie_groups, module)
        self._fitted_architecture = architecture
        self._n_output_units = n_units
        if architecture.ensemble:
            data_loss = MemberLoss(data_loss, module.term_weight)
        if architecture.bootstrap:
            data.bootstrap = self._seeds.bootstraps(architecture.n_members)

        train, fit_kwargs, title, given = None, {}, None, None
        if validated:  # the user's validation rows
            given, fit_kwargs, title = given_validation(
                self, validation, plan, dtype, X.shape[0]
            )
        elif schedule.early_stopping:  # train on one part, score the other
            seed = self._seeds.validation_split(
                len(previous.history) if continuing else 0
            )
            train, fit_kwargs, title = split_validation(self, plan, data, X, y, seed)
        n_train = X.shape[0] if train is None else len(train)
        warn_ignored_settings(plan, n_train)
        net = build_net(
            plan,
            module,
            data_loss,
            tie_groups=tie_groups,
            n_samples=n_train,
            seed=self._seeds.shuffle,
            epochs=1 if incremental else schedule.max_iter,
            early_stopping=schedule.early_stopping,
            converge=not incremental,
            validated=validated,
            title=title,
            header=not (incremental and continuing),
        )
        if continuing:
            self._continue(net, previous, keep_optimizer=incremental)
        self.net_ = net  # a validation scorer predicts through the net in training
        try:
            check_scorer(fit_kwargs.get("valid_scorer"), schedule.scoring, self)
        except ValueError:
            del self.net_
            if previous is not None:
                self.net_ = previous
            raise
        net.partial_fit(data.rows(train), **fit_kwargs)
        stopper = dict(net.callbacks_).get("early_stopping")
        self._check_outcome(net, stopper, plan, "training")
        self._set_fitted_attributes(net)
        if stopper is None or stopper.best_epoch_ is None:
            return self
        self.best_epoch_ = stopper.best_epoch_
        self.best_validation_score_ = stopper.best_score_
        if schedule.refit is not None and not net.interrupted_:
            module = self._new_module(X.shape[1], n_units, architecture, dtype)
            if given is not None:  # retrain on all the data
                data = data.concat(given)
            self._refit(module, data_loss, plan, tie_groups, data, stopper)
        return self

    def _check_validation_labels(self, y_val):
        """Classifiers: the labels of ``y_val`` are classes of ``y``."""

    def _validation_rows(self, X_val):
        """``X_val`` as rows (the convolutional estimator flattens images)."""
        return X_val

    def _refit(self, module, data_loss, plan, tie_groups, data, stopper):
        """Train ``module`` on all rows for the best epochs or updates."""
        n_samples, refit = data.X.shape[0], plan.schedule.refit
        epochs, updates = refit_epochs(
            refit, stopper, n_samples, plan.optimization.batch_size_for(n_samples)
        )
        length = f"{epochs} epochs" if updates is None else f"{updates} updates"
        net = build_net(
            plan,
            module,
            data_loss,
            tie_groups=tie_groups,
            n_samples=n_samples,
            seed=self._seeds.shuffle,
            epochs=epochs,
            max_updates=updates,
            phase="refit",
            title=f"Refit on all {n_samples} rows for {length} (refit={refit!r}).",
        )
        self.net_ = net
        net.partial_fit(data.rows())
        self._check_outcome(net, None, plan, "the refit on all rows")
        self.n_iter_ = self.refit_n_iter_ = len(net.history)
        self.t_ = self.refit_t_ = net.n_updates_

    def _check_outcome(self, net, stopper, plan, phase):
        """:func:`~sklreg._training.check_outcome`; a network it refuses is
        discarded, so the estimator is left unfitted."""
        try:
            check_outcome(
                net,
                stopper,
                learning_rate_init=plan.optimization.learning_rate_init,
                scoring=plan.schedule.scoring,
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

    def _weight_classes(self, class_weight, y, weight, dtype, *, incremental):
        """The training weights: ``weight`` with ``class_weight`` folded in
        (classifiers; None elsewhere)."""
        return weight

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
        if self.history_ and "valid_score" in self.history_[-1]:
            self.validation_scores_ = [row.get("valid_score") for row in self.history_]
        self.refit_n_iter_ = self.refit_t_ = None

    def member(self, i: int):
        """Member ``i`` of the fitted ensemble, as an estimator of its own.

        Parameters
        ----------
        i : int
            Index of the member, from 0 to ``n_members - 1`` (negative
            indices count from the end).

        Returns
        -------
        estimator : object
            A fitted estimator of the same class with ``n_members=1`` that
            computes member ``i`` alone: its own parameters (with
            ``member_sharing='batch'``, its effective weights ``W *
            outer(s_i, r_i)``), the ensemble's fitted attributes and
            ``history_``. Without Monte-Carlo dropout, the ensemble's
            prediction is the mean of its members' predictions
            (probabilities for classifiers).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        IndexError
            When ``i`` is out of range.
        """
        return member_estimator(self, i)

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
            generator = torch.Generator().manual_seed(self._seeds.mc_masks)
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
