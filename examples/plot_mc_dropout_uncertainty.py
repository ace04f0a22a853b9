"""
Prediction bands: Monte-Carlo dropout and a deep ensemble
=========================================================

A network trained with dropout is an implicit ensemble of thinned networks
that share their weights. With ``mc_samples=k``, ``predict`` averages ``k`` of
them, each with its own dropout masks, and ``predict(X, return_std=True)``
also returns how much they disagree. A deep ensemble (``n_members=k``) is a
real one: ``k`` networks from different initial weights, trained together,
whose ``return_std`` is the spread of their predictions. Both spreads are
small where training data constrain every network alike, and grow where
nothing does.

This example fits a noisy sine on two clusters of inputs with a gap between
them, and draws each mean with a band of two standard deviations. Both
bands are narrowest on the data and widest beyond it. Monte-Carlo dropout
is known to be cautious *in between* clusters (its band widens less there
than a full Bayesian treatment would); the members of a deep ensemble
disagree more in the gap, where each draws its own curve. Read either band
as a relative, not a calibrated, measure of uncertainty.
"""

# %%
# Two clusters of noisy inputs
# ----------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklreg import RegularizedMLPRegressor

rng = np.random.RandomState(0)
x = np.r_[rng.uniform(-4, -1, 100), rng.uniform(1.5, 4, 100)]
y = np.sin(1.5 * x) + 0.15 * rng.randn(len(x))
grid = np.linspace(-5, 5, 401)

params = dict(
    hidden_layer_sizes=(128, 128),
    dropout=0.2,
    alpha=1e-5,
    learning_rate_init=5e-3,
    batch_size=200,  # one step per epoch on these 200 rows
    max_iter=2000,
    tol=None,  # all 2000 epochs: no stop when the objective levels off
    mc_samples=200,
    random_state=0,
)
# the deep ensemble: the same network without dropout, five members
ensemble_params = {**params, "dropout": 0.0, "mc_samples": 0, "n_members": 5}
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    params.update(max_iter=100, mc_samples=20)
    ensemble_params.update(max_iter=100)
# sphinx_gallery_end_ignore

# %%
# Fit once, predict with 200 thinned networks
# -------------------------------------------
model = RegularizedMLPRegressor(**params).fit(x[:, None], y)
mean, std = model.predict(grid[:, None], return_std=True)

regions = {
    "on the data": ((grid > -3.5) & (grid < -1.5)) | ((grid > 2) & (grid < 3.5)),
    "in the gap": (grid > -0.5) & (grid < 1.0),
    "beyond the data": (grid < -4.5) | (grid > 4.5),
}
for name, where in regions.items():
    print(f"mean std {name:<16} {std[where].mean():.3f}")

# %%
# The deterministic network
# -------------------------
# ``mc_samples`` is a prediction-time setting: the same fitted network
# predicts deterministically (``mc_samples=0``, every unit kept) without
# refitting. Its prediction is close to the Monte-Carlo mean, but it has no
# spread (``std`` is zero).
deterministic, zero = model.set_params(mc_samples=0).predict(
    grid[:, None], return_std=True
)
model.set_params(mc_samples=params["mc_samples"])
print(f"largest |deterministic - MC mean|: {np.abs(deterministic - mean).max():.3f}")
print(f"std without Monte-Carlo sampling: {zero.max():.1f}")

# %%
# A deep ensemble
# ---------------
# Five networks without dropout, trained together as one batched network;
# ``return_std`` is the standard deviation over the members.
ensemble = RegularizedMLPRegressor(**ensemble_params).fit(x[:, None], y)
ens_mean, ens_std = ensemble.predict(grid[:, None], return_std=True)
members = np.array([ensemble.member(i).predict(grid[:, None]) for i in range(5)])
gap = np.abs(ens_mean - members.mean(0)).max()
print(f"largest |ensemble mean - mean of members|: {gap:.1e}")
for name, where in regions.items():
    mc, members_std = std[where].mean(), ens_std[where].mean()
    print(f"mean std {name:<16} MC dropout {mc:.3f}   ensemble {members_std:.3f}")

# %%
# The bands
# ---------
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharey=True)
bands = [
    (mean, std, f"MC dropout: mean ± 2 std of {params['mc_samples']} thinned networks"),
    (ens_mean, ens_std, "deep ensemble: mean ± 2 std of 5 members"),
]
for ax, (center, spread, title) in zip(axes, bands, strict=True):
    ax.fill_between(
        grid, center - 2 * spread, center + 2 * spread, alpha=0.3, label="mean ± 2 std"
    )
    ax.plot(grid, center, label="mean")
    ax.plot(grid, np.sin(1.5 * grid), "k--", linewidth=1, label="true function")
    ax.scatter(x, y, s=8, color="k", alpha=0.5, label="training data")
    ax.set_xlabel("x")
    ax.set_title(title, fontsize="medium")
axes[0].plot(grid, deterministic, ":", label="deterministic network")
for member in members:
    axes[1].plot(grid, member, color="C1", linewidth=0.6, alpha=0.6)
axes[1].plot([], [], color="C1", linewidth=0.6, label="one member")
axes[0].set_ylabel("y")
axes[0].set_ylim(-2.5, 2.5)
# one legend below the panels: inside, it would cover the bands or the data
handles = {}
for ax in axes:
    for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
        handles.setdefault(label, handle)
fig.legend(
    handles.values(), handles.keys(), loc="lower center", ncol=6, fontsize="small"
)
fig.tight_layout(rect=(0, 0.08, 1, 1))
plt.show()
