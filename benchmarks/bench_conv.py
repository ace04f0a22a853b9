"""Training speed of SharedConvClassifier against a hand-written PyTorch loop.

The same network (sklreg's default on 8 x 8 images: 3 x 3 convolutions with
16 and 32 channels, 'same' padding, ReLU and 2 x 2 max pooling after each,
a dense hidden layer of 64 units), the same batch size (200), learning rate
and number of epochs, measured side by side in one run:

* ``torch loop``: a hand-written PyTorch loop over preloaded tensors, the
  network an ``nn.Sequential`` of ``nn.Conv2d``, ``nn.MaxPool2d`` and
  ``nn.Linear`` (the floor);
* ``sklreg``: ``SharedConvClassifier(alpha=0)``;
* ``torch loop unshared``: the same loop with sklreg's ``LocallyConnected``
  layers in place of the convolutions;
* ``sklreg unshared``: ``SharedConvClassifier(alpha=0, share_weights=False)``.

Everything runs on one thread with float32 input. Data: scikit-learn's
digits (``X / 16``), and the digits repeated 20 times with pixel noise (about
36,000 images). Timing: one process per dataset warms every method up, then
runs ``--repeats`` rounds, each fitting every method once in a rotated order
so that the machine's noise hits all methods alike; the table reports the
median CPU seconds per epoch per 1,000 training images (fit time / epochs /
thousands of rows, conversions included; wall time on a GPU) and the ratios
of medians to the loop of the same network. Accuracy is on a held-out 20%.

Run: ``python benchmarks/bench_conv.py`` (a few minutes on 2 cores);
``--quick`` for a smoke run; ``--device cuda`` for the GPU table.
"""

import argparse
import json
import os
import platform
import statistics
import warnings

from _common import fit_torch_loop, interleaved_rounds, run_child

DATASETS = {
    # name: (copies of the digits, epochs)
    "digits": (1, 20),
    "digits x 20": (20, 2),
}
METHODS = ["torch loop", "sklreg", "torch loop unshared", "sklreg unshared"]
FLOOR = {
    "torch loop": "torch loop",
    "sklreg": "torch loop",
    "torch loop unshared": "torch loop unshared",
    "sklreg unshared": "torch loop unshared",
}
CHANNELS, HIDDEN, KERNEL, POOL = (16, 32), 64, 3, 2
BATCH, LR = 200, 1e-3


def load(name):
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X / 16
    copies = DATASETS[name][0]
    if copies > 1:
        rng = np.random.RandomState(0)
        X = np.tile(X, (copies, 1)) + rng.normal(scale=0.1, size=(copies * len(X), 64))
        y = np.tile(y, copies)
    return train_test_split(X.astype(np.float32), y, test_size=0.2, random_state=0)


def torch_network(n_classes, share_weights, device):
    import torch
    from torch import nn

    from sklreg.nn import LocallyConnected

    layers, channels, size = [nn.Unflatten(1, (1, 8, 8))], 1, 8
    for out in CHANNELS:
        if share_weights:
            layers.append(nn.Conv2d(channels, out, KERNEL, padding=KERNEL // 2))
        else:
            layers.append(
                LocallyConnected(channels, out, KERNEL, (size, size), KERNEL // 2)
            )
        layers += [nn.ReLU(), nn.MaxPool2d(POOL, ceil_mode=True)]
        channels, size = out, -(-size // POOL)
    layers += [
        nn.Flatten(),
        nn.Linear(channels * size * size, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, n_classes),
    ]
    model = nn.Sequential(*layers)
    if not share_weights:  # LocallyConnected leaves its parameters uninitialized
        generator = torch.Generator().manual_seed(0)
        for p in model.parameters():
            with torch.no_grad():
                p.uniform_(-0.1, 0.1, generator=generator)
    return model.to(device)


def torch_loop(X, y, X_test, epochs, device, share_weights=True):
    import torch

    torch.manual_seed(0)
    model = torch_network(int(y.max()) + 1, share_weights, device)
    return fit_torch_loop(model, X, y, X_test, epochs, device, BATCH, LR)


def sklreg_fit(X, y, X_test, epochs, device, share_weights=True):
    from sklreg import SharedConvClassifier

    clf = SharedConvClassifier(
        conv_channels=CHANNELS,
        kernel_size=KERNEL,
        pool_size=POOL,
        hidden_layer_sizes=(HIDDEN,),
        share_weights=share_weights,
        alpha=0.0,
        batch_size=BATCH,
        learning_rate_init=LR,
        max_iter=epochs,
        tol=None,  # exactly max_iter epochs
        random_state=0,
        device=device,
    ).fit(X, y)
    return clf.predict(X_test)


RUNNERS = {
    "torch loop": torch_loop,
    "sklreg": sklreg_fit,
    "torch loop unshared": lambda *a: torch_loop(*a, share_weights=False),
    "sklreg unshared": lambda *a: sklreg_fit(*a, share_weights=False),
}


def time_methods(dataset, methods, repeats, device):
    """Child process: interleaved timing rounds; prints a JSON record."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, X_test, y, y_test = load(dataset)
    epochs = DATASETS[dataset][1]
    thousands = len(X) / 1000
    with threadpool_limits(1):
        for method in methods:  # one-time costs (lazy initialisation, caches)
            RUNNERS[method](X[:1000], y[:1000], X_test[:10], 1, device)
        seconds, predictions = interleaved_rounds(
            lambda method: RUNNERS[method](X, y, X_test, epochs, device),
            methods,
            repeats,
            device,
        )
    seconds = {
        method: [t / epochs / thousands for t in times]
        for method, times in seconds.items()
    }
    accuracy = {
        method: float((predictions[method] == y_test).mean()) for method in methods
    }
    print(json.dumps({"seconds": seconds, "accuracy": accuracy, "rows": len(X)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="digits only, 1 round")
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--methods", nargs="*", default=METHODS)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        dataset, device, repeats, *methods = args.child
        return time_methods(dataset, methods, int(repeats), device)
    if args.quick:
        args.datasets, args.repeats = ["digits"], 1

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
    print("| data | method | s / epoch / 1000 images | vs its torch loop | accuracy |")
    print("|---|---|---|---|---|")
    for dataset in args.datasets:
        timing = run_child(
            __file__, dataset, args.device, str(args.repeats), *args.methods
        )
        median = {m: statistics.median(v) for m, v in timing["seconds"].items()}
        for method in args.methods:
            t = median[method]
            floor = median.get(FLOOR[method], float("nan"))
            print(
                f"| {dataset} ({timing['rows']} rows) | {method} | {t:.4f} | "
                f"{t / floor:.2f}x | {timing['accuracy'][method]:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
