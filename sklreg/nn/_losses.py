"""Per-sample data losses and their sample-weighted mean.

Each loss maps ``(output, target)`` to one value per row; the objective's data
term is the sample-weighted mean of those values (``sum(w * l) / sum(w)``), so
that an integer weight is equivalent to repeating the row and a zero weight to
dropping it.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._softmax import log_softmax


def cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy of logits ``(n, n_classes)`` against class indices."""
    return F.cross_entropy(output, target, reduction="none")


def binary_cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sigmoid cross-entropy of logits ``(n, n_labels)``, averaged over labels."""
    loss = F.binary_cross_entropy_with_logits(output, target, reduction="none")
    return loss.mean(dim=1)


def squared_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared error ``(n, n_outputs)``, averaged over outputs (no 1/2 factor)."""
    return (output - target).square().mean(dim=1)


def absolute_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Absolute error ``(n, n_outputs)``, averaged over outputs."""
    return (output - target).abs().mean(dim=1)


#: Where the Huber loss turns from quadratic to linear, in target units.
HUBER_DELTA = 1.0


def huber(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Huber loss ``(n, n_outputs)`` with ``delta = HUBER_DELTA``, averaged
    over outputs: ``r**2 / 2`` for ``|r| <= delta``, else
    ``delta * (|r| - delta / 2)`` (PyTorch's ``huber_loss``)."""
    loss = F.huber_loss(output, target, reduction="none", delta=HUBER_DELTA)
    return loss.mean(dim=1)


def poisson(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Half Poisson deviance ``(n, n_outputs)`` of the log-mean ``output``,
    averaged over outputs: ``mu - y * log(mu) + y * log(y) - y`` with
    ``mu = exp(output)``; zero where ``mu == y``."""
    loss = output.exp() - target * output + torch.xlogy(target, target) - target
    return loss.mean(dim=1)


def weighted_mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values`` weighted by ``weight`` (plain mean when ``None``)."""
    if weight is None:
        return values.mean()
    return torch.dot(values, weight) / weight.sum()


#: Maps a data-loss name to its per-sample function.
DATA_LOSSES = {
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "squared_error": squared_error,
    "absolute_error": absolute_error,
    "huber": huber,
    "poisson": poisson,
}

#: The losses of a regressor whose output is the log of the prediction.
LOG_LINK_LOSSES = frozenset({"poisson"})


def _mean_huber(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.huber_loss(output, target, delta=HUBER_DELTA)


def _mean_poisson(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return poisson(output, target).mean()


#: The unweighted mean of each loss as one fused call (equal to
#: ``DATA_LOSSES[name](...).mean()``, cheaper per minibatch).
_MEAN_LOSSES = {
    "cross_entropy": F.cross_entropy,
    "binary_cross_entropy": F.binary_cross_entropy_with_logits,
    "squared_error": F.mse_loss,
    "absolute_error": F.l1_loss,
    "huber": _mean_huber,
    "poisson": _mean_poisson,
}


def _task_cross_entropy(
    output: torch.Tensor,
    target: torch.Tensor,
    widest: int,
    columns: torch.Tensor | None,
    reduction: str = "none",
) -> torch.Tensor:
    """Softmax cross-entropy of several tasks, averaged over the tasks.

    ``output`` (n, sum of the tasks' classes) holds one block of logits per
    task, side by side; ``target`` (n, n_tasks) the class index of each task.
    When the blocks differ in width, ``columns`` says where each logit goes
    in blocks padded to the ``widest`` one (``t * widest + j`` for class ``j``
    of task ``t``); it is None when every block is ``widest`` wide.
    Padded logits are ``-inf``: they get zero probability and no gradient.

    With ``reduction='none'`` returns one value per row (the mean over tasks);
    with ``'mean'``, the mean over rows and tasks.
    """
    logits = output
    if columns is not None:
        n_tasks = target.shape[1]
        logits = output.new_full((len(output), n_tasks * widest), -torch.inf)
        logits = logits.index_copy(1, columns, output)
    logits = logits.unflatten(1, (-1, widest)).transpose(1, 2)  # (n, widest, T)
    loss = F.cross_entropy(logits, target, reduction=reduction)
    return loss.mean(dim=1) if reduction == "none" else loss


class DataLoss(nn.Module):
    """Sample-weighted mean of a per-sample loss: the data term of the objective.

    Parameters
    ----------
    name : {'cross_entropy', 'binary_cross_entropy', 'squared_error', \
            'absolute_error', 'huber', 'poisson'}
        Key of :data:`DATA_LOSSES`.
    n_classes : sequence of int, default=None
        For ``'cross_entropy'`` on several tasks at once: the number of
        classes of each task. The output then holds one block of logits per
        task, side by side (task 0's classes first), the target one column
        of class indices per task, and the loss of a row is the mean over
        tasks of each task's softmax cross-entropy.
    label_smoothing : float, default=0.0
        For the cross-entropies: the share ``eps`` of each target spread
        evenly over the classes, PyTorch's meaning. ``'cross_entropy'``
        compares the softmax with ``(1 - eps) * one_hot + eps / n_classes``
        (per task); ``'binary_cross_entropy'`` smooths each binary target
        to ``y * (1 - eps) + eps / 2``.
    """

    def __init__(
        self,
        name: str,
        n_classes: Sequence[int] | None = None,
        label_smoothing: float = 0.0,
    ):
        super().__init__()
        if n_classes is not None and name != "cross_entropy":
            raise ValueError(
                f"n_classes applies to the 'cross_entropy' loss, not to {name!r}"
            )
        if label_smoothing and name not in ("cross_entropy", "binary_cross_entropy"):
            raise ValueError(
                f"label_smoothing applies to the cross-entropies, not to {name!r}"
            )
        self.label_smoothing = float(label_smoothing)
        self.name = name
        self.n_classes = None if n_classes is None else tuple(map(int, n_classes))
        self._per_sample = DATA_LOSSES[name]
        self._mean = _MEAN_LOSSES[name]
        self._widest = columns = None
        if self.n_classes is not None:
            self._widest = widest = max(self.n_classes)
            if len(set(self.n_classes)) > 1:  # blocks of different widths
                columns = torch.tensor(
                    [
                        t * widest + j
                        for t, c in enumerate(self.n_classes)
                        for j in range(c)
                    ]
                )
        # a buffer, so that it moves to the training device with the loss
        self.register_buffer("task_columns", columns, persistent=False)

    def rows(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss of each row, ``(n,)``, whose weighted mean is ``forward``."""
        if self.label_smoothing:
            return self._smoothed(output, target)
        if self.n_classes is not None:
            return _task_cross_entropy(output, target, self._widest, self.task_columns)
        return self._per_sample(output, target)

    def average_members(self, output: torch.Tensor) -> torch.Tensor:
        """The output of an ensemble that averages its members' predictions.

        ``output`` ``(n_members, n, n_outputs)`` holds each member's output;
        the result ``(n, n_outputs)`` is, in this loss's terms, the output
        whose prediction is the members' mean prediction: the log of the
        mean probabilities (``'cross_entropy'``, per task), the logit of
        the mean probabilities (``'binary_cross_entropy'``), the log of the
        mean rate (``'poisson'``), the mean output otherwise.
        """
        log_k = math.log(len(output))
        if self.name == "cross_entropy":
            sizes = self.n_classes or (output.shape[-1],)
            log_probs = torch.cat(
                [log_softmax(block) for block in output.split(sizes, dim=-1)], -1
            )
            return torch.logsumexp(log_probs, 0) - log_k
        if self.name == "binary_cross_entropy":
            log_p = torch.logsumexp(F.logsigmoid(output), 0)
            return log_p - torch.logsumexp(F.logsigmoid(-output), 0)
        if self.name in LOG_LINK_LOSSES:
            return torch.logsumexp(output, 0) - log_k
        return output.mean(0)

    def forward(
        self,
        output: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if self.label_smoothing:
            return weighted_mean(self._smoothed(output, target), weight)
        if self.n_classes is not None:
            widest, columns = self._widest, self.task_columns
            if weight is None:
                return _task_cross_entropy(output, target, widest, columns, "mean")
            values = _task_cross_entropy(output, target, widest, columns)
            return weighted_mean(values, weight)
        if weight is None:
            return self._mean(output, target)
        return weighted_mean(self._per_sample(output, target), weight)

    def _smoothed(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-row loss against smoothed targets."""
        eps = self.label_smoothing
        if self.name == "binary_cross_entropy":
            return binary_cross_entropy(output, target * (1.0 - eps) + eps / 2)
        if self.n_classes is None:
            return F.cross_entropy(
                output, target, reduction="none", label_smoothing=eps
            )
        blocks = output.split(self.n_classes, dim=1)  # one softmax per task
        losses = [
            F.cross_entropy(block, target[:, t], reduction="none", label_smoothing=eps)
            for t, block in enumerate(blocks)
        ]
        return torch.stack(losses, dim=1).mean(dim=1)

    def extra_repr(self) -> str:
        if self.n_classes is None:
            return repr(self.name)
        return f"{self.name!r}, n_classes={self.n_classes}"


class MemberLoss(nn.Module):
    """The data term of an ensemble's objective (see :class:`~sklreg.nn.Ensemble`).

    Each member's data loss is the sample-weighted mean of ``data_loss``
    over the rows, with the member's own weights when ``weight`` has one
    column per member (bootstrap counts); the term is their sum times
    ``term_weight`` (1: the sum, every member training as if alone;
    ``1 / n_members``: the mean).

    :meth:`averaged` is the loss of the ensemble's averaged prediction
    (:meth:`DataLoss.average_members`): what early stopping scores.

    Parameters
    ----------
    data_loss : DataLoss
    term_weight : float, default=1.0
    """

    def __init__(self, data_loss: DataLoss, term_weight: float = 1.0):
        super().__init__()
        self.data_loss = data_loss
        self.term_weight = float(term_weight)
        self.name = data_loss.name  # the data loss's, as the estimators read it
        # one softmax over every member's rows: through sklreg.nn's
        # log_softmax, fast when the classes are few
        self._softmax_rows = (
            data_loss.name == "cross_entropy"
            and data_loss.n_classes is None
            and not data_loss.label_smoothing
        )

    def _rows(self, flat: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self._softmax_rows:
            return F.nll_loss(log_softmax(flat), targets, reduction="none")
        return self.data_loss.rows(flat, targets)

    def forward(
        self,
        output: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        k, n = output.shape[:2]
        flat = output.flatten(0, 1)
        targets = target.expand(k, *target.shape).flatten(0, 1)
        if weight is None or weight.ndim == 1:  # one weight per row: the
            # mean over members x rows is the mean of the members' losses
            rows = None if weight is None else weight.repeat(k)
            if self._softmax_rows:
                mean = weighted_mean(self._rows(flat, targets), rows)
            else:
                mean = self.data_loss(flat, targets, rows)
            return mean * (k * self.term_weight)
        values = self._rows(flat, targets).view(k, n)
        member_weight = weight.T  # (k, n)
        totals = member_weight.sum(1)
        losses = (values * member_weight).sum(1) / totals.clamp_min(
            torch.finfo(totals.dtype).tiny
        )
        return losses.sum() * self.term_weight

    def averaged(
        self,
        output: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The data loss of the members' averaged prediction."""
        return self.data_loss(self.data_loss.average_members(output), target, weight)
