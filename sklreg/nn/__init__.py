"""Pure PyTorch modules and data losses used by sklreg's estimators.

Nothing in this package imports scikit-learn: the modules can be used, and are
tested, as ordinary ``torch.nn.Module`` objects.
"""

from ._activations import ACTIVATIONS
from ._conv import PADDINGS, ConvNet, LocallyConnected, conv_shapes
from ._dropout import Dropout, dropout_generator, mc_dropout
from ._init import glorot_uniform_
from ._losses import DATA_LOSSES, DataLoss, weighted_mean
from ._mlp import MLP
from ._multitask import MultiTaskMLP, dense_network, parameter_names

__all__ = [
    "ACTIVATIONS",
    "DATA_LOSSES",
    "MLP",
    "PADDINGS",
    "ConvNet",
    "DataLoss",
    "Dropout",
    "LocallyConnected",
    "MultiTaskMLP",
    "conv_shapes",
    "dense_network",
    "dropout_generator",
    "glorot_uniform_",
    "mc_dropout",
    "parameter_names",
    "weighted_mean",
]
