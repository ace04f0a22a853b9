"""
Which regularizer helps a small-data network?
=============================================

A wide network trained on 300 handwritten digits overfits. This example fits
the same ``RegularizedMLPClassifier`` with each of sklreg's regularizers and
compares held-out accuracy over five random splits: the L2 and L1 norm
penalties, dropout, a sparse-activation penalty and a max-norm constraint
with dropout.
"""

# %%
# Data and settings
# -----------------
# Digits are 8x8 images (64 features, 10 classes). We train on 300 of them
# and test on the remaining 1,497.
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPClassifier

X, y = load_digits(return_X_y=True)

common = dict(hidden_layer_sizes=(256, 256), max_iter=150, batch_size=100)
settings = {
    "no regularization": dict(alpha=0.0),
    "L2 penalty": dict(alpha=1e-3),
    "L1 penalty": dict(alpha=1e-4, norm="l1"),
    "dropout": dict(alpha=0.0, dropout=0.5, input_dropout=0.2),
    "sparse activations": dict(alpha=0.0, activity_alpha=1e-3),
    "max-norm + dropout": dict(alpha=0.0, max_norm=2.0, dropout=0.5),
}

# %%
# Fit every setting on the same five splits
# -----------------------------------------
scores = {name: [] for name in settings}
for split in range(5):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=300, stratify=y, random_state=split
    )
    for name, params in settings.items():
        model = make_pipeline(
            StandardScaler(),
            RegularizedMLPClassifier(**common, **params, random_state=split),
        )
        scores[name].append(model.fit(X_train, y_train).score(X_test, y_test))

print(f"{'setting':<20} test accuracy (5 splits)")
for name, values in scores.items():
    print(f"{name:<20} {np.mean(values):.3f} +/- {np.std(values):.3f}")

# %%
# Plot
# ----
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(6, 3))
names = list(scores)
ax.barh(
    names,
    [np.mean(scores[n]) for n in names],
    xerr=[np.std(scores[n]) for n in names],
    color="tab:blue",
)
ax.set_xlim(0.85, 1.0)
ax.invert_yaxis()
ax.set_xlabel("held-out accuracy (mean and std over 5 splits)")
ax.set_title("300 training digits, 256-256 ReLU network")
fig.tight_layout()
