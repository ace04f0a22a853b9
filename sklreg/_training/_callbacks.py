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

    Columns follow ``order``; penalty terms that are off are left out.
    """

    def __init__(self, order=(), keys_ignored=None, **kwargs):
        super().__init__(keys_ignored=keys_ignored, **kwargs)
        self.order = order

    def _sorted_keys(self, keys):
        shown = [key for key in super()._sorted_keys(keys) if key != "dur"]
        rank = {key: i for i, key in enumerate(self.order)}
        shown.sort(key=lambda key: rank.get(key, len(rank)))
        return shown + (["dur"] if "dur" in keys else [])
