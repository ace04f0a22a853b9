"""The training engine of one training call, built from a resolved plan.

:func:`build_net` reads the parts of the estimator's plan (see
:mod:`sklreg._plan`: its objective, optimization, schedule and runtime) and
assembles a :class:`~sklreg._training.PenalizedNet` with the penalties, the
optimizer settings and the callbacks they call for.
"""

from ._callbacks import (
    Convergence,
    EarlyStopping,
    EpochLog,
    MaxNormConstraint,
    ProgressBar,
)
from ._net import PenalizedNet
from ._outcome import ObjectiveWatch
from ._schedules import LearningRateSchedule


def build_net(
    plan,
    module,
    data_loss,
    *,
    tie_groups,
    n_samples,
    seed,
    epochs,
    max_updates=None,
    early_stopping=False,
    converge=False,
    validated=False,
    phase="training",
    title=None,
    header=True,
) -> PenalizedNet:
    """The initialized engine that trains ``module`` for ``epochs`` epochs.

    Parameters
    ----------
    plan : sklreg._plan.Plan
        The resolved hyperparameters.
    module : sklreg.nn.Network
        The network to train.
    data_loss : sklreg.nn.DataLoss
        The data loss of the targets.
    tie_groups : tuple of tuple of str
        The resolved names of the tie penalty's groups (empty: none).
    n_samples : int
        Training rows (the minibatch size is capped by it).
    seed : int
        Seed of the minibatch order and the training dropout masks.
    epochs : int
        Epochs of this training call.
    max_updates : int, default=None
        Stop after this many parameter updates (a refit for ``'updates'``).
    early_stopping : bool, default=False
        Score a validation set after every epoch and keep the best snapshot.
    converge : bool, default=False
        Without early stopping: stop once the training objective has not
        improved by more than ``tol`` in ``patience`` epochs (a fit; never
        ``partial_fit`` or a refit, which run a set length). Off when
        ``tol`` is None.
    validated : bool, default=False
        A validation set is scored after every epoch (its columns are
        logged), with or without early stopping.
    phase : str, default='training'
        The call's name on the progress bar (``verbose=2``).
    title : str, default=None
        A line printed before the epoch log (``verbose >= 1``).
    header : bool, default=True
        Print the log's header (a continued table leaves it out).
    """
    objective, optimization = plan.objective, plan.optimization
    verbose = plan.runtime.verbose
    penalties = objective.penalties(tie_groups)
    # tol=None: no stop for lack of improvement; any gain counts
    tol, patience = plan.schedule.tol, plan.schedule.patience
    gain = 0.0 if tol is None else tol
    # first: the epoch's learning rate is recorded before anything reads it
    schedule = LearningRateSchedule(
        optimization.learning_rate,
        optimization.learning_rate_init,
        power_t=optimization.power_t,
        tol=gain,
        monitor="valid_score" if early_stopping else "train_loss",
    )
    callbacks = []
    if verbose >= 2:  # closed before the lines on how training ended
        callbacks.append(("progress_bar", ProgressBar(phase)))
    callbacks += [("learning_rate", schedule), ("objective_watch", ObjectiveWatch())]
    if early_stopping:
        stopper = EarlyStopping(None if tol is None else patience, gain)
        callbacks.append(("early_stopping", stopper))
    elif converge and tol is not None:
        callbacks.append(("convergence", Convergence(patience, tol)))
    if objective.max_norm is not None:
        callbacks.append(("max_norm", MaxNormConstraint(objective.max_norm)))
    if verbose:
        log = EpochLog.of_objective(
            penalties,
            early_stopping=early_stopping,
            validated=validated,
            scored=plan.schedule.scoring is not None,
            lr=optimization.learning_rate != "constant",
            title=title,
            header=header,
        )
        callbacks.append(("epoch_log", log))
    net = PenalizedNet(
        module,
        data_loss,
        penalties=penalties,
        solver=optimization.solver,
        lr=optimization.learning_rate_init,
        momentum=optimization.momentum,
        optimizer_settings=optimization.optimizer_settings(),
        weight_decay=objective.weight_decay,
        batch_size=optimization.batch_size_for(n_samples),
        shuffle=optimization.shuffle,
        random_seed=seed,
        max_updates=max_updates,
        input_noise=plan.architecture.input_noise,
        max_epochs=epochs,
        callbacks=callbacks,
        device=str(plan.runtime.device),
        verbose=verbose,
    )
    return net.initialize()
