"""Type aliases of the public signatures, and a typed view of ``_fit_context``."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import sparray, spmatrix

#: Input rows: an array-like (NumPy array, nested lists, DataFrame) or a SciPy
#: sparse matrix or array.
MatrixLike: TypeAlias = ArrayLike | spmatrix | sparray

#: Predictions: a floating array (probabilities, values) or labels.
Predictions: TypeAlias = NDArray[np.generic]

_Method = TypeVar("_Method", bound=Callable[..., Any])

if TYPE_CHECKING:
    # scikit-learn is untyped: its decorator would turn fit's signature into
    # Any for type checkers. This stub keeps the decorated signature.
    def fit_context(
        *, prefer_skip_nested_validation: bool
    ) -> Callable[[_Method], _Method]: ...

else:
    from sklearn.base import _fit_context as fit_context

__all__ = ["ArrayLike", "MatrixLike", "NDArray", "Predictions", "fit_context"]
