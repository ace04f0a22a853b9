"""Learning-rate schedules: the allowed values of ``learning_rate`` and the
callback that sets the optimizer's learning rate before every epoch.

``'constant'`` keeps ``learning_rate_init``. ``'invscaling'`` is
scikit-learn's: after each epoch the rate becomes
``learning_rate_init / (t + 1) ** power_t``, with ``t`` the number of
training rows seen so far (the ``t_`` of scikit-learn's MLP), each row
counted by its sample weight (a row of weight 2 counts as the two copies it
stands for; without weights, ``t`` is scikit-learn's). ``'adaptive'``
divides the rate by 5 each time two consecutive epochs fail to improve the
monitored figure by ``tol``: PyTorch's
:class:`~torch.optim.lr_scheduler.ReduceLROnPlateau` with ``factor=0.2``,
``patience=1`` and an absolute threshold ``tol``.

The schedule is a function of the history: a training call that continues
a network (``warm_start``, ``partial_fit``) replays the recorded epochs and
carries on where they left the rate. Proximal steps read the rate from the
optimizer's parameter groups, so they always use the current one.
"""

import math

import torch
from skorch.callbacks import Callback
from torch.optim.lr_scheduler import ReduceLROnPlateau

#: Allowed values of ``learning_rate``.
LEARNING_RATES = ("constant", "invscaling", "adaptive")

#: What ``'adaptive'`` divides the learning rate by.
ADAPTIVE_FACTOR = 5.0


def _plateau(optimizer, tol: float, mode: str) -> ReduceLROnPlateau:
    """``'adaptive'``: divide by 5 after two consecutive epochs that fail to
    improve on the best figure so far by more than ``tol``."""
    return ReduceLROnPlateau(
        optimizer,
        mode=mode,
        factor=1.0 / ADAPTIVE_FACTOR,
        patience=1,
        threshold=tol,
        threshold_mode="abs",
        cooldown=0,
        min_lr=0.0,
        eps=0.0,
    )


def adaptive_rates(figures, learning_rate_init: float, tol: float, mode="min"):
    """The learning rate of each epoch under ``'adaptive'``, given the
    monitored figure of each epoch (``mode='min'``: a loss; ``'max'``: a
    score); one more rate than figures (the next epoch's)."""
    optimizer = torch.optim.SGD([torch.zeros(1)], lr=learning_rate_init)
    plateau = _plateau(optimizer, tol, mode)
    rates = [learning_rate_init]
    for figure in figures:
        plateau.step(figure)
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


class LearningRateSchedule(Callback):
    """Set the optimizer's learning rate of each epoch; record it as ``lr``.

    Parameters
    ----------
    schedule : {'constant', 'invscaling', 'adaptive'}
    learning_rate_init : float
    power_t : float
        Exponent of ``'invscaling'``.
    tol : float
        Least improvement that counts for ``'adaptive'``.
    monitor : {'train_loss', 'valid_score'}
        The figure ``'adaptive'`` watches (the validation score with early
        stopping).
    """

    def __init__(self, schedule, learning_rate_init, *, power_t, tol, monitor):
        self.schedule = schedule
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.tol = tol
        self.monitor = monitor

    def on_train_begin(self, net, X=None, **kwargs):
        self.rows_ = len(X)
        weight = X.sample_weight
        self.epoch_rows_ = self.rows_ if weight is None else float(weight.sum())
        previous = [row for row in net.history if "lr" in row]
        self.seen_ = previous[-1]["rows_seen"] if previous else 0
        self.plateau_ = None
        lr = self.learning_rate_init
        if self.schedule == "invscaling" and self.seen_:
            lr = self._inverse_scaling()
        elif self.schedule == "adaptive":
            mode = "max" if self.monitor == "valid_score" else "min"
            self._set(net, self.learning_rate_init)
            self.plateau_ = _plateau(net.optimizer_, self.tol, mode)
            for row in previous:  # replay: the state the recorded epochs left
                if self.monitor in row:
                    self.plateau_.step(row[self.monitor])
            lr = net.optimizer_.param_groups[0]["lr"]
        self._set(net, lr)

    def _inverse_scaling(self) -> float:
        return self.learning_rate_init / (self.seen_ + 1) ** self.power_t

    @staticmethod
    def _set(net, lr: float):
        for group in net.optimizer_.param_groups:
            group["lr"] = lr

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])
        batches = row.get("train_batch_count", 0)
        share = min(1.0, batches * net.batch_size / self.rows_)  # max_updates
        self.seen_ += share * self.epoch_rows_
        net.history.record("rows_seen", self.seen_)
        if self.schedule == "invscaling":
            self._set(net, self._inverse_scaling())
        elif self.schedule == "adaptive":
            figure = row.get(self.monitor, math.nan)
            self.plateau_.step(figure)

    def on_train_end(self, net, **kwargs):
        self.plateau_ = None
