"""Parallel hyperparameter search on one machine: ``n_jobs=1`` against ``n_jobs=2``.

A 12-candidate x 3-fold ``GridSearchCV`` over
``Pipeline(StandardScaler(), estimator)`` on 20,000 x 50 rows, for
``RegularizedMLPClassifier`` and, as the reference, scikit-learn's
``MLPClassifier``. Both estimators search the same grid (``alpha`` x
``hidden_layer_sizes`` x ``learning_rate_init``) for the same number of
epochs, with the refit on all rows that ``GridSearchCV`` does by default.

Each estimator's search runs

* ``n_jobs=1`` with the libraries' default thread counts (torch's intra-op
  threads, OpenBLAS's threads: one per core);
* ``n_jobs=1`` inside ``threadpoolctl.threadpool_limits(1)``: one core;
* ``n_jobs=2`` with joblib's default (loky) backend: two worker processes,
  which loky starts with ``cores // n_jobs`` threads each.

The table reports the median wall time over ``--repeats`` rounds (each round
runs every configuration once, in a rotated order, so that the machine's
noise hits all alike) and the speed-up over ``n_jobs=1``. The "threads per
fit" column is measured, not assumed: torch's intra-op threads (sklreg) or
OpenBLAS's threads (scikit-learn) as a fit sees them. The worker processes
are started, and a small search of each kind run, before timing; the
header reports the one-time cost of starting the workers.

Run: ``python benchmarks/bench_search.py`` (about 15 minutes on 2 cores);
``--quick`` for a smoke run.
"""

import argparse
import os
import platform
import statistics
import time
import warnings

ESTIMATORS = ["sklreg", "sklearn"]
CONFIGS = ["n_jobs=1", "n_jobs=1, 1 thread", "n_jobs=2"]
GRID = {
    "alpha": [1e-5, 1e-4, 1e-3],
    "hidden_layer_sizes": [(64,), (128, 64)],
    "learning_rate_init": [1e-3, 3e-3],
}
FULL = dict(n_samples=20_000, n_features=50, epochs=10, grid=GRID)
QUICK = dict(
    n_samples=2_000,
    n_features=50,
    epochs=2,
    grid={"alpha": [1e-5, 1e-3], "hidden_layer_sizes": [(32,), (64,)]},
)


def load(n_samples, n_features, dtype):
    import numpy as np
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples, n_features, n_informative=20, n_classes=3, random_state=0
    )
    return X.astype(dtype), y.astype(np.int64)


def make_search(estimator, grid, epochs, n_jobs):
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from sklreg import RegularizedMLPClassifier

    if estimator == "sklreg":
        model = RegularizedMLPClassifier(max_iter=epochs, tol=None, random_state=0)
    else:  # a fixed number of epochs: no convergence test
        model = MLPClassifier(
            max_iter=epochs, tol=0.0, n_iter_no_change=10**9, random_state=0
        )
    pipe = Pipeline([("scale", StandardScaler()), ("model", model)])
    grid = {f"model__{key}": values for key, values in grid.items()}
    return GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs)


def fit_threads(estimator):
    """Threads a fit in this process computes with: torch's intra-op threads
    for sklreg, the BLAS threads (NumPy's OpenBLAS) for scikit-learn."""
    if estimator == "sklreg":
        import torch

        return torch.get_num_threads()
    from threadpoolctl import threadpool_info

    return max(
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    )


def threads_seen(estimator, config):
    """:func:`fit_threads` in the processes that run the fits of ``config``."""
    from joblib import Parallel, delayed
    from threadpoolctl import threadpool_limits

    if config == "n_jobs=2":
        seen = Parallel(n_jobs=2)(delayed(fit_threads)(estimator) for _ in range(2))
        return max(seen)
    if config == "n_jobs=1, 1 thread":
        with threadpool_limits(1):
            return fit_threads(estimator)
    return fit_threads(estimator)


def run(estimator, config, X, y, setup):
    """Wall seconds of one search."""
    from threadpoolctl import threadpool_limits

    n_jobs = 2 if config == "n_jobs=2" else 1
    search = make_search(estimator, setup["grid"], setup["epochs"], n_jobs)
    start = time.perf_counter()
    if config == "n_jobs=1, 1 thread":
        with threadpool_limits(1):
            search.fit(X, y)
    else:
        search.fit(X, y)
    return time.perf_counter() - start


def measure(args, setup, X, y):
    """Time every configuration and print the table."""
    import joblib
    import sklearn
    import torch

    start = time.perf_counter()
    threads = {
        (estimator, config): threads_seen(estimator, config)
        for estimator in args.estimators
        for config in CONFIGS
    }
    startup = time.perf_counter() - start
    tiny = dict(setup, epochs=1)
    for estimator in args.estimators:  # one-time costs: imports in the workers
        for config in CONFIGS:
            run(estimator, config, X[:300], y[:300], tiny)
    n_candidates = 1
    for values in setup["grid"].values():
        n_candidates *= len(values)
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, joblib {joblib.__version__}, "
        f"{os.cpu_count()} CPUs; {setup['n_samples']:,} x {setup['n_features']} "
        f"{args.dtype} rows, {n_candidates} candidates x 3 folds + refit, "
        f"{setup['epochs']} epochs per fit; median wall time of {args.repeats} "
        f"interleaved rounds; starting the 2 worker processes took {startup:.1f} s"
    )
    print()
    print("| estimator | n_jobs | threads per fit | wall s | speed-up |")
    print("|---|---|---|---|---|")
    runs = [(e, c) for e in args.estimators for c in CONFIGS]
    seconds = {run_: [] for run_ in runs}
    for round_ in range(args.repeats):
        shift = round_ % len(runs)
        for estimator, config in runs[shift:] + runs[:shift]:
            seconds[estimator, config].append(run(estimator, config, X, y, setup))
    for estimator in args.estimators:
        serial = statistics.median(seconds[estimator, "n_jobs=1"])
        for config in CONFIGS:
            t = statistics.median(seconds[estimator, config])
            n_jobs = config.split(",")[0].removeprefix("n_jobs=")
            print(
                f"| {estimator} | {n_jobs} | {threads[estimator, config]} | {t:.1f} | "
                f"{serial / t:.2f}x |",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--quick", action="store_true", help="2k rows, 4 candidates")
    parser.add_argument("--estimators", nargs="*", default=ESTIMATORS)
    args = parser.parse_args()
    setup = QUICK if args.quick else FULL
    if args.quick:
        args.repeats = 1
    warnings.filterwarnings("ignore")  # MLPClassifier's ConvergenceWarning
    # the workers inherit the filter through the environment
    os.environ["PYTHONWARNINGS"] = "ignore"

    import joblib

    X, y = load(setup["n_samples"], setup["n_features"], args.dtype)
    # loky's default backend, with its workers kept alive through the serial
    # runs (they would otherwise stop after 300 idle seconds and restart
    # inside a timed search)
    with joblib.parallel_config(backend="loky", idle_worker_timeout=3600):
        measure(args, setup, X, y)


if __name__ == "__main__":
    main()
