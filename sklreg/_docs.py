"""Docstring fragments shared by the estimators (kept in one place so they agree)."""

import textwrap

#: The architecture of the MLP estimators.
ARCHITECTURE_PARAMETERS = """\
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Width of each hidden layer.

    activation : {'relu', 'tanh', 'logistic', 'gelu', 'identity'}, default='relu'
        Nonlinearity after each hidden layer.
"""

#: Every hyperparameter after the architecture, shared by all estimators.
TRAINING_PARAMETERS = """\
    shared_layers : int, default=None
        Parameter sharing between tasks (the columns of a multi-output
        ``y``). ``None``: one network for all targets. An int ``s``: the first
        ``s`` hidden layers form a trunk that all tasks share; each task gets
        its own copy of the remaining hidden layers (its tower) and its own
        output head. ``0`` gives separate networks, trained together;
        ``len(hidden_layer_sizes)`` shares every hidden layer and separates
        only the heads. On single-output data there is one tower: the
        network of ``shared_layers=None``, with its parameters named as a
        tower.

    alpha : float, default=1e-4
        Strength of the parameter norm penalty ``alpha * Omega(weights)``. It
        applies to every weight tensor (hidden and output layers, convolution
        kernels) and never to biases. To convert: scikit-learn's
        ``MLPClassifier(alpha=a)`` adds ``a / (2 * batch_size) * sum(w**2)``,
        so use ``alpha=a / (2 * batch_size)``; Keras's
        ``kernel_regularizer=l2(l)`` on every layer is ``alpha=l``; PyTorch's
        coupled ``weight_decay=wd`` (Adam, SGD) is ``alpha=wd / 2``.

    norm : {'l2', 'l1', 'elasticnet'}, default='l2'
        ``Omega``: the squared L2 norm ``sum w**2``, the L1 norm ``sum |w|``,
        or ``l1_ratio * L1 + (1 - l1_ratio) * L2``. The L1 part sets
        weights to exactly zero with ``l1_method='proximal'`` (the default),
        only near zero with ``'subgradient'``.

    l1_ratio : float, default=0.5
        Share of the L1 part for ``norm='elasticnet'``; ignored otherwise.

    l1_method : {'proximal', 'subgradient'}, default='proximal'
        How the L1 part of the norm penalty is minimised (``norm='l1'``, and
        the ``l1_ratio`` share of ``norm='elasticnet'``); ignored for
        ``norm='l2'``. ``'proximal'``: after every optimizer step each weight
        is soft-thresholded, moved towards zero by ``alpha`` (times
        ``l1_ratio`` for elastic net) times its step size, and set to
        exactly ``0.0`` rather than crossing zero. A weight then stays at
        zero as long as the data pull on it (its averaged gradient) is
        weaker than the L1 strength. The step size is
        ``learning_rate_init / (1 - momentum)`` with ``'sgd'`` (the step its
        momentum takes along the averaged gradient), and Adam's per-weight
        step size ``learning_rate_init / (sqrt(v_hat) + eps)`` with
        ``'adam'`` and ``'adamw'``. The L1 term is not differentiated, but
        its value is still recorded in ``history_['norm_penalty']``.
        ``'subgradient'``: the L1 term is differentiated with the rest of
        the objective (its gradient is ``alpha * sign(w)``), as in Keras and
        PyTorch; weights end up near zero, rarely at it.

    max_norm : float, default=None
        If set, after every parameter update each unit's incoming weight
        vector (a row of a layer's weight matrix; for a convolution, one
        output channel's kernel) is rescaled to an L2 norm of at most
        ``max_norm``.

    tie_groups : None, 'tasks' or sequence of sequence of str, default=None
        Parameter tying: groups of parameters that the penalty
        ``tie_alpha * sum over groups, sum over pairs a < b of
        Omega(w_a - w_b)`` pulls towards each other. ``'tasks'`` (needs
        ``shared_layers``) ties the weights of each tower layer, output head
        included, to the same layer of every other tower; biases are not
        tied (each task keeps its own offsets), and a head only to the heads
        of the same shape (tasks with as many classes). Otherwise, groups of
        two or more names of parameters of one shape, as listed by
        ``parameter_names_`` (or by :meth:`parameter_names` before fitting),
        e.g. ``[['towers.0.output.weight', 'towers.1.output.weight']]``.

    tie_alpha : float, default=0.0
        Strength of the tying penalty; ``0`` ties nothing. The larger, the
        closer the tied parameters: towers tied with a large ``tie_alpha``
        approach one shared network (with per-task biases). Without
        ``tie_groups`` there is nothing to tie: a positive value is then
        ignored, with a ``UserWarning``.

    tie_norm : {'l2', 'l1'}, default='l2'
        ``Omega`` of the tying penalty: the squared L2 norm of each
        difference ``sum (w_a - w_b)**2``, or its L1 norm
        ``sum |w_a - w_b|``, which favours entries that agree exactly.

    activity_alpha : float, default=0.0
        Strength of the sparse-representation penalty on the hidden
        activations (after the nonlinearity): for each row, ``Omega`` summed
        over all hidden units, averaged over the rows of the minibatch with
        the same sample weights as the data loss.

    activity_norm : {'l1', 'l2'}, default='l1'
        ``Omega`` of the activity penalty.

    dropout : float or sequence of float, default=0.0
        Dropout rate of the hidden units, one value for all hidden layers or
        one per layer, each in ``[0, 1)``. Inverted dropout: with
        ``mc_samples=0`` prediction uses the full network with no rescaling.

    input_dropout : float, default=0.0
        Dropout rate of the input features, in ``[0, 1)``.

    input_noise : float, default=0.0
        Standard deviation of Gaussian noise added to the inputs while
        training (Keras' ``GaussianNoise``), in the units of ``X`` as given
        (standardize the features first): a fresh draw for every row of
        every minibatch, seeded by ``random_state`` like the dropout masks,
        drawn in float32 whatever the dtype. Validation rows and prediction
        see the inputs unchanged. For a linear model it acts as an L2
        penalty (Bishop, 1995); no term of ``history_`` records it.

    mc_samples : int, default=0
        Monte-Carlo dropout at prediction time. ``0`` predicts with the
        deterministic network. ``k >= 1`` averages the outputs of ``k``
        thinned networks (probabilities, not logits, for classifiers); each
        has one dropout mask per unit, shared by every row, in every dropout
        layer (the input's included), drawn from a generator seeded by
        ``random_state``: predictions are reproducible, and a row's
        prediction does not depend on the other rows. A prediction-time
        setting: ``set_params(mc_samples=k)`` on a fitted estimator takes
        effect at the next prediction, without refitting.

    n_members : int, default=1
        Number of networks trained together as one ensemble, in one
        batched network (every layer one batched product for all members):
        each member has its own initial weights (drawn from
        ``random_state`` and its index, so that a larger ensemble keeps the
        first members) and its own dropout masks; all see the same
        minibatches, and each is penalized as if it were alone.
        Prediction averages the members (probabilities for classifiers);
        early stopping scores the averaged prediction. ``1``: one network.
        See :meth:`member`.

    bootstrap : bool, default=False
        Give each member its own bootstrap sample of the training rows (n
        draws with replacement, as ``BaggingClassifier`` draws them, from
        ``random_state`` and the member's index), as integer row weights
        multiplied into ``sample_weight``: bagging in one fit. Validation
        rows are never resampled.

    member_sharing : {'none', 'batch'}, default='none'
        How the members of an ensemble hold their parameters. ``'none'``:
        each has all its own (a deep ensemble; with ``bootstrap=True``,
        bagging). ``'batch'``: every hidden layer's weight matrix or kernel
        ``W`` is shared by all members, and member ``i`` has its own
        rank-one factors and bias there, computing ``((x * r_i) @ W.T) *
        s_i + b_i`` (BatchEnsemble, Wen et al. 2020), and its own output
        layer, as TabM (Gorishniy et al. 2025) builds it: ``k`` members for
        about one network's hidden weights. As in TabM, the input factors
        of the first layer start as random signs, every other factor as
        ones, and the members' biases equal; the factors (parameters
        ``*.r``, ``*.s``) are not penalized. The objective is the members'
        mean: the shared weights train on one network's objective. Ignored
        when ``n_members=1``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, score them after every
        epoch, stop when ``patience`` epochs pass without an improvement of
        more than ``tol``, and return the parameters of the best epoch (one
        snapshot is kept in host memory, replaced on each improvement).

    validation_fraction : float, default=0.1
        Share of the rows with non-zero sample weight held out for early
        stopping, in ``(0, 1)``; stratified by class for single-label
        classification. Rows keep their sample weights; zero-weight rows
        always train.

    patience : int, default=10
        Epochs without improvement before training stops:
        ``MLPClassifier``'s ``n_iter_no_change``. With early stopping, the
        validation score is watched; without, the training objective
        (``train_loss``, penalties included), and the fit has converged
        when it has not fallen by more than ``tol`` for ``patience``
        consecutive epochs.

    tol : float or None, default=1e-4
        Minimum improvement that counts: of the validation score with
        ``early_stopping=True``, of the training objective otherwise (both
        absolute). When ``max_iter`` ends a fit before the rule stops it, a
        ``ConvergenceWarning`` says so, as ``MLPClassifier`` does.
        ``None`` turns the rule off, as in ``SGDClassifier``: ``fit`` runs
        exactly ``max_iter`` epochs (with early stopping, the best epoch is
        still restored) and ``'adaptive'`` counts any gain. ``partial_fit``
        and a refit always run their set length.

    scoring : str, callable or None, default=None
        Validation figure to monitor. ``None``: the sample-weighted data loss
        of the validation rows (penalties excluded), recorded as
        ``valid_loss``, with ``valid_score = -valid_loss``. A scikit-learn
        scorer name (e.g. ``'accuracy'``, ``'neg_root_mean_squared_error'``)
        or scorer callable: its value, greater is better. Used by early
        stopping only: set without ``early_stopping=True``, it is ignored
        with a ``UserWarning``.

    refit : {'epochs', 'updates'}, bool or None, default=None
        After early stopping, train a fresh network (same seeds) on all rows,
        training and validation part, for ``best_epoch_`` epochs
        (``'epochs'``, also ``True``) or for exactly as many parameter
        updates as the best snapshot had received (``'updates'``; may end
        mid-epoch). ``None`` or ``False``: no refit. Requires
        ``early_stopping=True``.

    solver : {'adam', 'adamw', 'sgd'}, default='adam'
        Optimizer. With ``'adamw'`` the L2 part of the norm penalty is not a
        term of the objective but decoupled weight decay on the weights,
        ``w <- w - lr * 2 * alpha * w`` per update (the step SGD would take on
        ``alpha * sum w**2``); ``history_['norm_penalty']`` then records only
        the L1 part, if any.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of the learning rate, for every solver, with
        ``MLPClassifier``'s names. ``'constant'``: ``learning_rate_init``
        throughout. ``'invscaling'``: after each epoch the rate becomes
        ``learning_rate_init / (t + 1) ** power_t``, ``t`` the number of
        training rows seen so far (scikit-learn's ``t_``; each row counted
        by its sample weight; the first epoch runs at
        ``learning_rate_init``). ``'adaptive'``: divided by 5 each
        time two consecutive epochs fail to improve the training loss by
        more than ``tol`` on the best so far (the validation score with
        ``early_stopping=True``); PyTorch's ``ReduceLROnPlateau``. The rate
        of each epoch is recorded in ``history_['lr']``; the proximal L1
        steps use the current rate. ``warm_start`` and ``partial_fit``
        continue the schedule of the recorded epochs; a refit starts it
        afresh, on its own training loss.

    learning_rate_init : float, default=1e-3
        Learning rate of the optimizer (the initial one, with a schedule).

    power_t : float, default=0.5
        Exponent of ``learning_rate='invscaling'``; ignored otherwise.

    momentum : float, default=0.9
        Momentum of ``solver='sgd'``; ignored otherwise.

    nesterovs_momentum : bool, default=True
        Nesterov's momentum for ``solver='sgd'`` with ``momentum > 0``
        (PyTorch's ``SGD(nesterov=True)``), as in scikit-learn's MLP;
        ``False`` gives plain (heavy-ball) momentum. Ignored otherwise.

    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate (``solver='adam'`` or
        ``'adamw'``), in ``[0, 1)``; ignored otherwise.

    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in ``[0, 1)``; ignored
        for ``'sgd'``.

    epsilon : float, default=1e-8
        Adam's term added to the root of the second moment for numerical
        stability, ``> 0``; ignored for ``'sgd'``.

    batch_size : int or 'auto', default='auto'
        Rows per minibatch; ``'auto'`` is ``min(200, n_samples)``. A value
        larger than the training rows is clipped to them, with a
        ``UserWarning`` (as scikit-learn's MLP does).

    max_iter : int, default=200
        Most epochs (passes over the training data) per ``fit``: it stops
        sooner once the training objective has converged, or with early
        stopping (see ``tol`` and ``patience``); ``tol=None`` runs all of
        them.

    shuffle : bool, default=True
        Draw a new order of the rows for each epoch (not needed, and not done,
        when one minibatch holds all rows).

    warm_start : bool, default=False
        If true, ``fit`` continues from the current network (with a fresh
        optimizer, as in scikit-learn) instead of starting anew; ``n_iter_``,
        ``t_`` and ``history_`` then count all epochs so far.

    dtype : {'float32', 'float64'}, default=None
        Floating precision of training. ``None`` follows the input: float32
        input trains in float32, float64 and integer input in float64, as in
        scikit-learn's MLP. float32 is faster (much faster on a GPU) and
        halves memory; float64 gives results reproducible to about 1e-12.

    device : {'cpu', 'cuda', 'cuda:N', 'auto'}, default='cpu'
        Where the network trains and predicts. ``'auto'`` uses the GPU when
        one is available. Data are moved to the device once per ``fit``.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the order of the rows and the dropout
        masks (of training and of Monte-Carlo prediction). An int gives
        bit-identical results across fits on the CPU. These draws do not
        depend on ``dtype``: the same numbers as float32, float64, integers
        or a DataFrame give the same model up to float32 round-off.

    verbose : int, default=0
        ``0`` prints nothing. ``1`` prints one aligned line per epoch: the
        training objective (``train_loss``), the data loss and each active
        penalty term, the validation loss (and score, with ``scoring``) with
        a ``*`` on each new best epoch, and the epoch's duration; then one
        line on how early stopping ended and which epoch it restored, and a
        title line before a refit's table. Colour is used only when standard
        output is a terminal. ``2`` adds a progress bar over the whole fit
        on standard error (epochs done of ``max_iter``, elapsed time,
        estimated time left), advanced every minibatch and closed when
        training stops. It is drawn on a terminal or in a notebook only:
        into a file or a pipe, one line at the end of each training call
        says how many epochs ran, in how long.
"""

#: The feature penalty of the MLP estimators (after ``max_norm``).
FEATURE_PARAMETERS = """\
    feature_alpha : float, default=0.0
        Strength of the feature-selection penalty, a group lasso on the
        inputs: ``feature_alpha * sum over inputs j of ||W1[:, j]||_2``,
        where ``W1[:, j]`` holds input ``j``'s outgoing weights in the first
        layer (with towers and ``shared_layers=0``, in every tower's first
        layer together, so that an input is kept or removed for all tasks).
        It is minimised by proximal steps (whatever ``l1_method``): after
        every optimizer step each input's weights are block
        soft-thresholded, shrunk towards zero together and set to exactly
        zero when the data pull on them (the norm of their averaged
        gradient) is weaker than ``feature_alpha``. A removed input no longer
        affects the predictions and has ``feature_importances_`` exactly 0;
        ``n_features_selected_`` counts the others. The step sizes are those
        of the L1 proximal step (see ``l1_method``); with Adam's per-weight
        step sizes it is the preconditioned proximal step, whose fixed
        points are the minimisers of the penalized objective. Combines with
        ``alpha`` and ``norm``: with ``norm='l1'`` (sparse group lasso) the
        L1 soft-thresholding comes first, then the block step, which
        together are the exact proximal step of the sum. Recorded in
        ``history_['feature_penalty']``. Inputs should be on one scale
        (standardize them).
"""

#: The parameters that only classifiers have.
CLASSIFIER_PARAMETERS = """\
    class_weight : dict, list of dict or 'balanced', default=None
        Weights of the classes in the data loss, multiplied into
        ``sample_weight`` before training (as in scikit-learn's linear
        models): a row of class ``c`` weighs ``class_weight[c]`` times its
        sample weight, so a dict is exactly equivalent to passing the
        matching ``sample_weight``. ``None``: every class weighs 1 (classes
        left out of a dict too). ``'balanced'``: ``n_samples / (n_classes *
        np.bincount(y))``, so that every class weighs as much in total;
        with ``sample_weight`` the counts are sums of sample weights, as in
        scikit-learn's linear models (``compute_class_weight``). For
        multilabel and multi-output multiclass targets, a list of one dict
        per column of ``y`` (the classes of a label are 0 and 1), or
        ``'balanced'`` for every column; the weights of the columns
        multiply, as in scikit-learn's ``compute_sample_weight``. The
        weights also apply to the validation rows of early stopping. In
        ``partial_fit``, ``'balanced'`` uses the class frequencies of each
        call's batch; pass a dict for weights fixed across calls.

    label_smoothing : float, default=0.0
        Share ``eps`` in ``[0, 1)`` of each training target spread evenly
        over the classes, PyTorch's meaning: the cross-entropy compares the
        softmax with ``(1 - eps) * one_hot + eps / n_classes`` (per column
        of a multi-output target). Binary and multilabel targets smooth
        each binary target to ``y * (1 - eps) + eps / 2``. It keeps the
        predicted probabilities from certainty; ``history_`` and the
        validation loss of early stopping record the smoothed loss.
"""

#: The parameters that only regressors have.
REGRESSOR_PARAMETERS = """\
    loss : {'squared_error', 'absolute_error', 'huber', 'poisson'}, \
            default='squared_error'
        The data loss, with scikit-learn's names, per output ``r = f(x) -
        y``: ``'squared_error'`` ``r**2`` (no 1/2 factor);
        ``'absolute_error'`` ``|r|``, whose minimiser is the conditional
        median, robust to gross outliers in ``y``; ``'huber'``, PyTorch's
        Huber loss with ``delta=1.0``, ``r**2 / 2`` for ``|r| <= 1`` and
        ``|r| - 1/2`` beyond: the delta is in the units of ``y`` as given
        (standardize ``y``, e.g. divide it by its standard deviation, for
        the quadratic zone to span one standard deviation); ``'poisson'``,
        the half Poisson deviance ``mu - y log(mu) + y log(y) - y`` with a
        log link, ``mu = exp(f(x))``: ``predict`` returns ``mu``, always
        positive, and ``y`` must be non-negative counts or rates (negative
        targets raise). ``score`` is R^2 for every loss; the validation loss
        of early stopping is this loss.

    normalize_y : bool, default=False
        Standardize the targets for training: the network learns
        ``(y - mean) / std`` (per output, the means and standard deviations
        weighted by ``sample_weight``, computed by the first fit and kept by
        ``warm_start`` and ``partial_fit``), and ``predict`` returns
        predictions, and ``return_std`` spreads, on the scale of ``y`` as
        given. The name and default of scikit-learn's
        ``GaussianProcessRegressor``: networks train badly on targets far
        from unit scale (their initial outputs are near 0 and ``alpha`` is
        tuned for unit-scale losses), so set it for raw targets, unless
        they are already scaled. Unlike ``TransformedTargetRegressor``, it
        keeps ``return_std``. Losses in ``history_``, the validation loss,
        Huber's delta, ``coefs_`` and ``intercepts_`` are on the
        standardized scale. Not with ``loss='poisson'``.
"""

_SPLIT = TRAINING_PARAMETERS.index("    tie_groups :")
#: The training parameters of the MLP estimators: the shared ones with the
#: feature penalty after ``max_norm``.
MLP_TRAINING_PARAMETERS = (
    TRAINING_PARAMETERS[:_SPLIT]
    + FEATURE_PARAMETERS
    + "\n"
    + TRAINING_PARAMETERS[_SPLIT:]
)
SHARED_PARAMETERS = ARCHITECTURE_PARAMETERS + "\n" + MLP_TRAINING_PARAMETERS

#: The architecture of SharedConvClassifier.
CONV_PARAMETERS = """\
    image_shape : tuple of int, default=None
        Shape of one input row: ``(H, W)`` or ``(C, H, W)`` for an image
        (2-D kernels; ``(H, W, C)`` with ``data_format='channels_last'``),
        ``(L,)`` for a one-channel signal (1-D kernels); each row of ``X``
        holds the ``prod(image_shape)`` values in C order, in that order of
        axes. ``None`` takes the shape of 3-D ``(n, H, W)`` or 4-D input,
        and otherwise a one-channel square image when ``n_features`` is a
        perfect square (64 features are an 8 x 8 image), else a one-channel
        signal of ``n_features`` values.

    data_format : {'channels_first', 'channels_last'}, default=None
        Where 4-D input and a three-entry ``image_shape`` keep the channels:
        ``'channels_first'``, ``(n, C, H, W)`` and ``(C, H, W)`` (PyTorch's
        order); ``'channels_last'``, ``(n, H, W, C)`` and ``(H, W, C)``
        (NumPy's, PIL's and Keras's order), so that rows flattened from
        channels-last images (``images.reshape(n, -1)``) are read right
        too. The names are Keras's. ``None`` reads channels first, but
        never guesses: a shape whose last axis holds 1 to 4 values after a
        larger first axis, such as ``(n, 8, 8, 1)`` or ``(32, 32, 3)``,
        raises a ``ValueError`` that asks for ``data_format``. It changes
        only how the input is read: the same images give the same model in
        either layout.

    conv_channels : int or tuple of int, default=(16, 32)
        Output channels (kernels) of each convolution layer.

    kernel_size : int, default=3
        Side of the square kernels (a length for signals); the stride is one.

    pool_size : int, default=2
        Window and stride of the max pooling after each convolution; ``1``
        skips pooling. A dimension that is not a multiple of ``pool_size``
        ends with a shorter window, so that no position is dropped; a
        dimension shorter than ``pool_size`` is pooled whole, to size one.

    padding : {'same', 'valid'}, default='same'
        Zero padding of each convolution. ``'same'`` pads ``kernel_size - 1``
        zeros per dimension (half before, half after, the odd one after), so
        that every convolution keeps the size of its input and any input
        size works; ``'valid'`` pads none, so that each convolution shrinks
        its input by ``kernel_size - 1``.

    share_weights : bool, default=True
        ``True``: each kernel is shared by all positions (a convolution).
        ``False``: every convolution becomes a locally connected layer with
        the same receptive fields, padding and output shape but its own
        kernel and bias at every output position, to measure what sharing
        buys.

    hidden_layer_sizes : int or tuple of int, default=(64,)
        Width of each hidden layer of the dense head that follows the
        convolutions.

    activation : {'relu', 'tanh', 'logistic', 'gelu', 'identity'}, default='relu'
        Nonlinearity after each convolution and each hidden layer of the head.
"""

_INPUT_ATTRIBUTES = """\
    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit`` (only for DataFrame input
        with string column names).
"""

_TRAINING_ATTRIBUTES = """\
    history_ : list of dict
        One record per epoch with keys ``epoch`` (from 1), ``train_loss`` (the
        full objective; with ``n_members > 1``, what one member pays: every
        training term is averaged over the members), ``data_loss``,
        ``norm_penalty``, ``tie_penalty``, ``activity_penalty``,
        ``feature_penalty`` (each as added to the
        objective, 0.0 when off), ``sparsity`` (with an L1 or feature
        penalty: the fraction of the weights that are exactly zero at the
        end of the epoch), ``valid_loss`` and ``valid_score`` (with early
        stopping, or validation data given to ``fit``), ``lr`` (the epoch's
        learning rate) and ``dur`` (seconds). Losses are sample-weighted
        means over the epoch's rows. After a refit it
        still describes the early-stopping run.

    loss_curve_ : list of float
        ``train_loss`` of each epoch.

    n_iter_ : int
        Number of epochs run (of the returned network, after a refit).

    t_ : int
        Number of parameter updates (minibatches) run (of the returned
        network, after a refit).

    best_epoch_ : int or None
        Epoch of the best validation score (with early stopping).

    best_validation_score_ : float or None
        Best validation score (with early stopping).

    validation_scores_ : list of float or None
        ``valid_score`` of each epoch (with early stopping, or validation
        data given to ``fit``).

    refit_n_iter_, refit_t_ : int or None
        Epochs and parameter updates of the refit on all rows (with
        ``refit``), else None.

    n_parameters_ : int
        Number of trainable parameters (every tower and every ensemble
        member counted).
"""

_SPARSITY_ATTRIBUTE = """\
    sparsity_ : dict of str to float
        Fraction of the entries of each weight tensor that are exactly zero,
        keyed by parameter name (biases are left out).
"""

SHARED_ATTRIBUTES = f"""\
{_INPUT_ATTRIBUTES}
    module_ : torch.nn.Module
        The trained network: :class:`sklreg.nn.MLP`, or
        :class:`sklreg.nn.MultiTaskMLP` when ``shared_layers`` is set; an
        :class:`sklreg.nn.Ensemble` of them when ``n_members > 1`` (its
        parameters have the members on a leading dimension).

{_TRAINING_ATTRIBUTES}
    parameter_names_ : list of str
        Names of ``module_.named_parameters()``: ``hidden.{{i}}.weight``,
        ``hidden.{{i}}.bias`` for hidden layer ``i`` (from 0), then
        ``output.weight`` and ``output.bias``. With ``shared_layers=s``:
        ``hidden.{{i}}.*`` for the shared layers ``i < s``, then for each task
        ``t`` (from 0) ``towers.{{t}}.hidden.{{i}}.weight``,
        ``towers.{{t}}.hidden.{{i}}.bias`` for ``i >= s`` and
        ``towers.{{t}}.output.weight``, ``towers.{{t}}.output.bias``.

{_SPARSITY_ATTRIBUTE}"""

MLP_ATTRIBUTES = """\
    coefs_ : list of ndarray
        Only for the plain network (``shared_layers=None``, ``n_members=1``;
        ``member(i).coefs_`` for the members of an ensemble).
        ``coefs_[i]`` is the weight matrix from layer ``i`` to layer ``i + 1``
        (the input is layer 0), of shape ``(fan_in, fan_out)`` as in
        scikit-learn's MLP: the transpose of ``module_``'s weight. A copy, in
        the training dtype; writing to it does not change the network.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``, of shape
        ``(fan_out,)``. A copy, like ``coefs_``.

    feature_importances_ : ndarray of shape (`n_features_in_`,)
        For each input feature, the L2 norm of its outgoing weights in the
        first layer (``np.linalg.norm(coefs_[0], axis=1)``): exactly zero
        for an input the feature penalty (``feature_alpha``) or the L1
        penalty removed, which no longer affects the predictions. This is
        the attribute :class:`~sklearn.feature_selection.SelectFromModel`
        reads; ``threshold=np.finfo(float).tiny`` keeps exactly the inputs
        whose importance is not zero (its default, ``'mean'``, keeps fewer). It
        measures first-layer weight mass, not a causal or predictive
        importance: it depends on the scale of each input (standardize
        them), and a large weight can still be cancelled further on. With
        towers and ``shared_layers=0``, the first layers of all towers
        count together.

    n_features_selected_ : int
        Number of inputs the network uses: those whose
        ``feature_importances_`` is not zero (all of them unless a penalty
        removed some).
"""

CONV_ATTRIBUTES = f"""\
{_INPUT_ATTRIBUTES}
    image_shape_ : tuple of int
        Shape of one input as the network reads it, channels first whatever
        ``data_format``: ``(C, L)`` for a signal (1-D kernels) or
        ``(C, H, W)`` for an image (2-D kernels).

    module_ : torch.nn.Module
        The trained network (:class:`sklreg.nn.ConvNet`; an
        :class:`sklreg.nn.Ensemble` of them when ``n_members > 1``).

{_TRAINING_ATTRIBUTES}
    parameter_names_ : list of str
        Names of ``module_.named_parameters()``: ``conv.{{i}}.weight``,
        ``conv.{{i}}.bias`` for convolution layer ``i`` (from 0), then the
        dense head's ``head.hidden.{{j}}.weight``, ``head.hidden.{{j}}.bias``,
        ``head.output.weight`` and ``head.output.bias`` (with
        ``shared_layers`` set, the head's names are those of the MLP's towers
        after ``head.``, e.g. ``head.towers.{{t}}.output.weight``). A kernel
        has shape ``(C_out, C_in, *kernel)``; with ``share_weights=False`` it
        has shape ``(C_out * n_positions, C_in, *kernel)``, one kernel per
        output channel and position.

{_SPARSITY_ATTRIBUTE}"""


_FRAGMENTS = {
    "{parameters}": SHARED_PARAMETERS,
    "{regressor_parameters}": "\n".join(
        (ARCHITECTURE_PARAMETERS, REGRESSOR_PARAMETERS, MLP_TRAINING_PARAMETERS)
    ),
    "{classifier_parameters}": "\n".join(
        (ARCHITECTURE_PARAMETERS, CLASSIFIER_PARAMETERS, MLP_TRAINING_PARAMETERS)
    ),
    "{attributes}": SHARED_ATTRIBUTES,
    "{mlp_attributes}": MLP_ATTRIBUTES,
    "{conv_parameters}": "\n".join(
        (CONV_PARAMETERS, CLASSIFIER_PARAMETERS, TRAINING_PARAMETERS)
    ),
    "{conv_attributes}": CONV_ATTRIBUTES,
}


def fill_doc(cls):
    """Replace each fragment line of ``cls.__doc__`` (``{parameters}``,
    ``{classifier_parameters}``, ``{regressor_parameters}``,
    ``{attributes}``, ``{mlp_attributes}``,
    ``{conv_parameters}``, ``{conv_attributes}``) with the fragment, at that
    line's indentation."""
    lines = []
    for line in cls.__doc__.splitlines():
        fragment = _FRAGMENTS.get(line.strip())
        if fragment is None:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(
            indent + text if text else text
            for text in textwrap.dedent(fragment).splitlines()
        )
    cls.__doc__ = "\n".join(lines)
    return cls
