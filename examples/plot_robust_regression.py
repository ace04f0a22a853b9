"""
Robust regression: squared, absolute and Huber losses
=====================================================

A few gross errors in the training targets pull a squared-error fit towards
them. ``RegularizedMLPRegressor(loss="absolute_error")`` fits the
conditional median and gives every residual a bounded pull;
``loss="huber"`` is quadratic for residuals up to 1 (in the units of ``y``)
and linear beyond. Here 5% of the training targets are shifted by 10
standard deviations; every model is scored on clean held-out targets.
"""

# %%
# Data with 5% gross outliers
# ---------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import r2_score

from sklreg import RegularizedMLPRegressor

rng = np.random.default_rng(0)
n = 1000
X = rng.uniform(-3, 3, size=(n, 1))
signal = np.sin(X[:, 0]) + 0.3 * X[:, 0]
y = signal + 0.2 * rng.normal(size=n)
outliers = rng.choice(n, size=n // 20, replace=False)
y_dirty = y.copy()
y_dirty[outliers] += 10 * y.std()
X_test = np.linspace(-3, 3, 300).reshape(-1, 1)
y_test = np.sin(X_test[:, 0]) + 0.3 * X_test[:, 0]

common = dict(
    hidden_layer_sizes=(64, 64),
    learning_rate_init=1e-2,
    max_iter=150,
    tol=None,  # every loss trains all 150 epochs
    random_state=0,
)
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    common["max_iter"] = 5
# sphinx_gallery_end_ignore

# %%
# One fit per loss
# ----------------
predictions = {}
for loss in ("squared_error", "absolute_error", "huber"):
    reg = RegularizedMLPRegressor(**common, loss=loss).fit(X, y_dirty)
    predictions[loss] = reg.predict(X_test)
    print(
        f"{loss:15s} R^2 on the clean curve: {r2_score(y_test, predictions[loss]):.3f}"
    )

# %%
# The squared error is pulled up by the outliers
# ----------------------------------------------
fig, ax = plt.subplots(figsize=(7, 4))
clean = np.setdiff1d(np.arange(n), outliers)
ax.scatter(X[clean, 0], y_dirty[clean], s=4, color="0.7", label="training rows")
ax.plot(X_test[:, 0], y_test, "k--", label="true curve")
for loss, predicted in predictions.items():
    ax.plot(X_test[:, 0], predicted, label=f'loss="{loss}"')
ax.set_ylim(y.min() - 0.5, y.max() + 1.5)
ax.set_title(
    f"{len(outliers)} of {n} targets shifted by +{10 * y.std():.1f} (off the plot)"
)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
