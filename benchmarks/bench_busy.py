"""Fit and prediction time on an idle machine and on a busy one.

A machine other programs keep busy is where many users train: a laptop
with a browser open, a shared server, a CI runner. PyTorch's OpenMP worker
threads spin after each parallel region; on a core that another process
also wants, the spinning takes the time the main thread needs, and a small
network's fit can take ten times longer on two threads than on one.

Workloads (every one fitted, then ``predict_proba`` on its training rows):

* ``digits (128, 128)``: ``RegularizedMLPClassifier((128, 128))`` on
  scikit-learn's digits (1,797 x 64, ``X / 16``), and scikit-learn's
  ``MLPClassifier`` with the same network, batch size and epochs;
* ``50k x 100 (100, 100)``: the 50,000 x 100 network of
  ``bench_training.py`` (4 classes);
* ``conv digits``: ``SharedConvClassifier`` (its default network) on digits;
* ``200k x 100 (100, 100)`` (``--workloads``, not run by default): the
  200,000-row network of ``bench_training.py``.

Thread settings, each given to a fresh Python process (a fresh OpenMP
runtime) through its environment, so that they are the same for PyTorch and
for NumPy's BLAS:

* ``nothing set``: no environment variable; sklreg's own thread choice
  (see ``docs/scaling_out.md``), NumPy's BLAS on its default;
* ``OMP_NUM_THREADS=<cores>``: PyTorch's default thread count, set
  explicitly (so that sklreg keeps it);
* ``1 thread``: ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and
  ``OPENBLAS_NUM_THREADS`` set to 1;
* ``PASSIVE``: ``OMP_NUM_THREADS=<cores>`` and ``OMP_WAIT_POLICY=PASSIVE``
  (idle OpenMP threads sleep instead of spinning).

Conditions: ``idle`` (nothing started by the benchmark; other programs may
still run: the load average before and after is printed), and ``loaded``:
one busy-loop process (``while True: pass``), started by the benchmark and
stopped at its end, keeps one core busy.

Every thread setting runs in its own process (one per setting and round):
import, then for each workload a one-epoch warm-up fit on 200 rows
(one-time costs), the timed fit and the timed prediction, in wall-clock
seconds (what a user waits for; CPU time would hide the time lost to the
other process). ``--repeats`` rounds rotate the order of the settings and
of the workloads; the table reports medians. A second table times, in
fresh processes with nothing set, ``import torch``, ``import sklreg``, the
first fit of the process and a second, identical fit.

Run: ``python benchmarks/bench_busy.py`` (under five minutes on 2 cores);
``--quick`` for one round of the digits workloads.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKLOADS = {
    # name: (data, epochs)
    "digits (128, 128)": ("digits", 10),
    "digits (128, 128), MLPClassifier": ("digits", 10),
    "50k x 100 (100, 100)": ("50k", 1),
    "conv digits": ("digits", 3),
    "200k x 100 (100, 100)": ("200k", 1),
}
DEFAULT_WORKLOADS = list(WORKLOADS)[:4]
SETTINGS = ["nothing set", "OMP_NUM_THREADS=<cores>", "1 thread", "PASSIVE"]
CONDITIONS = ["idle", "loaded"]
#: Settings that change nothing for a workload: NumPy's OpenBLAS reads
#: OMP_NUM_THREADS=<cores> as its default, and does not read OMP_WAIT_POLICY.
SKIPPED = {
    ("digits (128, 128), MLPClassifier", "OMP_NUM_THREADS=<cores>"),
    ("digits (128, 128), MLPClassifier", "PASSIVE"),
}
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OMP_WAIT_POLICY",
)


def environment(setting):
    """The child's environment for a thread setting."""
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARIABLES}
    # the sklreg of this checkout, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH")])
    )
    cores = str(os.cpu_count())
    if setting == "OMP_NUM_THREADS=<cores>":
        env["OMP_NUM_THREADS"] = cores
    elif setting == "1 thread":
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    elif setting == "PASSIVE":
        env.update(OMP_NUM_THREADS=cores, OMP_WAIT_POLICY="PASSIVE")
    return env


def load(name):
    import numpy as np
    from sklearn.datasets import load_digits, make_classification

    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return X / 16, y
    n_samples = {"50k": 50_000, "200k": 200_000}[name]
    X, y = make_classification(
        n_samples, 100, n_informative=30, n_classes=4, random_state=0
    )
    return (X - X.mean(0)) / X.std(0), np.asarray(y)


def make_model(workload, epochs):
    if workload.endswith("MLPClassifier"):
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(
            (128, 128),
            batch_size=200,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=10**9,
            random_state=0,
        )
    if workload == "conv digits":
        from sklreg import SharedConvClassifier

        return SharedConvClassifier(max_iter=epochs, tol=None, random_state=0)
    from sklreg import RegularizedMLPClassifier

    hidden = (128, 128) if workload.startswith("digits") else (100, 100)
    return RegularizedMLPClassifier(
        hidden, batch_size=200, max_iter=epochs, tol=None, random_state=0
    )


def time_workloads(workloads):
    """Child: for each workload, warm up, then time one fit and one
    prediction; prints JSON."""

    warnings.filterwarnings("ignore")
    results = {}
    for workload in workloads:
        data, epochs = WORKLOADS[workload]
        X, y = load(data)
        make_model(workload, 1).fit(X[:200], y[:200]).predict_proba(X[:10])
        model = make_model(workload, epochs)
        start = time.perf_counter()
        model.fit(X, y)
        fit = time.perf_counter() - start
        start = time.perf_counter()
        model.predict_proba(X)
        predict = time.perf_counter() - start
        results[workload] = {
            "fit": fit,
            "predict": predict,
            "epochs": epochs,
            "threads": threads_in_fit(model, X),
        }
    print(json.dumps(results))


def threads_in_fit(model, X):
    """The threads a fit computed on: sklreg's choice (or torch's count, for
    a version of sklreg without one); for ``MLPClassifier``, NumPy's BLAS's."""
    import torch

    if not hasattr(model, "module_"):
        from threadpoolctl import threadpool_info

        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        return max(blas, default=1)
    try:
        from sklreg._training._threads import fit_threads
    except ImportError:
        return torch.get_num_threads()
    param = next(model.module_.parameters())
    rows = torch.as_tensor(X[:1], dtype=param.dtype)
    batch = min(model.net_.batch_size, len(X))
    return fit_threads(model.module_, batch, rows) or torch.get_num_threads()


def time_startup():
    """Child: ``import sklreg``, then two identical fits; prints JSON."""
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    import sklreg

    imported = time.perf_counter() - start
    X, y = load("digits")
    fits = []
    for _ in range(2):
        model = sklreg.RegularizedMLPClassifier(
            (128, 128), max_iter=5, tol=None, random_state=0
        )
        start = time.perf_counter()
        model.fit(X, y)
        fits.append(time.perf_counter() - start)
    print(json.dumps({"import": imported, "first": fits[0], "second": fits[1]}))


def import_torch_seconds():
    """Child: seconds of ``import torch`` alone."""
    start = time.perf_counter()
    import torch  # noqa: F401

    print(json.dumps({"import": time.perf_counter() - start}))


def child_env(script, env, *args):
    out = subprocess.run(
        [sys.executable, script, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


class BusyLoop:
    """One process that keeps one core busy while the block runs."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait()


def measure(settings, workloads, repeats):
    """Every workload under every setting, in ``repeats`` rounds: one fresh
    process per setting and round, the settings and the workloads in a
    rotated order from round to round."""
    results = {(w, s): [] for w in workloads for s in settings if (w, s) not in SKIPPED}
    for round_ in range(repeats):
        shift = round_ % len(settings)
        for setting in settings[shift:] + settings[:shift]:
            first = round_ % len(workloads)
            order = [
                w
                for w in workloads[first:] + workloads[:first]
                if (w, setting) not in SKIPPED
            ]
            if not order:
                continue
            runs = child_env(__file__, environment(setting), "time", *order)
            for workload, run in runs.items():
                results[(workload, setting)].append(run)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="the digits workloads, one round"
    )
    parser.add_argument(
        "--workloads", nargs="*", default=DEFAULT_WORKLOADS, choices=list(WORKLOADS)
    )
    parser.add_argument("--settings", nargs="*", default=SETTINGS, choices=SETTINGS)
    parser.add_argument(
        "--conditions", nargs="*", default=CONDITIONS, choices=CONDITIONS
    )
    parser.add_argument(
        "--startup", action="store_true", help="only the import and first-fit table"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "time":
            return time_workloads(rest)
        if kind == "torch":
            return import_torch_seconds()
        return time_startup()
    if args.quick:
        args.repeats = 1
        args.workloads = [w for w in args.workloads if w.startswith("digits")]

    import sklearn
    import torch

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, {os.cpu_count()} CPUs, "
        f"median of {args.repeats} rounds, wall-clock seconds; "
        f"load average {loadavg()} at the start"
    )
    print()
    if not args.startup:
        report_table(args)
    report_startup(args.repeats)
    print(f"\nload average {loadavg()} at the end")


def report_table(args):
    configs = [
        (w, s) for w in args.workloads for s in args.settings if (w, s) not in SKIPPED
    ]
    print(
        "| condition | workload | threads | fit s | s / epoch | vs idle | "
        "predict s | threads in fit |"
    )
    print("|---|---|---|---|---|---|---|---|")
    idle = {}
    for condition in args.conditions:
        before = loadavg()
        if condition == "loaded":
            with BusyLoop():
                results = measure(args.settings, args.workloads, args.repeats)
        else:
            results = measure(args.settings, args.workloads, args.repeats)
        for workload, setting in configs:
            runs = results[(workload, setting)]
            fit = statistics.median(r["fit"] for r in runs)
            predict = statistics.median(r["predict"] for r in runs)
            if condition == "idle":
                idle[(workload, setting)] = fit
            base = idle.get((workload, setting))
            ratio = f"{fit / base:.2f}x" if base else "-"
            print(
                f"| {condition} | {workload} | {setting} | {fit:.2f} | "
                f"{fit / runs[0]['epochs']:.3f} | {ratio} | {predict:.3f} | "
                f"{runs[0]['threads']} |",
                flush=True,
            )
        print(
            f"<!-- {condition}: load average {before} before, {loadavg()} after -->",
            flush=True,
        )


def report_startup(repeats):
    env = environment("nothing set")
    rows = [child_env(__file__, env, "startup") for _ in range(repeats)]
    torch_import = statistics.median(
        child_env(__file__, env, "torch")["import"] for _ in range(repeats)
    )
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print()
    print("| fresh process | seconds |")
    print("|---|---|")
    print(f"| `import torch` | {torch_import:.2f} |")
    print(f"| `import sklreg` | {med['import']:.2f} |")
    print(f"| first fit (digits, (128, 128), 5 epochs) | {med['first']:.2f} |")
    print(f"| second, identical fit | {med['second']:.2f} |")


if __name__ == "__main__":
    main()
