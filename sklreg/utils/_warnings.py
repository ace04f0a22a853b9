"""Warnings that point at the user's line."""

import sys
import warnings

#: Packages whose frames a warning looks past: sklreg's own, scikit-learn's
#: (``fit``'s parameter-validation wrapper, meta-estimators) and joblib's
#: (which runs a meta-estimator's fits).
_INTERNAL = ("sklreg", "sklearn", "joblib")


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` attributed to the first caller
    outside sklreg, scikit-learn and joblib (the user's ``fit``, or their
    ``cross_val_score``), however deep inside sklreg it is raised."""
    frame = sys._getframe(1)
    level = 2  # the caller of this function
    while (
        frame is not None
        and frame.f_globals.get("__name__", "").partition(".")[0] in _INTERNAL
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
