"""
Which regularizer helps when most features are noise?
=====================================================

A network with two hidden layers of 128 units, trained on 300 rows with 200
features of which only 10 carry signal, overfits badly. This example fits the
same ``RegularizedMLPClassifier`` with each of sklreg's regularizers and
compares held-out accuracy and log-loss over three random splits.

The L1 penalty, which sets most first-layer weights to exactly zero (by
proximal steps, the default ``l1_method``), helps most here; the L2 penalty
and dropout help less; the sparse activation penalty is not suited to this
problem.
"""

# %%
# Data and settings
# -----------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPClassifier

X, y = make_classification(
    n_samples=2300,
    n_features=200,
    n_informative=10,
    n_redundant=0,
    n_classes=3,
    flip_y=0.03,
    random_state=0,
)

# every setting trains all 200 epochs (tol=None: no stop once the training
# loss levels off), so that the regularizers alone make the difference
common = dict(hidden_layer_sizes=(128, 128), max_iter=200, tol=None, batch_size=50)
n_splits = 3
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    common["max_iter"] = 5
    n_splits = 1
# sphinx_gallery_end_ignore
settings = {
    "no regularization": dict(alpha=0.0),
    "L2 penalty": dict(alpha=1e-2),
    "L1 penalty": dict(alpha=3e-3, norm="l1"),
    "elastic net": dict(alpha=3e-3, norm="elasticnet", l1_ratio=0.5),
    "dropout": dict(alpha=0.0, dropout=0.5, input_dropout=0.2),
    "sparse activations": dict(alpha=0.0, activity_alpha=1e-3),
}

# %%
# Fit every setting on the same three splits
# ------------------------------------------
accuracy = {name: [] for name in settings}
loss = {name: [] for name in settings}
for split in range(n_splits):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=300, stratify=y, random_state=split
    )
    for name, params in settings.items():
        start = time.perf_counter()
        model = make_pipeline(
            StandardScaler(),
            RegularizedMLPClassifier(**common, **params, random_state=split),
        ).fit(X_train, y_train)
        accuracy[name].append(model.score(X_test, y_test))
        loss[name].append(log_loss(y_test, model.predict_proba(X_test)))
        print(
            f"split {split + 1}/{n_splits}  {name:<20} "
            f"accuracy {accuracy[name][-1]:.3f}  log-loss {loss[name][-1]:.3f}  "
            f"({time.perf_counter() - start:.1f} s)",
            flush=True,
        )

print(
    f"\n{'setting':<20} {'accuracy':>10} {'log-loss':>10}   "
    f"(test, mean of {n_splits} splits)"
)
for name in settings:
    print(f"{name:<20} {np.mean(accuracy[name]):>10.3f} {np.mean(loss[name]):>10.3f}")

# %%
# Plot
# ----
fig, ax = plt.subplots(figsize=(6, 3))
names = list(settings)
ax.barh(
    names,
    [np.mean(accuracy[n]) for n in names],
    xerr=[np.std(accuracy[n]) for n in names],
    color="tab:blue",
)
ax.invert_yaxis()
ax.set_xlabel(f"held-out accuracy (mean and std over {n_splits} splits)")
ax.set_title("300 rows, 10 informative of 200 features")
fig.tight_layout()
plt.show()
