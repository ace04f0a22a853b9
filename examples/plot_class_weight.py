"""
Class weights on imbalanced data
================================

With 95% of the rows in one class, a classifier can reach a low loss while
rarely predicting the other. ``class_weight="balanced"`` weighs each class
inversely to its frequency, so that both carry the same total weight in the
data loss. This example measures the recall of the rare class and the
balanced accuracy of ``RegularizedMLPClassifier`` with and without it, on
five stratified splits, beside scikit-learn's
``LogisticRegression(class_weight="balanced")``.
"""

# %%
# Data and settings
# -----------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPClassifier

X, y = make_classification(
    n_samples=2000,
    n_features=20,
    n_informative=5,
    weights=[0.95, 0.05],
    flip_y=0.01,
    random_state=0,
)
n_splits, max_iter = 5, 100
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    n_splits, max_iter = 1, 5
# sphinx_gallery_end_ignore
print(f"{len(y)} rows, {y.mean():.1%} in the rare class")

mlp = dict(hidden_layer_sizes=(64,), max_iter=max_iter, random_state=0)
models = {
    "MLP": RegularizedMLPClassifier(**mlp),
    'MLP, class_weight="balanced"': RegularizedMLPClassifier(
        **mlp, class_weight="balanced"
    ),
    'LogisticRegression, "balanced"': LogisticRegression(class_weight="balanced"),
}

# %%
# Five stratified splits
# ----------------------
# Each model is fitted on the same training rows and scored on the same
# held-out quarter.
splits = StratifiedShuffleSplit(n_splits=n_splits, test_size=0.25, random_state=0)
recall = {name: [] for name in models}
balanced = {name: [] for name in models}
for train, test in splits.split(X, y):
    for name, model in models.items():
        pipe = make_pipeline(StandardScaler(), model).fit(X[train], y[train])
        predicted = pipe.predict(X[test])
        recall[name].append(recall_score(y[test], predicted))
        balanced[name].append(balanced_accuracy_score(y[test], predicted))

for name in models:
    print(
        f"{name:32s} minority recall {np.mean(recall[name]):.3f} "
        f"+- {np.std(recall[name]):.3f}, balanced accuracy "
        f"{np.mean(balanced[name]):.3f} +- {np.std(balanced[name]):.3f}"
    )

# %%
# The rare class is found far more often with class weights
# ---------------------------------------------------------
# The weighted network trades a little accuracy on the frequent class for
# much better recall on the rare one: its balanced accuracy rises.
fig, ax = plt.subplots(figsize=(7, 3.5))
names = list(models)
positions = np.arange(len(names))
ax.bar(
    positions - 0.2,
    [np.mean(recall[n]) for n in names],
    0.4,
    yerr=[np.std(recall[n]) for n in names],
    label="minority recall",
)
ax.bar(
    positions + 0.2,
    [np.mean(balanced[n]) for n in names],
    0.4,
    yerr=[np.std(balanced[n]) for n in names],
    label="balanced accuracy",
)
ax.set_xticks(positions, names, fontsize=8)
ax.set_ylim(0, 1)
ax.legend(loc="lower right")
ax.set_title(f"95% / 5% classes, {n_splits} stratified splits")
fig.tight_layout()
plt.show()
