"""Training speed of towers: one tower per task against one shared network.

Eight regression targets, two hidden layers of 100 ReLU units, Adam with
learning rate 1e-3, minibatches of 200, float32 input, one thread:

* ``shared``: ``RegularizedMLPRegressor`` with ``shared_layers=None``, one
  network with an 8-unit output layer;
* ``trunk + towers``: ``shared_layers=1``, the first hidden layer shared;
* ``towers``: ``shared_layers=0``, eight separate networks trained together
  (all towers evaluated in one batched product per layer);
* ``towers, tied``: the same with ``tie_groups='tasks', tie_alpha=1e-3``;
* ``8 separate fits``: eight single-output regressors fitted one after the
  other, what towers replace.

Timing runs every method in one process, after a warm-up fit, in
``--repeats`` rounds with a rotated order so that the machine's noise hits all
methods alike, and reports the median CPU seconds per epoch (fit time divided
by the number of epochs; wall time on a GPU) and its ratio to ``shared``.
R^2 is on a held-out 20%.

Run: ``python benchmarks/bench_multitask.py`` (a few minutes on 2 cores);
``--quick`` for a smoke run; ``--device cuda`` for a GPU.
"""

import argparse
import os
import platform
import statistics
import warnings

from _common import interleaved_rounds

N_TASKS = 8
HIDDEN, BATCH, LR = (100, 100), 200, 1e-3
SIZES = {
    # name: (n_samples, n_features, epochs)
    "50k x 100": (50_000, 100, 4),
    "5k x 100": (5_000, 100, 2),
}
METHODS = {
    "shared": dict(shared_layers=None),
    "trunk + towers": dict(shared_layers=1),
    "towers": dict(shared_layers=0),
    "towers, tied": dict(shared_layers=0, tie_groups="tasks", tie_alpha=1e-3),
    "8 separate fits": None,
}


def load(n_samples, n_features):
    """Eight related targets: noisy nonlinear functions of shared features."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    W = rng.normal(size=(n_features, 16))
    W_tasks = W + 0.3 * rng.normal(size=(N_TASKS, *W.shape))  # 30% apart
    hidden = np.tanh(X @ W_tasks / np.sqrt(n_features))  # (task, row, unit)
    Y = np.einsum("tnk,tk->nt", hidden, rng.normal(size=(N_TASKS, 16)))
    Y += 0.3 * rng.normal(size=Y.shape)
    return train_test_split(X, Y.astype(np.float32), test_size=0.2, random_state=0)


def fit_predict(method, X, Y, X_test, epochs, device):
    """Fit ``method`` for ``epochs`` epochs; predictions on ``X_test``."""
    import numpy as np

    from sklreg import RegularizedMLPRegressor

    common = dict(
        hidden_layer_sizes=HIDDEN,
        alpha=0.0,
        batch_size=BATCH,
        learning_rate_init=LR,
        max_iter=epochs,
        tol=None,  # exactly max_iter epochs
        random_state=0,
        device=device,
    )
    params = METHODS[method]
    if params is None:
        return np.column_stack(
            [
                RegularizedMLPRegressor(**common).fit(X, Y[:, t]).predict(X_test)
                for t in range(Y.shape[1])
            ]
        )
    return RegularizedMLPRegressor(**common, **params).fit(X, Y).predict(X_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="5k rows, 1 round")
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    args = parser.parse_args()
    size = "5k x 100" if args.quick else "50k x 100"
    repeats = 1 if args.quick else args.repeats

    import sklearn
    import torch
    from sklearn.metrics import r2_score
    from threadpoolctl import threadpool_limits

    import sklreg

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    n_samples, n_features, epochs = SIZES[size]
    X, X_test, Y, Y_test = load(n_samples, n_features)
    methods = args.methods
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklreg {sklreg.__version__}, "
        f"{os.cpu_count()} CPUs, device {args.device}, 1 thread, {size}, "
        f"{N_TASKS} targets, {epochs} epochs, median of {repeats} interleaved "
        "rounds"
    )
    with threadpool_limits(1):
        for method in methods:  # one-time costs (lazy initialisation, caches)
            fit_predict(method, X[:2000], Y[:2000], X_test[:10], 1, args.device)
        seconds, predictions = interleaved_rounds(
            lambda method: fit_predict(method, X, Y, X_test, epochs, args.device),
            methods,
            repeats,
            args.device,
        )
    seconds = {method: [t / epochs for t in times] for method, times in seconds.items()}
    r2 = {method: r2_score(Y_test, predictions[method]) for method in methods}
    median = {method: statistics.median(seconds[method]) for method in methods}
    print()
    print("| method | s / epoch | vs shared | test R^2 |")
    print("|---|---|---|---|")
    for method in methods:
        ratio = median[method] / median["shared"] if "shared" in median else None
        print(
            f"| {method} | {median[method]:.4f} | "
            f"{'-' if ratio is None else f'{ratio:.2f}x'} | {r2[method]:.3f} |"
        )


if __name__ == "__main__":
    main()
