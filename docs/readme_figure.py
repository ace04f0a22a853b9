"""Regenerate ``docs/_static/overfitting.png``, the figure of the README.

It is the first figure of ``examples/plot_overfitting.py``, which this script
runs in full (about a minute on two cores)::

    python docs/readme_figure.py
"""

import os
import runpy
from pathlib import Path

import matplotlib
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plot_overfitting.py"
FIGURE = ROOT / "docs" / "_static" / "overfitting.png"

if __name__ == "__main__":
    os.environ.pop("SKLREG_EXAMPLES_QUICK", None)  # the full run, always
    torch.set_num_threads(1)  # small networks: one thread is as fast, and steady
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    plt.figure(1).savefig(FIGURE, dpi=90)
    print(f"wrote {FIGURE.relative_to(ROOT)} ({FIGURE.stat().st_size // 1024} KB)")
