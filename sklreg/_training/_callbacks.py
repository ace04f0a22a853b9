"""skorch callbacks: the max-norm constraint, early stopping, convergence and
training feedback."""

import math
import sys
import time

import torch
from skorch.callbacks import Callback
from tqdm import tqdm  # a dependency of skorch

from ..nn import Network, weight_parameters

_CYAN, _RESET = "\x1b[36m", "\x1b[0m"


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
        module = net.module_
        self.weights_ = (
            module.unit_weights()
            if isinstance(module, Network)
            else weight_parameters(module)
        )

    @torch.no_grad()
    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            for weight in self.weights_:
                weight.renorm_(2, 0, self.max_norm)

    def on_train_end(self, net, **kwargs):
        self.weights_ = []


def write_line(text: str) -> None:
    """Print ``text`` on standard output, above any open progress bar."""
    tqdm.write(text, file=sys.stdout)
    sys.stdout.flush()  # lines appear as they come, also through a pipe


def _number(value: float) -> str:
    """Four decimals, or scientific notation for values too small or large."""
    if value == 0 or not math.isfinite(value) or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.3e}"


class EpochLog(Callback):
    """Training feedback of ``verbose >= 1``: one aligned line per epoch.

    A header names the columns: ``epoch``, the history keys in ``keys`` and
    ``dur`` (seconds). Every column has a fixed width, so lines stay aligned
    whatever the values. The best epoch so far (the ``valid_score_best`` flag
    that :class:`EarlyStopping` records) gets a ``*`` in a column of its own,
    after the ``marked`` value, which is also coloured when standard output
    is a terminal (never in a file or a pipe).

    Parameters
    ----------
    keys : sequence of str
        History keys shown between ``epoch`` and ``dur``, in order.
    marked : str, default=None
        Key after which the best-epoch column goes (None: no such column).
    title : str, default=None
        A line printed before the header, naming the training phase.
    header : bool, default=True
        Print the header (a training call that continues a table, such as
        ``partial_fit``, leaves it out).
    """

    def __init__(self, keys, *, marked=None, title=None, header=True):
        self.keys = keys
        self.marked = marked
        self.title = title
        self.header = header

    @classmethod
    def of_objective(
        cls,
        penalties,
        *,
        early_stopping,
        scored,
        title,
        header,
        validated=False,
        lr=False,
    ):
        """The table of a training call: the training objective, then the data
        loss and each active penalty (and the share of zero weights under an
        L1 penalty), then the validation columns with ``early_stopping`` or
        other ``validated`` rows (``valid_score`` only when ``scored``: else
        it is ``-valid_loss``), the last one marked on each new best epoch
        of early stopping; then the epoch's learning rate when ``lr`` (a
        schedule changes it)."""
        keys = ["train_loss"]
        if penalties:  # else the data loss is the objective
            keys += ["data_loss", *(penalty.name for penalty in penalties)]
        if any(penalty.sparse_weights for penalty in penalties):
            keys.append("sparsity")  # the share of exactly-zero weights
        if early_stopping or validated:
            keys.append("valid_loss")
            if scored:
                keys.append("valid_score")
        marked = keys[-1] if early_stopping else None
        if lr:
            keys.append("lr")
        return cls(keys, marked=marked, title=title, header=header)

    def on_train_begin(self, net, **kwargs):
        last_epoch = len(net.history) + net.max_epochs
        self.widths_ = {
            "epoch": max(5, len(str(last_epoch))),
            **{key: max(10, len(key)) for key in self.keys},
            "dur": 7,
        }
        self.color_ = sys.stdout.isatty()
        if self.title is not None:
            write_line(self.title)
        if self.header:
            names = [
                key.rjust(width) + ("  " if key == self.marked else "")
                for key, width in self.widths_.items()
            ]
            write_line("  ".join(names))
            write_line("  ".join("-" * len(name) for name in names))

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        best = bool(row.get("valid_score_best"))
        cells = [f"{row['epoch']:>{self.widths_['epoch']}}"]
        for key in self.keys:
            cell = _number(row[key]).rjust(self.widths_[key])
            if key == self.marked:
                if best and self.color_:
                    cell = f"{_CYAN}{cell}{_RESET}"
                cell += " *" if best else "  "
            cells.append(cell)
        cells.append(f"{row['dur']:.2f}s".rjust(self.widths_["dur"]))
        write_line("  ".join(cells))


class ProgressBar(Callback):
    """Progress bar of ``verbose=2`` over a whole training call.

    It shows how many of the call's epochs are done, the elapsed time and an
    estimate of the time left. It advances once per minibatch, so the
    estimate is current within an epoch; ``tqdm`` redraws it at most four
    times a second, and an advance costs well under a microsecond. When
    training stops before its last epoch (early stopping, divergence), the
    bar is completed at the epochs done and closed, before the line that
    says why.

    A bar is redrawn in place with carriage returns, which only a terminal
    (or a notebook, where it is a widget) shows as one line. When standard
    error is a file or a pipe, nothing is drawn while training runs; one
    line at the end says how many epochs ran, in how long.

    Parameters
    ----------
    label : str, default='training'
        Name of the phase, shown before the count of epochs.
    """

    def __init__(self, label="training"):
        self.label = label

    def on_train_begin(self, net, X=None, **kwargs):
        per_epoch = math.ceil(len(X) / net.batch_size)
        total = net.max_epochs * per_epoch
        if net.max_updates is not None:
            total = min(total, net.max_updates)
        self.epochs_ = math.ceil(total / per_epoch)
        self.done_ = 0
        self.start_ = time.monotonic()
        self.bar_ = None
        if _redraws(sys.stderr):
            self.bar_ = _tqdm(
                total=total,
                desc=self._describe(),
                bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed} elapsed, "
                "{remaining} left",
                mininterval=0.25,
            )

    def _describe(self, stopped=False) -> str:
        width = len(str(self.epochs_))
        done = f"{self.label} {self.done_:>{width}}/{self.epochs_} epochs"
        return f"{done}, stopped early" if stopped else done

    def on_batch_end(self, net, training=False, **kwargs):
        if training and self.bar_ is not None:
            self.bar_.update()

    def on_epoch_end(self, net, **kwargs):
        self.done_ += 1
        if self.bar_ is not None:
            self.bar_.set_description_str(self._describe(), refresh=False)

    def on_train_end(self, net, **kwargs):
        """Complete and close the bar, or write the line of a non-terminal.

        When training stopped before its last epoch, the bar is completed at
        the epochs done, so that it shows no time left. Placed before the
        other callbacks, the bar closes before the lines that say how
        training ended (:class:`EarlyStopping`'s), below the last epoch's.
        """
        stopped = self.done_ < self.epochs_
        if self.bar_ is None:
            elapsed = tqdm.format_interval(time.monotonic() - self.start_)
            sys.stderr.write(f"{self._describe(stopped)} in {elapsed}\n")
            sys.stderr.flush()
        else:
            if stopped:
                self.bar_.total = self.bar_.n
            self.bar_.set_description_str(self._describe(stopped), refresh=False)
            self.bar_.close()  # drawn a last time, with the final count
        del self.bar_, self.start_


def _redraws(stream) -> bool:
    """Whether a bar redrawn in place shows as one line: on a terminal, or
    as a widget in a notebook."""
    from tqdm.auto import tqdm as tqdm_auto
    from tqdm.notebook import tqdm_notebook

    if issubclass(tqdm_auto, tqdm_notebook):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _tqdm(**kwargs):
    """A ``tqdm`` bar: a widget in a notebook that can show one, else text."""
    from tqdm.auto import tqdm as tqdm_auto

    try:
        return tqdm_auto(**kwargs)
    except ImportError:  # a notebook without ipywidgets
        return tqdm(**kwargs)


class Convergence(Callback):
    """Stop when the training objective has stopped falling: ``MLPClassifier``'s
    rule without early stopping.

    Reads ``train_loss`` (the training objective) from each epoch's record.
    An epoch makes no progress when its objective is not below the lowest
    so far by more than ``tol`` (a non-finite one never is); training stops
    after ``patience`` such epochs in a row. (``MLPClassifier`` applies the
    same test and stops after ``n_iter_no_change + 1`` of them.) The
    parameters are those of the last epoch: no snapshot is kept.

    Parameters
    ----------
    patience : int
        Consecutive epochs without progress after which training stops.
    tol : float
        Least decrease below the lowest objective so far that counts as
        progress.

    Attributes
    ----------
    best_loss_ : float
        Lowest finite training objective of the call so far.
    stalled_ : int
        Epochs without progress in a row, up to the last one.
    stopped_ : bool
        Whether the training call ended because ``patience`` ran out.
    """

    def __init__(self, patience: int, tol: float):
        self.patience = patience
        self.tol = tol

    def on_train_begin(self, net, **kwargs):
        self.first_epoch_ = len(net.history) + 1
        self.best_loss_ = math.inf
        self.stalled_ = 0
        self.stopped_ = False

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        finite = math.isfinite(loss)
        progress = finite and loss < self.best_loss_ - self.tol
        self.stalled_ = 0 if progress else self.stalled_ + 1
        if finite:
            self.best_loss_ = min(self.best_loss_, loss)
        if self.stalled_ >= self.patience:
            net.stop_training_ = self.stopped_ = True

    def on_train_end(self, net, **kwargs):
        if self.stopped_ and net.verbose:
            write_line(
                f"Converged after epoch {len(net.history)}: the training "
                f"objective did not fall by more than tol={self.tol:g} below "
                f"its lowest value for {self.patience} epochs in a row."
            )


class EarlyStopping(Callback):
    """Keep the best epoch's parameters; stop after ``patience`` epochs without gain.

    Reads ``valid_score`` (greater is better) from each epoch's record. An
    epoch improves when its score exceeds the best so far by more than
    ``tol``; its parameters are then copied to host memory, replacing the
    previous copy, so one snapshot lives at a time. When training ends the
    best snapshot is loaded back into the module and released, and, when the
    net is verbose, one line says how training ended and which epoch was
    restored.

    Parameters
    ----------
    patience : int or None
        Epochs without improvement after which training stops (None: never;
        the best epoch is still restored).
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
    stopped_ : bool
        Whether the training call ended because ``patience`` ran out.
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
        self.stopped_ = False

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
        if self.patience is not None and epoch - last_gain >= self.patience:
            net.stop_training_ = self.stopped_ = True

    def on_train_end(self, net, **kwargs):
        if self.snapshot_ is not None:
            net.module_.load_state_dict(self.snapshot_)
            self.snapshot_ = None  # the module now holds these values
        if net.verbose and self.best_epoch_ is not None:
            if not (net.diverged_ or net.interrupted_):  # those warn instead
                write_line(self._outcome(len(net.history)))

    def _outcome(self, last_epoch: int) -> str:
        """One line on how training ended and which epoch was restored."""
        if self.stopped_:
            return (
                f"Stopped early after epoch {last_epoch}: the validation score "
                f"did not improve by more than tol={self.tol:g} in "
                f"{self.patience} epochs. Restored the parameters of epoch "
                f"{self.best_epoch_}, the best."
            )
        reached = f"Reached max_iter at epoch {last_epoch} without stopping early"
        if self.best_epoch_ == last_epoch:
            return f"{reached}; the last epoch is the best."
        return (
            f"{reached}; restored the parameters of epoch {self.best_epoch_}, the best."
        )
