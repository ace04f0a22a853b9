"""Every gallery example runs as a script, in its quick form, and shows figures."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("plot_*.py"))


def test_examples_are_found():
    assert EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script, monkeypatch, tmp_path, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    source = script.read_text()
    assert source.rstrip().endswith("plt.show()")
    assert "SKLREG_EXAMPLES_QUICK" in source  # it shrinks itself in CI
    monkeypatch.setenv("SKLREG_EXAMPLES_QUICK", "1")
    monkeypatch.chdir(tmp_path)
    plt.close("all")
    try:
        runpy.run_path(str(script), run_name="__main__")
        assert plt.get_fignums()  # it draws
    finally:
        plt.close("all")
    assert capsys.readouterr().out.strip()  # it reports as it goes
