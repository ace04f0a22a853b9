"""The training engine: skorch glue between the estimators and the torch side.

* ``_net``: :class:`PenalizedNet`, the loop and the objective;
* ``_build``: :func:`build_net`, the engine of one training call, built
  from the estimator's resolved plan;
* ``_data``: the validated training arrays, tensors on the device and their
  minibatch iterator;
* ``_optim``: the solver registry (optimizers, and the step sizes of their
  updates that proximal steps scale by);
* ``_callbacks``: the max-norm constraint, early stopping and training
  feedback (the epoch log and the progress bar);
* ``_schedules``: the learning-rate schedules (``learning_rate``);
* ``_outcome``: what a finished training call means (divergence, an
  interrupt);
* ``_predict``: chunked forward passes for prediction;
* ``_threads``: how many threads a fit or a prediction computes on.
"""

from ._build import build_net
from ._callbacks import (
    Convergence,
    EarlyStopping,
    EpochLog,
    MaxNormConstraint,
    ProgressBar,
)
from ._data import (
    FitData,
    SparseRows,
    TensorBatchIterator,
    TensorData,
    as_rows,
    to_tensor,
)
from ._net import HISTORY_KEYS, PenalizedNet
from ._optim import SOLVERS, build_optimizer
from ._outcome import check_outcome
from ._predict import forward_outputs
from ._schedules import LEARNING_RATES, LearningRateSchedule, adaptive_rates

__all__ = [
    "HISTORY_KEYS",
    "LEARNING_RATES",
    "SOLVERS",
    "Convergence",
    "EarlyStopping",
    "EpochLog",
    "FitData",
    "LearningRateSchedule",
    "MaxNormConstraint",
    "PenalizedNet",
    "ProgressBar",
    "SparseRows",
    "TensorBatchIterator",
    "TensorData",
    "adaptive_rates",
    "as_rows",
    "build_net",
    "build_optimizer",
    "check_outcome",
    "forward_outputs",
    "to_tensor",
]
