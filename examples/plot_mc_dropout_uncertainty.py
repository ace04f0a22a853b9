"""
Monte-Carlo dropout: a prediction band that widens away from the data
=====================================================================

A network trained with dropout is an implicit ensemble of thinned networks
that share their weights. With ``mc_samples=k``, ``predict`` averages ``k`` of
them, each with its own dropout masks, and ``predict(X, return_std=True)``
also returns how much they disagree. That spread is small where training data
constrain every thinned network alike, and grows where nothing does.

This example fits a noisy sine on two clusters of inputs with a gap between
them, and draws the Monte-Carlo mean with a band of two standard deviations.
The band is narrowest on the data, wider in the gap, and widest beyond the
data. Monte-Carlo dropout is known to be cautious *in between* clusters (the
band widens less there than a full Bayesian treatment would), so read the band
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
    mc_samples=200,
    random_state=0,
)
# sphinx_gallery_start_ignore
import os  # noqa: E402

if os.environ.get("SKLREG_EXAMPLES_QUICK") == "1":  # CI: a short run
    params.update(max_iter=100, mc_samples=20)
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
# The band
# --------
fig, ax = plt.subplots(figsize=(7, 4.2))
ax.fill_between(
    grid, mean - 2 * std, mean + 2 * std, alpha=0.3, label="MC mean ± 2 std"
)
ax.plot(grid, mean, label=f"MC mean ({params['mc_samples']} thinned networks)")
ax.plot(grid, deterministic, ":", label="deterministic network")
ax.plot(grid, np.sin(1.5 * grid), "k--", linewidth=1, label="true function")
ax.scatter(x, y, s=8, color="k", alpha=0.5, label="training data")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_ylim(-2.5, 2.5)
# the legend goes below the axes: inside, it would cover the band or the data
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize="small")
fig.tight_layout()
plt.show()
