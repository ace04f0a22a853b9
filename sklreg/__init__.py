"""sklreg: regularized neural networks as scikit-learn estimators.

Parameter norm penalties (L1, L2, elastic net; weights only), max-norm
constraints, parameter sharing and tying between tasks, sparse-activation
penalties and dropout, as hyperparameters of estimators that train PyTorch
networks through skorch.
"""

from ._mlp import RegularizedMLPClassifier, RegularizedMLPRegressor

__version__ = "0.1.0"

__all__ = ["RegularizedMLPClassifier", "RegularizedMLPRegressor", "__version__"]
