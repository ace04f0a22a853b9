"""RegularizedMLPClassifier and RegularizedMLPRegressor: the scikit-learn layer
of the fully connected networks."""

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ._base import BaseRegularizedNet
from ._classifier import CLASSIFIER_CONSTRAINTS, NetClassifierMixin
from ._docs import fill_doc
from ._plan import resolve_architecture
from ._regressor import REGRESSOR_CONSTRAINTS, NetRegressorMixin
from .nn import MLP, Ensemble, dense_network, parameter_names
from .penalties import input_group_norms


class BaseRegularizedMLP(BaseRegularizedNet):
    """Hyperparameters and network of the MLP estimators; not for direct use."""

    _parameter_constraints: dict = {
        **BaseRegularizedNet._parameter_constraints,
        "feature_alpha": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        shared_layers=None,
        alpha=1e-4,
        norm="l2",
        l1_ratio=0.5,
        l1_method="proximal",
        max_norm=None,
        feature_alpha=0.0,
        tie_groups=None,
        tie_alpha=0.0,
        tie_norm="l2",
        activity_alpha=0.0,
        activity_norm="l1",
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        mc_samples=0,
        n_members=1,
        bootstrap=False,
        member_sharing="none",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        scoring=None,
        refit=None,
        solver="adam",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
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
        self.shared_layers = shared_layers
        self.alpha = alpha
        self.norm = norm
        self.l1_ratio = l1_ratio
        self.l1_method = l1_method
        self.max_norm = max_norm
        self.feature_alpha = feature_alpha
        self.tie_groups = tie_groups
        self.tie_alpha = tie_alpha
        self.tie_norm = tie_norm
        self.activity_alpha = activity_alpha
        self.activity_norm = activity_norm
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.input_noise = input_noise
        self.mc_samples = mc_samples
        self.n_members = n_members
        self.bootstrap = bootstrap
        self.member_sharing = member_sharing
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.scoring = scoring
        self.refit = refit
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _build_module(self, n_features, n_outputs, architecture, dtype, generator):
        return dense_network(
            n_features,
            architecture.hidden_layer_sizes,
            self._task_output_units(n_outputs),
            architecture.shared_layers,
            activation=architecture.activation,
            dropout=architecture.dropout,
            input_dropout=architecture.input_dropout,
            dtype=dtype,
            generator=generator,
        )

    def parameter_names(self, n_outputs=1):
        """List the names the network's parameters will have, before fitting.

        Use them to write ``tie_groups``. After ``fit`` on targets with
        ``n_outputs`` columns, ``parameter_names_`` is this list.

        Parameters
        ----------
        n_outputs : int, default=1
            Number of targets (``n_outputs_`` after fitting): the columns of a
            multi-output ``y`` (regression outputs, labels of a multilabel
            target, or multiclass columns), 1 for a single target. With
            ``shared_layers`` set, each target has its own tower.

        Returns
        -------
        names : list of str
            The names of ``module_.named_parameters()``, in order:
            ``hidden.{i}.weight``, ``hidden.{i}.bias`` for the shared hidden
            layers (all of them when ``shared_layers=None``, then
            ``output.weight``, ``output.bias``), and with towers, for each
            task ``t``, ``towers.{t}.hidden.{i}.weight``,
            ``towers.{t}.hidden.{i}.bias`` for ``i >= shared_layers`` and
            ``towers.{t}.output.weight``, ``towers.{t}.output.bias``.

        Examples
        --------
        >>> from sklreg import RegularizedMLPRegressor
        >>> reg = RegularizedMLPRegressor((8,), shared_layers=0)
        >>> reg.parameter_names(n_outputs=2)  # doctest: +NORMALIZE_WHITESPACE
        ['towers.0.hidden.0.weight', 'towers.0.hidden.0.bias',
         'towers.0.output.weight', 'towers.0.output.bias',
         'towers.1.hidden.0.weight', 'towers.1.hidden.0.bias',
         'towers.1.output.weight', 'towers.1.output.bias']
        """
        self._validate_params()
        architecture = resolve_architecture(self.get_params(deep=False))
        return parameter_names(
            len(architecture.hidden_layer_sizes),
            int(n_outputs),
            architecture.shared_layers,
        )

    # -- the fitted network, as scikit-learn's MLP shows it ---------------------
    def _layers(self) -> list[torch.nn.Linear]:
        module = self.module_
        if isinstance(module, Ensemble):
            raise AttributeError(
                f"coefs_ and intercepts_ describe one network; this estimator "
                f"trained an ensemble of n_members={module.n_members}. Use "
                "member(i).coefs_ for the weights of member i."
            )
        if not isinstance(module, MLP):
            raise AttributeError(
                "coefs_ and intercepts_ describe the plain network "
                "(shared_layers=None), as scikit-learn's MLP does; this one has "
                "one tower per task. Read its weights by name from "
                "module_.named_parameters() (see parameter_names_)."
            )
        return [*module.hidden, module.output]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrix of each layer, ``(fan_in, fan_out)``, as in scikit-learn."""
        return [_to_numpy(layer.weight.T) for layer in self._layers()]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vector of each layer, ``(fan_out,)``, as in scikit-learn."""
        return [_to_numpy(layer.bias) for layer in self._layers()]

    @property
    def feature_importances_(self) -> np.ndarray:
        """L2 norm of each input's outgoing weights in the first layer (the
        shared one, or every tower's first layer when none is shared);
        averaged over the members of an ensemble."""
        module = self.module_
        with torch.no_grad():
            weights = module.input_weights()
            if isinstance(module, Ensemble):  # each member's, then their mean
                names = {id(p): name for name, p in module.named_parameters()}
                state = module.stacked_state()
                weights = [state[names[id(w)]] for w in weights]
                return _to_numpy(input_group_norms(weights).mean(0))
            return _to_numpy(input_group_norms(weights))

    @property
    def n_features_selected_(self) -> int:
        """Number of inputs whose ``feature_importances_`` is not zero."""
        return int(np.count_nonzero(self.feature_importances_))


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A NumPy copy of ``tensor`` (never a view on the module's memory)."""
    return tensor.detach().cpu().numpy().copy()


@fill_doc
class RegularizedMLPClassifier(NetClassifierMixin, BaseRegularizedMLP):
    """Multi-layer perceptron classifier with deep-learning regularizers.

    Minimises ``data_loss + alpha * Omega(weights) + tie penalty + activity
    penalty`` with minibatch gradient steps, where ``data_loss`` is the
    sample-weighted mean cross-entropy of the minibatch (binary cross-entropy
    averaged over labels for multilabel targets, cross-entropy averaged over
    columns for multi-output multiclass targets). Supports binary,
    multiclass, multilabel (indicator matrix) and multi-output multiclass
    targets; the columns of a multi-output target are tasks, which may share
    all, some or none of the hidden layers (``shared_layers``) and be tied
    softly (``tie_groups``).

    Parameters
    ----------
    {classifier_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels (for multilabel targets, the label indices
        ``0 .. n_labels - 1``; for multi-output multiclass targets, one array
        of class labels per column of ``y``).

    n_outputs_ : int
        Number of targets: 1 for binary and multiclass, the number of labels
        for multilabel targets, the number of columns for multi-output
        multiclass targets.

    {attributes}

    {mlp_attributes}

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

    _parameter_constraints: dict = {
        **BaseRegularizedMLP._parameter_constraints,
        **CLASSIFIER_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        class_weight=None,
        label_smoothing=0.0,
        shared_layers=None,
        alpha=1e-4,
        norm="l2",
        l1_ratio=0.5,
        l1_method="proximal",
        max_norm=None,
        feature_alpha=0.0,
        tie_groups=None,
        tie_alpha=0.0,
        tie_norm="l2",
        activity_alpha=0.0,
        activity_norm="l1",
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        mc_samples=0,
        n_members=1,
        bootstrap=False,
        member_sharing="none",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        scoring=None,
        refit=None,
        solver="adam",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        warm_start=False,
        dtype=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            shared_layers=shared_layers,
            alpha=alpha,
            norm=norm,
            l1_ratio=l1_ratio,
            l1_method=l1_method,
            max_norm=max_norm,
            feature_alpha=feature_alpha,
            tie_groups=tie_groups,
            tie_alpha=tie_alpha,
            tie_norm=tie_norm,
            activity_alpha=activity_alpha,
            activity_norm=activity_norm,
            dropout=dropout,
            input_dropout=input_dropout,
            input_noise=input_noise,
            mc_samples=mc_samples,
            n_members=n_members,
            bootstrap=bootstrap,
            member_sharing=member_sharing,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            tol=tol,
            scoring=scoring,
            refit=refit,
            solver=solver,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            warm_start=warm_start,
            dtype=dtype,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing


@fill_doc
class RegularizedMLPRegressor(NetRegressorMixin, BaseRegularizedMLP):
    """Multi-layer perceptron regressor with deep-learning regularizers.

    Minimises ``data_loss + alpha * Omega(weights) + tie penalty + activity
    penalty`` with minibatch gradient steps, where ``data_loss`` is the
    sample-weighted mean over rows of the ``loss`` averaged over outputs (by
    default the squared error, with no 1/2 factor). Supports single- and
    multi-output targets; the outputs of a multi-output target are tasks,
    which may share all, some or none of the hidden layers
    (``shared_layers``) and be tied softly (``tie_groups``).

    Parameters
    ----------
    {regressor_parameters}

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.

    {attributes}

    {mlp_attributes}

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

    _parameter_constraints: dict = {
        **BaseRegularizedMLP._parameter_constraints,
        **REGRESSOR_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        normalize_y=False,
        shared_layers=None,
        alpha=1e-4,
        norm="l2",
        l1_ratio=0.5,
        l1_method="proximal",
        max_norm=None,
        feature_alpha=0.0,
        tie_groups=None,
        tie_alpha=0.0,
        tie_norm="l2",
        activity_alpha=0.0,
        activity_norm="l1",
        dropout=0.0,
        input_dropout=0.0,
        input_noise=0.0,
        mc_samples=0,
        n_members=1,
        bootstrap=False,
        member_sharing="none",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        scoring=None,
        refit=None,
        solver="adam",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        warm_start=False,
        dtype=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            shared_layers=shared_layers,
            alpha=alpha,
            norm=norm,
            l1_ratio=l1_ratio,
            l1_method=l1_method,
            max_norm=max_norm,
            feature_alpha=feature_alpha,
            tie_groups=tie_groups,
            tie_alpha=tie_alpha,
            tie_norm=tie_norm,
            activity_alpha=activity_alpha,
            activity_norm=activity_norm,
            dropout=dropout,
            input_dropout=input_dropout,
            input_noise=input_noise,
            mc_samples=mc_samples,
            n_members=n_members,
            bootstrap=bootstrap,
            member_sharing=member_sharing,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            tol=tol,
            scoring=scoring,
            refit=refit,
            solver=solver,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            warm_start=warm_start,
            dtype=dtype,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.loss = loss
        self.normalize_y = normalize_y
