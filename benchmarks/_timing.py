"""What the timing benchmarks share: the clock, interleaved rounds, child runs.

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
