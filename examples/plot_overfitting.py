"""
Overfitting on real data, and what regularization does about it
===============================================================

A network with two hidden layers of 256 units has about 85,000 weights. Given
150 handwritten digits to learn from, it can memorize them: its training
loss goes to zero while its loss on digits it has not seen turns up after a
few epochs and keeps growing. This example draws both curves for the plain
network and for the same network with an L2 penalty on its weights, with
:func:`sklreg.plot_history`, then scores both, and early stopping, on
held-out digits.
"""

# %%
# Data: 300 digits to learn from, the other 1,497 to test on
# ----------------------------------------------------------
# ``early_stopping=True`` holds out ``validation_fraction`` of the training
# rows and records their loss after every epoch. Here it holds out half of
# the 300 rows, and ``patience`` as long as training, so every run goes the
# full 200 epochs and the curves show what happens after the best epoch;
# the dashed vertical line marks the epoch whose parameters early stopping
# keeps.
import time

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from sklreg import RegularizedMLPClassifier, plot_history

X, y = load_digits(return_X_y=True)
X = X / 16  # pixel intensities in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=300, stratify=y, random_state=0
)

common = dict(
    hidden_layer_sizes=(256, 256),
    learning_rate_init=3e-3,
    batch_size=50,
    max_iter=200,
    tol=None,  # all 200 epochs: the curves show what comes after the best one
    random_state=0,
)
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    common["max_iter"] = 15
# sphinx_gallery_end_ignore
watch = dict(early_stopping=True, validation_fraction=0.5, patience=common["max_iter"])

# %%
# Training and validation curves
# ------------------------------
settings = {
    "no regularization": dict(alpha=0.0),
    "L2 penalty, alpha=1e-3": dict(alpha=1e-3),
}
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, (name, params) in zip(axes, settings.items(), strict=True):
    start = time.perf_counter()
    clf = RegularizedMLPClassifier(**common, **watch, **params).fit(X_train, y_train)
    history = clf.history_
    print(
        f"{name:<24} best epoch {clf.best_epoch_:>3}: validation loss "
        f"{history[clf.best_epoch_ - 1]['valid_loss']:.3f}, at the last epoch "
        f"{history[-1]['valid_loss']:.3f} ({time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    plot_history(clf, ax=ax)
    ax.set_title(name)
    ax.set_ylim(0, 1.5)
fig.suptitle("Digits, 150 training rows: the validation loss turns up unless penalized")
fig.tight_layout()

# %%
# Without a penalty the training data loss reaches zero and the validation loss
# climbs back from its minimum: the network fits its 150 rows ever more
# confidently, including their quirks. The L2 penalty (dotted) costs a
# little training data loss and keeps the validation loss near its minimum for
# the whole run.
#
# Scores on the held-out digits
# -----------------------------
# Each model now trains on all 300 rows (early stopping holds out 10% of
# them, its default).
models = {
    "no regularization": dict(alpha=0.0),
    "early stopping": dict(alpha=0.0, early_stopping=True),
    "L2 penalty": dict(alpha=1e-3),
}
print(f"\n{'model':<20} {'epochs':>6} {'accuracy':>9} {'log-loss':>9}")
for name, params in models.items():
    clf = RegularizedMLPClassifier(**common, **params).fit(X_train, y_train)
    proba = clf.predict_proba(X_test)
    print(
        f"{name:<20} {clf.n_iter_:>6} {clf.score(X_test, y_test):>9.3f} "
        f"{log_loss(y_test, proba, labels=clf.classes_):>9.3f}",
        flush=True,
    )

# %%
# Accuracy barely moves, but the unregularized network's log-loss is the
# worst: it is confidently wrong on the digits it misclassifies. Stopping
# early or penalizing the weights both keep its probabilities honest.
plt.show()
