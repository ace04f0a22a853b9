"""sklreg: regularized neural networks as scikit-learn estimators.

Parameter norm penalties (L1, L2, elastic net; weights only), max-norm
constraints, parameter sharing (hard-shared trunks and towers for related
tasks, convolutions) and tying, sparse-activation penalties, dropout with
Monte-Carlo averaging and early stopping, as hyperparameters of estimators
that train PyTorch networks through skorch; ``plot_history`` draws what each
of them cost during training.
"""

from ._conv import SharedConvClassifier
from ._mlp import RegularizedMLPClassifier, RegularizedMLPRegressor
from ._plot import plot_history

__version__ = "0.1.0"

__all__ = [
    "RegularizedMLPClassifier",
    "RegularizedMLPRegressor",
    "SharedConvClassifier",
    "plot_history",
    "__version__",
]
