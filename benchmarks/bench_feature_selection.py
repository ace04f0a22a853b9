"""Feature selection: sklreg's ``feature_alpha`` against LassoNet.

Data: ``make_classification(n_samples=600, n_features=200, n_informative=10,
n_redundant=0, shuffle=False, random_state=seed)`` (the informative inputs
are the first 10), 75% for training and 25% held out (stratified), inputs
standardized on the training rows.

* ``lassonet``: ``LassoNetClassifierCV`` from the ``lassonet`` package
  (Lemhadri et al., JMLR 2021) with its defaults (a (100,) hidden layer, a
  dense fit then a path of growing penalties, hierarchical proximal steps,
  5-fold cross-validation of the penalty, then a refit along the path on
  all training rows), with ``cv`` its default split (``KFold(5)``, given
  explicitly) and ``random_state``/``torch_seed`` the seed.
* ``sklreg``: ``GridSearchCV(RegularizedMLPClassifier(random_state=seed),
  {"feature_alpha": GRID}, cv=KFold(5))``: sklreg's defaults (a (100,)
  hidden layer, Adam, at most 200 epochs) and a grid of penalty strengths
  chosen by accuracy on the same 5 folds, then the refit on all training
  rows;
* ``sklreg, 1-SE``: the same search with ``refit=sparsest_within_one_se``:
  the strongest penalty whose mean accuracy is within one standard error
  of the best (glmnet's ``lambda.1se``; the standard error is the fold
  scores' standard deviation over the square root of the folds), the
  usual choice when the goal is a small set of inputs.

Both run in one process with one thread: ``torch.set_num_threads(1)`` and
``threadpoolctl.threadpool_limits(1)`` for NumPy's BLAS. Fit time is CPU
time (``time.process_time``), robust to other processes on the machine;
the two methods alternate which runs first from one seed to the next. The
table reports, per seed, the inputs kept, the informative inputs among
them, the held-out accuracy and the fit time, then medians over the seeds
and the median ratio of the fit times.

Run: ``python benchmarks/bench_feature_selection.py`` (``--seeds 5``; about
20 minutes, most of it LassoNet's); ``--quick`` for a smoke run (one seed,
a short grid, LassoNet with a short path); ``--methods`` runs some of the
three, ``--grid`` tries other strengths.
Needs the ``bench`` extra (``pip install "sklreg[bench]"``).
"""

import argparse
import functools
import os
import platform
import statistics
import time
import warnings

N_INFORMATIVE = 10
GRID = [0.01, 0.015, 0.02, 0.03, 0.04, 0.055, 0.07, 0.085, 0.1, 0.12, 0.15, 0.2]
QUICK_GRID = [0.02, 0.07]


def load(seed):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(
        n_samples=600,
        n_features=200,
        n_informative=N_INFORMATIVE,
        n_redundant=0,
        shuffle=False,
        random_state=seed,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def fit_lassonet(X_train, y_train, seed, quick):
    """Fitted ``LassoNetClassifierCV`` and its mask of selected inputs."""
    import numpy as np
    from lassonet import LassoNetClassifierCV
    from sklearn.model_selection import KFold

    kwargs = dict(n_iters=(20, 5), path_multiplier=1.2) if quick else {}
    model = LassoNetClassifierCV(
        cv=KFold(5), random_state=seed, torch_seed=seed, verbose=0, **kwargs
    )
    model.fit(X_train, y_train)
    return model, np.asarray(model.best_selected_.cpu(), dtype=bool)


def sparsest_within_one_se(cv_results):
    """Index of the strongest ``feature_alpha`` whose mean test score is
    within one standard error of the best mean (``GridSearchCV(refit=)``)."""
    import numpy as np

    mean = np.asarray(cv_results["mean_test_score"], dtype=float)
    std = np.asarray(cv_results["std_test_score"], dtype=float)
    n_folds = sum(
        key.startswith("split") and key.endswith("_test_score") for key in cv_results
    )
    best = int(np.argmax(mean))
    within = np.flatnonzero(mean >= mean[best] - std[best] / np.sqrt(n_folds))
    alphas = np.asarray(cv_results["param_feature_alpha"], dtype=float)
    return int(within[np.argmax(alphas[within])])


def fit_sklreg(X_train, y_train, seed, quick, grid=GRID, refit=True):
    """The refitted network the grid search chose over ``grid``, and its
    kept inputs."""
    from sklearn.model_selection import GridSearchCV, KFold

    from sklreg import RegularizedMLPClassifier

    estimator = RegularizedMLPClassifier(random_state=seed)
    if quick:
        estimator.set_params(max_iter=10)
    search = GridSearchCV(
        estimator,
        {"feature_alpha": QUICK_GRID if quick else grid},
        cv=KFold(5),
        refit=refit,
    )
    search.fit(X_train, y_train)
    model = search.best_estimator_
    chosen = search.cv_results_["params"][search.best_index_]
    return model, model.feature_importances_ > 0, chosen


def fit_sklreg_1se(X_train, y_train, seed, quick, grid=GRID):
    return fit_sklreg(X_train, y_train, seed, quick, grid, refit=sparsest_within_one_se)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="run seeds first-seed, ..."
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--methods", nargs="+", help="run only these (default: all)", default=None
    )
    parser.add_argument(
        "--grid", nargs="+", type=float, default=GRID, help="feature_alpha grid"
    )
    args = parser.parse_args()
    n_seeds = 1 if args.quick else args.seeds
    seeds = range(args.first_seed, args.first_seed + n_seeds)

    import numpy as np
    import torch
    from sklearn.metrics import accuracy_score
    from threadpoolctl import threadpool_limits

    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(1)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"torch {torch.__version__}, 1 thread (torch and BLAS)",
        flush=True,
    )
    methods = {
        "lassonet": fit_lassonet,
        "sklreg": functools.partial(fit_sklreg, grid=args.grid),
        "sklreg, 1-SE": functools.partial(fit_sklreg_1se, grid=args.grid),
    }
    if args.methods:
        methods = {name: methods[name] for name in args.methods}
    results = {name: [] for name in methods}
    print(
        "| seed | method | inputs kept | informative found | test accuracy "
        "| fit time (s) | chosen |"
    )
    print("|---|---|---|---|---|---|---|")
    with threadpool_limits(1):
        for seed in seeds:
            X_train, X_test, y_train, y_test = load(seed)
            order = list(methods) if seed % 2 == 0 else list(methods)[::-1]
            for name in order:
                start = time.process_time()
                model, kept, *chosen = methods[name](X_train, y_train, seed, args.quick)
                seconds = time.process_time() - start
                accuracy = accuracy_score(y_test, np.ravel(model.predict(X_test)))
                chosen = (
                    f"feature_alpha={chosen[0]['feature_alpha']}"
                    if chosen
                    else f"lambda={model.best_lambda_:.3g}"
                )
                row = (int(kept.sum()), int(kept[:N_INFORMATIVE].sum()), accuracy)
                results[name].append((*row, seconds))
                print(
                    f"| {seed} | {name} | {row[0]} | {row[1]}/{N_INFORMATIVE} "
                    f"| {accuracy:.3f} | {seconds:.1f} | {chosen} |",
                    flush=True,
                )
    print("\nMedians over the seeds:\n")
    print("| method | inputs kept | informative found | test accuracy | fit time (s) |")
    print("|---|---|---|---|---|")
    for name, rows in results.items():
        kept, found, accuracy, seconds = (
            statistics.median(c) for c in zip(*rows, strict=True)
        )
        print(
            f"| {name} | {kept:g} | {found:g}/{N_INFORMATIVE} | {accuracy:.3f} "
            f"| {seconds:.1f} |"
        )
    ours = [name for name in methods if name != "lassonet"]
    for name in ours if "lassonet" in methods else []:
        ratios = [
            lasso[3] / ours[3]
            for lasso, ours in zip(results["lassonet"], results[name], strict=True)
        ]
        print(
            f"\nFit time, lassonet / {name}: median "
            f"{statistics.median(ratios):.2f} "
            f"(per seed: {', '.join(f'{r:.2f}' for r in ratios)})"
        )


if __name__ == "__main__":
    main()
