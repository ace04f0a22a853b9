"""How many threads a fit or a prediction computes on.

PyTorch runs its kernels on a pool of OpenMP threads, one per core by
default. A small network gains nothing from a second thread: each
minibatch's products are too small to split profitably, and most of a step
is fixed per-call work that only the calling thread does. Worse, after each
parallel region the OpenMP workers spin, waiting for the next one; on a
machine where another program wants a core, the spinning takes the time the
calling thread needs, and a fit of a small network can take ten times longer
on two threads than on one (see the benchmarks' "On a busy machine").

So, unless the user chose a thread count, sklreg computes a fit or a
prediction whose work per forward pass is small (fewer than
:data:`MIN_PARALLEL_WORK` multiply-adds per minibatch or prediction chunk)
on one thread, and puts the caller's setting back when it returns, raises or
is interrupted. Larger networks keep the caller's thread count. Results do
not depend on the choice (see :func:`compute_threads`).

A choice is the user's when the environment names a thread count
(``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS``: set by the user, by joblib's
loky workers, by Dask's), or when ``torch.get_num_threads()`` differs from
what it was when sklreg was imported (a ``torch.set_num_threads`` call, or a
``threadpoolctl.threadpool_limits`` block, since then). Setting the value
torch already had cannot be told from not setting it.
"""

import contextlib
import math
import os
import weakref
from collections.abc import Iterator

import torch
from torch import nn

#: Multiply-adds of one forward pass (a minibatch, or a chunk of prediction
#: rows) below which a second thread cannot pay for itself: the step is then
#: computed on one thread, unless the user chose a thread count.
MIN_PARALLEL_WORK = 2**25

#: Environment variables that name a thread count for PyTorch's kernels.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: ``torch.get_num_threads()`` when sklreg was imported: torch's default,
#: unless the user changed it before importing sklreg.
_THREADS_AT_IMPORT = torch.get_num_threads()

_CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)

#: Multiply-adds per row of each module seen, kept while the module lives.
_WORK_PER_ROW: "weakref.WeakKeyDictionary[nn.Module, int]" = weakref.WeakKeyDictionary()


def user_threads() -> int | None:
    """The thread count the user chose for PyTorch, or None if none was chosen."""
    threads = torch.get_num_threads()
    if any(os.environ.get(name) for name in THREAD_VARIABLES):
        return threads
    if threads != _THREADS_AT_IMPORT:
        return threads
    return None


def work_per_row(module: nn.Module, rows=None) -> int:
    """Multiply-adds of one row's forward pass through ``module``.

    A dense layer (or a batched one, such as the towers of a multi-task
    network, or a locally connected layer) uses each weight once per row; a
    convolution uses its kernel once per output position, read from one
    forward pass on the first of ``rows`` (a tensor, or sparse rows, read
    only when there is a convolution). Elementwise work (biases,
    activations, pooling) is left out. The result is kept for the module's
    lifetime.
    """
    cached = _WORK_PER_ROW.get(module)
    if cached is not None:
        return cached
    convolutions = [m for m in module.modules() if isinstance(m, _CONVOLUTIONS)]
    positions = {}
    if convolutions and rows is not None:
        handles = [
            conv.register_forward_hook(
                lambda m, args, out: positions.__setitem__(m, math.prod(out.shape[2:]))
            )
            for conv in convolutions
        ]
        was_training = module.training
        try:
            module.eval()
            with torch.inference_mode():
                module(rows[:1])
        finally:
            module.train(was_training)
            for handle in handles:
                handle.remove()
    work = 0
    for sub in module.modules():
        weight = getattr(sub, "weight", None)
        if not isinstance(weight, nn.Parameter) or weight.dim() < 2:
            continue
        work += weight.numel() * positions.get(sub, 1)
    _WORK_PER_ROW[module] = work
    return work


def compute_threads(work: int) -> int | None:
    """Threads for a forward pass of ``work`` multiply-adds; None: the caller's.

    One thread when the work is below :data:`MIN_PARALLEL_WORK` and the user
    chose no thread count. The thread count changes how a few reductions of
    more than 32,768 values split their sums, never the matrix products, the
    elementwise kernels or the optimizer's update: the fitted parameters and
    predictions come out the same on one thread and on several.
    """
    if work >= MIN_PARALLEL_WORK or user_threads() is not None:
        return None
    return 1


@contextlib.contextmanager
def thread_policy(threads: int | None) -> Iterator[None]:
    """Compute on ``threads`` threads inside the block (None: leave them).

    The caller's ``torch.get_num_threads()`` is restored on the way out,
    whether the block returns, raises or is interrupted.
    """
    previous = torch.get_num_threads()
    if threads is None or threads == previous:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def fit_threads(module: nn.Module, batch_size: int, rows=None) -> int | None:
    """Threads for training ``module`` on minibatches of ``batch_size`` of
    ``rows`` (see :func:`work_per_row`)."""
    return compute_threads(batch_size * work_per_row(module, rows))


def predict_threads(module: nn.Module, chunk: int, mc_samples: int, rows=None):
    """Threads for prediction passes over chunks of ``chunk`` of ``rows``
    with ``mc_samples`` thinned networks."""
    work = chunk * max(1, mc_samples) * work_per_row(module, rows)
    return compute_threads(work)
