"""Ensembles in one network: what members cost, and what they buy.

Three parts (``--part speed``, ``profile``, ``accuracy``; all by default):

* **speed**: fit time of ``n_members=k`` over one network, for ``k`` = 5, 20
  and 32, ``member_sharing='none'`` and ``'batch'`` (and 20 members with
  ``bootstrap=True``), against
  ``BaggingClassifier`` of ``k`` networks and against ``k`` networks
  stacked by hand in a plain PyTorch loop (and that loop with one network),
  at digits size (1 347 x 64,
  ``(100,)``, 20 epochs) and on 50 000 x 100 synthetic rows (``(100, 100)``,
  one epoch); and the prediction time of 20 members over one network. Times
  are medians of interleaved rounds (every method in every round, each round
  starting one method later); ratios are taken between medians.
* **profile**: where a training step of 20 members spends its time (the
  profiler's operators grouped into forward, backward, optimizer and the
  rest), beside one network's step.
* **accuracy**: on digits (``X / 16``) and breast cancer (standardized), 5
  stratified 75/25 splits, 100 epochs, one hidden layer of 100 units: one
  network; ``BaggingClassifier`` of 20; ``n_members=20, bootstrap=True``;
  ``n_members=5``; ``n_members=32, member_sharing='batch'``; Monte-Carlo
  dropout with 20 masks; and the ``tabm`` package's TabM (``k=32``, one block
  of 100 units, no dropout) trained by a plain PyTorch loop with the same
  optimizer, batch size and epochs (the peer of ``member_sharing='batch'``;
  ``pip install "sklreg[bench]"``, skipped when missing).

Every library runs on one thread (torch and NumPy's BLAS). Times are CPU
seconds, so other processes on the machine change them less.

Run: ``python benchmarks/bench_ensembles.py`` (about 15 minutes on 2 cores;
``--device cuda`` trains the speed part on a GPU, timed in wall seconds);
``--quick`` for a smoke run; ``--json PATH`` to save the figures.
"""

import argparse
import json
import statistics
import time
import warnings

import numpy as np
import torch
from _common import interleaved_rounds
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import BaggingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedShuffleSplit, train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklreg import RegularizedMLPClassifier

MEMBERS = (5, 20, 32)
SHARING = ("none", "batch")


#: Where the speed part trains (``--device``; the other parts run on the CPU).
DEVICE = "cpu"


def network(hidden, epochs, seed=0, **extra):
    return RegularizedMLPClassifier(
        hidden, max_iter=epochs, tol=None, random_state=seed, **extra
    )


# -- speed ----------------------------------------------------------------------
def speed_workloads(quick):
    X, y = load_digits(return_X_y=True)
    X_digits, _, y_digits, _ = train_test_split(
        (X / 16).astype(np.float32), y, test_size=0.25, random_state=0, stratify=y
    )
    n_big = 5_000 if quick else 50_000
    X_big, y_big = make_classification(
        n_big, 100, n_informative=40, n_classes=5, random_state=0
    )
    return {
        "digits (1 347 x 64), (100,), 20 epochs": (
            X_digits,
            y_digits,
            (100,),
            2 if quick else 20,
        ),
        f"{n_big:,} x 100, (100, 100), 1 epoch".replace(",", " "): (
            X_big.astype(np.float32),
            y_big,
            (100, 100),
            1,
        ),
    }


def torch_stacked(X, y, hidden, epochs, k, batch_size=200, lr=1e-3):
    """``k`` networks stacked by hand, as a PyTorch user would write them:
    each layer's parameters ``(k, out, in)``, one ``baddbmm`` per layer, the
    sum of the members' cross-entropies, default ``Adam``; ``k=1`` is one
    network written the same way."""
    generator = torch.Generator().manual_seed(0)
    sizes = [X.shape[1], *hidden, int(y.max()) + 1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = (6 / (fan_in + fan_out)) ** 0.5
        weight = torch.empty(k, fan_out, fan_in).uniform_(
            -bound, bound, generator=generator
        )
        bias = torch.empty(k, 1, fan_out).uniform_(-bound, bound, generator=generator)
        weight, bias = weight.to(DEVICE), bias.to(DEVICE)
        params += [weight.requires_grad_(), bias.requires_grad_()]
    optimizer = torch.optim.Adam(params, lr=lr)
    Xt, yt = torch.as_tensor(X, device=DEVICE), torch.as_tensor(y, device=DEVICE)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=generator)
        for start in range(0, len(Xt), batch_size):
            idx = perm[start : start + batch_size]
            h = Xt[idx].expand(k, -1, -1)
            for i in range(0, len(params), 2):
                h = torch.baddbmm(params[i + 1], h, params[i].mT)
                if i + 2 < len(params):
                    h = torch.relu(h)
            loss = torch.nn.functional.cross_entropy(
                h.flatten(0, 1), yt[idx].repeat(k), reduction="sum"
            ) / len(idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    if DEVICE != "cpu":
        torch.cuda.synchronize()  # wall time on a GPU: the last step included
    return params


def speed(quick, repeats):
    members = (5,) if quick else MEMBERS
    rows = []
    for name, (X, y, hidden, epochs) in speed_workloads(quick).items():
        # first uses out of the timed rounds (torch.optim's first step
        # imports a compiler stack, a second's work)
        torch_stacked(X[:50], y[:50], hidden, 1, 2)
        network(hidden, 1, device=DEVICE).fit(X[:50], y[:50])
        k_torch = 20 if 20 in members else members[-1]
        methods = ["one network", "PyTorch loop, 1 network"]
        methods.append(f"PyTorch loop, {k_torch} stacked")
        for k in members:
            methods += [f"n_members={k}, {s}" for s in SHARING]
            if k == k_torch:  # bagging in one fit, against BaggingClassifier
                methods.append(f"n_members={k}, bootstrap")
            methods.append(f"BaggingClassifier({k})")

        def run(method, X=X, y=y, hidden=hidden, epochs=epochs):
            if method == "one network":
                return network(hidden, epochs, device=DEVICE).fit(X, y)
            if method.startswith("PyTorch loop"):
                k = 1 if method.endswith("1 network") else int(method.split()[2])
                return torch_stacked(X, y, hidden, epochs, k)
            if method.startswith("Bagging"):
                k = int(method.split("(")[1].rstrip(")"))
                bag = BaggingClassifier(
                    network(hidden, epochs, device=DEVICE),
                    n_estimators=k,
                    random_state=0,
                )
                return bag.fit(X, y)
            k, sharing = method.removeprefix("n_members=").split(", ")
            if sharing == "bootstrap":
                extra = dict(bootstrap=True)
            else:
                extra = dict(member_sharing=sharing)
            est = network(hidden, epochs, n_members=int(k), device=DEVICE, **extra)
            return est.fit(X, y)

        seconds, fitted = interleaved_rounds(run, methods, repeats, DEVICE)
        fit = {m: statistics.median(s) for m, s in seconds.items()}
        # prediction: 20 members (or the largest measured) against one network
        k_pred = 20 if 20 in members else members[-1]
        predict_methods = ["one network", f"n_members={k_pred}, none"]
        predict_methods.append(f"n_members={k_pred}, batch")
        predict, _ = interleaved_rounds(
            lambda m, fitted=fitted, X=X: fitted[m].predict_proba(X),
            predict_methods,
            repeats,
            DEVICE,
        )
        predict = {m: statistics.median(s) for m, s in predict.items()}
        one = fit["one network"]
        for method in methods:
            row = dict(workload=name, method=method, fit=fit[method])
            row["ratio"] = fit[method] / one
            if method.startswith("PyTorch loop"):  # against its own one network
                row["torch_ratio"] = fit[method] / fit["PyTorch loop, 1 network"]
            if method.startswith("n_members"):
                k = int(method.split("=")[1].split(",")[0])
                row["of_bagging"] = fit[method] / fit[f"BaggingClassifier({k})"]
            if method in predict:
                row["predict"] = predict[method]
                row["predict_ratio"] = predict[method] / predict["one network"]
            rows.append(row)
        print(format_speed([r for r in rows if r["workload"] == name]), flush=True)
    return rows


def format_speed(rows):
    lines = [
        f"\n{rows[0]['workload']} (CPU seconds, medians)",
        "| method | fit s | / one network | / bagging | predict / one network |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        bagging = f"{row['of_bagging']:.2f}" if "of_bagging" in row else ""
        predict = f"{row['predict_ratio']:.1f}x" if "predict_ratio" in row else ""
        ratio = f"{row['ratio']:.2f}x"
        if "torch_ratio" in row:
            ratio += f" ({row['torch_ratio']:.2f}x its 1 network)"
        lines.append(
            f"| {row['method']} | {row['fit']:.2f} | {ratio} | {bagging} | {predict} |"
        )
    return "\n".join(lines)


# -- profile --------------------------------------------------------------------
#: Operator families of a training step.
FAMILIES = {
    "matrix products": ("mm", "bmm", "addmm", "baddbmm", "matmul", "linear"),
    "optimizer": ("_fused_adam", "_foreach", "adam"),
}


def family(name):
    op = name.removeprefix("aten::")
    for key, ops in FAMILIES.items():
        if any(op == o or op.startswith(o) for o in ops):
            return key
    return "elementwise and other kernels"


def profile(quick):
    """Where the time of a training run goes (digits size, one thread): the
    self CPU time of torch's operators by family, and the rest of the wall
    time (Python: the engine, skorch, ``vmap`` and ``functional_call``)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    X, y, hidden, _ = next(iter(speed_workloads(quick).values()))
    with torch_profile(activities=[ProfilerActivity.CPU]):  # the profiler's start
        network(hidden, 1).fit(X, y)
    report = {}
    for name, extra in (
        ("one network", {}),
        ("n_members=20, none", dict(n_members=20)),
        ("n_members=20, batch", dict(n_members=20, member_sharing="batch")),
    ):
        network(hidden, 1, **extra).fit(X, y)  # warm up
        start = time.perf_counter()
        with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
            network(hidden, 3, **extra).fit(X, y)
        wall = time.perf_counter() - start
        shares = {}
        for event in prof.key_averages():
            if event.key.startswith("aten::"):
                key = family(event.key)
                shares[key] = shares.get(key, 0.0) + event.self_cpu_time_total / 1e6
        shares["Python and dispatch"] = max(0.0, wall - sum(shares.values()))
        report[name] = {k: v / wall for k, v in shares.items()} | {"seconds": wall}
        print(
            f"{name}: {wall:.2f} s (profiled, 3 epochs); "
            + ", ".join(f"{k} {v / wall:.0%}" for k, v in shares.items()),
            flush=True,
        )
    return report


# -- accuracy -------------------------------------------------------------------
def tabm_peer(X_train, y_train, X_test, epochs, seed, k=32, lr=1e-3, batch=200):
    """TabM (``tabm`` package) trained as its authors' examples train it: the
    loss is the mean cross-entropy of the ``k`` members' predictions, the
    prediction the mean of their probabilities."""
    import tabm

    torch.manual_seed(seed)
    n_classes = int(y_train.max()) + 1
    model = tabm.TabM.make(
        n_num_features=X_train.shape[1],
        d_out=n_classes,
        k=k,
        n_blocks=1,
        d_block=100,
        dropout=0.0,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    Xt = torch.as_tensor(X_train, dtype=torch.float32)
    yt = torch.as_tensor(y_train)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for start in range(0, len(Xt), batch):
            idx = perm[start : start + batch]
            optimizer.zero_grad()
            out = model(Xt[idx])  # (batch, k, n_classes)
            loss = torch.nn.functional.cross_entropy(
                out.flatten(0, 1), yt[idx].repeat_interleave(k)
            )
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(X_test, dtype=torch.float32))
    return out.softmax(-1).mean(1).numpy()


def accuracy_methods(epochs, n_estimators):
    return {
        "one network": lambda s: network((100,), epochs, s),
        f"BaggingClassifier({n_estimators})": lambda s: BaggingClassifier(
            network((100,), epochs, s), n_estimators=n_estimators, random_state=s
        ),
        f"n_members={n_estimators}, bootstrap": lambda s: network(
            (100,), epochs, s, n_members=n_estimators, bootstrap=True
        ),
        "n_members=5": lambda s: network((100,), epochs, s, n_members=5),
        "n_members=32, batch": lambda s: network(
            (100,), epochs, s, n_members=32, member_sharing="batch"
        ),
        "MC dropout, 20 masks": lambda s: network(
            (100,), epochs, s, dropout=0.3, input_dropout=0.1, mc_samples=20
        ),
    }


def accuracy(quick):
    epochs, n_estimators, n_splits = (3, 3, 1) if quick else (100, 20, 5)
    try:
        import tabm  # noqa: F401

        has_tabm = True
    except ImportError:
        has_tabm = False
        print("tabm is not installed: its row is left out", flush=True)
    tables = {}
    for name, loader, scale in (
        ("digits", load_digits, False),
        ("breast cancer", load_breast_cancer, True),
    ):
        X, y = loader(return_X_y=True)
        X = X / 16 if not scale else X
        splits = StratifiedShuffleSplit(n_splits, test_size=0.25, random_state=0)
        runs = {}
        for seed, (train, test) in enumerate(splits.split(X, y)):
            X_train, X_test = X[train], X[test]
            if scale:
                scaler = StandardScaler().fit(X_train)
                X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
            y_train, y_test = y[train], y[test]
            methods = accuracy_methods(epochs, n_estimators)
            for method, make in methods.items():
                start = time.process_time()
                model = make(seed).fit(X_train, y_train)
                fit = time.process_time() - start
                proba = model.predict_proba(X_test)
                runs.setdefault(method, []).append(score(y_test, proba, fit))
            if has_tabm:
                start = time.process_time()
                proba = tabm_peer(X_train, y_train, X_test, epochs, seed)
                fit = time.process_time() - start
                runs.setdefault("TabM (tabm, k=32)", []).append(
                    score(y_test, proba, fit)
                )
            print(f"{name}: split {seed + 1}/{n_splits} done", flush=True)
        tables[name] = {
            method: {
                "accuracy": statistics.mean(r["accuracy"] for r in rows),
                "accuracy_std": statistics.pstdev(r["accuracy"] for r in rows),
                "log_loss": statistics.mean(r["log_loss"] for r in rows),
                "log_loss_std": statistics.pstdev(r["log_loss"] for r in rows),
                "fit": statistics.median(r["fit"] for r in rows),
            }
            for method, rows in runs.items()
        }
        print(format_accuracy(name, tables[name]), flush=True)
    return tables


def score(y_test, proba, fit):
    proba = np.clip(proba, 1e-15, 1)
    proba /= proba.sum(1, keepdims=True)
    return dict(
        accuracy=accuracy_score(y_test, proba.argmax(1)),
        log_loss=log_loss(y_test, proba, labels=np.arange(proba.shape[1])),
        fit=fit,
    )


def format_accuracy(name, table):
    lines = [
        f"\n{name}",
        "| method | accuracy | log-loss | fit s |",
        "|---|---|---|---|",
    ]
    for method, row in table.items():
        lines.append(
            f"| {method} | {row['accuracy']:.4f} ± {row['accuracy_std']:.4f} "
            f"| {row['log_loss']:.3f} ± {row['log_loss_std']:.3f} "
            f"| {row['fit']:.2f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument(
        "--part", choices=("speed", "profile", "accuracy"), action="append"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--device", default="cpu", help="where the speed part trains (e.g. cuda)"
    )
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    parts = args.part or ["speed", "profile", "accuracy"]
    torch.set_num_threads(1)
    threadpool_limits(1)  # NumPy's BLAS too: every method on one thread
    warnings.filterwarnings("ignore")
    report = {"versions": dict(torch=torch.__version__)}
    if "speed" in parts:
        report["speed"] = speed(args.quick, 1 if args.quick else args.repeats)
    if "profile" in parts:
        report["profile"] = profile(args.quick)
    if "accuracy" in parts:
        report["accuracy"] = accuracy(args.quick)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
