"""What a finished training call means: divergence, an objective that grew,
no finite score, ``max_iter`` reached before convergence, interrupts.

Checked once per training call, after training, so it costs nothing per
minibatch: the loop only notes a non-finite epoch loss (``net.diverged_``) or
a ``KeyboardInterrupt`` (``net.interrupted_``) and stops, and
:class:`ObjectiveWatch` keeps the objective of the first minibatch (on the
device: one read per training call).
"""

from __future__ import annotations

import math

from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from ..utils import warn

#: An objective that ends above this multiple of its starting value has
#: grown, not fallen: more than doubled (the margin absorbs the difference
#: between the first minibatches and an epoch's mean).
GROWTH_FACTOR = 2.0

#: Rows over which the starting objective is averaged (the first minibatches
#: until they hold that many rows; the first one alone when it is larger).
START_ROWS = 32


class ObjectiveWatch(Callback):
    """Keep the objective a training call started from: the mean objective
    of its first minibatches (at least ``START_ROWS`` rows, or all of them),
    the first computed on the parameters before any update.

    Attributes
    ----------
    initial_ : float or None
        That objective (summed on the device while training, read once when
        the call ends), None before training.
    """

    def on_train_begin(self, net, **kwargs):
        self.initial_ = None
        self.sum_, self.rows_ = 0.0, 0

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if training and self.rows_ < START_ROWS and loss is not None:
            rows = len(batch[0])
            self.sum_ = self.sum_ + loss.detach() * rows
            self.rows_ += rows

    def on_train_end(self, net, **kwargs):
        if self.rows_:  # no tensor outlives the call
            self.initial_ = float(self.sum_) / self.rows_
        self.sum_ = 0.0

    def grew(self, net) -> tuple[float, float] | None:
        """``(initial, final)`` objectives when the call's last epoch ended
        above ``GROWTH_FACTOR`` times the starting objective, else None."""
        if self.initial_ is None or not len(net.history):
            return None
        initial = self.initial_
        final = net.history[-1, "train_loss"]
        if math.isfinite(final) and final > GROWTH_FACTOR * abs(initial):
            return initial, final
        return None


def check_outcome(net, stopper, *, learning_rate_init, scoring, phase="training"):
    """Raise or warn about how the training call of ``net`` ended.

    Divergence is a ``ValueError``, or a ``ConvergenceWarning`` when early
    stopping (``stopper``) restored a finite snapshot; an objective that
    ended above where it started (see :class:`ObjectiveWatch`) is a
    ``ConvergenceWarning``; early stopping that
    never saw a finite validation score is a ``ValueError``; a call that a
    stopping rule watched (:class:`~sklreg._training.Convergence`, or early
    stopping with a patience) and that ran all its epochs ends with a
    ``ConvergenceWarning``; an interrupt is a ``UserWarning``. ``phase``
    names the training call in the messages.
    When this raises, the network is not usable and the caller discards it.
    """
    restored = stopper is not None and stopper.best_epoch_ is not None
    advice = (
        f"Lower learning_rate_init (now {learning_rate_init}), "
        "standardize the features (e.g. with StandardScaler), or scale "
        "the targets."
    )
    if net.diverged_:
        epoch = len(net.history)
        loss = net.history[-1, "train_loss"]
        if restored:
            warn(
                f"The training objective (train_loss) became {loss} at epoch "
                f"{epoch}: training "
                f"diverged. The parameters of the best epoch "
                f"({stopper.best_epoch_}) were restored. {advice}",
                ConvergenceWarning,
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
    watch = dict(net.callbacks_).get("objective_watch")
    grown = None if watch is None or net.interrupted_ else watch.grew(net)
    if grown is not None:
        kept = (
            f"The parameters of the best epoch ({stopper.best_epoch_}) were "
            "restored, but training went wrong. "
            if restored
            else "The network is most likely useless (e.g. one class for every row). "
        )
        warn(
            f"The training objective grew instead of falling in {phase}: from "
            f"{grown[0]:.6g} before the first update to {grown[1]:.6g} at epoch "
            f"{len(net.history)}: training diverged. {kept}{advice}",
            ConvergenceWarning,
        )
    if not (net.diverged_ or net.interrupted_):
        _warn_unconverged(net, stopper)
    if net.interrupted_:
        kept = (
            f"the parameters of the best epoch ({stopper.best_epoch_})"
            if restored
            else "the parameters of the last finished epoch"
        )
        warn(
            f"{phase.capitalize()} was interrupted after {len(net.history)} "
            f"finished epochs; the estimator keeps {kept}, and the last "
            "record of history_ is marked 'interrupted'.",
            UserWarning,
        )


def _warn_unconverged(net, stopper) -> None:
    """A ``ConvergenceWarning`` when a stopping rule was on (convergence of
    the training objective, or early stopping with a ``patience``) and the
    call ran all its epochs: ``max_iter`` ended it while the monitored figure
    was still improving, as ``MLPClassifier`` warns."""
    watch = stopper if stopper is not None else dict(net.callbacks_).get("convergence")
    if watch is None or watch.patience is None or watch.stopped_:
        return
    if len(net.history) - watch.first_epoch_ + 1 < net.max_epochs:
        return
    figure = (
        "the training objective (train_loss) still fell"
        if stopper is None
        else "the validation score still rose"
    )
    kept = (
        ""
        if stopper is None
        else f" The parameters of the best epoch ({stopper.best_epoch_}) were kept."
    )
    warn(
        f"Maximum iterations (max_iter={net.max_epochs}) reached and the "
        f"optimization hasn't converged yet: {figure} by more than "
        f"tol={watch.tol:g} within the last patience={watch.patience} epochs."
        f"{kept} Raise max_iter, or stop sooner with a larger tol; tol=None "
        "trains exactly max_iter epochs, without this warning.",
        ConvergenceWarning,
    )
