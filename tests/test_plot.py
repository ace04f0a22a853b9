"""plot_history: the lines it draws, the best-epoch marker, and lazy matplotlib."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor, plot_history

from .helpers import fast

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_curves_penalties_and_best_epoch(data):
    X, y = data
    est = RegularizedMLPClassifier(
        **fast(max_iter=30),
        activity_alpha=1e-4,
        early_stopping=True,
        patience=5,
        random_state=0,
    ).fit(X, y)
    ax = plot_history(est)
    assert isinstance(ax, matplotlib.axes.Axes)
    lines = lines_by_label(ax)
    best = f"best epoch ({est.best_epoch_})"
    assert list(lines) == [
        "training data loss",
        "validation loss",
        "norm penalty",
        "activity penalty",
        "training objective",
        best,
    ]
    epochs = [row["epoch"] for row in est.history_]
    for label, key in [
        ("training data loss", "data_loss"),
        ("validation loss", "valid_loss"),
        ("norm penalty", "norm_penalty"),
        ("activity penalty", "activity_penalty"),
        ("training objective", "train_loss"),
    ]:
        x, values = lines[label].get_data()
        np.testing.assert_array_equal(x, epochs)
        np.testing.assert_allclose(values, [row[key] for row in est.history_])
    assert list(lines[best].get_xdata()) == [est.best_epoch_] * 2  # vertical
    assert ax.get_xlabel() == "epoch" and ax.get_legend() is not None


def test_no_penalty_no_early_stopping_draws_the_training_loss_only(data):
    X, y = data
    est = RegularizedMLPRegressor(**fast(max_iter=3), alpha=0.0).fit(X, y)
    ax = plot_history(est)
    assert list(lines_by_label(ax)) == ["training data loss"]


def test_decoupled_weight_decay_leaves_no_penalty_line(data):
    X, y = data
    est = RegularizedMLPClassifier(**fast(max_iter=3), solver="adamw").fit(X, y)
    assert list(lines_by_label(plot_history(est))) == ["training data loss"]


def test_given_terms_axes_and_pipeline(data):
    X, y = data
    pipe = make_pipeline(
        StandardScaler(),
        RegularizedMLPClassifier(
            **fast(max_iter=5), early_stopping=True, scoring="accuracy"
        ),
    ).fit(X, y)
    fig, (left, right) = plt.subplots(1, 2)
    ax = plot_history(pipe, ax=right, terms=["valid_score"])
    assert ax is right and not left.get_lines()
    labels = list(lines_by_label(ax))
    assert labels[0] == "validation score" and labels[1].startswith("best epoch")
    assert ax.get_ylabel() == ""  # a score is not a loss


def test_errors(data):
    X, y = data
    with pytest.raises(NotFittedError):
        plot_history(RegularizedMLPClassifier())
    est = RegularizedMLPClassifier(**fast(max_iter=2)).fit(X, y)
    with pytest.raises(ValueError, match=r"\['valid_loss'\] are not in history_"):
        plot_history(est, terms=["data_loss", "valid_loss"])
    with pytest.raises(TypeError, match="StandardScaler has none"):
        plot_history(StandardScaler().fit(X))


def test_sklreg_imports_without_matplotlib():
    code = (
        "import sys; sys.modules['matplotlib'] = None; import sklreg; "
        "print(sklreg.plot_history.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "plot_history"


def test_missing_matplotlib_says_which_extra_to_install(data, monkeypatch):
    X, y = data
    est = RegularizedMLPClassifier(**fast(max_iter=2)).fit(X, y)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklreg\[plot\]"):
        plot_history(est)
