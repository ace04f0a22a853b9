"""What the benchmark scripts share: the clock, interleaved timing rounds,
child runs, and the hand-written PyTorch loop sklreg is measured against.

The scripts run as ``python benchmarks/bench_*.py``, so this module is
imported from the scripts' own folder.
"""

import json
import subprocess
import sys
import time


def clock(device):
    """CPU time on the CPU (robust to other processes); wall time on a GPU."""
    return time.process_time if device == "cpu" else time.perf_counter


def interleaved_rounds(run, methods, repeats, device):
    """Time ``run(method)`` for every method in ``repeats`` rounds.

    Each round starts one method later than the one before, so that the
    machine's noise hits all methods alike. Returns the seconds of every
    call per method, and each method's result of the last round.
    """
    tick = clock(device)
    seconds = {method: [] for method in methods}
    results = {}
    for round_ in range(repeats):
        shift = round_ % len(methods)
        for method in methods[shift:] + methods[:shift]:
            start = tick()
            results[method] = run(method)
            seconds[method].append(tick() - start)
    return seconds, results


def run_child(script, *args):
    """Run ``script --child *args`` in a fresh Python process; its JSON output."""
    out = subprocess.run(
        [sys.executable, script, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def fit_torch_loop(model, X, y, X_test, epochs, device, batch_size, lr):
    """Train ``model`` as an experienced PyTorch user would write it; predict.

    Default ``Adam``, cross-entropy, ``optimizer.zero_grad()`` and a random
    permutation indexed per minibatch, over tensors loaded once. Returns the
    predicted class of each row of ``X_test``.
    """
    import torch
    from torch import nn

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    Xt = torch.as_tensor(X, device=device)
    yt = torch.as_tensor(y, device=device)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), device=device)
        for start in range(0, len(Xt), batch_size):
            idx = perm[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        out = model(torch.as_tensor(X_test, device=device))
    return out.argmax(1).cpu().numpy()
