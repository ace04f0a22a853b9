"""What a finished training call means: divergence, no finite score, interrupts.

Checked once per training call, after training, so it costs nothing per
minibatch: the loop only notes a non-finite epoch loss (``net.diverged_``) or
a ``KeyboardInterrupt`` (``net.interrupted_``) and stops.
"""

from __future__ import annotations

import warnings

from sklearn.exceptions import ConvergenceWarning


def check_outcome(net, stopper, *, learning_rate_init, scoring, phase="training"):
    """Raise or warn about how the training call of ``net`` ended.

    Divergence is a ``ValueError``, or a ``ConvergenceWarning`` when early
    stopping (``stopper``) restored a finite snapshot; early stopping that
    never saw a finite validation score is a ``ValueError``; an interrupt is
    a ``UserWarning``. ``phase`` names the training call in the messages.
    When this raises, the network is not usable and the caller discards it.
    """
    restored = stopper is not None and stopper.best_epoch_ is not None
    if net.diverged_:
        epoch = len(net.history)
        loss = net.history[-1, "train_loss"]
        advice = (
            f"Lower learning_rate_init (now {learning_rate_init}), "
            "standardize the features (e.g. with StandardScaler), or scale "
            "the targets."
        )
        if restored:
            warnings.warn(
                f"The training objective (train_loss) became {loss} at epoch "
                f"{epoch}: training "
                f"diverged. The parameters of the best epoch "
                f"({stopper.best_epoch_}) were restored. {advice}",
                ConvergenceWarning,
                stacklevel=4,
            )
            return
        raise ValueError(
            f"Training diverged: the training objective (train_loss) of {phase} "
            f"became {loss} at "
            f"epoch {epoch}, and the network's predictions would not be "
            f"finite. {advice}"
        )
    if stopper is not None and not restored and not net.interrupted_:
        n_epochs = len(net.history) - stopper.first_epoch_ + 1
        raise ValueError(
            f"early_stopping saw no finite validation score in {n_epochs} "
            f"epochs (scoring={scoring!r}): the loss diverged or the "
            "score is undefined on so few rows. Lower learning_rate_init, or "
            "raise validation_fraction."
        )
    if net.interrupted_:
        kept = (
            f"the parameters of the best epoch ({stopper.best_epoch_})"
            if restored
            else "the parameters of the last finished epoch"
        )
        warnings.warn(
            f"{phase.capitalize()} was interrupted after {len(net.history)} "
            f"finished epochs; the estimator keeps {kept}, and the last "
            "record of history_ is marked 'interrupted'.",
            UserWarning,
            stacklevel=4,
        )
