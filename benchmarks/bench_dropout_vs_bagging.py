"""Dropout with Monte-Carlo averaging against bagging ensembles of networks.

On scikit-learn's digits and breast-cancer data, 5 stratified 75/25 splits,
the same network (one hidden layer of 100 ReLU units, Adam) is trained as:

* ``(a) plain``: no regularization;
* ``(b) dropout``: hidden and input dropout, deterministic prediction;
* ``(c) dropout + MC``: the same fitted network, ``mc_samples=20``;
* ``(d) bagging``: ``BaggingClassifier`` of 20 plain networks (bootstrap
  counts arrive as ``sample_weight``; the script checks they do);
* ``(e) bagging dropout``: ``BaggingClassifier`` of 20 dropout networks.

Every network trains for ``EPOCHS`` epochs. Reported: test accuracy and log-loss
(mean ± std over the splits), training and prediction CPU time (medians), and
the training-time ratio (c)/(d). One thread; every method runs on the same
splits in one process. Also measured: the cost of Monte-Carlo prediction,
``k = 20`` thinned networks on 10 000 rows against one deterministic
prediction, for a few architectures.

Run: ``python benchmarks/bench_dropout_vs_bagging.py`` (about 15 minutes on
2 cores); ``--quick`` for a smoke run; ``--json PATH`` to save the figures.
"""

import argparse
import json
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import BaggingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklreg import RegularizedMLPClassifier

DATASETS = {"digits": load_digits, "breast cancer": load_breast_cancer}
HIDDEN, EPOCHS = (100,), 100
DROPOUT = dict(dropout=0.3, input_dropout=0.1)
N_ESTIMATORS, MC_SAMPLES, N_SPLITS = 20, 20, 5
METHODS = [
    "(a) plain",
    "(b) dropout",
    "(c) dropout + MC",
    "(d) bagging",
    "(e) bagging dropout",
]


def network(seed, dropout=False, epochs=EPOCHS):
    extra = DROPOUT if dropout else {}
    return RegularizedMLPClassifier(
        HIDDEN, alpha=0.0, max_iter=epochs, tol=None, random_state=seed, **extra
    )


class _WeightSpy(RegularizedMLPClassifier):
    """Records the sample weights each fit receives."""

    seen = []

    def fit(self, X, y, sample_weight=None):
        _WeightSpy.seen.append(sample_weight)
        return super().fit(X, y, sample_weight)


def check_bagging_passes_bootstrap_counts(X, y):
    """BaggingClassifier must hand each network its bootstrap counts as
    ``sample_weight`` (all rows, integer weights), not a resampled copy."""
    _WeightSpy.seen = []
    BaggingClassifier(
        _WeightSpy(HIDDEN, max_iter=1), n_estimators=3, random_state=0
    ).fit(X, y)
    assert len(_WeightSpy.seen) == 3
    for counts in _WeightSpy.seen:
        assert counts is not None and len(counts) == len(X)
        assert np.array_equal(counts, np.round(counts)) and counts.sum() == len(X)


def timed(fn):
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def run_split(X, y, train, test, seed, epochs):
    scaler = StandardScaler().fit(X[train])
    X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
    y_train, y_test = y[train], y[test]
    results = {}

    def record(name, model, fit_time):
        proba, predict_time = timed(lambda: model.predict_proba(X_test))
        results[name] = dict(
            accuracy=accuracy_score(y_test, model.classes_[proba.argmax(1)]),
            log_loss=log_loss(y_test, proba, labels=model.classes_),
            fit=fit_time,
            predict=predict_time,
        )

    plain, t = timed(lambda: network(seed, epochs=epochs).fit(X_train, y_train))
    record("(a) plain", plain, t)
    dropout, t = timed(lambda: network(seed, True, epochs).fit(X_train, y_train))
    record("(b) dropout", dropout, t)
    record("(c) dropout + MC", dropout.set_params(mc_samples=MC_SAMPLES), t)
    for name, use_dropout in (("(d) bagging", False), ("(e) bagging dropout", True)):
        bag = BaggingClassifier(
            network(seed, use_dropout, epochs=epochs),
            n_estimators=N_ESTIMATORS,
            random_state=seed,
        )
        bag, t = timed(lambda bag=bag: bag.fit(X_train, y_train))
        record(name, bag, t)
    return results


def mc_prediction_cost(repeats):
    """Seconds of ``mc_samples=20`` over one deterministic prediction."""
    X, y = make_classification(10_000, 20, n_informative=10, random_state=0)
    X = X.astype(np.float32)
    rows = []
    for hidden, dropout, input_dropout in [
        ((100,), 0.5, 0.0),
        ((100,), 0.5, 0.2),
        ((100, 100), 0.5, 0.0),
    ]:
        est = RegularizedMLPClassifier(
            hidden,
            dropout=dropout,
            input_dropout=input_dropout,
            max_iter=1,
            random_state=0,
        ).fit(X[:2000], y[:2000])
        predict = est.predict_proba
        times = {}
        for k in (0, MC_SAMPLES):
            est.set_params(mc_samples=k)
            predict(X)  # warm-up
            times[k] = statistics.median(
                timed(lambda p=predict: p(X))[1] for _ in range(repeats)
            )
        # the naive loop: k passes of one thinned network each
        est.set_params(mc_samples=1)
        naive = statistics.median(
            timed(lambda p=predict: [p(X) for _ in range(MC_SAMPLES)])[1]
            for _ in range(max(1, repeats // 2))
        )
        rows.append(
            dict(
                network=f"{hidden}, dropout {dropout}, input {input_dropout}",
                deterministic=times[0],
                mc=times[MC_SAMPLES],
                ratio=times[MC_SAMPLES] / times[0],
                naive_ratio=naive / times[0],
            )
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    global N_ESTIMATORS
    n_splits, epochs, repeats = N_SPLITS, EPOCHS, 5
    if args.quick:
        n_splits, epochs, repeats, N_ESTIMATORS = 1, 3, 1, 3
    torch.set_num_threads(1)
    threadpool_limits(1)  # NumPy's BLAS too: every method on one thread
    warnings.filterwarnings("ignore")
    report = {
        "versions": dict(torch=torch.__version__),
        "datasets": {},
        "mc_prediction": [],
    }
    for name, loader in DATASETS.items():
        X, y = loader(return_X_y=True)
        check_bagging_passes_bootstrap_counts(X[:100], y[:100])
        splits = StratifiedShuffleSplit(n_splits, test_size=0.25, random_state=0)
        runs = []
        for seed, (train, test) in enumerate(splits.split(X, y)):
            runs.append(run_split(X, y, train, test, seed, epochs))
            print(f"{name}: split {seed + 1}/{n_splits} done", flush=True)
        table = {}
        for method in METHODS:
            keys = runs[0][method]
            values = {key: [run[method][key] for run in runs] for key in keys}
            table[method] = {
                "accuracy": statistics.mean(values["accuracy"]),
                "accuracy_std": statistics.pstdev(values["accuracy"]),
                "log_loss": statistics.mean(values["log_loss"]),
                "log_loss_std": statistics.pstdev(values["log_loss"]),
                "fit": statistics.median(values["fit"]),
                "predict": statistics.median(values["predict"]),
            }
        report["datasets"][name] = table
        print(format_table(name, table), flush=True)
    report["mc_prediction"] = mc_prediction_cost(repeats)
    print(format_mc(report["mc_prediction"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


def format_table(name, table):
    lines = [
        f"\n{name}",
        "| method | accuracy | log-loss | fit s | predict s |",
        "|---|---|---|---|---|",
    ]
    for method, row in table.items():
        lines.append(
            f"| {method} | {row['accuracy']:.4f} ± {row['accuracy_std']:.4f} "
            f"| {row['log_loss']:.3f} ± {row['log_loss_std']:.3f} "
            f"| {row['fit']:.2f} | {row['predict']:.4f} |"
        )
    c, d = table["(c) dropout + MC"], table["(d) bagging"]
    lines.append(
        f"\n(c) - (d): {100 * (c['accuracy'] - d['accuracy']):+.2f} accuracy points; "
        f"training time (c)/(d) = {c['fit'] / d['fit']:.3f}"
    )
    return "\n".join(lines)


def format_mc(rows):
    lines = [
        "\nMonte-Carlo prediction, 10 000 rows, k = 20 (CPU seconds)",
        "| network | deterministic | k = 20 | ratio | naive loop ratio |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['network']} | {row['deterministic']:.4f} | {row['mc']:.4f} "
            f"| {row['ratio']:.1f}x | {row['naive_ratio']:.1f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
