"""The training plan: every hyperparameter resolved once, into frozen values.

An estimator's constructor arguments are checked in two steps, before any
training:

1. each parameter on its own, against the estimator's
   ``_parameter_constraints`` (types and ranges; scikit-learn's
   ``validate_params`` machinery, run by ``fit``);
2. the rules that tie several parameters together, here (:func:`check_rules`
   and the resolution functions, which raise a ``ValueError`` that names the
   parameter).

:func:`resolve_plan` then turns the parameters into a :class:`Plan`, a pure
function of them: the :class:`Architecture` (what the network looks like),
the :class:`Objective` (which penalties, how strong, and what becomes
decoupled weight decay), the :class:`Optimization` (solver and step
settings), the :class:`Schedule` (epochs, early stopping, refit) and the
:class:`Runtime` (device, dtype, feedback). Each value is decided here and
nowhere else; the estimator builds its network, penalties, optimizer and
callbacks from the plan. The seeds of a fit, drawn from ``random_state``,
are named in :class:`Seeds`.

Where is the L1 share of ``alpha`` decided? In :func:`_objective`, with the
split of ``Omega`` into its L1 and squared-L2 parts that
:func:`sklreg.penalties.norm_shares` defines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from .penalties import (
    ActivityPenalty,
    FeatureGroupPenalty,
    Penalty,
    TiePenalty,
    WeightNormPenalty,
    check_tie_group_names,
    norm_shares,
)
from .utils import derive_seeds, draw_seed, resolve_device

#: Key that derives the seed of the Monte-Carlo dropout masks from the seed
#: of the initial weights.
_MC_SEED_KEY = 1
#: Keys that derive the seeds of ensemble members' initial weights and
#: bootstrap counts from the seed of the initial weights.
_MEMBER_KEY, _BOOTSTRAP_KEY = 2, 3


#: How 4-D arrays and a 3-entry ``image_shape`` order their axes.
DATA_FORMATS = ("channels_first", "channels_last")


@dataclass(frozen=True)
class ConvLayers:
    """The convolution trunk of ``SharedConvClassifier``.

    ``image_shape`` is the configured shape, channels first (``(C, L)`` or
    ``(C, H, W)``), or None when it is to be inferred from the data;
    ``data_format`` the layout of the input's values (``data_format=None``
    reads as ``'channels_first'``, after the check that the configured
    shape does not look channels last).
    """

    image_shape: tuple[int, ...] | None
    data_format: str
    conv_channels: tuple[int, ...]
    kernel_size: int
    pool_size: int
    padding: str
    share_weights: bool


@dataclass(frozen=True)
class Architecture:
    """The network: its layers, towers and dropout rates.

    ``dropout`` holds one rate per hidden layer. ``conv`` is set for the
    convolutional estimator only. ``input_noise``, the standard deviation of
    the Gaussian noise on the training inputs, is applied by the engine
    (:class:`~sklreg._training.PenalizedNet`), not by a layer.
    """

    hidden_layer_sizes: tuple[int, ...]
    activation: str
    shared_layers: int | None
    dropout: tuple[float, ...]
    input_dropout: float
    conv: ConvLayers | None = None
    input_noise: float = 0.0
    n_members: int = 1
    member_sharing: str = "none"
    bootstrap: bool = False

    @property
    def ensemble(self) -> bool:
        """Whether several members train together (``n_members > 1``; one
        member is the plain network, whatever ``member_sharing``)."""
        return self.n_members > 1

    def shapes(self) -> dict[str, object]:
        """The settings that fix the shapes of the parameters, by parameter
        name: ``warm_start`` and ``partial_fit`` refuse to continue a network
        when one of them changed (dropout rates may change)."""
        shapes = {
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "activation": self.activation,
            "shared_layers": self.shared_layers,
            "n_members": self.n_members,
            "member_sharing": self.member_sharing if self.ensemble else "none",
        }
        if self.conv is not None:
            shapes.update(dataclasses.asdict(self.conv))
        return shapes

    def check_continues(self, fitted: Architecture) -> None:
        """Refuse to continue training the ``fitted`` network when this
        architecture would change its shapes."""
        now, before = self.shapes(), fitted.shapes()
        changed = [key for key in now if now[key] != before[key]]
        if changed:
            now = ", ".join(f"{key}={now[key]!r}" for key in changed)
            before = ", ".join(f"{key}={before[key]!r}" for key in changed)
            raise ValueError(
                f"{now} differs from the fitted network ({before}); warm_start and "
                "partial_fit continue training the same network (set "
                "warm_start=False to start afresh)."
            )


@dataclass(frozen=True)
class Objective:
    """The penalties of the objective, and the decoupled weight decay.

    ``alpha``, ``norm`` and ``l1_ratio`` describe the weight-norm term as the
    objective holds it: with ``solver='adamw'`` its squared-L2 share has
    moved into ``weight_decay`` (``2 * alpha`` times that share, the
    gradient of the term it replaces), and only its L1 share is left.
    ``tie_groups`` is the parameter as given (None, ``'tasks'``, or a tuple
    of groups of names); the names are resolved against the network once it
    exists (:func:`sklreg.penalties.resolve_tie_groups`). ``feature_alpha``
    (the MLP estimators' group lasso on the inputs) is 0 for the others.
    ``class_weight`` (classifiers) weighs the rows of the data term; ``loss``
    (regressors) names the data loss of :data:`sklreg.nn.DATA_LOSSES`, and
    ``normalize_y`` (regressors) has it compare standardized targets.
    """

    alpha: float
    norm: str
    l1_ratio: float
    l1_method: str
    weight_decay: float
    max_norm: float | None
    tie_groups: str | tuple[tuple[str, ...], ...] | None
    tie_alpha: float
    tie_norm: str
    activity_alpha: float
    activity_norm: str
    feature_alpha: float = 0.0
    class_weight: str | dict | tuple[dict, ...] | None = None
    loss: str = "squared_error"
    label_smoothing: float = 0.0
    normalize_y: bool = False

    def penalties(self, tie_groups=()) -> list[Penalty]:
        """The penalty objects of the objective (see :mod:`sklreg.penalties`),
        with the tie penalty on the resolved ``tie_groups`` (names), if any."""
        penalties = []
        if self.alpha > 0:
            penalties.append(
                WeightNormPenalty(self.alpha, self.norm, self.l1_ratio, self.l1_method)
            )
        if self.tie_alpha > 0 and tie_groups:
            penalties.append(TiePenalty(self.tie_alpha, tie_groups, self.tie_norm))
        if self.activity_alpha > 0:
            penalties.append(ActivityPenalty(self.activity_alpha, self.activity_norm))
        if self.feature_alpha > 0:
            penalties.append(FeatureGroupPenalty(self.feature_alpha))
        return penalties

    @property
    def proximal(self) -> bool:
        """Whether a penalty is trained by proximal steps (asked of the
        penalties themselves)."""
        return any(penalty.proximal for penalty in self.penalties())


@dataclass(frozen=True)
class Optimization:
    """The solver and its step settings.

    ``learning_rate`` names the schedule of the learning rate (see
    :mod:`sklreg._training._schedules`); ``nesterov`` is Nesterov's
    momentum for ``sgd`` (off without momentum); ``betas`` and ``eps`` are
    Adam's constants.
    """

    solver: str
    learning_rate_init: float
    momentum: float
    batch_size: int | str
    shuffle: bool
    learning_rate: str = "constant"
    power_t: float = 0.5
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    def optimizer_settings(self) -> dict:
        """The solver's settings beyond ``lr``, ``momentum`` and the decay,
        by the names :func:`~sklreg._training.build_optimizer` takes."""
        return dict(nesterov=self.nesterov, betas=self.betas, eps=self.eps)

    def batch_size_for(self, n_samples: int) -> int:
        """Rows per minibatch on ``n_samples`` training rows (``'auto'``:
        at most 200)."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(int(self.batch_size), n_samples)


@dataclass(frozen=True)
class Schedule:
    """How long training runs: epochs, early stopping, refit."""

    max_iter: int
    early_stopping: bool
    validation_fraction: float
    patience: int
    tol: float | None
    scoring: object
    refit: str | None
    warm_start: bool


@dataclass(frozen=True)
class Runtime:
    """Where and in which dtype the network trains, and what it reports.

    ``dtype`` is the parameter (None: follow the input), resolved against the
    data by :func:`sklreg.utils.resolve_dtype`.
    """

    device: torch.device
    dtype: str | None
    verbose: int


@dataclass(frozen=True)
class Plan:
    """Everything a fit needs to know about its hyperparameters."""

    architecture: Architecture
    objective: Objective
    optimization: Optimization
    schedule: Schedule
    runtime: Runtime


@dataclass(frozen=True)
class Seeds:
    """The seeds of one fit, each for one stream of random numbers.

    Drawn once per new network from ``random_state`` (:meth:`draw`), then
    kept while training continues (``warm_start``, ``partial_fit``), so that
    continued training continues the same streams.
    """

    weights: int  #: initial weights (and, derived, the Monte-Carlo masks)
    shuffle: int  #: order of the minibatches and training dropout masks
    split: int  #: the early-stopping validation split (derived per call)

    @classmethod
    def draw(cls, random_state) -> Seeds:
        """Three independent seeds from one draw of ``random_state``."""
        return cls(*derive_seeds(draw_seed(random_state), n=3))

    @property
    def mc_masks(self) -> int:
        """Seed of the Monte-Carlo dropout masks of prediction."""
        return derive_seeds(self.weights, _MC_SEED_KEY)[0]

    def member_weights(self, i: int) -> int:
        """Seed of the initial weights of ensemble member ``i`` (member 0's
        are the plain network's, :attr:`weights`)."""
        return self.weights if i == 0 else derive_seeds(self.weights, _MEMBER_KEY, i)[0]

    def bootstraps(self, n_members: int) -> tuple[int, ...]:
        """Seeds of the bootstrap counts of each ensemble member (member
        ``i``'s depends on ``i`` alone, not on ``n_members``)."""
        return tuple(
            derive_seeds(self.weights, _BOOTSTRAP_KEY, i)[0] for i in range(n_members)
        )

    def validation_split(self, n_calls: int) -> int:
        """Seed of the validation split of the training call that follows
        ``n_calls`` earlier epochs of the same network."""
        return derive_seeds(self.split, n_calls)[0]


# -- resolution -----------------------------------------------------------------
def resolve_plan(params: Mapping[str, object]) -> Plan:
    """The :class:`Plan` of an estimator's parameters (``get_params()``).

    Applies the cross-parameter rules (:func:`check_rules`) and raises a
    ``ValueError`` that names the parameter when one is broken. Resolves the
    device (so a CUDA device this machine lacks is refused here).
    """
    architecture = resolve_architecture(params)
    objective = _objective(params)
    check_rules(params, architecture, objective)
    return Plan(
        architecture=architecture,
        objective=objective,
        optimization=Optimization(
            solver=params["solver"],
            learning_rate_init=float(params["learning_rate_init"]),
            momentum=float(params["momentum"]),
            batch_size=params["batch_size"],
            shuffle=bool(params["shuffle"]),
            learning_rate=params["learning_rate"],
            power_t=float(params["power_t"]),
            nesterov=bool(params["nesterovs_momentum"])
            and params["solver"] == "sgd"
            and params["momentum"] > 0,
            betas=(float(params["beta_1"]), float(params["beta_2"])),
            eps=float(params["epsilon"]),
        ),
        schedule=Schedule(
            max_iter=int(params["max_iter"]),
            early_stopping=bool(params["early_stopping"]),
            validation_fraction=float(params["validation_fraction"]),
            patience=int(params["patience"]),
            tol=None if params["tol"] is None else float(params["tol"]),
            scoring=params["scoring"],
            refit=_refit(params["refit"]),
            warm_start=bool(params["warm_start"]),
        ),
        runtime=Runtime(
            device=resolve_device(params["device"]),
            dtype=params["dtype"],
            verbose=int(params["verbose"]),
        ),
    )


def resolve_architecture(params: Mapping[str, object]) -> Architecture:
    """The :class:`Architecture` alone (no device is resolved): enough to
    name the parameters of the network before fitting."""
    hidden = _positive_ints(
        params["hidden_layer_sizes"],
        "hidden_layer_sizes",
        "a positive integer or a non-empty sequence of positive integers",
    )
    shared = params["shared_layers"]
    if shared is not None and shared > len(hidden):
        raise ValueError(
            f"The 'shared_layers' parameter must be at most the number of "
            f"hidden layers ({len(hidden)} for hidden_layer_sizes="
            f"{params['hidden_layer_sizes']!r}), or None. Got {shared!r} instead."
        )
    conv = None
    if "conv_channels" in params:  # the convolutional estimator
        conv = ConvLayers(
            image_shape=configured_image_shape(
                params["image_shape"], params["data_format"]
            ),
            data_format=params["data_format"] or "channels_first",
            conv_channels=_positive_ints(
                params["conv_channels"],
                "conv_channels",
                "a positive integer or a non-empty sequence of positive integers",
            ),
            kernel_size=int(params["kernel_size"]),
            pool_size=int(params["pool_size"]),
            padding=params["padding"],
            share_weights=bool(params["share_weights"]),
        )
    return Architecture(
        hidden_layer_sizes=hidden,
        activation=params["activation"],
        shared_layers=None if shared is None else int(shared),
        dropout=_dropout_rates(params["dropout"], hidden),
        input_dropout=float(params["input_dropout"]),
        conv=conv,
        input_noise=float(params["input_noise"]),
        n_members=int(params["n_members"]),
        member_sharing=params["member_sharing"],
        bootstrap=bool(params["bootstrap"]),
    )


def _objective(params: Mapping[str, object]) -> Objective:
    """The :class:`Objective`: here the L1 and squared-L2 shares of
    ``alpha`` are decided, and with ``solver='adamw'`` the squared-L2 share
    becomes decoupled weight decay."""
    alpha, norm, l1_ratio = params["alpha"], params["norm"], params["l1_ratio"]
    weight_decay = 0.0
    if params["solver"] == "adamw":
        l1_share, l2_share = norm_shares(norm, l1_ratio)
        weight_decay = 2.0 * alpha * l2_share
        if norm != "l1":  # the L1 share alone stays in the objective
            alpha, norm = alpha * l1_share, "l1"
    tie_groups = params["tie_groups"]
    if tie_groups is not None and not isinstance(tie_groups, str):
        tie_groups = check_tie_group_names(tie_groups)
    return Objective(
        alpha=alpha,
        norm=norm,
        l1_ratio=l1_ratio,
        l1_method=params["l1_method"],
        weight_decay=weight_decay,
        max_norm=params["max_norm"],
        tie_groups=tie_groups,
        tie_alpha=params["tie_alpha"],
        tie_norm=params["tie_norm"],
        activity_alpha=params["activity_alpha"],
        activity_norm=params["activity_norm"],
        # the MLP estimators only: the group lasso on the first layer's inputs
        feature_alpha=params.get("feature_alpha", 0.0),
        class_weight=_class_weight(params.get("class_weight")),
        loss=params.get("loss", "squared_error"),
        label_smoothing=float(params.get("label_smoothing", 0.0)),
        normalize_y=bool(params.get("normalize_y", False)),
    )


def _refit(refit) -> str | None:
    """``refit`` as the schedule holds it: ``True`` means ``'epochs'``,
    ``False`` means None (no refit)."""
    if refit is True:
        return "epochs"
    return None if refit is False else refit


def _class_weight(class_weight):
    """``class_weight`` (classifiers) with every weight checked: a finite
    number >= 0. Whether its classes are those of ``y`` is checked against
    ``y`` (:func:`sklreg._classifier.class_sample_weight`)."""
    if class_weight is None or isinstance(class_weight, str):
        return class_weight
    dicts = class_weight if isinstance(class_weight, list) else [class_weight]
    for weights in dicts:
        if not isinstance(weights, dict) or not all(
            isinstance(w, Real) and np.isfinite(w) and w >= 0 for w in weights.values()
        ):
            raise ValueError(
                "The 'class_weight' parameter must be None, 'balanced', a dict "
                "{class: weight} with finite weights >= 0, or a list of such "
                f"dicts (one per column of y). Got {class_weight!r} instead."
            )
    return class_weight


def check_rules(
    params: Mapping[str, object], architecture: Architecture, objective: Objective
) -> None:
    """The rules that tie several parameters together (those that need the
    network, such as which names ``tie_groups`` may use, are checked by
    :func:`~sklreg.penalties.resolve_tie_groups` once it is built, still
    before training)."""
    if _refit(params["refit"]) is not None and not params["early_stopping"]:
        raise ValueError(
            f"refit={params['refit']!r} retrains after early stopping; it needs "
            "early_stopping=True."
        )
    if isinstance(objective.tie_groups, str) and architecture.shared_layers is None:
        raise ValueError(
            "tie_groups='tasks' ties the towers of the tasks, but "
            "shared_layers=None builds no towers (one network for all "
            "outputs). Set shared_layers to the number of hidden layers the "
            "tasks share (0 for none)."
        )
    if objective.normalize_y and objective.loss == "poisson":
        raise ValueError(
            "normalize_y=True standardizes the targets, but loss='poisson' "
            "needs them as non-negative counts or rates (its log link adapts "
            "to their scale by itself). Use normalize_y=False."
        )
    if params["solver"] == "sgd" and params["momentum"] == 1 and objective.proximal:
        raise ValueError(
            "momentum=1 never forgets a gradient, so the proximal L1 step of "
            "solver='sgd', whose threshold is learning_rate_init * alpha / "
            "(1 - momentum), is undefined. Use momentum < 1, or "
            "l1_method='subgradient'."
        )


def _dropout_rates(dropout, hidden: tuple[int, ...]) -> tuple[float, ...]:
    """``dropout`` as one rate per hidden layer."""
    if isinstance(dropout, Real):
        return (float(dropout),) * len(hidden)
    try:
        rates = tuple(np.asarray(dropout, dtype=float).ravel().tolist())
    except (TypeError, ValueError):
        rates = ()
    if len(rates) != len(hidden) or not all(0 <= r < 1 for r in rates):
        raise ValueError(
            "The 'dropout' parameter must be a float in [0, 1) or one such "
            f"rate per hidden layer ({len(hidden)} here). Got {dropout!r} "
            "instead."
        )
    return rates


def _positive_ints(value, name: str, what: str) -> tuple[int, ...]:
    """``value`` (an int or a non-empty sequence of ints >= 1) as a tuple."""
    values = [value] if isinstance(value, Integral) else list(np.ravel(value))
    if not values or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        raise ValueError(
            f"The '{name}' parameter must be {what}. Got {value!r} instead."
        )
    return tuple(int(v) for v in values)


def configured_image_shape(image_shape, data_format=None) -> tuple[int, ...] | None:
    """``image_shape`` channels first (``(C, L)`` or ``(C, H, W)``), or None.

    A 3-entry shape is ``(H, W, C)`` with ``data_format='channels_last'``;
    with ``data_format=None`` one that looks channels last (see
    :func:`looks_channels_last`) is refused rather than guessed.
    """
    if image_shape is None:
        return None
    what = "None, (L,), (H, W) or (C, H, W), with positive integers"
    shape = _positive_ints(image_shape, "image_shape", what)
    if len(shape) > 3:
        raise ValueError(
            f"The 'image_shape' parameter must be {what}. Got {image_shape!r} instead."
        )
    if len(shape) < 3:
        return (1, *shape)
    if data_format == "channels_last":
        return (shape[2], shape[0], shape[1])
    if data_format is None and looks_channels_last(shape):
        raise ask_data_format(f"image_shape={image_shape!r}", shape)
    return shape


def looks_channels_last(shape) -> bool:
    """Whether a ``(C, H, W)`` reading of the three sizes ``shape`` looks like
    images held channels last, ``(H, W, C)``: a last axis of 1 to 4 values
    (gray, RGB, RGBA) after a larger first axis, as in ``(8, 8, 1)``."""
    return len(shape) == 3 and shape[2] <= 4 and shape[0] > shape[2]


def ask_data_format(what, shape) -> ValueError:
    """The error for a ``(C, H, W)`` reading that looks channels last."""

    def images(c, h, w):
        return f"{c} channel{'s' * (c != 1)} of {h} x {w} images"

    return ValueError(
        f"{what} could be read channels first, as {images(*shape)}, or "
        "channels last, as NumPy, PIL and Keras hold images, as "
        f"{images(shape[2], shape[0], shape[1])}. Set "
        "data_format='channels_last' or data_format='channels_first' to say "
        "which."
    )
