"""
Choosing the penalty strength with scikit-learn's curves
========================================================

sklreg's estimators are scikit-learn estimators, so scikit-learn's own
displays work on them unchanged.
:class:`~sklearn.model_selection.ValidationCurveDisplay` draws the training
and cross-validated scores against one hyperparameter: here ``alpha`` of the
L2 and of the L1 penalty, on 600 handwritten digits. Too weak a penalty
leaves a gap between training and validation loss; too strong a penalty
raises both. :class:`~sklearn.model_selection.LearningCurveDisplay` then
draws the scores against the number of training rows, with and without the
chosen penalty, to tell whether more rows or another penalty would help.
"""

# %%
# Data and network
# ----------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import (
    LearningCurveDisplay,
    StratifiedKFold,
    ValidationCurveDisplay,
)

from sklreg import RegularizedMLPClassifier

X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16, y[:600]

network = dict(
    hidden_layer_sizes=(128,),
    learning_rate_init=3e-3,
    batch_size=50,
    max_iter=100,
    tol=None,  # every point trains all 100 epochs
    random_state=0,
)
alphas = {"l2": np.logspace(-5, -1, 5), "l1": np.logspace(-6, -2, 5)}
train_sizes = np.linspace(0.1, 1.0, 5)
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    network["max_iter"] = 3
    alphas = {norm: values[::4] for norm, values in alphas.items()}
    train_sizes = train_sizes[[1, -1]]
    cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
# sphinx_gallery_end_ignore
# the cross-validated log-loss, drawn as a loss (lower is better)
scores = dict(scoring="neg_log_loss", negate_score=True, score_name="log-loss")

# %%
# Validation curves of the penalty strength
# -----------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
best_alpha = {}
for ax, (norm, values) in zip(axes, alphas.items(), strict=True):
    start = time.perf_counter()
    display = ValidationCurveDisplay.from_estimator(
        RegularizedMLPClassifier(**network, norm=norm),
        X,
        y,
        param_name="alpha",
        param_range=values,
        cv=cv,
        ax=ax,
        **scores,
    )
    validation = -display.test_scores.mean(axis=1)
    best_alpha[norm] = values[np.argmin(validation)]
    print(
        f"{norm} penalty: validation log-loss "
        + ", ".join(
            f"{v:.3f} at {a:g}" for a, v in zip(values, validation, strict=True)
        )
        + f" ({time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    ax.set_title(f"{norm.upper()} penalty")
    ax.set_xlabel("alpha")
fig.tight_layout()

# %%
# On these 600 digits the validation loss is flat for the weak penalties
# and rises from ``alpha=1e-3`` on, where the penalty underfits: the
# training loss rises with it. The best ``alpha`` is the weakest tried: this
# network, trained for 100 epochs, does not overfit these digits enough for
# a penalty to lower its log-loss, which the curves show at a glance, before
# any longer search.
#
# Learning curves with and without the penalty
# --------------------------------------------
# The smallest training sets have fewer rows than ``batch_size=50``: each of
# their epochs is one minibatch of all rows. sklreg warns when it clips
# ``batch_size`` (as scikit-learn's MLP does); here that is expected.
warnings.filterwarnings("ignore", message="batch_size=50 is larger than")
fig, ax = plt.subplots(figsize=(6, 3.6))
models = {
    "no penalty": RegularizedMLPClassifier(**network, alpha=0.0),
    f"L2 penalty, alpha={best_alpha['l2']:g}": RegularizedMLPClassifier(
        **network, alpha=best_alpha["l2"]
    ),
}
for (name, model), color in zip(models.items(), ["C0", "C1"], strict=True):
    start = time.perf_counter()
    display = LearningCurveDisplay.from_estimator(
        model,
        X,
        y,
        train_sizes=train_sizes,
        cv=cv,
        ax=ax,
        std_display_style=None,
        line_kw={"color": color},
        **scores,
    )
    ax.lines[-2].set_label(f"{name}, training")
    ax.lines[-1].set_label(f"{name}, validation")
    ax.lines[-1].set_linestyle("--")
    print(
        f"{name}: validation log-loss "
        + ", ".join(
            f"{v:.3f} at {n} rows"
            for n, v in zip(
                display.train_sizes, -display.test_scores.mean(axis=1), strict=True
            )
        )
        + f" ({time.perf_counter() - start:.0f} s)",
        flush=True,
    )
ax.legend()
ax.set_title("Digits: log-loss against the number of training rows")
fig.tight_layout()

# %%
# With the weak penalty chosen above the curves are those of the network
# without one. The validation loss falls about tenfold from 40 to 400 rows
# and stays far above the training loss at every size: here more rows, not
# a penalty, are what the network needs.
plt.show()
