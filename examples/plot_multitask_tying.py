"""
Tying the towers of related tasks
=================================

Four regression tasks share most of their structure, and there are only 60
training rows for all four. Three ways to fit them with one
``RegularizedMLPRegressor``:

* **shared** (``shared_layers=None``): one network, whose hidden layer all
  tasks share, with one output per task;
* **separate** (``shared_layers=0``, ``tie_alpha=0``): one tower per task, a
  separate network each, trained together;
* **tied** (``shared_layers=0``, ``tie_groups="tasks"``): the same towers,
  with the penalty ``tie_alpha * sum over pairs of towers of
  ||w_a - w_b||**2`` pulling each tower layer towards its counterparts.

``tie_alpha`` moves the tied towers from separate networks towards one shared
set of weights. This example traces held-out R^2 (mean over the tasks and
over three draws of the data) along that line, every setting trained for
the same 100 epochs. Separate towers each see too few rows and overfit (R^2
0.44); the shared network does a little better (0.50); moderately tied
towers beat both by a wide margin (0.65 at ``tie_alpha=0.1``). Past that, the
tie dominates the objective: the towers are pulled onto one set of weights
faster than they learn from the data, and within the same epochs they
underfit (0.37 at 1, 0.09 at 10).
"""

# %%
# Related tasks with few rows
# ---------------------------
# Every task is a noisy random two-layer function of 10 features,
# ``tanh(X @ W_t) @ v_t``, whose ``W_t`` and ``v_t`` differ by about 30% from
# weights common to all tasks.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import r2_score

from sklreg import RegularizedMLPRegressor


def related_tasks(seed, n_train=60, n_test=1000, n_features=10, n_tasks=4):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_train + n_test, n_features))
    W, v = rng.normal(size=(n_features, 4)), rng.normal(size=4)
    Y = np.column_stack(
        [
            np.tanh(X @ (W + 0.3 * rng.normal(size=W.shape)) / np.sqrt(n_features))
            @ (v + 0.3 * rng.normal(size=4))
            for _ in range(n_tasks)
        ]
    )
    Y += 0.5 * Y.std(axis=0) * rng.normal(size=Y.shape)  # noise
    return X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]


common = dict(
    hidden_layer_sizes=(32,), alpha=0.0, learning_rate_init=1e-2, max_iter=100
)
tie_alphas = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
settings = {
    "shared": dict(shared_layers=None),
    "separate": dict(shared_layers=0, tie_alpha=0.0),
    **{
        f"{a:g}": dict(shared_layers=0, tie_groups="tasks", tie_alpha=a)
        for a in tie_alphas
    },
}

seeds = [0, 1, 2]
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    common["max_iter"] = 5
    seeds = [0]
# sphinx_gallery_end_ignore

# %%
# Fit every setting on three draws of the data
# --------------------------------------------
# Each row of the table is one draw: the test R^2 of each setting, averaged
# over the four tasks.
r2 = {name: [] for name in settings}
print("seed " + " ".join(f"{name:>8}" for name in settings))
for seed in seeds:
    X_train, Y_train, X_test, Y_test = related_tasks(seed)
    for name, params in settings.items():
        model = RegularizedMLPRegressor(**common, **params, random_state=seed)
        model.fit(X_train, Y_train)
        r2[name].append(r2_score(Y_test, model.predict(X_test)))
    print(f"{seed:>4} " + " ".join(f"{r2[name][-1]:>8.3f}" for name in settings))
mean = {name: np.mean(scores) for name, scores in r2.items()}
print("mean " + " ".join(f"{mean[name]:>8.3f}" for name in settings))

# %%
# Test R^2 against ``tie_alpha``
# -------------------------------
# The tied towers as a curve (the mean, and the range over the three draws),
# the shared network and the separate towers as reference lines.
fig, ax = plt.subplots(figsize=(6, 3.5))
tied = np.array([r2[f"{a:g}"] for a in tie_alphas])
ax.plot(tie_alphas, tied.mean(axis=1), "o-", color="tab:blue", label="tied towers")
ax.fill_between(tie_alphas, tied.min(axis=1), tied.max(axis=1), alpha=0.2)
ax.axhline(mean["shared"], color="tab:green", ls="--", label="shared network")
ax.axhline(mean["separate"], color="tab:red", ls=":", label="separate towers")
ax.set_xscale("log")
ax.set_xlabel("tie_alpha")
ax.set_ylabel("test R^2 (mean over tasks and draws)")
ax.set_title("4 related tasks, 60 training rows")
ax.legend()
fig.tight_layout()
plt.show()
