"""skorch callbacks that implement constraints and progress display."""

import math

import torch
from skorch.callbacks import Callback, PrintLog

from ..penalties import weight_parameters


class MaxNormConstraint(Callback):
    """Rescale each unit's incoming weight vector to an L2 norm of at most ``max_norm``.

    Applied after every parameter update. The incoming weights of a unit are
    the slice along the first dimension of a weight tensor: a row of a
    ``Linear`` weight, one output channel of a convolution kernel. Biases are
    not constrained.

    Parameters
    ----------
    max_norm : float
        Largest allowed L2 norm of a unit's incoming weight vector.
    """

    def __init__(self, max_norm: float):
        self.max_norm = max_norm

    def on_train_begin(self, net, **kwargs):
        self.weights_ = weight_parameters(net.module_)

    @torch.no_grad()
    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            for weight in self.weights_:
                weight.renorm_(2, 0, self.max_norm)

    def on_train_end(self, net, **kwargs):
        self.weights_ = []


class BatchProgressBar(Callback):
    """A ``tqdm`` progress bar over the minibatches of each epoch (``verbose=2``)."""

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        from tqdm.auto import tqdm  # a dependency of skorch

        total = math.ceil(len(dataset_train) / net.batch_size)
        self.bar_ = tqdm(total=total, desc=f"epoch {len(net.history)}", leave=False)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.bar_.update()

    def on_epoch_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_


class EpochLog(PrintLog):
    """skorch's ``PrintLog`` (one table row per epoch) with sklreg's column order.

    Columns follow ``order``; penalty terms that are off are left out. A
    value whose ``<key>_best`` flag is set (the best epoch so far under early
    stopping) is highlighted, as skorch does, and marked with ``*``.
    """

    def __init__(self, order=(), keys_ignored=None, **kwargs):
        super().__init__(keys_ignored=keys_ignored, **kwargs)
        self.order = order

    def _sorted_keys(self, keys):
        shown = [key for key in super()._sorted_keys(keys) if key != "dur"]
        rank = {key: i for i, key in enumerate(self.order)}
        shown.sort(key=lambda key: rank.get(key, len(rank)))
        return shown + (["dur"] if "dur" in keys else [])

    def format_row(self, row, key, color):
        text = super().format_row(row, key, color)
        return f"{text} *" if row.get(f"{key}_best") else text


class EarlyStopping(Callback):
    """Keep the best epoch's parameters; stop after ``patience`` epochs without gain.

    Reads ``valid_score`` (greater is better) from each epoch's record. An
    epoch improves when its score exceeds the best so far by more than
    ``tol``; its parameters are then copied to host memory, replacing the
    previous copy, so one snapshot lives at a time. When training ends the
    best snapshot is loaded back into the module and released.

    Parameters
    ----------
    patience : int
        Epochs without improvement after which training stops.
    tol : float
        Minimum gain of the score that counts as an improvement.

    Attributes
    ----------
    best_score_ : float
        Best validation score.
    best_epoch_ : int or None
        Epoch (counted from 1 over the whole history) of the best score; None
        while no epoch had a finite score.
    best_updates_ : int
        Parameter updates the best snapshot had received.
    snapshot_ : dict of str to Tensor or None
        The module's ``state_dict`` at the best epoch so far, on the CPU,
        while training runs (None once it has been loaded back).
    """

    def __init__(self, patience: int, tol: float):
        self.patience = patience
        self.tol = tol

    def initialize(self):
        self.best_score_ = -math.inf
        self.best_epoch_ = None
        self.best_updates_ = None
        self.snapshot_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        self.first_epoch_ = len(net.history) + 1

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        score = net.history[-1, "valid_score"]
        # a non-finite score (diverged loss, undefined metric) never improves
        improved = math.isfinite(score) and score > self.best_score_ + self.tol
        net.history.record("valid_score_best", improved)
        if improved:
            self.best_score_ = score
            self.best_epoch_ = epoch
            self.best_updates_ = net.n_updates_
            self.snapshot_ = {
                name: tensor.detach().to("cpu", copy=True)
                for name, tensor in net.module_.state_dict().items()
            }
        last_gain = (
            self.first_epoch_ - 1 if self.best_epoch_ is None else self.best_epoch_
        )
        if epoch - last_gain >= self.patience:
            net.stop_training_ = True

    def on_train_end(self, net, **kwargs):
        if self.snapshot_ is not None:
            net.module_.load_state_dict(self.snapshot_)
            self.snapshot_ = None  # the module now holds these values
