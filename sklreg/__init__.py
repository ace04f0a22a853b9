"""sklreg: regularized neural networks as scikit-learn estimators.

Parameter norm penalties (L1, L2, elastic net; weights only), max-norm
constraints, sparse-activation penalties, dropout and parameter sharing
(convolutions), as hyperparameters of estimators that train PyTorch networks
through skorch.
"""

from ._conv import SharedConvClassifier
from ._mlp import RegularizedMLPClassifier, RegularizedMLPRegressor

__version__ = "0.1.0"

__all__ = [
    "RegularizedMLPClassifier",
    "RegularizedMLPRegressor",
    "SharedConvClassifier",
    "__version__",
]
