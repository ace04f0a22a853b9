"""
Learning-rate schedules
=======================

``learning_rate`` schedules the step size of every solver with
``MLPClassifier``'s names: ``"constant"``, ``"invscaling"`` (after each
epoch, ``learning_rate_init / (t + 1) ** power_t``, ``t`` the rows seen so
far) and ``"adaptive"`` (divided by 5 each time two consecutive epochs fail
to improve the training loss by ``tol``). This example trains the same
network on the digits with each, using ``sgd`` with a large initial rate,
and draws the training and validation curves with
:func:`sklreg.plot_history`, and the rate of each epoch (``history_['lr']``).
"""

# %%
# Data and settings
# -----------------
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklreg import RegularizedMLPClassifier, plot_history

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    X / 16, y, test_size=0.3, stratify=y, random_state=0
)
common = dict(
    hidden_layer_sizes=(64,),
    solver="sgd",
    learning_rate_init=0.2,
    tol=1e-3,
    batch_size=50,
    max_iter=60,
    random_state=0,
)
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    common["max_iter"] = 4
# sphinx_gallery_end_ignore

# %%
# One fit per schedule
# --------------------
# The validation rows are passed to ``fit`` (``X_val``, ``y_val``): without
# early stopping their loss is only recorded, as a learning curve.
fits = {}
for schedule in ("constant", "invscaling", "adaptive"):
    clf = RegularizedMLPClassifier(**common, learning_rate=schedule)
    fits[schedule] = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    print(
        f"{schedule:10s} final training loss {clf.loss_curve_[-1]:.4f}, "
        f"validation loss {clf.history_[-1]['valid_loss']:.4f}, "
        f"last rate {clf.history_[-1]['lr']:.2e}, "
        f"validation accuracy {clf.score(X_val, y_val):.3f}"
    )

# %%
# Curves and rates
# ----------------
# ``invscaling`` cuts the rate after the first epoch already (by
# ``sqrt(rows + 1)``), so it learns slowly from then on; ``adaptive`` keeps
# the large rate while it helps and divides it on plateaus, which calms the
# noisy steps of ``constant``. Once the loss stops falling by more than
# ``tol`` it keeps dividing, and the convergence rule (``tol``, ``patience``)
# ends each fit after ``patience`` epochs without progress: here after about
# 30 of the 60 epochs, as scikit-learn's ``"adaptive"`` ends its own.
fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
for ax, (schedule, clf) in zip(axes, fits.items(), strict=False):
    plot_history(clf, ax=ax, terms=["data_loss", "valid_loss"])
    ax.set_yscale("log")
    ax.set_title(f'learning_rate="{schedule}"')
for schedule, clf in fits.items():
    axes[-1].plot([row["lr"] for row in clf.history_], label=schedule)
axes[-1].set_yscale("log")
axes[-1].set_xlabel("epoch")
axes[-1].set_title("history_['lr']")
axes[-1].legend()
fig.tight_layout()
plt.show()
