"""SharedConvClassifier: the scikit-learn layer of the convolutional network.

The estimator reads each row of ``X`` as an image (or a signal), trains a
:class:`sklreg.nn.ConvNet` on the same engine as the MLP estimators, and
shares the classifier layer (:class:`~sklreg._classifier.NetClassifierMixin`)
with :class:`~sklreg.RegularizedMLPClassifier`.
"""

import math
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRegularizedNet
from ._classifier import CLASSIFIER_CONSTRAINTS, NetClassifierMixin
from ._docs import fill_doc
from ._plan import (
    DATA_FORMATS,
    ask_data_format,
    configured_image_shape,
    looks_channels_last,
    resolve_architecture,
)
from .nn import PADDINGS, ConvNet, parameter_names


def _ndim(X):
    """Number of dimensions of ``X``, or None when it has none (e.g. ragged)."""
    if hasattr(X, "ndim"):
        return X.ndim
    try:
        return np.ndim(X)
    except (TypeError, ValueError):
        return None


def _flatten_images(X, data_format):
    """``(rows, shape)``: 3-D ``(n, H, W)`` and 4-D arrays (``(n, C, H, W)``, or
    ``(n, H, W, C)`` for ``data_format='channels_last'``) as 2-D rows in C
    order, with the channels-first ``(C, H, W)`` shape of one image; any
    other input unchanged, with shape None (it is validated as 2-D rows)."""
    if _ndim(X) not in (3, 4):
        return X, None
    X = np.asarray(X)
    if X.ndim == 3:
        shape = (1, *X.shape[1:])
    elif data_format == "channels_last":
        shape = (X.shape[3], *X.shape[1:3])
    else:
        shape = tuple(X.shape[1:])
    return X.reshape(X.shape[0], math.prod(shape)), shape


@fill_doc
class SharedConvClassifier(NetClassifierMixin, BaseRegularizedNet):
    """Convolutional network classifier whose kernels are shared across positions.

    Each row of ``X`` is read as an image (or a 1-D signal) and fed to
    convolution layers, each followed by the activation and max pooling,
    then to a fully connected head. Every kernel is applied at every
    position: this parameter sharing is what lets a convolutional network
    learn from few images. With ``share_weights=False`` each convolution is
    replaced by a locally connected layer, with the same receptive fields and
    output shape but its own weights at every position, so that one can
    measure what sharing buys. The network is trained on the same objective
    as :class:`RegularizedMLPClassifier`, ``data_loss + alpha *
    Omega(weights) + tie penalty + activity penalty``, with the same
    regularizers. Supports binary, multiclass, multilabel (indicator matrix)
    and multi-output multiclass targets; the columns of a multi-output target
    are tasks, which share the convolutions and may share all, some or none
    of the dense head's hidden layers (``shared_layers``) and be tied
    (``tie_groups='tasks'``).

    ``X`` may be 2-D, ``(n_samples, prod(image_shape))`` (so that the
    estimator works after a scaler in a ``Pipeline``), or a 3-D
    ``(n_samples, H, W)`` or 4-D array, ``(n_samples, C, H, W)`` or, with
    ``data_format='channels_last'``, ``(n_samples, H, W, C)``, which gives
    the same model as its flattened rows.

    Parameters
    ----------
    {conv_parameters}

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

    {conv_attributes}

    See Also
    --------
    RegularizedMLPClassifier : A fully connected network with the same
        regularizers.
    sklreg.nn.ConvNet : The trained torch module.

    Notes
    -----
    How the regularizers read on a convolutional network:

    - ``alpha`` penalizes every kernel and every dense weight, never the
      biases. A shared kernel is one tensor, penalized once however many
      positions use it.
    - ``max_norm`` bounds the L2 norm of each kernel of one output channel,
      over its input channels and kernel window (``C_in * k**d`` values,
      shared by all positions); with ``share_weights=False``, of the kernel
      of each output channel at each position. Dense layers: each unit's
      incoming weights, as in :class:`RegularizedMLPClassifier`.
    - The activity penalty covers the feature maps of every convolution
      (after the activation, before pooling; every channel at every
      position is a unit) and the hidden layers of the head.
    - ``dropout`` applies to the hidden layers of the head, one rate per
      hidden layer. ``input_dropout`` drops input values (each value of each
      channel independently). The feature maps have no dropout, neither per
      value nor per channel (spatial dropout): neighbouring values of a map
      are strongly correlated, so dropping single values regularizes
      little, and the sharing of kernels already constrains the
      convolutions. ``mc_samples`` re-samples both kinds of masks.

    Shapes: every convolution has stride one; ``padding='same'`` keeps the
    size of its input, so that any input size, down to one value, works.
    Pooling never fails either: a dimension shorter than ``pool_size`` is
    pooled whole, to one position. The default network on 8 x 8 images is
    ``16@8x8 -> pool 16@4x4 -> 32@4x4 -> pool 32@2x2 -> 64 -> classes``:
    about 14,000 parameters shared, 93,000 unshared.

    Initial kernels follow Glorot's uniform distribution with the fans of the
    receptive field, ``fan_in = C_in * k**d`` and ``fan_out = C_out * k**d``,
    for shared and per-position kernels alike.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sklreg import SharedConvClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, stratify=y, random_state=0)
    >>> clf = SharedConvClassifier(batch_size=50, learning_rate_init=3e-3,
    ...                            max_iter=15, random_state=0)
    >>> clf.fit(X_train, y_train).image_shape_
    (1, 8, 8)
    >>> clf.parameter_names_[:2]
    ['conv.0.weight', 'conv.0.bias']
    >>> clf.score(X_test, y_test) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseRegularizedNet._parameter_constraints,
        "image_shape": [None, "array-like"],
        "data_format": [None, StrOptions(set(DATA_FORMATS))],
        "conv_channels": ["array-like", Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [Interval(Integral, 1, None, closed="left")],
        "padding": [StrOptions(set(PADDINGS))],
        "share_weights": ["boolean"],
        **CLASSIFIER_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        image_shape=None,
        data_format=None,
        conv_channels=(16, 32),
        kernel_size=3,
        pool_size=2,
        padding="same",
        share_weights=True,
        hidden_layer_sizes=(64,),
        activation="relu",
        class_weight=None,
        label_smoothing=0.0,
        shared_layers=None,
        alpha=1e-4,
        norm="l2",
        l1_ratio=0.5,
        l1_method="proximal",
        max_norm=None,
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
        self.image_shape = image_shape
        self.data_format = data_format
        self.conv_channels = conv_channels
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.padding = padding
        self.share_weights = share_weights
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.shared_layers = shared_layers
        self.alpha = alpha
        self.norm = norm
        self.l1_ratio = l1_ratio
        self.l1_method = l1_method
        self.max_norm = max_norm
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

    def _resolve_image_shape(self, n_features, array_shape):
        """The shape of one input, from ``image_shape``, the shape of 3-D/4-D
        input (``array_shape``) or, failing both, from ``n_features``."""
        configured = configured_image_shape(self.image_shape, self.data_format)
        if array_shape is not None:
            if configured is not None and configured != array_shape:
                raise ValueError(
                    f"X holds images of shape (C, H, W) = {array_shape}, which "
                    f"disagrees with image_shape={self.image_shape!r} "
                    f"(channels first: {configured})."
                )
            if (
                self.data_format is None
                and configured is None
                and looks_channels_last(array_shape)
            ):
                shape = ", ".join(map(str, array_shape))
                raise ask_data_format(f"X of shape (n_samples, {shape})", array_shape)
            return array_shape
        if configured is not None:
            if math.prod(configured) != n_features:
                raise ValueError(
                    f"image_shape={self.image_shape!r} describes "
                    f"{math.prod(configured)} values per row, but X has "
                    f"{n_features} features."
                )
            return configured
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else (1, n_features)

    def parameter_names(self, n_outputs=1):
        """List the names the network's parameters will have, before fitting.

        Use them to write ``tie_groups``. After ``fit`` on targets with
        ``n_outputs`` columns, ``parameter_names_`` is this list. The names
        depend on the number of layers, not on their sizes: neither data nor
        ``image_shape`` is needed (nor a device).

        Parameters
        ----------
        n_outputs : int, default=1
            Number of targets (``n_outputs_`` after fitting): the labels of
            a multilabel target or the columns of a multi-output multiclass
            target, 1 for a single target. With ``shared_layers`` set, each
            target has its own tower in the dense head.

        Returns
        -------
        names : list of str
            The names of ``module_.named_parameters()``, in order:
            ``conv.{i}.weight``, ``conv.{i}.bias`` for each convolution
            layer ``i``, then the dense head's, those of
            :meth:`RegularizedMLPClassifier.parameter_names` after
            ``head.``, such as ``head.hidden.0.weight`` or
            ``head.towers.1.output.weight``.

        Examples
        --------
        >>> from sklreg import SharedConvClassifier
        >>> clf = SharedConvClassifier(conv_channels=(8,), shared_layers=1)
        >>> clf.parameter_names(n_outputs=2)  # doctest: +NORMALIZE_WHITESPACE
        ['conv.0.weight', 'conv.0.bias', 'head.hidden.0.weight',
         'head.hidden.0.bias', 'head.towers.0.output.weight',
         'head.towers.0.output.bias', 'head.towers.1.output.weight',
         'head.towers.1.output.bias']
        """
        self._validate_params()
        architecture = resolve_architecture(self.get_params(deep=False))
        conv = [
            f"conv.{i}.{kind}"
            for i in range(len(architecture.conv.conv_channels))
            for kind in ("weight", "bias")
        ]
        head = parameter_names(
            len(architecture.hidden_layer_sizes),
            int(n_outputs),
            architecture.shared_layers,
        )
        return conv + [f"head.{name}" for name in head]

    # -- data -------------------------------------------------------------------
    def _validate_training_data(self, X, y, previous):
        """Flatten 3-D/4-D images to rows, validate, and (on a new fit) resolve
        ``image_shape_``. Shapes the network cannot take raise when it is
        built (:class:`~sklreg.nn.ConvNet`), still before training."""
        X, array_shape = _flatten_images(X, self.data_format)
        if previous is not None and array_shape is not None:
            self._check_array_shape(array_shape)
        X, y, dtype = super()._validate_training_data(X, y, previous)
        if previous is None:
            self.image_shape_ = self._resolve_image_shape(X.shape[1], array_shape)
        return X, y, dtype

    def _check_array_shape(self, array_shape):
        if array_shape != self.image_shape_:
            raise ValueError(
                f"X holds images of shape (C, H, W) = {array_shape}, but the "
                f"network was fitted on inputs of shape {self.image_shape_} "
                "(image_shape_)."
            )

    def _validation_rows(self, X, layout=None):
        """``X`` (new rows for the network being fitted, or a fitted one)
        flattened to rows in ``layout`` (``data_format`` when None), with the
        shape of 3-D/4-D input checked against ``image_shape_``."""
        X, array_shape = _flatten_images(X, layout or self.data_format)
        if array_shape is not None:
            self._check_array_shape(array_shape)
        return X

    def _forward(self, X, link=None, *, return_std=False):
        check_is_fitted(self)
        # 4-D input is read as the network was fitted to read it
        layout = self._fitted_architecture.conv.data_format
        X = self._validation_rows(X, layout)
        return super()._forward(X, link, return_std=return_std)

    # -- network ----------------------------------------------------------------
    def _build_module(self, n_features, n_outputs, architecture, dtype, generator):
        conv = architecture.conv
        return ConvNet(
            self.image_shape_,
            conv.conv_channels,
            architecture.hidden_layer_sizes,
            self._task_output_units(n_outputs),
            kernel_size=conv.kernel_size,
            pool_size=conv.pool_size,
            padding=conv.padding,
            share_weights=conv.share_weights,
            shared_layers=architecture.shared_layers,
            activation=architecture.activation,
            dropout=architecture.dropout,
            input_dropout=architecture.input_dropout,
            dtype=dtype,
            generator=generator,
            channels_last=conv.data_format == "channels_last",
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
