"""The lean training engine: the same numbers as before, without the one-time
imports PyTorch's optimizers and ``skip_init`` would pay for."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from sklreg._training._optim import FusedAdam, FusedAdamW, FusedSGD, build_optimizer
from sklreg.nn._init import uninitialized

from .reference_fits import cpu_capability

DATA = Path(__file__).parent / "data"


def _reference_predictions():
    """The configurations of ``reference_predictions.npz``: predictions of
    the first 40 rows and each epoch's recorded terms, computed by the engine
    that trained with PyTorch's own ``Adam``, ``AdamW`` and ``SGD`` classes
    and autograd's gradient of every penalty, on one thread."""
    from sklearn.datasets import load_digits

    from sklreg import (
        RegularizedMLPClassifier,
        RegularizedMLPRegressor,
        SharedConvClassifier,
    )

    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    configs = {
        "adam": (RegularizedMLPClassifier, dict(hidden_layer_sizes=(32, 16))),
        "adam_l1_prox": (
            RegularizedMLPClassifier,
            dict(hidden_layer_sizes=(32,), alpha=1e-3, norm="l1"),
        ),
        "adamw_dropout": (
            RegularizedMLPClassifier,
            dict(
                hidden_layer_sizes=(32,),
                solver="adamw",
                alpha=1e-2,
                dropout=0.2,
                mc_samples=3,
            ),
        ),
        "sgd_max_norm": (
            RegularizedMLPClassifier,
            dict(
                hidden_layer_sizes=(32,),
                solver="sgd",
                nesterovs_momentum=False,  # the momentum of the stored run
                learning_rate_init=0.05,
                max_norm=2.0,
                activity_alpha=1e-4,
            ),
        ),
        "sgd_l1_prox": (
            RegularizedMLPClassifier,
            dict(
                hidden_layer_sizes=(32,),
                solver="sgd",
                nesterovs_momentum=False,  # the momentum of the stored run
                learning_rate_init=0.05,
                alpha=1e-3,
                norm="l1",
            ),
        ),
        "regressor_float32": (
            RegularizedMLPRegressor,
            dict(hidden_layer_sizes=(16,), dtype="float32"),
        ),
        "towers_tied": (
            RegularizedMLPRegressor,
            dict(
                hidden_layer_sizes=(16,),
                shared_layers=0,
                tie_groups="tasks",
                tie_alpha=1e-3,
            ),
        ),
        "elasticnet_subgradient": (
            RegularizedMLPClassifier,
            dict(
                hidden_layer_sizes=(16,),
                norm="elasticnet",
                alpha=1e-3,
                l1_method="subgradient",
            ),
        ),
        "conv": (
            SharedConvClassifier,
            dict(conv_channels=(4, 8), hidden_layer_sizes=(16,)),
        ),
    }
    terms = ("train_loss", "data_loss", "norm_penalty", "tie_penalty")
    terms += ("activity_penalty",)
    for name, (Estimator, params) in configs.items():
        est = Estimator(max_iter=4, batch_size=64, random_state=0, **params)
        if name == "towers_tied":
            yield name, est.fit(X, np.c_[y, y % 3].astype(float)).predict(X)[:40]
        elif Estimator is RegularizedMLPRegressor:
            yield name, est.fit(X, y.astype(float)).predict(X)[:40]
        else:
            yield name, est.fit(X, y).predict_proba(X)[:40]
        history = [[row[key] for key in terms] for row in est.history_]
        yield f"{name}_history", np.array(history)


def test_predictions_and_history_are_bit_for_bit_those_of_before():
    expected = dict(np.load(DATA / "reference_predictions.npz"))
    # exact on machines of the stored CPU capability; other vector kernels
    # round differently (ATEN_CPU_CAPABILITY=avx2 reproduces the stored one)
    exact = str(expected.pop("cpu_capability")) == cpu_capability()
    seen = set()
    for name, values in _reference_predictions():
        if exact:
            np.testing.assert_array_equal(values, expected[name], err_msg=name)
        else:
            np.testing.assert_allclose(
                values, expected[name], rtol=1e-4, atol=1e-6, err_msg=name
            )
        seen.add(name)
    assert seen == set(expected)


def _two_modules():
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)).double()
    b = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)).double()
    b.load_state_dict(a.state_dict())
    return a, b


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda p: FusedAdam(p, lr=1e-2),
            lambda p: torch.optim.Adam(p, lr=1e-2, fused=True),
        ),
        (
            lambda p: FusedAdamW(
                [{"params": p[::2], "weight_decay": 0.1}, {"params": p[1::2]}],
                lr=1e-2,
            ),
            lambda p: torch.optim.AdamW(
                [{"params": p[::2], "weight_decay": 0.1}, {"params": p[1::2]}],
                lr=1e-2,
                weight_decay=0.0,
                fused=True,
            ),
        ),
        (
            lambda p: FusedSGD(p, lr=1e-2, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, fused=True),
        ),
        (
            lambda p: FusedSGD(p, lr=1e-2, momentum=0.0),
            lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.0, fused=True),
        ),
    ],
    ids=["adam", "adamw", "sgd", "sgd-no-momentum"],
)
def test_optimizers_step_as_pytorchs_own(ours, theirs):
    a, b = _two_modules()
    opt_a, opt_b = ours(list(a.parameters())), theirs(list(b.parameters()))
    assert isinstance(opt_a, type(opt_b))
    assert opt_a.defaults == opt_b.defaults
    X = torch.randn(20, 5, dtype=torch.float64)
    for step in range(4):
        for module, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            module(X).square().mean().backward()
            if step == 2:  # a parameter without a gradient is skipped
                module[2].bias.grad = None
            opt.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    state_a, state_b = opt_a.state_dict(), opt_b.state_dict()
    assert state_a["param_groups"] == state_b["param_groups"]
    for i, entry in state_b["state"].items():
        assert entry.keys() == state_a["state"][i].keys()
        for key, value in entry.items():
            assert torch.equal(state_a["state"][i][key], value), key
    # the state carries over to PyTorch's own class and back
    opt_b.load_state_dict(state_a)
    opt_a.load_state_dict(state_b)


def test_uninitialized_modules_match_their_shapes():
    layer = uninitialized(nn.Conv2d, 2, 4, 3, padding=1, dtype=torch.float64)
    assert layer.weight.shape == (4, 2, 3, 3) and layer.bias.shape == (4,)
    assert layer.weight.dtype == torch.float64 and layer.weight.device.type == "cpu"
    assert all(p.requires_grad for p in layer.parameters())
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    norm = uninitialized(nn.BatchNorm1d, 3)  # buffers leave the meta device too
    assert all(b.device.type == "cpu" for b in norm.buffers())
    assert [name for name, _ in norm.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_build_optimizer_is_the_fused_kind():
    module = nn.Linear(3, 2)
    for solver, kind in [
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("sgd", torch.optim.SGD),
    ]:
        opt = build_optimizer(solver, module, lr=1e-3, weight_decay=0.0)
        assert isinstance(opt, kind)
        assert all(group["fused"] for group in opt.param_groups)


FIRST_FIT = """
import sys
import numpy as np
from sklreg import RegularizedMLPClassifier, SharedConvClassifier
rng = np.random.RandomState(0)
X, y = rng.rand(60, 16), np.arange(60) % 3
for Estimator, solver in [(RegularizedMLPClassifier, "adam"),
                          (RegularizedMLPClassifier, "adamw"),
                          (RegularizedMLPClassifier, "sgd"),
                          (SharedConvClassifier, "adam")]:
    Estimator(max_iter=2, solver=solver).fit(X, y).predict_proba(X)
heavy = [name for name in ("torch._dynamo", "sympy", "matplotlib", "dask")
         if name in sys.modules]
print(",".join(heavy))
"""


def test_a_fresh_process_fits_without_heavy_imports():
    root = str(Path(__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FIT],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=root,
    )
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_handwritten_l2_gradient_is_autograds(dtype):
    from sklreg.penalties import WeightNormPenalty

    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(30, 20), nn.Tanh(), nn.Linear(20, 3)).to(dtype)
    X = torch.randn(50, 30, dtype=dtype)
    grads, values = [], []
    for detached in (False, True):
        penalty = WeightNormPenalty(3e-3, "l2").bind(module)
        if detached:
            penalty.detach_grad()
        module.zero_grad(set_to_none=True)
        value = penalty()
        loss = module(X).square().mean() + value
        loss.backward()
        if detached:
            assert not value.requires_grad
            penalty.add_grad_()
        values.append(value.detach())
        grads.append([p.grad.clone() for p in module.parameters()])
    assert torch.equal(values[0], values[1])
    for a, b in zip(*grads, strict=True):
        assert torch.equal(a, b)


def test_gradients_stay_with_autograd_when_two_penalties_touch_parameters():
    from sklreg._training._net import _detach_penalty_grads
    from sklreg.penalties import ActivityPenalty, TiePenalty, WeightNormPenalty

    l2 = WeightNormPenalty(1e-3, "l2")
    assert _detach_penalty_grads([l2, ActivityPenalty(1e-3)]) == [l2]
    assert l2.detached_
    others = [WeightNormPenalty(1e-3, "l2"), TiePenalty(1e-3, [["a", "b"]])]
    assert _detach_penalty_grads(others) == [] and not others[0].detached_
    for norm in ("l1", "elasticnet"):
        assert _detach_penalty_grads([WeightNormPenalty(1e-3, norm)]) == []
