"""The matrix products of one training step: PyTorch (MKL) against NumPy (OpenBLAS).

A training step of the network in ``bench_training.py`` (100 features, two
hidden layers of 100 units, 4 classes, minibatches of 200 rows) runs eight
matrix products: three in the forward pass and five in the backward pass.
sklreg computes them with PyTorch, whose CPU build calls MKL, in the layout
of ``torch.nn.Linear`` (weights ``(out, in)``); scikit-learn's
``MLPClassifier`` computes the same products with NumPy, which calls
OpenBLAS, in its own layout (weights ``(in, out)``). In float64 these
products are about two thirds of an sklreg training step's instructions
(``docs/benchmarks.md``), so their speed decides how sklreg's epoch time
compares with ``MLPClassifier``'s there.

Each product is timed alone, on one thread, in float32 and float64: the two
libraries alternate call by call, each sample is the CPU time of a few calls,
and the table reports the median over the samples, the ratio torch/NumPy,
and the sum over one step.

Then whole float64 training steps of that network (forward, backward, fused
Adam), with PyTorch's products against a linear layer whose products run
through NumPy's OpenBLAS (a custom autograd function on the tensors' own
memory): would sklreg gain by computing its float64 products with OpenBLAS?
Median microseconds per step over interleaved rounds.

Run: ``python benchmarks/bench_matmul.py`` (about two minutes);
``--quick`` for a smoke run.
"""

import argparse
import statistics
import time

from _common import interleaved_rounds

BATCH, FEATURES, HIDDEN, CLASSES = 200, 100, 100, 4


def products(dtype, rng):
    """``(name, torch call, numpy call)`` for the eight products of a step."""
    import numpy as np
    import torch

    def pair(*shape):
        array = rng.standard_normal(shape).astype(dtype)
        return torch.from_numpy(array), array

    tX, X = pair(BATCH, FEATURES)
    th, h = pair(BATCH, HIDDEN)
    tg, g = pair(BATCH, HIDDEN)  # gradient at a hidden layer's output
    tgo, go = pair(BATCH, CLASSES)  # gradient at the output layer
    tb, b = pair(HIDDEN)
    tbo, bo = pair(CLASSES)
    # torch.nn.Linear keeps (out, in) weights; MLPClassifier keeps (in, out)
    tW1, _ = pair(HIDDEN, FEATURES)
    tW2, _ = pair(HIDDEN, HIDDEN)
    tW3, _ = pair(CLASSES, HIDDEN)
    W1, W2, W3 = (np.ascontiguousarray(w.numpy().T) for w in (tW1, tW2, tW3))

    def affine(x, w, bias):  # as MLPClassifier's forward pass
        out = x @ w
        out += bias
        return out

    return [
        (
            "forward, layer 1",
            lambda: torch.addmm(tb, tX, tW1.t()),
            lambda: affine(X, W1, b),
        ),
        (
            "forward, layer 2",
            lambda: torch.addmm(tb, th, tW2.t()),
            lambda: affine(h, W2, b),
        ),
        (
            "forward, output",
            lambda: torch.addmm(tbo, th, tW3.t()),
            lambda: affine(h, W3, bo),
        ),
        ("weight gradient, output", lambda: tgo.t() @ th, lambda: h.T @ go),
        ("input gradient, output", lambda: tgo @ tW3, lambda: go @ W3.T),
        ("weight gradient, layer 2", lambda: tg.t() @ th, lambda: h.T @ g),
        ("input gradient, layer 2", lambda: tg @ tW2, lambda: g @ W2.T),
        ("weight gradient, layer 1", lambda: tg.t() @ tX, lambda: X.T @ g),
    ]


def cpu_seconds(call, calls):
    start = time.thread_time()
    for _ in range(calls):
        call()
    return (time.thread_time() - start) / calls


def openblas_linear():
    """``F.linear`` for CPU tensors whose products NumPy (OpenBLAS) computes."""
    import numpy as np
    import torch

    class OpenBLASLinear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, weight, bias):
            ctx.save_for_backward(x, weight)
            out = np.matmul(x.numpy(), weight.numpy().T)
            out += bias.numpy()
            return torch.from_numpy(out)

        @staticmethod
        def backward(ctx, grad):
            x, weight = ctx.saved_tensors
            g = grad.numpy()
            grad_x = None
            if ctx.needs_input_grad[0]:
                grad_x = torch.from_numpy(g @ weight.numpy())
            return grad_x, torch.from_numpy(g.T @ x.numpy()), grad.sum(0)

    return OpenBLASLinear.apply


def train_steps(linear, X, y, steps):
    """Run ``steps`` training steps of the benchmark's network from scratch."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    sizes = (FEATURES, HIDDEN, HIDDEN, CLASSES)
    layers = [
        torch.nn.Linear(a, b, dtype=X.dtype)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    params = [p for layer in layers for p in layer.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3, fused=True)
    n_batches = len(X) // BATCH
    for step in range(steps):
        rows = slice((step % n_batches) * BATCH, (step % n_batches + 1) * BATCH)
        h = X[rows]
        for i, layer in enumerate(layers):
            h = linear(h, layer.weight, layer.bias)
            if i < len(layers) - 1:
                h = torch.relu(h)
        loss = F.cross_entropy(h, y[rows])
        for p in params:
            p.grad = None
        loss.backward()
        optimizer.step()


def compare_steps(rounds, steps):
    import torch
    import torch.nn.functional as F

    generator = torch.Generator().manual_seed(0)
    X = torch.randn(10_000, FEATURES, dtype=torch.float64, generator=generator)
    y = torch.randint(0, CLASSES, (10_000,), generator=generator)
    linears = {"PyTorch (MKL)": F.linear, "NumPy (OpenBLAS)": openblas_linear()}
    for linear in linears.values():  # warm up
        train_steps(linear, X, y, 10)
    seconds, _ = interleaved_rounds(
        lambda name: train_steps(linears[name], X, y, steps),
        list(linears),
        rounds,
        "cpu",
    )
    medians = {name: statistics.median(s) / steps for name, s in seconds.items()}
    print()
    print(f"float64 training steps, median of {rounds} rounds of {steps} steps")
    print()
    print("| products | us / step | vs PyTorch |")
    print("|---|---|---|")
    for name, median in medians.items():
        ratio = median / medians["PyTorch (MKL)"]
        print(f"| {name} | {median * 1e6:.0f} | {ratio:.2f}x |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--calls", type=int, default=5, help="calls per sample")
    parser.add_argument("--rounds", type=int, default=15, help="rounds of steps")
    parser.add_argument("--quick", action="store_true", help="10 samples, 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.rounds = 10, 2

    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(
        f"torch {torch.__version__} (MKL), NumPy {np.__version__} (OpenBLAS), "
        f"1 thread; median of {args.samples} samples of {args.calls} calls"
    )
    print()
    print("| dtype | product | torch us | NumPy us | torch / NumPy |")
    print("|---|---|---|---|---|")
    with threadpool_limits(1):
        for dtype in (np.float32, np.float64):
            total_torch = total_numpy = 0.0
            for name, with_torch, with_numpy in products(dtype, rng):
                with_torch(), with_numpy()
                seconds = {with_torch: [], with_numpy: []}
                for sample in range(args.samples):  # alternate who goes first
                    order = [with_torch, with_numpy][:: 1 if sample % 2 else -1]
                    for call in order:
                        seconds[call].append(cpu_seconds(call, args.calls))
                t = statistics.median(seconds[with_torch])
                n = statistics.median(seconds[with_numpy])
                total_torch += t
                total_numpy += n
                print(
                    f"| {np.dtype(dtype).name} | {name} | {t * 1e6:.1f} | "
                    f"{n * 1e6:.1f} | {t / n:.2f} |"
                )
            print(
                f"| {np.dtype(dtype).name} | **one step** | {total_torch * 1e6:.1f} | "
                f"{total_numpy * 1e6:.1f} | {total_torch / total_numpy:.2f} |",
                flush=True,
            )
        compare_steps(args.rounds, steps=250 if not args.quick else 20)


if __name__ == "__main__":
    main()
