"""
How many Monte-Carlo masks are enough?
======================================

A network trained with dropout predicts in two ways: with the deterministic
network (every unit kept; ``mc_samples=0``, the default) or by averaging
``mc_samples`` thinned networks, each with its own dropout masks. Averaging
a handful of thinned networks is *not* a better estimate than the
deterministic network: each thinned network is worse than the full one, and
their average only catches up once there are enough of them.

This example measures how many that is, on scikit-learn's digits (``X /
16``, five stratified 75/25 splits), for two dropout networks of 100 units
trained with the library's defaults otherwise (Adam, at most 200 epochs):
accuracy and log-loss of the Monte-Carlo average for 1 to 500 masks, beside
the deterministic prediction of the same network and beside real ensembles
of networks without dropout: ``n_members=5``, bagging in one fit
(``n_members=20, bootstrap=True``) and ``BaggingClassifier`` of 20 networks.
"""

# %%
# The networks
# ------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import BaggingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedShuffleSplit

from sklreg import RegularizedMLPClassifier

n_splits, max_iter, k = 5, 200, 20
masks = [1, 2, 5, 10, 20, 50, 100, 200, 500]
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    n_splits, max_iter, k, masks = 1, 3, 2, [1, 5]
# sphinx_gallery_end_ignore


def network(seed, **extra):
    """100 ReLU units, the library's defaults otherwise."""
    return RegularizedMLPClassifier(
        (100,), max_iter=max_iter, random_state=seed, **extra
    )


dropouts = {
    "dropout 0.3, input 0.1": dict(dropout=0.3, input_dropout=0.1),
    "dropout 0.5, input 0.2": dict(dropout=0.5, input_dropout=0.2),
}
ensembles = {
    "n_members=5": lambda seed: network(seed, n_members=5),
    f"n_members={k}, bootstrap": lambda seed: network(
        seed, n_members=k, bootstrap=True
    ),
    f"BaggingClassifier({k})": lambda seed: BaggingClassifier(
        network(seed), n_estimators=k, random_state=seed
    ),
}


def scores(model, X, y):
    proba = model.predict_proba(X)
    return np.mean(model.classes_[proba.argmax(1)] == y), log_loss(y, proba)


# %%
# Fit once, predict with every number of masks
# --------------------------------------------
# ``mc_samples`` is a prediction-time setting: one fitted network gives the
# deterministic prediction and every Monte-Carlo average. Fits that reach
# ``max_iter=200`` before converging warn; the warnings are silenced here.
warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X = X / 16
splits = StratifiedShuffleSplit(n_splits, test_size=0.25, random_state=0)
curves = {name: [] for name in dropouts}  # name -> per split (masks, 2)
deterministic = {name: [] for name in dropouts}
results = {name: [] for name in ensembles}  # name -> (accuracy, log-loss, s)
for seed, (train, test) in enumerate(splits.split(X, y)):
    for name, rates in dropouts.items():
        model = network(seed, **rates).fit(X[train], y[train])
        deterministic[name].append(scores(model, X[test], y[test]))
        curve = []
        for m in masks:
            curve.append(scores(model.set_params(mc_samples=m), X[test], y[test]))
        curves[name].append(curve)
    for name, make in ensembles.items():
        start = time.process_time()
        model = make(seed).fit(X[train], y[train])
        seconds = time.process_time() - start
        results[name].append((*scores(model, X[test], y[test]), seconds))
    print(f"split {seed + 1}/{n_splits} done", flush=True)

# %%
# The table
# ---------
# Mean over the splits; the Monte-Carlo rows give the number of masks.
print(f"{'method':<40} {'accuracy':>9} {'log-loss':>9}")
for name in dropouts:
    curve = np.mean(curves[name], axis=0)
    acc, loss = np.mean(deterministic[name], axis=0)
    print(f"{name + ', deterministic':<40} {acc:9.4f} {loss:9.3f}")
    for m, (acc, loss) in zip(masks, curve, strict=True):
        if m in (1, 20, 100, 500):
            print(f"{name + f', {m} masks':<40} {acc:9.4f} {loss:9.3f}")
for name, rows in results.items():
    acc, loss, seconds = np.array(rows).T
    fit = np.median(seconds)
    print(f"{name:<40} {acc.mean():9.4f} {loss.mean():9.3f}   fit {fit:.1f} s")

# %%
# Accuracy and log-loss against the number of masks
# -------------------------------------------------
# Solid lines: the Monte-Carlo average of each dropout network; dotted, in
# the same colour: that network's deterministic prediction. Dashed lines:
# the ensembles of networks without dropout.
fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(10, 4.6))
for i, name in enumerate(dropouts):
    curve = np.mean(curves[name], axis=0)
    fixed = np.mean(deterministic[name], axis=0)
    for j, ax in enumerate((ax_acc, ax_loss)):
        ax.plot(masks, curve[:, j], "o-", color=f"C{i}", label=f"{name}, MC")
        ax.axhline(fixed[j], color=f"C{i}", ls=":", label=f"{name}, deterministic")
styles = ["--", "-.", (0, (5, 1, 1, 1, 1, 1))]
for i, (style, (name, rows)) in enumerate(zip(styles, results.items(), strict=True)):
    means = np.mean(np.array(rows)[:, :2], axis=0)
    for j, ax in enumerate((ax_acc, ax_loss)):
        ax.axhline(means[j], color=f"C{i + 2}", ls=style, label=name)
for ax, what in ((ax_acc, "test accuracy"), (ax_loss, "test log-loss")):
    ax.set_xscale("log")
    ax.set_xlabel("Monte-Carlo masks (mc_samples, log scale)")
    ax.set_ylabel(f"{what} (mean of {n_splits} splits)")
ax_acc.set_title("higher is better")
ax_loss.set_title("lower is better")
handles, labels = ax_acc.get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=3, fontsize="small")
fig.tight_layout(rect=(0, 0.2, 1, 1))
plt.show()
