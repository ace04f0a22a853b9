"""A shared trunk and one tower per task, all towers evaluated together.

Each task's tower has its own parameters (so that a penalty can name a single
tower), but the towers are never evaluated one by one: at every tower layer
the tasks' weights are stacked on a leading task dimension and applied in one
batched product. Tower activations are laid out ``(..., n_samples, n_tasks,
units)``; the task heads' logits are concatenated on the last dimension.
"""

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._activations import ACTIVATIONS
from ._dropout import Dropout
from ._mlp import MLP, _linear
from ._network import Network


def parameter_names(
    n_hidden_layers: int, n_tasks: int = 1, shared_layers: int | None = None
) -> list[str]:
    """Parameter names of a fully connected network, in ``named_parameters()`` order.

    With ``shared_layers=None`` (:class:`MLP`): ``hidden.{i}.weight``,
    ``hidden.{i}.bias`` for each hidden layer ``i`` (from 0), then
    ``output.weight``, ``output.bias``. With an integer (:class:`MultiTaskMLP`):
    ``hidden.{i}.*`` for the shared layers ``i < shared_layers``, then for each
    task ``t`` (from 0) its tower, ``towers.{t}.hidden.{i}.*`` for the other
    hidden layers (``i`` keeps counting the network's hidden layers) and
    ``towers.{t}.output.*``.

    Parameters
    ----------
    n_hidden_layers : int
        Number of hidden layers.
    n_tasks : int, default=1
        Number of tasks (towers); ignored when ``shared_layers`` is None.
    shared_layers : int or None, default=None
        Number of leading hidden layers shared by all tasks; None for a single
        network with one multi-output layer.

    Returns
    -------
    names : list of str
        One name per parameter tensor.

    Examples
    --------
    >>> from sklreg.nn import parameter_names
    >>> parameter_names(2, n_tasks=2, shared_layers=1)  # doctest: +NORMALIZE_WHITESPACE
    ['hidden.0.weight', 'hidden.0.bias',
     'towers.0.hidden.1.weight', 'towers.0.hidden.1.bias',
     'towers.0.output.weight', 'towers.0.output.bias',
     'towers.1.hidden.1.weight', 'towers.1.hidden.1.bias',
     'towers.1.output.weight', 'towers.1.output.bias']
    """

    def layer(prefix):
        return [f"{prefix}.weight", f"{prefix}.bias"]

    trunk = n_hidden_layers if shared_layers is None else shared_layers
    names = [name for i in range(trunk) for name in layer(f"hidden.{i}")]
    if shared_layers is None:
        return names + layer("output")
    for t in range(n_tasks):
        for i in range(shared_layers, n_hidden_layers):
            names += layer(f"towers.{t}.hidden.{i}")
        names += layer(f"towers.{t}.output")
    return names


class _Tower(nn.Module):
    """One task's layers: ``hidden`` keyed by the network's hidden-layer index
    (``str(i)``), then ``output``. Never called: :class:`MultiTaskMLP` stacks
    the towers' parameters and evaluates all towers at once."""

    def __init__(self, sizes, first_index, n_outputs, dtype):
        super().__init__()
        self.hidden = nn.ModuleDict(
            {
                str(first_index + k): _linear(fan_in, fan_out, dtype)
                for k, (fan_in, fan_out) in enumerate(
                    zip(sizes[:-1], sizes[1:], strict=True)
                )
            }
        )
        self.output = _linear(sizes[-1], n_outputs, dtype)


class MultiTaskMLP(Network):
    """Fully connected network with a shared trunk and one tower per task.

    ::

        input -> hidden.0 .. hidden.{s-1} -+-> tower 0: hidden.s .. -> output 0
                 (shared trunk)            +-> tower 1: hidden.s .. -> output 1
                                           +-> ...

    The first ``shared_layers`` hidden layers form the trunk; every task has
    its own copy of the remaining hidden layers and its own output head. With
    ``shared_layers=0`` the tasks share nothing (separate networks trained
    together); with ``shared_layers=len(hidden_layer_sizes)`` only the output
    heads are separate. The output is the concatenation of the heads' logits,
    task after task.

    Parameter names: ``hidden.{i}.weight``, ``hidden.{i}.bias`` for the
    trunk, ``towers.{t}.hidden.{i}.weight``, ``towers.{t}.hidden.{i}.bias``
    for the tower layers (``i`` is the network's hidden-layer index, so it
    starts at ``shared_layers``) and ``towers.{t}.output.weight``,
    ``towers.{t}.output.bias`` for the heads (see :func:`parameter_names`).

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer (of the trunk, then of every tower).
    task_outputs : sequence of int
        Width of each task's output head (e.g. 1 per regression target, the
        number of classes of a softmax task).
    shared_layers : int, default=0
        Number of leading hidden layers shared by all tasks, from 0 to
        ``len(hidden_layer_sizes)``.
    activation : {'relu', 'tanh', 'logistic', 'gelu', 'identity'}, default='relu'
        Nonlinearity after each hidden layer.
    dropout : sequence of float, default=()
        Dropout rate after each hidden layer (empty: no dropout). In a tower
        layer every tower's units are dropped independently.
    input_dropout : float, default=0.0
        Dropout rate on the input features.
    dtype : torch.dtype, default=torch.float32
        Floating dtype of the parameters.
    generator : torch.Generator, default=None
        Source of randomness for the initial weights (the global generator is
        neither used nor advanced).

    Attributes
    ----------
    width : int
        Largest number of values one row has at any layer, all towers together
        (bounds the memory of Monte-Carlo prediction).

    See Also
    --------
    MLP : One network for all outputs.

    Notes
    -----
    Weights and biases start from the Glorot uniform distribution of
    :class:`MLP`, drawn layer after layer in the order of
    ``named_parameters()``: the trunk, then tower 0, tower 1, ... With one
    task and ``shared_layers=0`` the network therefore starts from the same
    numbers as the :class:`MLP` of the same sizes, and computes the same
    function. Heads of different widths are zero-padded to the widest head
    for the batched product; the padding is not a parameter and is never
    output.
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        task_outputs: Sequence[int],
        shared_layers: int = 0,
        activation: str = "relu",
        dropout: Sequence[float] = (),
        input_dropout: float = 0.0,
        dtype: torch.dtype = torch.float32,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        sizes = [int(n_features), *map(int, hidden_layer_sizes)]
        n_hidden = len(sizes) - 1
        shared = int(shared_layers)
        if not 0 <= shared <= n_hidden:
            raise ValueError(
                f"shared_layers must be between 0 and the number of hidden layers "
                f"({n_hidden}); got {shared_layers}"
            )
        task_outputs = tuple(int(width) for width in task_outputs)
        if not task_outputs or min(task_outputs) < 1:
            raise ValueError(
                f"task_outputs must be one positive width per task; got {task_outputs}"
            )
        self.activation = activation
        self._activation_fn = ACTIVATIONS[activation]
        self.shared_layers = shared
        self.task_outputs = task_outputs
        self.hidden = nn.ModuleList(
            _linear(sizes[i], sizes[i + 1], dtype) for i in range(shared)
        )
        self.towers = nn.ModuleList(
            _Tower(sizes[shared:], shared, width, dtype) for width in task_outputs
        )
        self.input_drop = Dropout()
        # tower units span two dimensions, (n_tasks, units)
        self.hidden_drop = nn.ModuleList(
            Dropout(unit_dims=1 if i < shared else 2) for i in range(n_hidden)
        )
        n_tasks, widest = len(task_outputs), max(task_outputs)
        columns = None
        if len(set(task_outputs)) > 1:  # padded heads: which columns are real
            columns = torch.tensor(
                [
                    t * widest + j
                    for t, width in enumerate(task_outputs)
                    for j in range(width)
                ]
            )
        self.register_buffer("head_columns", columns, persistent=False)
        self.width = max(
            *sizes[: shared + 1],
            *(n_tasks * size for size in sizes[shared + 1 :]),
            n_tasks * widest,
        )
        self.set_dropout(dropout, input_dropout)
        self.reset_parameters(generator)

    @property
    def n_tasks(self) -> int:
        """Number of tasks (towers)."""
        return len(self.towers)

    def hidden_dropouts(self) -> Sequence[Dropout]:
        """The dropout layer after each hidden layer (trunk, then towers)."""
        return tuple(self.hidden_drop)

    def output_layers(self) -> Sequence[nn.Linear]:
        """Each task's head."""
        return tuple(tower.output for tower in self.towers)

    def input_weights(self) -> list[nn.Parameter]:
        """The weight matrices that read the inputs: the first hidden layer's.

        Returns
        -------
        weights : list of Parameter of shape (units, n_features)
            ``[hidden.0.weight]`` when the trunk has a layer, else every
            tower's first layer, ``towers.{t}.hidden.0.weight``, task after
            task. Column ``j`` of each holds input ``j``'s outgoing weights;
            together they are input ``j``'s group in the feature penalty
            (:class:`~sklreg.penalties.FeatureGroupPenalty`), so that an input
            is kept or removed for all tasks at once.
        """
        if self.shared_layers:
            return [self.hidden[0].weight]
        return [tower.hidden["0"].weight for tower in self.towers]

    def tower_weight_groups(self) -> list[list[str]]:
        """Names of corresponding tower weights, one group per tower layer.

        For each tower hidden layer, the weights of that layer in every tower;
        for the heads, the output weights of the towers whose heads have the
        same shape (heads of different widths are not comparable, e.g. tasks
        with different numbers of classes). Biases are not listed. Groups of
        a single tensor (a single task, or a head width no other task has)
        are left out.

        Returns
        -------
        groups : list of list of str
            Parameter names, as in ``named_parameters()``.
        """
        groups = [
            [f"towers.{t}.hidden.{key}.weight" for t in range(self.n_tasks)]
            for key in self.towers[0].hidden
        ]
        heads = {}
        for t, width in enumerate(self.task_outputs):
            heads.setdefault(width, []).append(f"towers.{t}.output.weight")
        groups.extend(heads.values())
        return [group for group in groups if len(group) > 1]

    def forward(self, X: torch.Tensor, return_hidden: bool = False):
        """Compute the concatenated output logits of every task (and,
        optionally, the hidden activations).

        Parameters
        ----------
        X : Tensor of shape (..., n_samples, n_features)
        return_hidden : bool, default=False
            Also return the list of hidden activations (after the nonlinearity,
            before dropout), one tensor per hidden layer: ``(..., n_samples,
            units)`` for the trunk, ``(..., n_samples, n_tasks, units)`` for
            the towers.

        Returns
        -------
        output : Tensor of shape (..., n_samples, sum(task_outputs))
            Task 0's logits, then task 1's, ...
        hidden : list of Tensor
            Only when ``return_hidden`` is true.
        """
        h = self.input_drop(X)
        hidden = []
        activation = self._activation_fn
        for i, drop in enumerate(self.hidden_drop):
            if i < self.shared_layers:
                h = self.hidden[i](h)
            else:
                layers = [tower.hidden[str(i)] for tower in self.towers]
                h = _tower_linear(
                    h,
                    torch.stack([layer.weight for layer in layers]),
                    torch.stack([layer.bias for layer in layers]),
                    per_task=i > self.shared_layers,
                    factors=_factors(layers, torch.stack),
                )
            h = activation(h)
            if return_hidden:
                hidden.append(h)
            h = drop(h)
        heads = [tower.output for tower in self.towers]
        stack = torch.stack if self.head_columns is None else _pad_stack
        output = _tower_linear(
            h,
            stack([head.weight for head in heads]),
            stack([head.bias for head in heads]),
            per_task=len(self.hidden_drop) > self.shared_layers,
            factors=_factors(heads, stack),
        ).flatten(-2)
        if self.head_columns is not None:
            output = output.index_select(-1, self.head_columns)
        if return_hidden:
            return output, hidden
        return output

    def extra_repr(self) -> str:
        return f"shared_layers={self.shared_layers}, task_outputs={self.task_outputs}"


def _pad_stack(tensors: list[torch.Tensor]) -> torch.Tensor:
    """Stack tensors whose first dimensions differ, zero-padding them at the end."""
    widest = max(len(t) for t in tensors)
    return torch.stack(
        [F.pad(t, (0, 0) * (t.ndim - 1) + (0, widest - len(t))) for t in tensors]
    )


def _factors(layers, stack):
    """The stacked rank-one factors ``(r, s)`` of the tower layers of a
    shared ensemble (see :mod:`sklreg.nn._rank_one`), or None."""
    if not hasattr(layers[0], "r"):
        return None
    r = torch.stack([layer.r for layer in layers])
    return r, stack([layer.s for layer in layers])


def _tower_linear(
    h: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    per_task: bool,
    factors: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """``h @ weight[t].T + bias[t]`` for every task ``t``, in one product.

    Parameters
    ----------
    h : Tensor of shape (..., n_samples, n_tasks, fan_in) or (..., n_samples, fan_in)
        Each task's input (``per_task``), or one input all tasks share.
    weight : Tensor of shape (n_tasks, fan_out, fan_in)
    bias : Tensor of shape (n_tasks, fan_out)
    per_task : bool
    factors : (Tensor of shape (n_tasks, fan_in), Tensor of shape \
            (n_tasks, fan_out)), default=None
        Rank-one factors ``(r, s)`` of a member of a shared ensemble: the
        product is then ``((h * r[t]) @ weight[t].T) * s[t] + bias[t]``.

    Returns
    -------
    Tensor of shape (..., n_samples, n_tasks, fan_out)
    """
    if factors is not None:
        r, s = factors
        h = (h if per_task else h.unsqueeze(-2)) * r
        out = torch.matmul(h.transpose(-3, -2), weight.mT).transpose(-3, -2)
        return out * s + bias
    if per_task:  # one matrix product per task, batched over the tasks
        out = torch.matmul(h.transpose(-3, -2), weight.mT).transpose(-3, -2)
        return out + bias
    # a shared input: the towers' first layers side by side form one layer
    out = F.linear(h, weight.flatten(0, 1), bias.flatten())
    return out.unflatten(-1, weight.shape[:2])


def dense_network(
    n_features: int,
    hidden_layer_sizes: Sequence[int],
    task_outputs: Sequence[int],
    shared_layers: int | None = None,
    **layers,
) -> nn.Module:
    """The fully connected network of a configuration.

    ``shared_layers=None`` builds one :class:`MLP` whose output layer has
    ``sum(task_outputs)`` units; an integer builds a :class:`MultiTaskMLP`
    with one tower per entry of ``task_outputs``.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    task_outputs : sequence of int
        Output units of each task's head.
    shared_layers : int or None, default=None
        Leading hidden layers shared by all tasks, or None for one network.
    **layers
        ``activation``, ``dropout``, ``input_dropout``, ``dtype`` and
        ``generator``, as both classes take them.

    Returns
    -------
    module : MLP or MultiTaskMLP
    """
    if shared_layers is None:
        return MLP(n_features, hidden_layer_sizes, sum(task_outputs), **layers)
    return MultiTaskMLP(
        n_features,
        hidden_layer_sizes,
        task_outputs,
        shared_layers=shared_layers,
        **layers,
    )
