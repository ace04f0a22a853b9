"""Training speed and memory: sklreg against the hand-written PyTorch floor.

Same network (two hidden layers of 100 ReLU units), same batch size (200),
same number of epochs and learning rate, measured side by side in one run:

* ``torch loop``: a hand-written PyTorch loop over preloaded tensors (the floor);
* ``sklreg``: ``RegularizedMLPClassifier`` with no penalty (``alpha=0``);
* ``sklreg L1+act``: with the L1 weight penalty (by subgradient steps) and the
  L1 activity penalty;
* ``sklreg L1 prox``: with the L1 weight penalty by proximal steps (the
  default ``l1_method``);
* ``skorch``: ``NeuralNetClassifier`` with its defaults (per-item DataLoader);
* ``sklearn``: ``MLPClassifier`` (NumPy).

Everything runs on one thread, on float32 input and on float64 input (NumPy's
and pandas' default; every method then trains in float64, as
``MLPClassifier`` and sklreg do by default). Timing: one process per dataset
and dtype warms every method up (one epoch on 2,000 rows), then runs
``--repeats`` rounds, each fitting every method once in a rotated order, so
that the machine's noise hits all methods alike; the table reports the median
CPU seconds per epoch (fit time / epochs, conversions included; wall time on a
GPU) and ratios of medians. Memory: each method fits once more in a fresh
process, which reports the peak resident memory added by the fit (Linux
``VmHWM`` after a reset). Accuracy is on a held-out 20%.

Run: ``python benchmarks/bench_training.py`` (about 12 minutes on 2 cores;
``--dtypes float32`` for the float32 rows only); ``--quick`` for a smoke run;
``--device cuda`` for the GPU table.
"""

import argparse
import json
import os
import platform
import statistics
import warnings

from _common import fit_torch_loop, interleaved_rounds, run_child

DTYPES = ["float32", "float64"]
DATASETS = {
    # name: (n_samples, n_features, epochs)
    "digits": (1797, 64, 20),
    "50k x 100": (50_000, 100, 4),
    "200k x 100": (200_000, 100, 2),
}
METHODS = [
    "torch loop",
    "sklreg",
    "sklreg L1+act",
    "sklreg L1 prox",
    "skorch",
    "sklearn",
]
HIDDEN, BATCH, LR = (100, 100), 200, 1e-3


def load(name, dtype):
    from sklearn.datasets import load_digits, make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        n_samples, n_features, _ = DATASETS[name]
        X, y = make_classification(
            n_samples, n_features, n_informative=30, n_classes=4, random_state=0
        )
    X = StandardScaler().fit_transform(X).astype(dtype)
    return train_test_split(X, y, test_size=0.2, random_state=0)


def torch_loop(X, y, X_test, epochs, device):
    import torch
    from torch import nn

    torch.manual_seed(0)
    n_classes = int(y.max()) + 1
    sizes = [X.shape[1], *HIDDEN]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], n_classes))
    model.to(device=device, dtype=torch.as_tensor(X[:1]).dtype)
    return fit_torch_loop(model, X, y, X_test, epochs, device, BATCH, LR)


def sklreg_fit(X, y, X_test, epochs, device, **penalties):
    from sklreg import RegularizedMLPClassifier

    params = dict(alpha=0.0)
    params.update(penalties)
    clf = RegularizedMLPClassifier(
        HIDDEN,
        batch_size=BATCH,
        learning_rate_init=LR,
        max_iter=epochs,
        tol=None,  # exactly max_iter epochs
        random_state=0,
        device=device,
        **params,
    ).fit(X, y)
    return clf.predict(X_test)


def skorch_fit(X, y, X_test, epochs, device):
    import torch
    from skorch import NeuralNetClassifier
    from torch import nn

    class Net(nn.Module):
        def __init__(self, n_in, n_out, dtype):
            super().__init__()
            self.body = nn.Sequential(
                nn.Linear(n_in, HIDDEN[0], dtype=dtype),
                nn.ReLU(),
                nn.Linear(HIDDEN[0], HIDDEN[1], dtype=dtype),
                nn.ReLU(),
                nn.Linear(HIDDEN[1], n_out, dtype=dtype),
            )

        def forward(self, X):
            return self.body(X)

    torch.manual_seed(0)
    net = NeuralNetClassifier(
        Net,
        module__n_in=X.shape[1],
        module__n_out=int(y.max()) + 1,
        module__dtype=torch.as_tensor(X[:1]).dtype,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        max_epochs=epochs,
        batch_size=BATCH,
        train_split=None,
        verbose=0,
        device=device,
    )
    return net.fit(X, y.astype("int64")).predict(X_test)


def sklearn_fit(X, y, X_test, epochs, device):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        HIDDEN,
        batch_size=BATCH,
        learning_rate_init=LR,
        max_iter=epochs,
        alpha=0.0,
        tol=0.0,
        n_iter_no_change=10**9,
        random_state=0,
    )
    return clf.fit(X, y).predict(X_test)


RUNNERS = {
    "torch loop": torch_loop,
    "sklreg": sklreg_fit,
    "sklreg L1+act": lambda *a: sklreg_fit(
        *a, alpha=1e-4, norm="l1", l1_method="subgradient", activity_alpha=1e-5
    ),
    "sklreg L1 prox": lambda *a: sklreg_fit(*a, alpha=1e-4, norm="l1"),
    "skorch": skorch_fit,
    "sklearn": sklearn_fit,
}


def _rss_mb(field):
    """``VmRSS`` (current) or ``VmHWM`` (peak) of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def time_methods(dataset, dtype, methods, repeats, device):
    """Child process: interleaved timing rounds; prints a JSON record."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, X_test, y, y_test = load(dataset, dtype)
    epochs = DATASETS[dataset][2]
    with threadpool_limits(1):
        for method in methods:  # one-time costs (lazy initialisation, caches)
            RUNNERS[method](X[:2000], y[:2000], X_test[:10], 1, device)
        seconds, predictions = interleaved_rounds(
            lambda method: RUNNERS[method](X, y, X_test, epochs, device),
            methods,
            repeats,
            device,
        )
    seconds = {method: [t / epochs for t in times] for method, times in seconds.items()}
    accuracy = {
        method: float((predictions[method] == y_test).mean()) for method in methods
    }
    print(json.dumps({"seconds": seconds, "accuracy": accuracy}))


def measure_memory(method, dataset, dtype, device):
    """Child process: warm up, fit once, print the peak memory the fit added."""
    import gc

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, X_test, y, _ = load(dataset, dtype)
    with threadpool_limits(1):
        RUNNERS[method](X[:2000], y[:2000], X_test[:10], 1, device)
        gc.collect()
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak-RSS mark to the current RSS
        before = _rss_mb("VmRSS")
        RUNNERS[method](X, y, X_test, DATASETS[dataset][2], device)
    print(json.dumps({"peak_mb": _rss_mb("VmHWM") - before}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="digits only, 1 round")
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--dtypes", nargs="*", default=DTYPES, choices=DTYPES)
    parser.add_argument("--methods", nargs="*", default=METHODS)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, dataset, dtype, device, *rest = args.child
        if kind == "time":
            return time_methods(dataset, dtype, rest[1:], int(rest[0]), device)
        return measure_memory(rest[0], dataset, dtype, device)
    if args.quick:
        args.datasets, args.repeats = ["digits"], 1
    if args.device != "cpu":  # scikit-learn has no GPU path
        args.methods = [m for m in args.methods if m != "sklearn"]

    import sklearn
    import skorch
    import torch

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"skorch {skorch.__version__}, scikit-learn {sklearn.__version__}, "
        f"{os.cpu_count()} CPUs, device {args.device}, 1 thread, "
        f"median of {args.repeats} interleaved rounds"
    )
    print()
    print(
        "| data | dtype | method | s / epoch | vs torch loop | vs sklearn "
        "| accuracy | peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        for dtype in args.dtypes:
            report(dataset, dtype, args)


def report(dataset, dtype, args):
    """Time and measure every method on one dataset and dtype; print its rows."""
    timing = run_child(
        __file__, "time", dataset, dtype, args.device, str(args.repeats), *args.methods
    )
    median = {m: statistics.median(v) for m, v in timing["seconds"].items()}
    for method in args.methods:
        memory = run_child(__file__, "memory", dataset, dtype, args.device, method)[
            "peak_mb"
        ]
        t = median[method]
        vs_floor, vs_sklearn = (
            f"{t / median[reference]:.2f}x" if reference in median else "-"
            for reference in ("torch loop", "sklearn")
        )
        print(
            f"| {dataset} | {dtype} | {method} | {t:.4f} | {vs_floor} | "
            f"{vs_sklearn} | {timing['accuracy'][method]:.3f} | "
            f"{memory:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
