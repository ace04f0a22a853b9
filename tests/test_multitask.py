"""Multi-output targets as tasks: towers (parameter sharing), parameter tying,
and multi-output multiclass classification, through the public API."""

import itertools
import pickle

import numpy as np
import pytest
import torch
from sklearn.metrics import r2_score

from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor

from .helpers import FAST, fast

TOWERS = dict(shared_layers=0, tie_groups="tasks")


def related_tasks(seed, n_train=40, n_test=500, n_features=10, n_tasks=3):
    """Regression tasks that share most of their structure, with few rows.

    Every task is ``tanh(X @ W_t) @ v_t`` plus noise, where the ``W_t`` (and
    the ``v_t``) of the tasks differ by 20% from common ones.
    """
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_train + n_test, n_features))
    W, v = rng.normal(size=(n_features, 4)), rng.normal(size=4)
    Y = np.column_stack(
        [
            np.tanh(X @ (W + 0.2 * rng.normal(size=W.shape)) / np.sqrt(n_features))
            @ (v + 0.2 * rng.normal(size=4))
            for _ in range(n_tasks)
        ]
    )
    Y += 0.5 * Y.std(axis=0) * rng.normal(size=Y.shape)
    return X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]


def task_classes(n_samples=150, seed=0):
    """Three columns of string labels: 3 classes, 2 classes, 4 classes."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 4))
    Y = np.column_stack(
        [
            ((X[:, 0] > 0).astype(int) + (X[:, 1] > 0)).astype(str),
            np.where(X[:, 2] > 0, "yes", "no"),
            np.digitize(X[:, 0] + X[:, 3], [-1, 0, 1]).astype(str),
        ]
    )
    return X, Y


def tower_distance(est, groups=None):
    """Square root of the summed squared distances over pairs of tied tensors."""
    groups = est.module_.tower_weight_groups() if groups is None else groups
    total = 0.0
    for group in groups:
        tensors = [est.module_.get_parameter(name).detach() for name in group]
        total += sum(
            (a - b).square().sum().item() for a, b in itertools.combinations(tensors, 2)
        )
    return np.sqrt(total)


def test_tying_pulls_towers_together_as_tie_alpha_grows():
    X, Y, _, _ = related_tasks(0)
    params = fast(max_iter=30, batch_size=10, alpha=0.0, **TOWERS, random_state=0)
    distances = [
        tower_distance(RegularizedMLPRegressor(**params, tie_alpha=a).fit(X, Y))
        for a in (0.0, 1e-3, 1e-2, 1e-1)
    ]
    assert all(a > b for a, b in itertools.pairwise(distances)), distances
    huge = RegularizedMLPRegressor(**params, tie_alpha=1e3).fit(X, Y)
    assert tower_distance(huge) < 0.01 * distances[0]


def test_moderate_tying_beats_separate_towers_on_few_rows():
    # 40 rows for 3 tasks: separate towers overfit, tied towers share the
    # rows' information (tie_alpha=0.1 gains 0.13 to 0.54 in R^2 on seeds 0-9)
    X, Y, X_test, Y_test = related_tasks(1)
    params = fast(max_iter=100, alpha=0.0, **TOWERS, random_state=1)
    separate = RegularizedMLPRegressor(**params, tie_alpha=0.0).fit(X, Y)
    tied = RegularizedMLPRegressor(**params, tie_alpha=0.1).fit(X, Y)
    r2_separate = r2_score(Y_test, separate.predict(X_test))
    r2_tied = r2_score(Y_test, tied.predict(X_test))
    assert r2_tied > r2_separate + 0.1, (r2_separate, r2_tied)
    assert separate.history_[-1]["tie_penalty"] == 0.0
    assert tied.history_[-1]["tie_penalty"] > 0.0


def test_l1_tying_is_recorded_as_added():
    X, Y, _, _ = related_tasks(0)
    params = fast(max_iter=40, alpha=0.0, **TOWERS, random_state=0)
    untied = RegularizedMLPRegressor(**params).fit(X, Y)
    est = RegularizedMLPRegressor(**params, tie_alpha=0.05, tie_norm="l1").fit(X, Y)
    assert tower_distance(est) < 0.5 * tower_distance(untied)
    l1 = sum(
        sum(
            (est.module_.get_parameter(a) - est.module_.get_parameter(b)).abs().sum()
            for a, b in itertools.combinations(group, 2)
        ).item()
        for group in est.module_.tower_weight_groups()
    )
    # one more full-batch epoch: its record is the penalty of these weights
    est.set_params(warm_start=True, max_iter=1).fit(X, Y)
    last = est.history_[-1]
    assert last["tie_penalty"] == pytest.approx(0.05 * l1, rel=1e-5)
    assert last["train_loss"] == pytest.approx(
        last["data_loss"] + last["norm_penalty"] + last["tie_penalty"]
    )


def test_parameter_counts_and_names_of_the_three_architectures():
    X = np.random.RandomState(0).normal(size=(30, 4))
    Y = X[:, :2]
    counts = {}
    for shared in (None, 0, 1, 2):
        est = RegularizedMLPRegressor((5, 3), shared_layers=shared, max_iter=1)
        names = est.parameter_names(n_outputs=2)
        est.fit(X, Y)
        assert est.parameter_names_ == names
        counts[shared] = est.n_parameters_
    trunk = [4 * 5 + 5, 5 * 3 + 3]
    head = 3 * 1 + 1
    assert counts[None] == sum(trunk) + (3 * 2 + 2) == 51
    assert counts[0] == 2 * (sum(trunk) + head) == 94
    assert counts[1] == trunk[0] + 2 * (trunk[1] + head) == 69
    assert counts[2] == sum(trunk) + 2 * head == 51
    assert counts[0] > counts[1] > counts[None]
    assert RegularizedMLPRegressor((5, 3), shared_layers=1).parameter_names(2) == [
        "hidden.0.weight",
        "hidden.0.bias",
        "towers.0.hidden.1.weight",
        "towers.0.hidden.1.bias",
        "towers.0.output.weight",
        "towers.0.output.bias",
        "towers.1.hidden.1.weight",
        "towers.1.hidden.1.bias",
        "towers.1.output.weight",
        "towers.1.output.bias",
    ]


def test_explicit_group_ties_two_tensors_and_leaves_the_others():
    X, Y, _, _ = related_tasks(0)
    pair = ["towers.0.hidden.0.weight", "towers.1.hidden.0.weight"]
    params = fast(
        max_iter=20, batch_size=10, alpha=0.0, shared_layers=0, random_state=0
    )
    free = RegularizedMLPRegressor(**params).fit(X, Y)
    tied = RegularizedMLPRegressor(**params, tie_groups=[pair], tie_alpha=10.0).fit(
        X, Y
    )
    assert tower_distance(tied, [pair]) < 0.1 * tower_distance(free, [pair])
    assert tied.history_[-1]["tie_penalty"] > 0.0
    # the towers train separately: tower 2, in no group, is exactly the untied one
    for name in tied.parameter_names_:
        if name.startswith("towers.2."):
            torch.testing.assert_close(
                tied.module_.get_parameter(name),
                free.module_.get_parameter(name),
                rtol=0,
                atol=0,
            )
    others = ["towers.0.output.weight", "towers.1.output.weight"]  # not tied
    assert tower_distance(tied, [others]) > 0.5 * tower_distance(free, [others])


@pytest.mark.parametrize(
    "Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor]
)
def test_single_output_towers_are_the_plain_network(Estimator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    y = np.digitize(X[:, 0], [-0.5, 0.5])  # 3 classes, or values
    params = fast(max_iter=20, dtype="float64", random_state=0)
    plain = Estimator(**params).fit(X, y)
    tower = Estimator(**params, **TOWERS, tie_alpha=10.0).fit(X, y)
    assert tower.parameter_names_ == [
        name.replace("hidden", "towers.0.hidden").replace("output", "towers.0.output")
        for name in plain.parameter_names_
    ]
    assert tower.n_parameters_ == plain.n_parameters_
    assert all(row["tie_penalty"] == 0.0 for row in tower.history_)
    np.testing.assert_allclose(tower.predict(X), plain.predict(X), rtol=1e-10)


def test_multilabel_towers():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 5))
    Y = (X[:, :3] + 0.3 * rng.normal(size=(120, 3)) > 0).astype(int)
    est = RegularizedMLPClassifier(**FAST, **TOWERS, tie_alpha=1e-2, random_state=0)
    est.fit(X, Y)
    assert est.n_outputs_ == 3
    assert "towers.2.output.weight" in est.parameter_names_
    assert est.history_[-1]["tie_penalty"] > 0.0
    proba = est.predict_proba(X)
    assert proba.shape == (120, 3)
    np.testing.assert_array_equal(est.predict(X), (proba > 0.5).astype(int))
    assert est.score(X, Y) > 0.7


@pytest.mark.parametrize("shared_layers", [None, 0, 1])
def test_multioutput_multiclass(shared_layers):
    X, Y = task_classes()
    est = RegularizedMLPClassifier(
        (16, 8),
        shared_layers=shared_layers,
        learning_rate_init=1e-2,
        max_iter=60,
        random_state=0,
    ).fit(X, Y)
    assert est.n_outputs_ == 3
    assert [c.tolist() for c in est.classes_] == [
        ["0", "1", "2"],
        ["no", "yes"],
        ["0", "1", "2", "3"],
    ]
    proba = est.predict_proba(X)
    assert [p.shape for p in proba] == [(150, 3), (150, 2), (150, 4)]
    for p in proba:
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    pred = est.predict(X)
    assert pred.shape == (150, 3)
    for task, (classes, p) in enumerate(zip(est.classes_, proba, strict=True)):
        np.testing.assert_array_equal(pred[:, task], classes[p.argmax(axis=1)])
    assert all((pred[:, t] == Y[:, t]).mean() > 0.75 for t in range(3))
    subset_accuracy = np.all(pred == Y, axis=1).mean()
    assert est.score(X, Y) == pytest.approx(subset_accuracy)
    log_proba = est.predict_log_proba(X)
    np.testing.assert_allclose(np.exp(log_proba[1]), proba[1])


def test_multioutput_multiclass_towers_are_tied_by_head_shape():
    X, Y = task_classes()
    est = RegularizedMLPClassifier(
        **fast(max_iter=5), **TOWERS, tie_alpha=1e-2, random_state=0
    ).fit(X, np.column_stack([Y, Y[:, 0]]))  # a fourth task with 3 classes
    assert est.module_.tower_weight_groups() == [
        [f"towers.{t}.hidden.0.weight" for t in range(4)],
        ["towers.0.output.weight", "towers.3.output.weight"],
    ]


def test_multioutput_multiclass_sample_weight_equals_repeated_rows():
    X, Y = task_classes(60)
    params = fast(max_iter=10, batch_size=200, dtype="float64", random_state=0)
    w = np.r_[np.full(20, 2.0), np.ones(40)]
    weighted = RegularizedMLPClassifier(**params, **TOWERS, tie_alpha=1e-2)
    weighted.fit(X, Y, sample_weight=w)
    repeated = RegularizedMLPClassifier(**params, **TOWERS, tie_alpha=1e-2)
    repeated.fit(np.r_[X[:20], X], np.r_[Y[:20], Y])
    for a, b in zip(weighted.predict_proba(X), repeated.predict_proba(X), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7)


def test_multioutput_multiclass_monte_carlo_prediction():
    X, Y = task_classes()
    est = RegularizedMLPClassifier(
        **FAST, **TOWERS, dropout=0.3, mc_samples=8, random_state=0
    ).fit(X, Y)
    proba = est.predict_proba(X)
    for p in proba:  # an average of probabilities is a probability
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    for a, b in zip(proba, est.predict_proba(X[:7]), strict=True):
        np.testing.assert_allclose(a[:7], b, rtol=1e-6)  # rows are independent
    deterministic = est.set_params(mc_samples=0).predict_proba(X)
    assert not np.allclose(deterministic[0], proba[0])


def test_towers_regressor_monte_carlo_spread():
    X, Y, _, _ = related_tasks(0)
    est = RegularizedMLPRegressor(
        **fast(max_iter=10), **TOWERS, dropout=0.3, mc_samples=6, random_state=0
    ).fit(X, Y)
    mean, std = est.predict(X, return_std=True)
    assert mean.shape == std.shape == Y.shape
    assert (std > 0).all()
    np.testing.assert_array_equal(est.predict(X), mean)


def test_multioutput_multiclass_early_stopping_without_stratification():
    X, Y = task_classes()
    est = RegularizedMLPClassifier(
        **FAST, **TOWERS, early_stopping=True, patience=3, refit="epochs"
    ).fit(X, Y)
    assert est.best_epoch_ is not None
    assert [p.shape[1] for p in est.predict_proba(X)] == [3, 2, 4]


def test_multioutput_multiclass_partial_fit_and_warm_start():
    X, Y = task_classes()
    classes = [["0", "1", "2"], ["no", "yes"], ["0", "1", "2", "3"]]
    est = RegularizedMLPClassifier(**FAST, **TOWERS, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, Y)
    # the first batch has 0/1 labels only: still three columns of classes
    first = np.isin(Y[:, 0], ["0", "1"]) & np.isin(Y[:, 2], ["0", "1"])
    est.partial_fit(X[first], Y[first], classes=classes)
    est.partial_fit(X, Y)
    assert est.n_iter_ == 2
    assert [c.tolist() for c in est.classes_] == classes
    bad = Y.copy()
    bad[0, 2] = "7"
    with pytest.raises(ValueError, match=r"\['7'\].*column 2"):
        est.partial_fit(X, bad)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X, Y, classes=[["0", "1"], *classes[1:]])
    with pytest.raises(ValueError, match="single-label"):
        est.partial_fit(X, Y[:, 0])

    warm = RegularizedMLPClassifier(**fast(max_iter=2), **TOWERS, warm_start=True)
    warm.fit(X, Y)
    with pytest.raises(ValueError, match="warm_start.*column 0"):
        warm.fit(X[first], Y[first])
    warm.set_params(shared_layers=None, tie_groups=None)
    with pytest.raises(ValueError, match="shared_layers"):
        warm.fit(X, Y)


def test_towers_pickle_round_trip():
    X, Y = task_classes()
    est = RegularizedMLPClassifier(**fast(max_iter=3), **TOWERS, random_state=0)
    est.fit(X, Y)
    loaded = pickle.loads(pickle.dumps(est))
    for a, b in zip(est.predict_proba(X), loaded.predict_proba(X), strict=True):
        np.testing.assert_array_equal(a, b)


INVALID = [
    (dict(hidden_layer_sizes=(5, 3), shared_layers=3), r"shared_layers.*Got 3"),
    (dict(tie_groups="tasks"), r"tie_groups='tasks'.*shared_layers=None"),
    (
        dict(
            shared_layers=0,
            tie_groups=[["towers.0.output.weight", "towers.9.output.weight"]],
        ),
        r"tie_groups names 'towers.9.output.weight'",
    ),
    (dict(tie_groups=[["output.weight"]]), r"tie_groups.*\['output.weight'\]"),
    (dict(tie_groups=[["hidden.0.weight", "hidden.0.weight"]]), "tie_groups"),
    (
        dict(tie_groups=["hidden.0.weight", "output.weight"]),
        r"tie_groups.*'hidden.0.weight'",
    ),
    (
        dict(
            hidden_layer_sizes=(5, 3),
            tie_groups=[["hidden.0.weight", "hidden.1.weight"]],
        ),
        r"tie_groups ties tensors of different shapes.*\(5, 4\).*\(3, 5\)",
    ),
    (dict(tie_alpha=-1.0), r"tie_alpha.*Got -1.0"),
    (dict(tie_norm="elasticnet"), "tie_norm"),
    (dict(shared_layers=-1), "shared_layers"),
]


@pytest.mark.parametrize(
    "Estimator", [RegularizedMLPClassifier, RegularizedMLPRegressor]
)
@pytest.mark.parametrize(("params", "match"), INVALID)
def test_invalid_sharing_and_tying_raise_before_training(
    Estimator, params, match, forbid_training
):
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(30, 4)), (rng.normal(size=(30, 2)) > 0).astype(int)
    est = Estimator(**{**FAST, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(X, Y)
    assert not hasattr(est, "net_")


@pytest.mark.parametrize("shared_layers", [0, 1])
def test_feature_importances_with_towers_and_no_coefs(shared_layers):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    Y = np.c_[X[:, 0], X[:, 1] - X[:, 2]]
    est = RegularizedMLPRegressor(
        (5, 3), shared_layers=shared_layers, max_iter=3, random_state=0
    ).fit(X, Y)
    params = dict(est.module_.named_parameters())
    if shared_layers:
        first = params["hidden.0.weight"]
    else:  # every tower's first layer
        first = torch.cat([params[f"towers.{t}.hidden.0.weight"] for t in (0, 1)])
    expected = torch.linalg.vector_norm(first.detach(), dim=0).numpy()
    np.testing.assert_allclose(est.feature_importances_, expected)
    assert est.feature_importances_.shape == (4,)
    assert not hasattr(est, "coefs_") and not hasattr(est, "intercepts_")
    with pytest.raises(AttributeError, match="shared_layers=None"):
        _ = est.coefs_


def test_parameter_names_need_no_device():
    # naming the parameters reads the architecture only: a device this
    # machine may lack is resolved (and refused) by fit, not here
    est = RegularizedMLPRegressor((4,), shared_layers=0, device="cuda:7")
    assert est.parameter_names(n_outputs=2)[0] == "towers.0.hidden.0.weight"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            est.fit(np.zeros((4, 2)), np.zeros((4, 2)))
