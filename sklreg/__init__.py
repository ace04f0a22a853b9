"""sklreg: regularized neural networks as scikit-learn estimators.

Parameter norm penalties (L1, L2, elastic net; weights only), max-norm
constraints, parameter sharing (hard-shared trunks and towers for related
tasks, convolutions) and tying, sparse-activation penalties, dropout with
Monte-Carlo averaging and early stopping, as hyperparameters of estimators
that train PyTorch networks through skorch; ``feature_selection_path``
follows the inputs a network keeps as its feature penalty grows, and
``plot_history`` draws what each regularizer cost during training.
"""

from ._conv import SharedConvClassifier
from ._mlp import RegularizedMLPClassifier, RegularizedMLPRegressor
from ._path import feature_selection_path
from ._plot import plot_history

__version__ = "0.1.0"

__all__ = [
    "RegularizedMLPClassifier",
    "RegularizedMLPRegressor",
    "SharedConvClassifier",
    "feature_selection_path",
    "plot_history",
    "__version__",
]
