"""Fitting contract: validation, dtypes, fitted attributes, resuming, devices."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from sklreg import (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    SharedConvClassifier,
)
from sklreg.utils import resolve_device

from .helpers import FAST, fast

ESTIMATORS = [RegularizedMLPClassifier, RegularizedMLPRegressor]


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


INVALID = [
    ("hidden_layer_sizes", (10, 0)),
    ("hidden_layer_sizes", ()),
    ("hidden_layer_sizes", "wide"),
    ("activation", "softmax"),
    ("alpha", -1.0),
    ("norm", "l0"),
    ("l1_ratio", 1.5),
    ("l1_method", "lasso"),
    ("max_norm", 0.0),
    ("activity_alpha", -0.1),
    ("activity_norm", "elasticnet"),
    ("dropout", 1.0),
    ("dropout", [0.1, 0.2]),  # two rates for one hidden layer
    ("dropout", [-0.1]),
    ("dropout", ["high"]),
    ("input_dropout", -0.5),
    ("input_noise", -0.1),
    ("input_noise", "loud"),
    ("mc_samples", -1),
    ("mc_samples", 1.5),
    ("n_members", 0),
    ("n_members", 2.5),
    ("n_members", "3"),
    ("bootstrap", "yes"),
    ("member_sharing", "rank1"),
    ("member_sharing", None),
    ("early_stopping", "yes"),
    ("validation_fraction", 1.0),
    ("patience", 0),
    ("tol", -1e-3),
    ("scoring", "no_such_scorer"),
    ("refit", "all"),
    ("refit", "epochs"),  # refit needs early_stopping=True
    ("refit", True),  # the same
    ("refit", 1),
    ("shared_layers", -1),
    ("shared_layers", 2),  # beyond the one hidden layer
    ("tie_groups", "towers"),
    ("tie_groups", [["hidden.0.weight"]]),  # a group of one
    ("tie_alpha", -1.0),
    ("tie_norm", "l0"),
    ("solver", "lbfgs"),
    ("learning_rate_init", 0.0),
    ("momentum", 2.0),
    ("learning_rate", "cosine"),
    ("power_t", -0.5),
    ("nesterovs_momentum", "yes"),
    ("beta_1", 1.0),
    ("beta_2", -0.1),
    ("epsilon", 0.0),
    ("batch_size", 0),
    ("batch_size", "big"),
    ("max_iter", 0),
    ("shuffle", "yes"),
    ("warm_start", 1.5),
    ("dtype", "float16"),
    ("device", "tpu"),
    ("device", 3),
    ("random_state", "seed"),
    ("verbose", -1),
]


#: Invalid values of the parameters only classifiers have.
INVALID_CLASSIFIER = [
    ("class_weight", "even"),
    ("class_weight", {0: -1.0}),
    ("class_weight", 3),
    ("label_smoothing", 1.0),
    ("label_smoothing", -0.1),
]

#: Invalid values of the parameters only regressors have.
INVALID_REGRESSOR = [
    ("loss", "l3"),
    ("loss", "log_loss"),
    ("loss", None),
    ("normalize_y", "yes"),
]

#: Invalid values of the parameters only the MLP estimators have.
INVALID_MLP = [
    ("feature_alpha", -0.1),
    ("feature_alpha", "strong"),
]

#: Which estimators each table of invalid values applies to.
_INVALID_CASES = [
    (Estimator, param, value)
    for table, estimators in [
        (INVALID, [*ESTIMATORS, SharedConvClassifier]),
        (INVALID_CLASSIFIER, [RegularizedMLPClassifier, SharedConvClassifier]),
        (INVALID_REGRESSOR, [RegularizedMLPRegressor]),
        (INVALID_MLP, ESTIMATORS),
    ]
    for Estimator in estimators
    for param, value in table
]


@pytest.mark.parametrize(("Estimator", "param", "value"), _INVALID_CASES)
def test_invalid_hyperparameter_raises_before_training(
    Estimator, param, value, data, forbid_training
):
    X, y = data
    est = Estimator(**{**FAST, param: value})
    with pytest.raises(ValueError, match=param):
        est.fit(X, y)
    assert not hasattr(est, "net_")


def test_cuda_unavailable_is_a_clear_error(data):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    X, y = data
    with pytest.raises(ValueError, match="CUDA is not available"):
        RegularizedMLPClassifier(**FAST, device="cuda").fit(X, y)
    est = RegularizedMLPClassifier(**fast(max_iter=1), device="auto").fit(X, y)
    assert next(est.module_.parameters()).device.type == "cpu"


def test_auto_device_is_the_processes_current_cuda_device(monkeypatch):
    # "auto" names no index: each process trains on its current CUDA device,
    # the one GPU a worker sees when started with its own CUDA_VISIBLE_DEVICES.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_inputs_are_not_mutated(Estimator, data):
    X, y = data
    X, y = X.copy(), y.astype(float)
    w = np.linspace(0.5, 2, len(y))
    copies = X.copy(), y.copy(), w.copy()
    Estimator(**FAST, max_norm=1.0, dropout=0.2).fit(X, y, sample_weight=w).predict(X)
    for before, after in zip(copies, (X, y, w), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(
    ("X_dtype", "dtype", "expected"),
    [
        (np.float32, None, torch.float32),
        (np.float64, None, torch.float64),
        (np.int64, None, torch.float64),
        (np.float64, "float32", torch.float32),
        (np.float32, "float64", torch.float64),
    ],
)
def test_training_dtype_follows_input_or_dtype(X_dtype, dtype, expected, data):
    X, y = data
    est = RegularizedMLPRegressor(**fast(max_iter=2), dtype=dtype)
    est.fit((X * 10).astype(X_dtype), y)
    assert next(est.module_.parameters()).dtype == expected
    assert est.predict(X).dtype == (
        np.float32 if expected == torch.float32 else np.float64
    )


def test_fitted_attributes(data):
    X, y = data
    est = RegularizedMLPClassifier((7, 5), max_iter=3, batch_size=50, random_state=0)
    est.fit(X, y)
    assert est.n_iter_ == 3
    assert est.t_ == 3 * 3  # ceil(120 / 50) updates per epoch
    assert est.n_features_in_ == 6 and est.n_outputs_ == 1
    assert [row["epoch"] for row in est.history_] == [1, 2, 3]
    assert set(est.history_[0]) == {
        "epoch",
        "train_loss",
        "data_loss",
        "norm_penalty",
        "tie_penalty",
        "activity_penalty",
        "feature_penalty",
        "lr",
        "dur",
    }
    assert est.loss_curve_ == [row["train_loss"] for row in est.history_]
    assert est.parameter_names_ == [
        "hidden.0.weight",
        "hidden.0.bias",
        "hidden.1.weight",
        "hidden.1.bias",
        "output.weight",
        "output.bias",
    ]
    assert est.n_parameters_ == (6 * 7 + 7) + (7 * 5 + 5) + (5 * 1 + 1)
    assert isinstance(est.module_, torch.nn.Module)


def test_partial_fit_runs_one_epoch_and_needs_classes(data):
    X, y = data
    est = RegularizedMLPClassifier(**FAST, batch_size=40, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)
    est.partial_fit(X[:60], y[:60], classes=[0, 1])
    est.partial_fit(X[60:], y[60:])
    assert est.n_iter_ == 2 and est.t_ == 2 + 2
    with pytest.raises(ValueError, match="not in classes_"):
        est.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3], y)


def test_partial_fit_continues_the_optimizer_state(data):
    X, y = data
    est = RegularizedMLPRegressor(**FAST, random_state=0)
    for _ in range(3):
        est.partial_fit(X, y)
    state = est.net_.optimizer_.state_dict()["state"]
    assert int(state[0]["step"]) == 3


def test_warm_start_continues_training(data):
    X, y = data
    est = RegularizedMLPRegressor(**fast(max_iter=5), warm_start=True, random_state=0)
    est.fit(X, y)
    first = est.loss_curve_[-1]
    weights = est.module_.hidden[0].weight.detach().clone()
    est.fit(X, y)
    assert est.n_iter_ == 10 and len(est.history_) == 10
    assert est.loss_curve_[5] < first * 1.05  # no restart from scratch
    assert not torch.equal(weights, est.module_.hidden[0].weight)
    est.set_params(hidden_layer_sizes=(3,))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        est.fit(X, y)
    cold = RegularizedMLPRegressor(**fast(max_iter=5), random_state=0)
    assert cold.fit(X, y).fit(X, y).n_iter_ == 5


def test_one_class_is_a_clear_error(data):
    X, _ = data
    with pytest.raises(ValueError, match="one class"):
        RegularizedMLPClassifier(**FAST).fit(X, np.zeros(len(X)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_gpu_training_matches_cpu(Estimator, data):
    X, y = data
    params = dict(FAST, dtype="float64", random_state=0)
    cpu = Estimator(**params).fit(X, y)
    gpu = Estimator(**params, device="cuda").fit(X, y)
    assert next(gpu.module_.parameters()).device.type == "cuda"
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-6, atol=1e-8)
    gpu32 = Estimator(**dict(params, dtype="float32"), device="cuda").fit(X, y)
    assert gpu32.score(X, y) > 0.5


def _at_offset(X, offset):
    """A copy of ``X`` whose data starts ``offset`` bytes past a 64-byte
    boundary, as an array unpickled from a Dask or joblib transfer may."""
    buffer = np.empty(X.nbytes + 128, dtype=np.uint8)
    start = -buffer.ctypes.data % 64 + offset
    out = buffer[start : start + X.nbytes].view(X.dtype).reshape(X.shape)
    out[...] = X
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shuffle", [True, False])
def test_results_do_not_depend_on_the_address_of_the_data(dtype, shuffle):
    # Matrix kernels pick their code path (and the order of their sums) from
    # the alignment of their operands: the estimators must not pass that on.
    X, y = make_classification(
        n_samples=150, n_features=13, n_informative=6, n_classes=3, random_state=0
    )
    X = X.astype(dtype)
    est = RegularizedMLPClassifier(
        **fast(max_iter=5), batch_size=32, shuffle=shuffle, random_state=0
    )
    expected = est.fit(X, y).predict_proba(X)
    for offset in (4, 8, 24) if dtype == np.float32 else (8, 24):
        moved = _at_offset(X, offset)
        np.testing.assert_array_equal(est.predict_proba(moved), expected)
        np.testing.assert_array_equal(
            est.fit(moved, y).predict_proba(X), expected, err_msg=f"fit {offset}"
        )


IGNORED = [
    (dict(scoring="accuracy"), r"scoring='accuracy' is ignored.*early_stopping"),
    (dict(tie_alpha=0.1), r"tie_alpha=0.1 is ignored.*tie_groups"),
    (dict(member_sharing="batch"), r"member_sharing='batch' is ignored.*n_members"),
    (dict(batch_size=500), r"batch_size=500 is larger than the 120 training rows"),
    (
        dict(batch_size=110, early_stopping=True, validation_fraction=0.25),
        r"batch_size=110 is larger than the 90 training rows; it is clipped to 90",
    ),
]


@pytest.mark.parametrize(("params", "match"), IGNORED)
@pytest.mark.parametrize(
    "Estimator", [*ESTIMATORS, SharedConvClassifier], ids=lambda cls: cls.__name__
)
def test_settings_that_do_nothing_warn_naming_the_parameter(
    Estimator, params, match, data
):
    X, y = data
    # tol=None: two epochs without the warning that max_iter came first
    est = Estimator(**fast(max_iter=2), tol=None, **params, random_state=0)
    with pytest.warns(UserWarning, match=match) as record:
        est.fit(X, y)
    assert len(record) == 1
    if "batch_size" in params:  # clipped: one minibatch per epoch
        assert est.t_ == est.n_iter_ == 2
    if not est.early_stopping:  # partial_fit runs without early stopping
        with pytest.warns(UserWarning, match=match):
            est.partial_fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(scoring="accuracy", early_stopping=True),
        dict(tie_alpha=0.1, shared_layers=0, tie_groups="tasks"),
        dict(batch_size=120),
        dict(batch_size="auto"),
    ],
)
def test_settings_in_use_do_not_warn(params, data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # tol=None: two epochs, without the warning that max_iter came first
        RegularizedMLPClassifier(**fast(max_iter=2), tol=None, **params).fit(X, y)


@pytest.mark.parametrize(
    "Estimator",
    [*ESTIMATORS, SharedConvClassifier],
    ids=lambda cls: cls.__name__,
)
def test_an_unknown_keyword_names_the_public_class(Estimator):
    name = Estimator.__name__
    with pytest.raises(TypeError, match=rf"^{name}\.__init__\(\) got an unexpected "):
        Estimator(n_iter_no_change=5)  # MLPClassifier's name for patience
