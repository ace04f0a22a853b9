"""Fixed fits whose every number is stored, to prove that a change of the code
that should change nothing changes nothing.

``python tests/reference_fits.py`` recomputes the stored results
(``tests/data/reference_fits.npz``) from the current code; ``test_reference_fits``
compares a fresh run against them. Recompute them only for a change that is
meant to change results, and say so in its commit.
"""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import torch

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)

#: Where the stored results live.
REFERENCE = pathlib.Path(__file__).parent / "data" / "reference_fits.npz"


def _data(seed=0, n=120, d=8):
    """Data drawn with NumPy's stable generators only (no library version can
    change it): a few informative inputs, a nonlinear target."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    score = X[:, 0] - X[:, 1] * X[:, 2] + 0.5 * np.sin(3 * X[:, 3])
    return X, score


def _classification(n_classes=3, **kwargs):
    X, score = _data(**kwargs)
    edges = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.searchsorted(edges, score)


def _fit_plain():
    X, y = _classification()
    est = RegularizedMLPClassifier((8,), max_iter=6, random_state=0)
    return est.fit(X, y), X, "predict_proba"


def _fit_l1_dropout():
    X, y = _classification(n_classes=2)
    est = RegularizedMLPClassifier(
        (8, 6),
        alpha=3e-3,
        norm="l1",
        dropout=(0.2, 0.1),
        input_dropout=0.1,
        max_norm=1.5,
        activity_alpha=1e-3,
        mc_samples=3,
        batch_size=32,
        max_iter=6,
        random_state=1,
    )
    return est.fit(X, y), X, "predict_proba"


def _fit_towers_tied_sgd():
    X, score = _data(seed=2)
    y = np.column_stack([score, X[:, 0] ** 2, -score])
    est = RegularizedMLPRegressor(
        (8, 5),
        shared_layers=1,
        tie_groups="tasks",
        tie_alpha=1e-2,
        alpha=1e-3,
        norm="elasticnet",
        l1_ratio=0.3,
        solver="sgd",
        learning_rate_init=1e-2,
        momentum=0.8,
        nesterovs_momentum=False,  # the heavy-ball momentum of the stored run
        batch_size=25,
        max_iter=6,
        random_state=2,
    )
    return est.fit(X, y), X, "predict"


def _fit_early_stopping_refit():
    X, y = _classification(n=160)
    est = RegularizedMLPClassifier(
        (10,),
        early_stopping=True,
        validation_fraction=0.25,
        patience=3,
        scoring="accuracy",
        refit="updates",
        learning_rate_init=1e-2,
        batch_size=30,
        max_iter=30,
        random_state=3,
    )
    return est.fit(X, y), X, "predict_proba"


def _fit_adamw_subgradient():
    X, score = _data(seed=4)
    est = RegularizedMLPRegressor(
        (7,),
        solver="adamw",
        alpha=1e-2,
        norm="elasticnet",
        l1_method="subgradient",
        activity_alpha=1e-3,
        activity_norm="l2",
        max_iter=6,
        random_state=4,
    )
    return est.fit(X.astype(np.float32), score), X.astype(np.float32), "predict"


def _fit_multilabel_adamw_l2():
    X, score = _data(seed=5)
    y = np.column_stack([score > 0, X[:, 0] > 0.3, X[:, 4] < 0]).astype(int)
    est = RegularizedMLPClassifier(
        (9,),
        solver="adamw",
        alpha=1e-3,
        shared_layers=0,
        tie_groups="tasks",
        tie_alpha=1e-3,
        tie_norm="l1",
        max_iter=5,
        random_state=5,
    )
    return est.fit(X, y), X, "predict_proba"


def _fit_conv():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((60, 36))
    y = (X[:, :18].sum(axis=1) > 0).astype(int)
    est = SharedConvClassifier(
        conv_channels=(3,),
        hidden_layer_sizes=(6,),
        dropout=0.2,
        input_dropout=0.1,
        alpha=1e-3,
        norm="l1",
        mc_samples=2,
        max_iter=4,
        random_state=6,
    )
    return est.fit(X, y), X, "predict_proba"


def _fit_conv_unshared():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 2, 5, 5))
    y = (X[:, 0].sum(axis=(1, 2)) > 0).astype(int)
    est = SharedConvClassifier(
        conv_channels=(2,),
        share_weights=False,
        hidden_layer_sizes=(5,),
        max_norm=1.0,
        max_iter=4,
        random_state=7,
    )
    return est.fit(X, y), X, "predict_proba"


def _fit_partial_and_warm():
    X, y = _classification(seed=8)
    est = RegularizedMLPClassifier((6,), max_iter=3, random_state=8)
    est.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    est.partial_fit(X[60:], y[60:])
    est.set_params(warm_start=True, dropout=0.1)
    est.fit(X, y)
    return est, X, "predict_proba"


def _fit_regressor_std():
    X, score = _data(seed=9)
    est = RegularizedMLPRegressor(
        (8,), dropout=0.3, mc_samples=4, max_iter=5, random_state=9
    )
    est.fit(X, score, sample_weight=np.linspace(0.5, 2.0, len(score)))
    return est, X, "predict_std"


#: Name -> a function returning ``(fitted estimator, X to predict, method)``.
CONFIGURATIONS = {
    "plain": _fit_plain,
    "l1_dropout": _fit_l1_dropout,
    "towers_tied_sgd": _fit_towers_tied_sgd,
    "early_stopping_refit": _fit_early_stopping_refit,
    "adamw_subgradient": _fit_adamw_subgradient,
    "multilabel_adamw_l2": _fit_multilabel_adamw_l2,
    "conv": _fit_conv,
    "conv_unshared": _fit_conv_unshared,
    "partial_and_warm": _fit_partial_and_warm,
    "regressor_std": _fit_regressor_std,
}


def results(name: str) -> dict[str, np.ndarray]:
    """Every number of one configuration's fit: its parameters, each history
    column but durations, its fitted counters and its predictions."""
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est, X, method = CONFIGURATIONS[name]()
    out = {
        f"param/{key}": value.detach().cpu().numpy()
        for key, value in est.module_.state_dict().items()
    }
    for key in est.history_[0]:
        if key != "dur":
            out[f"history/{key}"] = np.array([row.get(key) for row in est.history_])
    for attr in ("n_iter_", "t_", "best_epoch_", "n_parameters_"):
        value = getattr(est, attr)
        out[f"attr/{attr}"] = np.array(-1 if value is None else value)
    if method == "predict_std":
        mean, std = est.predict(X, return_std=True)
        out["predict/mean"], out["predict/std"] = mean, std
    else:
        predicted = getattr(est, method)(X)
        for i, p in enumerate(
            predicted if isinstance(predicted, list) else [predicted]
        ):
            out[f"predict/{i}"] = p
    return {f"{name}/{key}": np.asarray(value) for key, value in out.items()}


def cpu_capability() -> str:
    """The vector instructions torch's CPU kernels use here (e.g. ``AVX2``):
    the stored results are exact for machines of this capability only."""
    return torch.backends.cpu.get_cpu_capability()


def main():
    stored = {"cpu_capability": np.array(cpu_capability())}
    for name in CONFIGURATIONS:
        stored.update(results(name))
    REFERENCE.parent.mkdir(exist_ok=True)
    np.savez_compressed(REFERENCE, **stored)
    print(f"wrote {len(stored)} arrays to {REFERENCE}")


if __name__ == "__main__":
    main()
