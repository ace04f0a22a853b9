"""
Ensembles in one network
========================

An ensemble of networks is usually more accurate and better calibrated than
any one of them, and ``BaggingClassifier`` builds one around any estimator,
at the price of fitting the members one after the other. With
``n_members=k`` sklreg trains the ``k`` networks **together**, as one batched
network: each step runs one batched product per layer for all members, so
the per-step overhead of a small network is paid once. ``bootstrap=True``
gives each member its own bootstrap sample (bagging in one fit), and
``member_sharing="batch"`` lets the members share every weight matrix, each
with rank-one factors of its own (BatchEnsemble; TabM): ``k`` members for
about one network's parameters.

This example compares, on scikit-learn's digits (``X / 16``) and
breast-cancer data (standardized) over five stratified 75/25 splits, one
hidden layer of 100 units trained for 100 epochs six ways: one network;
``BaggingClassifier`` of 20; ``n_members=20, bootstrap=True``;
``n_members=5``; ``n_members=32, member_sharing="batch"``; and Monte-Carlo
dropout with 20 masks. It reports accuracy, log-loss and training time.
``benchmarks/bench_ensembles.py`` runs the same comparison with the ``tabm``
package's TabM beside them, and times the members against one network.
"""

# %%
# Six ways to average networks
# ----------------------------
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

epochs, k, n_splits = 100, 20, 5
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    epochs, k, n_splits = 3, 3, 1
# sphinx_gallery_end_ignore


def network(seed, **extra):
    """One hidden layer of 100 ReLU units, trained for ``epochs`` epochs."""
    return RegularizedMLPClassifier(
        (100,), max_iter=epochs, tol=None, random_state=seed, **extra
    )


methods = {
    "one network": lambda seed: network(seed),
    f"BaggingClassifier({k})": lambda seed: BaggingClassifier(
        network(seed), n_estimators=k, random_state=seed
    ),
    f"n_members={k}, bootstrap": lambda seed: network(
        seed, n_members=k, bootstrap=True
    ),
    "n_members=5": lambda seed: network(seed, n_members=5),
    "n_members=32, batch": lambda seed: network(
        seed, n_members=32, member_sharing="batch"
    ),
    "MC dropout, 20 masks": lambda seed: network(
        seed, dropout=0.3, input_dropout=0.1, mc_samples=20
    ),
}

# %%
# Fit on five splits of each data set
# -----------------------------------
datasets = {"digits": load_digits, "breast cancer": load_breast_cancer}
results = {}  # data set -> method -> list of (accuracy, log-loss, fit seconds)
for data_name, loader in datasets.items():
    X, y = loader(return_X_y=True)
    splits = StratifiedShuffleSplit(n_splits, test_size=0.25, random_state=0)
    scores = results[data_name] = {}
    for seed, (train, test) in enumerate(splits.split(X, y)):
        if data_name == "digits":
            X_train, X_test = X[train] / 16, X[test] / 16
        else:
            scaler = StandardScaler().fit(X[train])
            X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
        for name, make in methods.items():
            model = make(seed)
            start = time.process_time()
            model.fit(X_train, y[train])
            fit_time = time.process_time() - start
            proba = model.predict_proba(X_test)
            accuracy = np.mean(model.classes_[proba.argmax(1)] == y[test])
            scores.setdefault(name, []).append(
                (accuracy, log_loss(y[test], proba, labels=model.classes_), fit_time)
            )
        print(f"{data_name}: split {seed + 1}/{n_splits} done", flush=True)

# %%
# The table
# ---------
# Accuracy and log-loss: mean ± standard deviation over the splits; fit time:
# the median, in CPU seconds.
for data_name, scores in results.items():
    print(f"\n{data_name}: mean ± std over {n_splits} splits")
    print(f"{'method':<24} {'accuracy':>15} {'log-loss':>15} {'fit s':>7}")
    for name in methods:
        acc, loss, fit = np.array(scores[name]).T
        print(
            f"{name:<24} {acc.mean():8.4f} ± {acc.std():.4f} "
            f"{loss.mean():8.3f} ± {loss.std():.3f} {np.median(fit):7.1f}"
        )
    bag, ens = (np.array(scores[m]).T for m in list(methods)[1:3])
    print(
        f"n_members={k}, bootstrap against BaggingClassifier({k}): "
        f"{100 * (ens[0].mean() - bag[0].mean()):+.2f} accuracy points, "
        f"{np.median(ens[2]) / np.median(bag[2]):.2f} of its training time"
    )

# %%
# One member on its own
# ---------------------
# ``member(i)`` returns member ``i`` as a fitted estimator of its own, to
# inspect, plot or export; the ensemble predicts the mean of its members'
# probabilities.
ensemble = network(0, n_members=5).fit(X_train, y[train])
members = [ensemble.member(i) for i in range(5)]
mean_of_members = np.mean([m.predict_proba(X_test) for m in members], axis=0)
print(np.abs(ensemble.predict_proba(X_test) - mean_of_members).max())
print([round(m.score(X_test, y[test]), 3) for m in members])
print(round(ensemble.score(X_test, y[test]), 3))

# %%
# Log-loss against training time
# ------------------------------
# Averaging members lowers the log-loss (the probabilities are better
# calibrated) more than it raises the accuracy. Each method has its colour
# and marker, named in one legend below the panels.
fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
markers = ["o", "s", "D", "^", "v", "P"]
for ax, (data_name, scores) in zip(axes, results.items(), strict=True):
    for i, name in enumerate(methods):
        _, loss, fit = np.array(scores[name]).T
        ax.errorbar(
            np.median(fit),
            loss.mean(),
            yerr=loss.std(),
            fmt=markers[i],
            color=f"C{i}",
            capsize=3,
            label=name,
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda seconds, _: f"{seconds:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training CPU seconds (log scale)")
    ax.set_title(data_name)
axes[0].set_ylabel("test log-loss (mean ± std; lower is better)")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=3, fontsize="small")
fig.tight_layout(rect=(0, 0.12, 1, 1))
plt.show()
