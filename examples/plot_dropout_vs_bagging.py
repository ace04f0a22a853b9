"""
Dropout with Monte-Carlo averaging against bagging
==================================================

Bagging trains ``k`` networks on bootstrap samples and averages them: a real
ensemble, at ``k`` times the training cost. Dropout trains one network whose
thinned sub-networks share their weights: an implicit ensemble, at the cost of
one run. ``mc_samples=k`` averages ``k`` of those thinned networks at
prediction time.

This example compares, on scikit-learn's digits and breast-cancer data over
five stratified 75/25 splits, the same network (100 hidden units) trained
five ways: (a) plain, (b) with dropout, predicting with the deterministic
network, (c) the same dropout network with ``mc_samples=20``, (d) a
``BaggingClassifier`` of 20 plain networks, and (e) bagging 20 dropout
networks. It plots test accuracy against training time.

The dropout network gets within a fraction of an accuracy point of bagging
at about a tenth of its training cost; bagging keeps an edge in log-loss.
``benchmarks/bench_dropout_vs_bagging.py`` runs the same comparison with
timings and the cost of Monte-Carlo prediction; the user guide presents its
table.
"""

# %%
# Five ways to train the same network
# -----------------------------------
import pickle
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import BaggingClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPClassifier

epochs, n_estimators, n_splits = 100, 20, 5
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    epochs, n_estimators, n_splits = 3, 3, 1
# sphinx_gallery_end_ignore


def network(seed, dropout=False):
    """One hidden layer of 100 ReLU units, trained for exactly ``epochs``
    epochs (``tol=None``: no stop once the training loss levels off)."""
    rates = dict(dropout=0.3, input_dropout=0.1) if dropout else {}
    return RegularizedMLPClassifier(
        (100,), alpha=0.0, max_iter=epochs, tol=None, random_state=seed, **rates
    )


def clone_with_mc(fitted, mc_samples=20):
    """The fitted network, predicting with ``mc_samples`` thinned networks
    (a copy, so that the original keeps predicting deterministically)."""
    return pickle.loads(pickle.dumps(fitted)).set_params(mc_samples=mc_samples)


def bagging(seed, dropout=False):
    return BaggingClassifier(
        network(seed, dropout), n_estimators=n_estimators, random_state=seed
    )


# %%
# Fit on five splits of each data set
# -----------------------------------
# Bagging hands each network its bootstrap counts as ``sample_weight``, which
# sklreg's estimators honour. The Monte-Carlo predictions (c) come from the
# very network fitted for (b): ``mc_samples`` is a prediction-time setting.
datasets = {"digits": load_digits, "breast cancer": load_breast_cancer}
results = {}  # data set -> method -> list of (accuracy, log-loss, fit seconds)
for data_name, loader in datasets.items():
    X, y = loader(return_X_y=True)
    splits = StratifiedShuffleSplit(n_splits, test_size=0.25, random_state=0)
    scores = results[data_name] = {}
    for seed, (train, test) in enumerate(splits.split(X, y)):
        scaler = StandardScaler().fit(X[train])
        X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
        candidates = {
            "(a) plain": network(seed),
            "(b) dropout": network(seed, dropout=True),
            "(d) bagging": bagging(seed),
            "(e) bagging dropout": bagging(seed, dropout=True),
        }
        for name, model in candidates.items():
            start = time.process_time()
            model.fit(X_train, y[train])
            fit_time = time.process_time() - start
            evaluations = [(name, model)]
            if name == "(b) dropout":  # the same fitted network, 20 thinned ones
                evaluations.append(("(c) dropout + MC", clone_with_mc(model)))
            for label, fitted in evaluations:
                proba = fitted.predict_proba(X_test)
                accuracy = np.mean(fitted.classes_[proba.argmax(1)] == y[test])
                scores.setdefault(label, []).append(
                    (accuracy, log_loss(y[test], proba), fit_time)
                )
                print(
                    f"{data_name:<14} split {seed + 1}/{n_splits}  {label:<20} "
                    f"accuracy {accuracy:.3f}  fit {fit_time:5.1f} s",
                    flush=True,
                )

# %%
# The table
# ---------
order = [
    "(a) plain",
    "(b) dropout",
    "(c) dropout + MC",
    "(d) bagging",
    "(e) bagging dropout",
]
for data_name, scores in results.items():
    print(f"\n{data_name}: mean ± std over {n_splits} splits")
    print(f"{'method':<20} {'accuracy':>15} {'log-loss':>15} {'fit s':>7}")
    for name in order:
        acc, loss, fit = np.array(scores[name]).T
        print(
            f"{name:<20} {acc.mean():8.4f} ± {acc.std():.4f} "
            f"{loss.mean():8.3f} ± {loss.std():.3f} {np.median(fit):7.1f}"
        )

# %%
# Accuracy against training time
# ------------------------------
# Each method has its colour and marker, named in one legend below the
# panels: methods of similar cost and accuracy sit close together, where
# labels next to the points would overlap.
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
markers = ["o", "s", "D", "^", "v"]
for ax, (data_name, scores) in zip(axes, results.items(), strict=True):
    for i, name in enumerate(order):
        acc, _, fit = np.array(scores[name]).T
        ax.errorbar(
            np.median(fit),
            acc.mean(),
            yerr=acc.std(),
            fmt=markers[i],
            color=f"C{i}",
            capsize=3,
            label=name,
        )
    ax.set_xscale("log")
    # seconds as plain numbers, at 1, 2 and 5 times each power of ten, so
    # that the labels never run into each other, whatever the range
    ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda seconds, _: f"{seconds:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training CPU seconds (log scale)")
    ax.set_title(data_name)
axes[0].set_ylabel("test accuracy (mean ± std)")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=len(order), fontsize="small")
fig.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()
