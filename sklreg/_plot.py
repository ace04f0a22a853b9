"""Plots of a fitted estimator's training history (matplotlib, the ``plot`` extra).

matplotlib is imported when a plot is drawn, never when sklreg is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .penalties import PENALTY_TERMS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Legend label and line style of each history key (others: the key itself).
#: The names are those the docs and ``verbose`` use: the training objective
#: (``train_loss``) is the data loss plus the penalties.
_STYLES = {
    "data_loss": ("training data loss", dict(color="C0")),
    "valid_loss": ("validation loss", dict(color="C1")),
    "valid_score": ("validation score", dict(color="C1", linestyle="-.")),
    "train_loss": ("training objective", dict(color="C0", linestyle="--")),
    "norm_penalty": ("norm penalty", dict(color="C2", linestyle=":")),
    "tie_penalty": ("tying penalty", dict(color="C4", linestyle=":")),
    "activity_penalty": ("activity penalty", dict(color="C3", linestyle=":")),
    "feature_penalty": ("feature penalty", dict(color="C5", linestyle=":")),
}


def _default_terms(history: list[dict]) -> list[str]:
    """Data losses, then every penalty that is not zero throughout, then the
    objective they add up to (when it differs from the data loss)."""
    terms = ["data_loss"]
    if "valid_loss" in history[0]:
        terms.append("valid_loss")
    active = [
        term
        for term in PENALTY_TERMS
        if any(row.get(term, 0.0) != 0.0 for row in history)
    ]
    return terms + active + (["train_loss"] if active else [])


def plot_history(
    estimator: BaseEstimator,
    ax: Axes | None = None,
    terms: str | Sequence[str] = "auto",
) -> Axes:
    """Plot the training and validation curves and the penalty terms per epoch.

    Draws one line per term of ``history_`` against the epoch: by default the
    training data loss, the validation loss (with early stopping), each
    penalty term that is not zero throughout (dotted), and the full training
    objective, their sum (dashed). Penalties are drawn as added to the
    objective, already multiplied by their strength, so their share of the
    objective can be read off the plot. When the estimator used early
    stopping, a vertical line marks ``best_epoch_``, the epoch whose
    parameters it kept.

    Parameters
    ----------
    estimator : estimator
        A fitted sklreg estimator, or a fitted
        :class:`~sklearn.pipeline.Pipeline` whose last step is one.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; when None, a new figure and axes are created.
    terms : 'auto' or sequence of str, default='auto'
        Keys of ``history_`` to draw, one line each, such as
        ``['data_loss', 'valid_loss']``; ``'valid_score'`` draws a scorer's
        validation score (on its own scale, so best alone or on
        ``ax.twinx()``). ``'auto'`` draws the terms described above.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on.

    See Also
    --------
    sklearn.model_selection.ValidationCurveDisplay : Scores against a
        hyperparameter, such as ``alpha``.
    sklearn.model_selection.LearningCurveDisplay : Scores against the number
        of training rows.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklreg import RegularizedMLPClassifier, plot_history
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = RegularizedMLPClassifier(
    ...     (32,), alpha=1e-3, early_stopping=True, max_iter=20, random_state=0
    ... ).fit(X / 16, y)
    >>> ax = plot_history(clf)
    >>> labels = [line.get_label() for line in ax.get_lines()]
    >>> labels[:4]
    ['training data loss', 'validation loss', 'norm penalty', 'training objective']
    >>> labels[-1]  # the epoch whose parameters early stopping kept
    'best epoch (...)'
    >>> ax.set_yscale("log")  # losses often span decades
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plot_history needs matplotlib: pip install 'sklreg[plot]'."
        ) from exc
    if isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    check_is_fitted(estimator)
    history = getattr(estimator, "history_", None)
    if history is None:
        raise TypeError(
            f"plot_history plots the history_ of an sklreg estimator; "
            f"{type(estimator).__name__} has none."
        )
    terms = _default_terms(history) if isinstance(terms, str) else list(terms)
    unknown = [term for term in terms if term not in history[0]]
    if unknown:
        raise ValueError(
            f"terms {unknown} are not in history_; it records {sorted(history[0])}."
        )
    if ax is None:
        _, ax = plt.subplots()
    epochs = [row["epoch"] for row in history]
    for term in terms:
        label, style = _STYLES.get(term, (term, {}))
        ax.plot(epochs, [row[term] for row in history], label=label, **style)
    best = getattr(estimator, "best_epoch_", None)
    if best is not None:
        ax.axvline(
            best, color="k", linestyle="--", linewidth=1, label=f"best epoch ({best})"
        )
    ax.set_xlabel("epoch")
    if set(terms) <= {"data_loss", "valid_loss", "train_loss", *PENALTY_TERMS}:
        ax.set_ylabel("loss")
    ax.legend()
    return ax
