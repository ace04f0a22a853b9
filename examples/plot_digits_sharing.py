"""
What does sharing kernels across positions buy?
===============================================

A convolution applies one small kernel at every position of an image: its
weights are *shared*. This example measures what that buys on scikit-learn's
8 x 8 digits by comparing, over five stratified 75/25 splits:

* scikit-learn's ``MLPClassifier`` and sklreg's ``RegularizedMLPClassifier``,
  fully connected networks that see the 64 pixels as unrelated features;
* ``SharedConvClassifier`` with its default hyperparameters (two layers of
  3 x 3 kernels, a dense head of 64 units);
* its unshared twin, ``share_weights=False``: the same receptive fields and
  shapes, but its own kernel at every position (a locally connected
  network);
* an ensemble of five convolutional networks trained together
  (``n_members=5``: each layer one grouped convolution for all members),
  whose averaged probabilities predict.

Every model is used with its default hyperparameters. The table and the
plot report held-out accuracy (mean and standard deviation over the splits),
the number of trainable parameters and the fit time. Every fit runs on one
thread, PyTorch's and NumPy's alike (``threadpool_limits(1)``), so that the
fit times compare the libraries, not their thread settings.

The shared network is the most accurate single network (0.984 on average,
against 0.976 and 0.979 for the MLPs). Its unshared twin has 6.8 times as
many parameters and loses that lead (0.980): without sharing, the
convolutional architecture is little better than a fully connected
network, and its results vary more from split to split. Five shared
networks trained together reach 0.986, for five times the parameters.
"""

# %%
# Data and models
# ---------------
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklreg import RegularizedMLPClassifier, SharedConvClassifier

X, y = load_digits(return_X_y=True)
X = X / 16  # pixels in [0, 1]; each row is an 8 x 8 image, read as such


def n_parameters(model):
    if isinstance(model, MLPClassifier):
        return sum(a.size for a in model.coefs_ + model.intercepts_)
    return model.n_parameters_


n_splits, extra = 5, {}  # every model with its default hyperparameters
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    n_splits, extra = 1, dict(max_iter=3)
# sphinx_gallery_end_ignore
models = {
    "MLPClassifier": lambda seed: MLPClassifier(random_state=seed, **extra),
    "RegularizedMLPClassifier": lambda seed: RegularizedMLPClassifier(
        random_state=seed, **extra
    ),
    "SharedConvClassifier": lambda seed: SharedConvClassifier(
        random_state=seed, **extra
    ),
    "SharedConvClassifier, unshared": lambda seed: SharedConvClassifier(
        share_weights=False, random_state=seed, **extra
    ),
    "SharedConvClassifier, 5 members": lambda seed: SharedConvClassifier(
        n_members=5, random_state=seed, **extra
    ),
}

# %%
# Fit every model on the same five splits
# ---------------------------------------
splits = StratifiedShuffleSplit(n_splits=n_splits, test_size=0.25, random_state=0)
results = {name: {"accuracy": [], "seconds": [], "parameters": 0} for name in models}
for split, (train, test) in enumerate(splits.split(X, y)):
    for name, make in models.items():
        model = make(split)
        start = time.perf_counter()
        with warnings.catch_warnings(), threadpool_limits(1):  # one thread each
            warnings.simplefilter("ignore", ConvergenceWarning)  # at max_iter
            model.fit(X[train], y[train])
        seconds = time.perf_counter() - start
        accuracy = model.score(X[test], y[test])
        results[name]["accuracy"].append(accuracy)
        results[name]["seconds"].append(seconds)
        results[name]["parameters"] = n_parameters(model)
        print(
            f"split {split + 1}/{n_splits}  {name:<33} accuracy {accuracy:.4f}  "
            f"fit {seconds:5.1f} s",
            flush=True,
        )

# %%
# Table
# -----
print()
print(f"{'model':<33} {'test accuracy':>15} {'parameters':>11} {'fit time':>9}")
for name, r in results.items():
    acc = f"{np.mean(r['accuracy']):.4f} ± {np.std(r['accuracy']):.4f}"
    print(
        f"{name:<33} {acc:>15} {r['parameters']:>11,} {np.mean(r['seconds']):>7.1f} s"
    )
shared = results["SharedConvClassifier"]["parameters"]
unshared = results["SharedConvClassifier, unshared"]["parameters"]
print(f"\nsharing uses {unshared / shared:.1f}x fewer parameters than the twin")

# %%
# Plot
# ----
# Accuracy against the number of parameters (log scale), and fit time. The
# shared network buys its accuracy with few parameters; the twin spends many
# more on learning each position separately, and trains more slowly.
import matplotlib.pyplot as plt  # noqa: E402

fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(10, 4.4))
for name, r in results.items():
    ax_acc.errorbar(
        r["parameters"],
        np.mean(r["accuracy"]),
        yerr=np.std(r["accuracy"]),
        fmt="o",
        capsize=4,
        label=name,
    )
ax_acc.set_xscale("log")
ax_acc.set_xlabel("trainable parameters")
ax_acc.set_ylabel(f"test accuracy (mean ± std, {n_splits} splits)")
# below the axes, where no point can hide behind it
ax_acc.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
ax_acc.set_title("digits, 8 x 8 images")
names = list(results)
ax_time.barh(names, [np.mean(results[n]["seconds"]) for n in names])
ax_time.invert_yaxis()
ax_time.set_xlabel(f"fit time (s, mean over {n_splits} splits)")
fig.tight_layout()
plt.show()
