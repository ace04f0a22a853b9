"""Pure PyTorch modules and data losses used by sklreg's estimators.

Nothing in this package imports scikit-learn: the modules can be used, and are
tested, as ordinary ``torch.nn.Module`` objects.

* ``_network``: :class:`Network`, what the training engine relies on in a
  network (and what every network shares), and :func:`weight_parameters`,
  which parameters are weights;
* ``_mlp``, ``_multitask``: the fully connected networks;
* ``_conv``, ``_locally_connected``, ``_shapes``: the convolutional network,
  its unshared layer and the shapes of its layers;
* ``_ensemble``, ``_rank_one``: ensembles of networks trained as one, and
  the layers their members share;
* ``_dropout``, ``_activations``, ``_init``, ``_losses``, ``_softmax``: the
  pieces.
"""

from ._activations import ACTIVATIONS
from ._conv import ConvNet
from ._dropout import Dropout, dropout_generator, mc_dropout
from ._ensemble import MEMBER_SHARING, Ensemble
from ._init import glorot_uniform_
from ._locally_connected import LocallyConnected
from ._losses import DATA_LOSSES, LOG_LINK_LOSSES, DataLoss, MemberLoss, weighted_mean
from ._mlp import MLP
from ._multitask import MultiTaskMLP, dense_network, parameter_names
from ._network import Network, glorot_reset_, layer_fans, weight_parameters
from ._shapes import PADDINGS, conv_shapes
from ._softmax import log_softmax, softmax

__all__ = [
    "ACTIVATIONS",
    "DATA_LOSSES",
    "LOG_LINK_LOSSES",
    "MEMBER_SHARING",
    "MLP",
    "PADDINGS",
    "ConvNet",
    "DataLoss",
    "Ensemble",
    "Dropout",
    "LocallyConnected",
    "MemberLoss",
    "MultiTaskMLP",
    "Network",
    "conv_shapes",
    "dense_network",
    "dropout_generator",
    "glorot_reset_",
    "glorot_uniform_",
    "layer_fans",
    "log_softmax",
    "mc_dropout",
    "parameter_names",
    "softmax",
    "weight_parameters",
    "weighted_mean",
]
