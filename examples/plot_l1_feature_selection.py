"""
Selecting features with an L1-penalized network
===============================================

With ``norm="l1"``, sklreg trains the L1 penalty by proximal steps
(``l1_method="proximal"``, the default): after every optimizer step the
weights are soft-thresholded, so that those the data do not need become
exactly zero. When all the first-layer weights of an input are zero, the
network ignores that input, and its ``feature_importances_`` (the norm of the
input's first-layer weights) is exactly zero: the network has selected
features.

The data have 200 inputs, of which only the first 10 carry signal. We sweep
``alpha`` and count the inputs the network keeps, the informative ones among
them, and the held-out accuracy. Then we put the network in
``SelectFromModel``, in a ``Pipeline`` before a plain (unpenalized) network,
and compare it with selecting the inputs by an L1-penalized logistic
regression.
"""

# %%
# Data
# ----
# ``shuffle=False`` keeps the 10 informative inputs in the first 10 columns,
# so we know which inputs a selector should keep. float32 data train in
# float32, the faster precision.
import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.fixes import parse_version

from sklreg import RegularizedMLPClassifier

N_INFORMATIVE = 10
X, y = make_classification(
    n_samples=3000,
    n_features=200,
    n_informative=N_INFORMATIVE,
    n_redundant=0,
    n_classes=3,
    n_clusters_per_class=1,
    flip_y=0.03,
    shuffle=False,
    random_state=0,
)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=0.5, stratify=y, random_state=0
)
informative = np.arange(X.shape[1]) < N_INFORMATIVE
# tol=None: every network trains all 60 epochs
common = dict(
    hidden_layer_sizes=(64,), batch_size=100, max_iter=60, tol=None, random_state=0
)
alphas = np.geomspace(1e-3, 5e-2, 7)
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    common["max_iter"] = 3
    alphas = alphas[::3]
# sphinx_gallery_end_ignore

# %%
# Inputs kept and accuracy against ``alpha``
# ------------------------------------------
# An input is kept when at least one of its first-layer weights is not zero.
# The inputs are standardized first, so that one ``alpha`` treats them alike.
kept, informative_kept, accuracy = [], [], []
print(f"{'alpha':>7} {'inputs kept':>12} {'informative':>12} {'accuracy':>9}")
for alpha in alphas:
    model = make_pipeline(
        StandardScaler(), RegularizedMLPClassifier(**common, alpha=alpha, norm="l1")
    ).fit(X_train, y_train)
    used = model[-1].feature_importances_ > 0
    kept.append(used.sum())
    informative_kept.append((used & informative).sum())
    accuracy.append(model.score(X_test, y_test))
    print(
        f"{alpha:>7.4f} {kept[-1]:>12d} {informative_kept[-1]:>9d}/{N_INFORMATIVE}"
        f" {accuracy[-1]:>9.3f}",
        flush=True,
    )

fig, (ax_kept, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
ax_kept.plot(alphas, kept, "o-", label="all inputs")
ax_kept.plot(alphas, informative_kept, "s--", label="informative inputs")
ax_kept.set_xscale("log")
ax_kept.set_yscale("symlog", linthresh=10)  # linear below 10: shows zero
ax_kept.set_ylim(0, 300)
ax_kept.set_xlabel("alpha")
ax_kept.set_ylabel("inputs with a non-zero weight")
ax_kept.legend()
ax_acc.plot(alphas, accuracy, "o-")
ax_acc.set_xscale("log")
ax_acc.set_xlabel("alpha")
ax_acc.set_ylabel("held-out accuracy")
fig.tight_layout()

# %%
# As ``alpha`` grows, the number of inputs the network uses falls from all
# 200 towards the 10 informative ones, which it keeps until the penalty is
# strong enough to remove them too. The penalized network's own accuracy is
# best at a moderate ``alpha``, which still leaves many noise inputs with
# small weights: a penalty strong enough to select the inputs cleanly also
# shrinks the weights the data need. Selecting with a strong penalty, then
# training a plain network on the inputs kept, gets both.
#
# ``SelectFromModel`` in a pipeline
# ---------------------------------
# ``SelectFromModel`` reads ``feature_importances_``. Its default threshold
# for this estimator, ``"mean"``, keeps the inputs whose importance is at
# least the mean importance; ``threshold=1e-5`` keeps every input the network
# still uses. For comparison, an L1-penalized logistic regression selects the
# inputs instead (scikit-learn 1.8 spells its L1 penalty ``l1_ratio=1``).
if parse_version(sklearn.__version__) >= parse_version("1.8"):
    l1_logistic = LogisticRegression(l1_ratio=1.0, C=0.03, solver="saga", max_iter=1000)
else:
    l1_logistic = LogisticRegression(penalty="l1", C=0.03, solver="saga", max_iter=1000)
selector_network = RegularizedMLPClassifier(**common, alpha=2e-2, norm="l1")
selectors = {
    "none (all 200 inputs)": "passthrough",
    "L1 network": SelectFromModel(selector_network),
    "L1 network, threshold=1e-5": SelectFromModel(selector_network, threshold=1e-5),
    "L1 logistic regression": SelectFromModel(l1_logistic, threshold=1e-5),
}
pipelines = {}
print(f"\n{'selector':<28} {'inputs':>6} {'informative':>12} {'accuracy':>9}")
for name, selector in selectors.items():
    model = make_pipeline(
        StandardScaler(), selector, RegularizedMLPClassifier(**common, alpha=0.0)
    ).fit(X_train, y_train)
    pipelines[name] = model
    support = (
        np.ones(X.shape[1], dtype=bool)
        if selector == "passthrough"
        else model[1].get_support()
    )
    print(
        f"{name:<28} {support.sum():>6d} "
        f"{(support & informative).sum():>9d}/{N_INFORMATIVE} "
        f"{model.score(X_test, y_test):>9.3f}",
        flush=True,
    )

# %%
# A strongly penalized network keeps about the informative inputs and no
# others, and a plain network trained on them is far more accurate than one
# trained on all 200 inputs: the noise inputs were what it overfitted. The
# L1-penalized logistic regression finds the same inputs here, whose signal is
# largely linear; the network needs no separate linear model to select them.
#
# Feature importances of the selecting network
# --------------------------------------------
# Exactly zero for the inputs the penalty removed; the informative inputs
# stand out.
importances = pipelines["L1 network"][1].estimator_.feature_importances_
fig, ax = plt.subplots(figsize=(9, 3))
ax.bar(np.flatnonzero(informative), importances[informative], label="informative")
ax.bar(np.flatnonzero(~informative), importances[~informative], label="noise")
ax.set_xlabel("input")
ax.set_ylabel("feature_importances_")
ax.set_title(
    f"alpha=2e-2: {(importances == 0).sum()} of {len(importances)} inputs at "
    "exactly zero"
)
ax.legend()
fig.tight_layout()

plt.show()
