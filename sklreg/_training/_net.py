"""The training engine: a skorch ``NeuralNet`` whose objective is penalized.

``PenalizedNet`` keeps skorch's structure (``initialize``, callbacks,
``fit_loop``, ``History``) and overrides the steps that matter for speed and
for regularization:

* ``get_iterator`` slices minibatches from tensors already on the device
  (:class:`~sklreg._training.TensorBatchIterator`);
* ``objective`` computes the sample-weighted data loss and every penalty term
  in one place and returns them by name;
* ``run_single_epoch`` accumulates those terms on the device and records their
  epoch means in ``history`` once per epoch (one host synchronisation per
  epoch, not per batch);
* ``initialize_optimizer`` builds the solver from the registry with fused
  steps and decoupled weight decay on the weights only;
* ``train_step`` follows each optimizer step with the proximal step of the
  penalties that have one (soft-thresholding for proximal L1), scaled by the
  step size the optimizer took.
"""

import math

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer
from skorch.utils import TeeGenerator

from ..nn import dropout_generator, weight_parameters
from ..penalties import PENALTY_TERMS
from ..utils import derive_seeds
from ._data import TensorBatchIterator
from ._optim import build_optimizer, step_sizes
from ._predict import PREDICT_CHUNK
from ._threads import fit_threads, thread_policy

#: Keys of each epoch record kept for users, in order (``sparsity`` comes with
#: an L1 penalty, validation keys with early stopping).
HISTORY_KEYS = (
    "epoch",
    "train_loss",
    "data_loss",
    *PENALTY_TERMS,
    "sparsity",
    "valid_loss",
    "valid_score",
    "lr",
    "dur",
    "interrupted",
)


#: Key that derives the seed of the input noise of an epoch.
_NOISE_KEY = 2

#: Stands for ``module_`` in the pickled state of a net (see ``__getstate__``).
_TRAINED_MODULE = "<module_>"


def _detach_penalty_grads(penalties) -> list:
    """The penalties whose gradient the engine adds after each backward pass.

    A penalty with a handwritten gradient, when no other penalty adds to the
    gradients of parameters: each parameter's gradient is then the sum of
    two terms (the data loss's and this penalty's), which is the same in
    either order, so the training is bit for bit autograd's.
    """
    direct = [penalty for penalty in penalties if penalty.grads_parameters]
    if len(direct) != 1 or not direct[0].handwritten_grad:
        return []
    direct[0].detach_grad()
    return direct


#: Per-batch hooks of skorch's callbacks.
_BATCH_HOOKS = ("on_batch_begin", "on_grad_computed", "on_batch_end")


def _batch_callbacks(net) -> dict:
    """For each per-batch hook, whether a callback (or a subclass of the net)
    implements it: the loop notifies a hook only then (a call per batch and
    callback costs as much as a small kernel)."""
    return {
        hook: getattr(type(net), hook) is not getattr(PenalizedNet, hook)
        or any(
            getattr(type(callback), hook, None) is not getattr(Callback, hook)
            for _, callback in net.callbacks_
        )
        for hook in _BATCH_HOOKS
    }


class PenalizedNet(NeuralNet):
    """skorch net minimising ``data loss + sum of penalties``.

    Parameters
    ----------
    module : torch.nn.Module
        An initialized module; when ``penalties`` need hidden activations,
        ``module(X, return_hidden=True)`` must return ``(output, hidden)``.
    criterion : torch.nn.Module
        ``criterion(output, target, sample_weight)`` returns the weighted mean
        data loss (see :class:`sklreg.nn.DataLoss`).
    penalties : sequence of Penalty, default=()
        Penalty objects (:mod:`sklreg.penalties`); each is bound to the module
        at the start of every training call. Those with a proximal part apply
        it after every optimizer step; when one drives weights to zero
        (``sparse_weights``), each epoch records ``sparsity``, the fraction of
        the weights that are exactly zero at its end.
    solver : str, default='adam'
        Key of :data:`~sklreg._training._optim.SOLVERS`.
    lr : float, default=1e-3
    momentum : float, default=0.9
        Momentum of ``sgd``.
    optimizer_settings : dict, default=None
        Further settings of the solver: ``nesterov`` (``sgd``), ``betas``
        and ``eps`` (``adam``, ``adamw``); PyTorch's defaults when None.
    weight_decay : float, default=0.0
        Decoupled weight decay on the weights (``adamw``).
    batch_size : int, default=200
    shuffle : bool, default=True
        Draw a new order of the training rows for each epoch.
    random_seed : int, default=0
        Seeds the permutations and the dropout masks; together with the number
        of epochs already run, so that resumed training continues the stream.
    max_updates : int, default=None
        If set, each training call stops after this many parameter updates,
        possibly in the middle of an epoch.
    input_noise : float, default=0.0
        Standard deviation of the Gaussian noise added to each training
        minibatch's inputs (never to validation or prediction inputs); drawn
        in float32 from a seeded generator of its own, so that the draws do
        not depend on the dtype and leave the dropout masks unchanged.
    **kwargs
        Passed to :class:`skorch.NeuralNet` (``max_epochs``, ``callbacks``,
        ``device``, ``verbose``, ...).
    """

    def __init__(
        self,
        module,
        criterion,
        *,
        penalties=(),
        solver="adam",
        lr=1e-3,
        momentum=0.9,
        optimizer_settings=None,
        weight_decay=0.0,
        batch_size=200,
        shuffle=True,
        random_seed=0,
        max_updates=None,
        input_noise=0.0,
        **kwargs,
    ):
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("predict_nonlinearity", None)
        kwargs.setdefault("torch_load_kwargs", {"weights_only": False})
        super().__init__(module, criterion, lr=lr, batch_size=batch_size, **kwargs)
        self.penalties = penalties
        self.solver = solver
        self.momentum = momentum
        self.optimizer_settings = optimizer_settings
        self.weight_decay = weight_decay
        self.shuffle = shuffle
        self.random_seed = random_seed
        self.max_updates = max_updates
        self.input_noise = input_noise

    # -- persistence ----------------------------------------------------------
    def __getstate__(self):
        # ``module`` (the argument) is the very module that training updates,
        # ``module_``, which skorch pickles device-aware (so that a model
        # trained on a GPU loads on a machine without one). Pickle it there
        # only, not a second time as a plain attribute.
        state = super().__getstate__()
        if state.get("module") is self.__dict__.get("module_"):
            state["module"] = _TRAINED_MODULE
        return state

    def __setstate__(self, state):
        trained = state.get("module") == _TRAINED_MODULE
        super().__setstate__(state)
        if trained:
            self.module = self.module_

    # -- components ---------------------------------------------------------
    @property
    def _default_callbacks(self):
        # no PrintLog: the estimator adds its own feedback callbacks
        return [("epoch_timer", EpochTimer())]

    def initialize_optimizer(self, triggered_directly=None):
        self.optimizer_ = build_optimizer(
            self.solver,
            self.module_,
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            **(self.optimizer_settings or {}),
        )
        return self

    @property
    def n_updates_(self) -> int:
        """Parameter updates applied so far (summed over the history)."""
        return sum(row.get("train_batch_count", 0) for row in self.history)

    def _seeds(self):
        """Seeds of the shuffling and dropout streams for the next epoch."""
        return derive_seeds(self.random_seed, len(self.history), n=2)

    # -- data -----------------------------------------------------------------
    def get_iterator(self, dataset, training=False):
        # The loop and skorch's forward_iter use each batch before asking for
        # the next one, so the iterator may reuse its block memory.
        if not training:  # evaluation only: large chunks, in order
            return TensorBatchIterator(
                dataset, max(self.batch_size, PREDICT_CHUNK), reuse_memory=True
            )
        return TensorBatchIterator(
            dataset,
            self.batch_size,
            shuffle=self.shuffle,
            seed=self._seeds()[0],
            reuse_memory=True,
        )

    # -- the loop -------------------------------------------------------------
    def fit_loop(
        self,
        X,
        y=None,
        epochs=None,
        *,
        valid_data=None,
        valid_scorer=None,
        **fit_params,
    ):
        """Train on ``X`` (a :class:`TensorData`) for ``epochs`` epochs.

        Parameters
        ----------
        X : TensorData
            Training rows.
        y : None
            Unused (the targets are in ``X``).
        epochs : int, default=None
            Epochs to run (``max_epochs`` when None). Training ends earlier
            when a callback sets ``stop_training_`` or after ``max_updates``
            parameter updates (possibly mid-epoch).
        valid_data : TensorData, default=None
            Validation rows: after every epoch their sample-weighted data loss
            is recorded as ``valid_loss``, and ``valid_score`` is recorded too.
        valid_scorer : callable, default=None
            ``valid_scorer()`` returns the epoch's validation score (greater is
            better); when None, ``valid_score`` is ``-valid_loss``.
        """
        self.check_training_readiness()
        epochs = self.max_epochs if epochs is None else epochs
        self.penalties_ = [penalty.bind(self.module_) for penalty in self.penalties]
        self.needs_hidden_ = any(penalty.needs_hidden for penalty in self.penalties_)
        self.proximal_ = [penalty for penalty in self.penalties_ if penalty.proximal]
        self.detached_ = _detach_penalty_grads(self.penalties_)
        self.batch_callbacks_ = _batch_callbacks(self)
        sparse = any(penalty.sparse_weights for penalty in self.penalties_)
        self.sparsity_weights_ = weight_parameters(self.module_) if sparse else []
        self.trainable_params_ = [
            p for group in self.optimizer_.param_groups for p in group["params"]
        ]
        self.stop_training_ = False
        self.diverged_ = self.interrupted_ = False
        self.updates_left_ = self.max_updates
        masks = torch.Generator(self.device).manual_seed(self._seeds()[1])
        threads = fit_threads(self.module_, min(self.batch_size, len(X)), X.X)
        self.noise_ = None
        if self.input_noise:  # a stream of its own: the masks stay the same
            seed = derive_seeds(self.random_seed, len(self.history), _NOISE_KEY)[0]
            self.noise_ = torch.Generator(self.device).manual_seed(seed)
        unfinished = None
        try:
            iterator_train = self.get_iterator(X, training=True)
            iterator_valid = None
            if valid_data is not None:
                iterator_valid = self.get_iterator(valid_data, training=False)
            on_epoch = {"dataset_train": X, "dataset_valid": valid_data}
            with thread_policy(threads), dropout_generator(self.module_, masks):
                for _ in range(epochs):
                    unfinished = (self._parameter_copy(), len(self.history))
                    self.notify("on_epoch_begin", **on_epoch)
                    self.run_single_epoch(
                        iterator_train, True, "train", step_fn=self.train_step
                    )
                    if iterator_valid is not None:
                        self.run_single_epoch(
                            iterator_valid, False, "valid", self.validation_step
                        )
                        score = (
                            -self.history[-1, "valid_loss"]
                            if valid_scorer is None
                            else float(valid_scorer())
                        )
                        self.history.record("valid_score", score)
                    self.notify("on_epoch_end", **on_epoch)
                    unfinished = None  # the epoch is complete
                    if self.diverged_ or self.stop_training_:
                        break
                    if self.updates_left_ == 0:
                        break
        except KeyboardInterrupt:
            self._interrupt(unfinished)
        finally:
            # bound tensors are per training call: never pickled, always fresh
            del self.penalties_, self.proximal_, self.sparsity_weights_
            del self.trainable_params_, self.detached_, self.batch_callbacks_
            del self.noise_
        return self

    def _parameter_copy(self) -> list[torch.Tensor]:
        """A copy of the parameters (on their device), to undo an epoch."""
        with torch.no_grad():
            return [p.detach().clone() for p in self.module_.parameters()]

    def _interrupt(self, unfinished):
        """Undo the unfinished epoch of an interrupted training call.

        ``unfinished`` is ``(parameters at the epoch's start, number of history
        records before it)``, or None between epochs. The module gets back the
        parameters of the last finished epoch, the unfinished epoch's record
        is dropped, and the last finished record is marked ``interrupted``.
        """
        self.interrupted_ = True
        if unfinished is not None:
            start, n_records = unfinished
            with torch.no_grad():
                for param, value in zip(self.module_.parameters(), start, strict=True):
                    param.copy_(value)
            del self.history[n_records:]
        if self.history:
            self.history.record("interrupted", True)

    def objective(self, X, y, sample_weight=None):
        """Every term of the objective on one minibatch, by name.

        Returns
        -------
        terms : dict of str to Tensor
            ``loss`` (the full objective), ``data_loss`` and one entry per
            penalty, keyed by the penalty's ``name``.
        """
        hidden = None
        if self.needs_hidden_:
            output, hidden = self.module_(X, return_hidden=True)
        else:
            output = self.module_(X)
        loss = data_loss = self.criterion_(output, y, sample_weight)
        terms = {"data_loss": data_loss}
        for penalty in self.penalties_:
            value = penalty(hidden, sample_weight)
            terms[penalty.name] = value
            loss = loss + value
        terms["loss"] = loss
        return terms

    def _noisy(self, X: torch.Tensor) -> torch.Tensor:
        """``X`` plus Gaussian noise of standard deviation ``input_noise``."""
        noise = torch.randn(
            X.shape, dtype=torch.float32, device=X.device, generator=self.noise_
        )
        return X + self.input_noise * noise.to(X.dtype)

    def train_step(self, batch, **fit_params):
        X, y, sample_weight = batch
        if self.noise_ is not None:
            X = self._noisy(X)
        for param in self.trainable_params_:  # zero_grad(set_to_none=True), leaner
            param.grad = None
        terms = self.objective(X, y, sample_weight)
        terms["loss"].backward()
        for penalty in self.detached_:
            penalty.add_grad_()
        if self.batch_callbacks_["on_grad_computed"]:
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
        self.optimizer_.step()
        for penalty in self.proximal_:
            penalty.prox_(self._step_sizes)
        return terms

    def _step_sizes(self, params, scale=1.0):
        """``scale`` times the step size each of ``params`` took in the last
        optimizer step."""
        return step_sizes(self.solver, self.optimizer_, params, scale)

    def _zero_fraction(self) -> torch.Tensor:
        """Fraction of the weights that are exactly zero, on the device."""
        weights = self.sparsity_weights_
        nonzero = torch.stack([torch.count_nonzero(w) for w in weights]).sum()
        return 1.0 - nonzero / sum(w.numel() for w in weights)

    def validation_step(self, batch, **fit_params):
        X, y, sample_weight = batch
        # an ensemble is scored by its members' averaged prediction
        criterion = getattr(self.criterion_, "averaged", self.criterion_)
        with torch.no_grad():
            return {"loss": criterion(self.module_(X), y, sample_weight)}

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        # skorch opens a per-batch history row here; the terms are recorded per
        # epoch instead (see run_single_epoch).
        pass

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run ``step_fn`` on every batch; record the epoch means of its terms.

        Means are exact sample-weighted means over the rows (each batch
        counts with its sum of weights, or its size without weights); they
        are accumulated on the device and read once per epoch, together with
        the fraction of zero weights when ``sparsity`` is recorded.
        """
        if iterator is None:
            return
        self._set_training(training)
        names = totals = None
        n_batches = 0
        for batch in iterator:
            if training and n_batches == self.updates_left_:
                break
            if self.batch_callbacks_["on_batch_begin"]:
                self.notify("on_batch_begin", batch=batch, training=training)
            terms = step_fn(batch, **fit_params)
            if names is None:
                names = [name for name in terms if name != "loss"]
                loss = terms["loss"]
                totals = torch.zeros(
                    len(names) + 2, dtype=loss.dtype, device=loss.device
                )
            values = torch.stack(
                [terms["loss"].detach()]
                + [terms[name].detach() for name in names]
                + [terms["loss"].new_ones(())]
            )
            weight = batch[2]
            if weight is None:
                totals.add_(values, alpha=len(batch[0]))
            else:
                totals.add_(values * weight.sum())
            n_batches += 1
            if self.batch_callbacks_["on_batch_end"]:
                self.notify("on_batch_end", batch=batch, training=training, **terms)
        sparsity = None
        if training and self.sparsity_weights_:
            zero = self._zero_fraction().to(totals.dtype).reshape(1)
            *read, sparsity = torch.cat([totals, zero]).tolist()
        else:
            read = totals.tolist()
        *sums, total_weight = read
        if training:  # an ensemble records what one member pays
            total_weight /= getattr(self.module_, "history_scale", 1.0)
        means = [value / total_weight for value in sums]
        self.history.record(f"{prefix}_loss", means[0])
        if training and not math.isfinite(means[0]):
            self.diverged_ = True  # checked once per epoch: no per-batch sync
        if training:
            recorded = dict(zip(names, means[1:], strict=True))
            for name in ("data_loss", *PENALTY_TERMS):
                self.history.record(name, recorded.get(name, 0.0))
            if sparsity is not None:
                self.history.record("sparsity", sparsity)
            if self.updates_left_ is not None:
                self.updates_left_ -= n_batches
        self.history.record(f"{prefix}_batch_count", n_batches)
