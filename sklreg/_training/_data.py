"""Training data held as tensors on the training device, and its batch iterator.

The estimator converts its inputs once; every epoch then draws one permutation
from a seeded generator; the permuted rows are gathered a block of whole
minibatches at a time (about 16 MB), and every minibatch is a slice of a
block. There is no per-sample ``Dataset.__getitem__`` and no collate
step in the training loop.

Every block starts at an address aligned like torch's own allocations (see
:func:`aligned`), so that results never depend on where the caller's array
happens to live in memory.

Sparse inputs stay sparse in host memory (:class:`SparseRows`): each block of
rows is densified on its way to the device, so the whole matrix is never
densified at once.
"""

import math
import warnings

import numpy as np
import scipy.sparse
import torch
from torch.utils.data import Dataset

#: Bytes of training data copied per gather of shuffled rows (see
#: ``TensorBatchIterator``): bounds the extra memory of shuffling, and of
#: densifying sparse input.
GATHER_BYTES = 16 * 2**20

#: Address alignment, in bytes, of the rows handed to the network: that of
#: torch's CPU allocator (a cache line).
ALIGNMENT = 64


def aligned(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``, or a copy of it at an address aligned to ``ALIGNMENT`` bytes.

    BLAS libraries choose their kernels, and with them the order of the
    floating-point sums, from the alignment of their operands (MKL's AVX2
    matrix products from 16-byte alignment), so the same numbers at two
    addresses can give results that differ in the last bits. NumPy aligns
    an array only to its item size: one unpickled from a Dask or joblib
    transfer may start at any multiple of 8 bytes. Copying those rows to an
    aligned address makes training and prediction independent of where the
    caller's array lives. Tensors on a GPU, and CPU tensors torch allocated
    (e.g. gathered rows), are returned as they are.
    """
    if _is_aligned(tensor):
        return tensor
    return tensor.clone(memory_format=torch.contiguous_format)


def _is_aligned(tensor: torch.Tensor) -> bool:
    return tensor.device.type != "cpu" or tensor.data_ptr() % ALIGNMENT == 0


class SparseRows:
    """A SciPy sparse matrix whose rows become dense tensors on demand.

    Parameters
    ----------
    matrix : scipy.sparse matrix of shape (n_samples, n_features)
        Converted to CSR (row slicing) if it is not already.
    dtype : torch.dtype
        dtype of the dense rows.
    device : torch.device
        Where the dense rows go.
    """

    def __init__(self, matrix, dtype: torch.dtype, device: torch.device):
        self.matrix = matrix.tocsr()
        self.dtype = dtype
        self.device = device

    def __len__(self) -> int:
        return self.matrix.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def row_bytes(self) -> int:
        """Bytes of one densified row."""
        return self.matrix.shape[1] * torch.finfo(self.dtype).bits // 8

    def __getitem__(self, index) -> torch.Tensor:
        """Rows ``index`` (a slice, or integer indices) as a dense tensor."""
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        return to_tensor(self.matrix[index].toarray(), self.dtype, self.device)


class TensorData(Dataset):
    """Features, targets and optional sample weights as tensors on one device.

    Parameters
    ----------
    X : Tensor of shape (n_samples, ...) or SparseRows
    y : Tensor of shape (n_samples, ...)
    sample_weight : Tensor of shape (n_samples,), default=None
        ``None`` means every row has weight one.
    """

    def __init__(
        self,
        X: torch.Tensor | SparseRows,
        y: torch.Tensor,
        sample_weight: torch.Tensor | None = None,
    ):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, index):
        w = None if self.sample_weight is None else self.sample_weight[index]
        return self.X[index], self.y[index], w

    def row_bytes(self) -> int:
        """Bytes of one row of ``X``, ``y`` and the sample weight together."""
        X = self.X
        total = X.row_bytes() if isinstance(X, SparseRows) else _row_bytes(X)
        return total + sum(
            _row_bytes(t) for t in (self.y, self.sample_weight) if t is not None
        )


def _row_bytes(tensor: torch.Tensor) -> int:
    return tensor[:1].numel() * tensor.element_size()


class TensorBatchIterator:
    """Iterate over ``(X, y, sample_weight)`` minibatches of a :class:`TensorData`.

    Parameters
    ----------
    data : TensorData
    batch_size : int
    shuffle : bool, default=False
        Draw a new permutation of the rows for each pass. When one batch holds
        every row the order cannot change the result, so no permutation is
        drawn.
    seed : int, default=0
        Seed of the generator that draws the permutations; iterators built
        with the same seed yield the same sequence of epochs.
    reuse_memory : bool, default=False
        Gather every block of rows into the same memory, allocated once per
        pass: fewer allocations and page faults, and half the peak memory of
        shuffling. A batch is then valid only until the next block is
        gathered, so only a consumer that is done with each batch before it
        asks for the next may set it (the training loop and prediction do).
    """

    def __init__(
        self,
        data: TensorData,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        reuse_memory: bool = False,
    ):
        self.data = data
        self.reuse_memory = reuse_memory
        self.batch_size = int(batch_size)
        self.shuffle = shuffle and len(data) > self.batch_size
        self.generator = torch.Generator().manual_seed(int(seed))

    def __len__(self) -> int:
        return math.ceil(len(self.data) / self.batch_size)

    def _rows_per_gather(self) -> int:
        """Rows permuted per gather: whole batches, about ``GATHER_BYTES`` of data."""
        row_bytes = self.data.row_bytes()
        batches = max(1, GATHER_BYTES // max(1, row_bytes * self.batch_size))
        return batches * self.batch_size

    def _blocks(self):
        """``(X, y, sample_weight)`` blocks of whole minibatches, in epoch order.

        One gather of rows (permuted when shuffling, densified when sparse)
        per block, so there are few calls per batch and at most
        ``GATHER_BYTES`` of copied data at a time. Dense rows in order are
        views of the data, copied only when they are not :func:`aligned`.
        With ``reuse_memory``, copies are written into one buffer per tensor,
        reused from block to block.
        """
        data = self.data
        X, y, w = data.X, data.y, data.sample_weight
        n_samples, step = len(data), self._rows_per_gather()
        perm = None
        if self.shuffle:
            perm = torch.randperm(n_samples, generator=self.generator)
            perm = perm.to(y.device)
        buffers = [_BlockBuffer(step, self.reuse_memory) for _ in range(3)]
        for first in range(0, n_samples, step):
            if perm is None:
                idx = slice(first, first + step)
            else:
                idx = perm[first : first + step]
            yield tuple(
                None if t is None else buffer.take(t, idx)
                for t, buffer in zip((X, y, w), buffers, strict=True)
            )

    def __iter__(self):
        size = self.batch_size
        for X, y, w in self._blocks():
            for start in range(0, len(X), size):
                stop = start + size
                yield (
                    X[start:stop],
                    y[start:stop],
                    (None if w is None else w[start:stop]),
                )


class _BlockBuffer:
    """Rows of one tensor, gathered or aligned into new memory per block, or,
    with ``reuse``, into memory allocated once and reused for every block."""

    def __init__(self, rows_per_block: int, reuse: bool):
        self.rows_per_block = rows_per_block
        self.reuse = reuse
        self.memory = None

    def _out(self, rows: torch.Tensor, n_rows: int) -> torch.Tensor:
        if not self.reuse:
            return torch.empty(
                (n_rows, *rows.shape[1:]), dtype=rows.dtype, device=rows.device
            )
        if self.memory is None:
            self.memory = torch.empty(
                (self.rows_per_block, *rows.shape[1:]),
                dtype=rows.dtype,
                device=rows.device,
            )
        return self.memory[:n_rows]

    def take(self, rows, index):
        """Rows ``index`` (a slice, or a tensor of row indices) of a tensor or
        :class:`SparseRows`, at an :func:`aligned` address.

        Row indices go through ``index_select``, which copies whole rows;
        plain indexing (``rows[index]``) copies element by element, with
        about seven times as many instructions. Sparse rows are densified
        into a new tensor.
        """
        if not isinstance(rows, torch.Tensor):
            return rows[index]
        if isinstance(index, torch.Tensor):
            return torch.index_select(rows, 0, index, out=self._out(rows, len(index)))
        view = rows[index]
        if _is_aligned(view):
            return view
        return self._out(rows, len(view)).copy_(view)


def to_tensor(array, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Convert a validated NumPy array to a tensor of ``dtype`` on ``device``.

    No copy is made when the array already has the right dtype and the device
    is the CPU; the training code only reads its inputs, so this holds for
    read-only arrays (e.g. memory maps) too.
    """
    array = np.ascontiguousarray(array)
    with warnings.catch_warnings():
        # torch warns that a read-only array may be written through the
        # tensor; sklreg never writes to its input tensors.
        warnings.filterwarnings("ignore", message=".*not writable.*")
        tensor = torch.as_tensor(array)
    return tensor.to(device=device, dtype=dtype)


def as_rows(X, dtype: torch.dtype, device: torch.device):
    """A validated array (dense or SciPy sparse) as rows the engine can read:
    a tensor on ``device``, or :class:`SparseRows` for a sparse matrix."""
    if hasattr(X, "tocsr"):
        return SparseRows(X, dtype, device)
    return to_tensor(X, dtype, device)


def bootstrap_weights(weight, n_rows: int, seeds, dtype) -> np.ndarray:
    """Row weights times each member's bootstrap counts.

    Member ``i`` draws ``n_rows`` rows with replacement, as
    ``BaggingClassifier`` draws a bootstrap sample
    (``RandomState(seeds[i]).randint(0, n_rows, n_rows)``); a row's count is
    how often it was drawn.

    Returns
    -------
    weights : ndarray of shape (n_rows, n_members), or (n_rows,) for one member
    """
    counts = np.stack(
        [
            np.bincount(
                np.random.RandomState(seed).randint(0, n_rows, n_rows),
                minlength=n_rows,
            )
            for seed in seeds
        ],
        axis=1,
    ).astype(dtype)
    if weight is not None:
        counts *= np.asarray(weight, dtype=dtype)[:, None]
    return counts[:, 0] if counts.shape[1] == 1 else counts


class FitData:
    """Validated, encoded training arrays and where their tensors go.

    ``raw`` may hold what the scikit-learn layer keeps beside them (the
    unencoded validation rows of a scorer).
    """

    def __init__(self, X, y_encoded, weight, dtype, device, raw=None, bootstrap=()):
        self.X, self.y, self.weight = X, y_encoded, weight
        self.dtype, self.device = dtype, device
        self.raw = raw
        self.bootstrap = bootstrap

    def concat(self, other: "FitData") -> "FitData":
        """The rows of ``self`` followed by those of ``other`` (a refit on
        the training and the validation rows together); rows without a
        weight weigh 1."""
        X = (
            scipy.sparse.vstack([self.X, other.X], format="csr")
            if scipy.sparse.issparse(self.X) or scipy.sparse.issparse(other.X)
            else np.concatenate([self.X, other.X])
        )
        weight = None
        if self.weight is not None or other.weight is not None:
            weight = np.concatenate(
                [
                    np.ones(len(d.y), self.X.dtype) if d.weight is None else d.weight
                    for d in (self, other)
                ]
            )
        y = np.concatenate([self.y, other.y])
        return FitData(X, y, weight, self.dtype, self.device, bootstrap=self.bootstrap)

    def rows(self, index=None, *, resample=True) -> TensorData:
        """Rows ``index`` (all when None) as tensors on the training device.

        With ``bootstrap`` (one seed per ensemble member), each member's
        bootstrap counts over these rows multiply their weights: the weights
        get one column per member (see :func:`bootstrap_weights`), unless
        ``resample`` is false (validation rows).

        Class indices become int64 tensors; everything else takes the
        training dtype. Sparse features stay sparse on the host (they are
        densified a block of rows at a time).
        """
        X, y, w = self.X, self.y, self.weight
        if index is not None:
            X, y = X[index], y[index]
            w = None if w is None else w[index]
        if self.bootstrap and resample:
            w = bootstrap_weights(w, len(y), self.bootstrap, self.X.dtype)
        y_dtype = torch.int64 if y.dtype.kind in "iu" else self.dtype
        return TensorData(
            as_rows(X, self.dtype, self.device),
            to_tensor(y, y_dtype, self.device),
            None if w is None else to_tensor(w, self.dtype, self.device),
        )
