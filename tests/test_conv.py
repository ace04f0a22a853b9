"""SharedConvClassifier through its public API: shapes, sharing, errors, digits."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import SharedConvClassifier

#: Small, fast settings: two thin convolution layers, a narrow head.
FAST_CONV = dict(
    conv_channels=(4, 8),
    hidden_layer_sizes=(16,),
    learning_rate_init=1e-2,
    batch_size=32,
    max_iter=10,
    random_state=0,
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def small_digits(digits):
    X, y = digits
    return X[:300], y[:300]


def test_shape_inference(small_digits):
    X, y = small_digits
    params = {**FAST_CONV, "max_iter": 1}  # shapes only
    image = SharedConvClassifier(**params).fit(X, y)
    assert image.image_shape_ == (1, 8, 8)
    assert image.module_.conv[0].weight.shape == (4, 1, 3, 3)  # 2-D kernels
    signal = SharedConvClassifier(**params).fit(X[:, :10], y)
    assert signal.image_shape_ == (1, 10)
    assert signal.module_.conv[0].weight.shape == (4, 1, 3)  # 1-D kernels
    channels = SharedConvClassifier(**params, image_shape=(4, 4, 4)).fit(X, y)
    assert channels.module_.conv[0].weight.shape == (4, 4, 3, 3)
    flat = SharedConvClassifier(**params, image_shape=(64,)).fit(X, y)
    assert flat.image_shape_ == (1, 64)
    assert flat.module_.conv[0].weight.shape == (4, 1, 3)


def test_image_arrays_give_the_same_model_as_flat_rows(small_digits):
    X, y = small_digits
    X_copy = X.copy()
    flat = SharedConvClassifier(**FAST_CONV).fit(X, y)
    expected = flat.predict_proba(X)
    for images in (X.reshape(-1, 8, 8), X.reshape(-1, 1, 8, 8)):
        est = SharedConvClassifier(**FAST_CONV).fit(images, y)
        assert est.image_shape_ == (1, 8, 8)
        np.testing.assert_array_equal(est.predict_proba(images), expected)
        np.testing.assert_array_equal(est.predict_proba(X), expected)
        np.testing.assert_array_equal(flat.predict_proba(images), expected)
    np.testing.assert_array_equal(X, X_copy)  # the input is not modified
    channels = X.reshape(-1, 4, 4, 4)
    est = SharedConvClassifier(**FAST_CONV).fit(channels, y)
    assert est.image_shape_ == (4, 4, 4)
    np.testing.assert_array_equal(est.predict(X), est.predict(channels))


SHAPE_ERRORS = [
    (dict(image_shape=(3, 3)), 2, "image_shape=\\(3, 3\\) describes 9 values"),
    (dict(image_shape=(0, 8)), 2, "image_shape"),
    (dict(image_shape=(1, 1, 8, 8)), 2, "image_shape"),
    (dict(image_shape=(4, 16)), 4, "disagrees with image_shape=\\(4, 16\\)"),
    (dict(image_shape=(2, 8, 4)), 3, "disagrees with image_shape"),
    (dict(kernel_size=9, padding="valid"), 2, "kernel_size=9 .*8 x 8"),
    (dict(kernel_size=5, padding="valid"), 4, "kernel_size=5 .* layer 1 .*2 x 2"),
    (dict(conv_channels=(4, 0)), 2, "conv_channels"),
    (dict(conv_channels=()), 2, "conv_channels"),
    (dict(kernel_size=0), 2, "kernel_size"),
    (dict(pool_size=0), 2, "pool_size"),
    (dict(padding="full"), 2, "padding"),
    (dict(share_weights="no"), 2, "share_weights"),
    (dict(data_format="NHWC"), 4, "data_format"),
]


@pytest.mark.parametrize(("params", "ndim", "match"), SHAPE_ERRORS)
def test_shapes_that_cannot_work_raise_before_training(
    params, ndim, match, small_digits, forbid_training
):
    X, y = small_digits
    X = {2: X, 3: X.reshape(-1, 8, 8), 4: X.reshape(-1, 1, 8, 8)}[ndim]
    est = SharedConvClassifier(**{**FAST_CONV, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "net_")


def test_predicting_images_of_another_shape_is_an_error(small_digits):
    X, y = small_digits
    est = SharedConvClassifier(**FAST_CONV).fit(X, y)
    with pytest.raises(ValueError, match=r"\(1, 4, 16\).*\(1, 8, 8\)"):
        est.predict(X.reshape(-1, 4, 16))
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :60])
    warm = SharedConvClassifier(**FAST_CONV, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="image_shape_"):
        warm.fit(X.reshape(-1, 4, 4, 4), y)


def test_both_variants_fit_and_predict_digits(small_digits):
    X, y = small_digits
    shared = SharedConvClassifier(**FAST_CONV).fit(X, y)
    local = SharedConvClassifier(**FAST_CONV, share_weights=False).fit(X, y)
    for est in (shared, local):
        assert est.predict(X).shape == (len(X),)
        assert est.predict_proba(X).shape == (len(X), 10)
        assert est.score(X, y) > 0.5
    assert local.parameter_names_ == shared.parameter_names_
    # 64 and 16 positions: the convolutions grow 64 and 16 times
    conv = [4 * (1 * 9 + 1), 8 * (4 * 9 + 1)]
    head = (8 * 2 * 2) * 16 + 16 + 16 * 10 + 10
    assert shared.n_parameters_ == sum(conv) + head
    assert local.n_parameters_ == 64 * conv[0] + 16 * conv[1] + head
    assert local.n_parameters_ > 5 * shared.n_parameters_
    assert local.module_.conv[0].weight.shape == (4 * 64, 1, 3, 3)


def test_default_network_shares_at_least_five_times_fewer_parameters(small_digits):
    X, y = small_digits
    params = dict(max_iter=1, random_state=0)
    shared = SharedConvClassifier(**params).fit(X, y)
    local = SharedConvClassifier(**params, share_weights=False).fit(X, y)
    assert shared.n_parameters_ == 13_706
    assert local.n_parameters_ == 93_386
    assert local.n_parameters_ >= 5 * shared.n_parameters_


def test_shared_network_reaches_097_on_digits(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = SharedConvClassifier(  # the default network, trained briefly
        batch_size=50, learning_rate_init=3e-3, max_iter=20, random_state=0
    ).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.97


@pytest.mark.parametrize("share_weights", [True, False])
def test_pickle_round_trip_is_identical(share_weights, small_digits):
    X, y = small_digits
    est = SharedConvClassifier(
        **FAST_CONV, share_weights=share_weights, dropout=0.2, max_norm=2.0
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert restored.history_ == est.history_
    assert restored.image_shape_ == est.image_shape_
    assert restored.get_params() == est.get_params()
    restored.partial_fit(X, y)
    assert restored.n_iter_ == est.n_iter_ + 1


def test_mc_samples_averages_thinned_networks(small_digits):
    X, y = small_digits
    est = SharedConvClassifier(**FAST_CONV, dropout=0.3, input_dropout=0.1).fit(X, y)
    deterministic = est.predict_proba(X)
    est.set_params(mc_samples=8)
    mc = est.predict_proba(X)
    np.testing.assert_allclose(mc.sum(axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(mc, deterministic)
    np.testing.assert_array_equal(est.predict_proba(X), mc)  # reproducible
    # a row's prediction does not depend on the other rows
    np.testing.assert_allclose(est.predict_proba(X[5:9]), mc[5:9], rtol=1e-5)
    assert (est.predict(X) == y).mean() > 0.5
    est.set_params(mc_samples=0)
    np.testing.assert_array_equal(est.predict_proba(X), deterministic)


@pytest.mark.parametrize("share_weights", [True, False])
def test_max_norm_bounds_each_kernel(share_weights, small_digits):
    X, y = small_digits
    est = SharedConvClassifier(
        **FAST_CONV, share_weights=share_weights, max_norm=0.3, alpha=0.0
    ).fit(X, y)
    for layer in est.module_.conv:
        norms = layer.weight.detach().flatten(1).norm(dim=1)
        assert len(norms) == layer.weight.shape[0]  # one per kernel
        assert (norms <= 0.3 + 1e-6).all()
        assert norms.max() > 0.25  # the constraint was active


def test_regularizers_apply_to_kernels_and_feature_maps(small_digits):
    X, y = small_digits
    # one full-batch step too small to matter: the recorded terms are those
    # of the returned network
    est = (
        SharedConvClassifier(
            **{**FAST_CONV, "max_iter": 1, "learning_rate_init": 1e-9},
            alpha=1e-3,
            activity_alpha=1e-4,
        )
        .set_params(batch_size=len(X))
        .fit(X, y)
    )
    module = est.module_
    assert module.conv[0].weight.ndim == 4 and module.conv[0].bias.ndim == 1
    weights = [p.detach() for p in module.parameters() if p.ndim >= 2]
    assert len(weights) == 2 + 2  # two kernels, two dense weights
    norm = 1e-3 * sum(w.square().sum().item() for w in weights)
    assert est.history_[-1]["norm_penalty"] == pytest.approx(norm, rel=1e-4)
    with torch.no_grad():
        _, hidden = module(torch.as_tensor(X), return_hidden=True)
    assert [h.shape[1:] for h in hidden] == [(4, 8, 8), (8, 4, 4), (16,)]
    rows = sum(h.flatten(1).abs().sum(dim=1) for h in hidden)
    activity = 1e-4 * rows.mean().item()
    assert est.history_[-1]["activity_penalty"] == pytest.approx(activity, rel=1e-4)


def test_warm_start_keeps_the_architecture(small_digits):
    X, y = small_digits
    est = SharedConvClassifier(**FAST_CONV, warm_start=True).fit(X, y)
    est.set_params(dropout=0.3)  # allowed: only rates change
    est.fit(X, y)
    assert est.module_.dropout == (0.3,) and est.n_iter_ == 2 * FAST_CONV["max_iter"]
    for param, value in [("conv_channels", (4, 4)), ("share_weights", False)]:
        est.set_params(**{param: value})
        with pytest.raises(ValueError, match=param):
            est.fit(X, y)
        est.set_params(**{param: FAST_CONV.get(param, True)})


def test_early_stopping_refit_and_partial_fit(small_digits):
    X, y = small_digits
    est = SharedConvClassifier(
        **{**FAST_CONV, "max_iter": 30},
        early_stopping=True,
        patience=3,
        refit="epochs",
    ).fit(X, y)
    assert 1 <= est.best_epoch_ <= 30
    assert est.n_iter_ == est.refit_n_iter_ == est.best_epoch_
    online = SharedConvClassifier(**FAST_CONV)
    online.partial_fit(X[:100], y[:100], classes=np.arange(10))
    online.partial_fit(X[100:], y[100:])
    assert online.n_iter_ == 2


def test_binary_and_multilabel_targets(small_digits):
    X, y = small_digits
    binary = SharedConvClassifier(**FAST_CONV).fit(X, y % 2)
    assert binary.module_.head.output.out_features == 1
    assert binary.predict_proba(X).shape == (len(X), 2)
    Y = np.c_[y % 2, y >= 5, y == 0].astype(int)
    multilabel = SharedConvClassifier(**FAST_CONV).fit(X, Y)
    assert multilabel.predict(X).shape == Y.shape
    assert (multilabel.predict(X) == Y).mean() > 0.8


@pytest.mark.parametrize("share_weights", [True, False])
@pytest.mark.parametrize("n_features", [1, 2, 3, 4, 5])
def test_tiny_inputs_work(share_weights, n_features, rng):
    X = rng.normal(size=(30, n_features))
    y = (X.sum(axis=1) > 0).astype(int)
    est = SharedConvClassifier(**FAST_CONV, share_weights=share_weights).fit(X, y)
    side = math.isqrt(n_features)
    expected = (1, side, side) if side * side == n_features else (1, n_features)
    assert est.image_shape_ == expected
    assert est.predict(X).shape == (30,)


def test_pipeline_with_a_scaler(small_digits):
    X, y = small_digits
    pipe = make_pipeline(StandardScaler(), SharedConvClassifier(**FAST_CONV))
    assert pipe.fit(X, y).score(X, y) > 0.8


def test_towers_in_the_head_for_multi_output_targets(small_digits):
    """The convolutions are shared by every task; shared_layers and
    tie_groups shape the dense head as they shape the MLP."""
    X, y = small_digits
    Y = np.c_[y % 2, y >= 5, y % 3]  # two binary columns and a 3-class one
    params = dict(FAST_CONV, shared_layers=0, max_iter=3)
    free = SharedConvClassifier(**params).fit(X, Y)
    tied = SharedConvClassifier(**params, tie_groups="tasks", tie_alpha=1.0)
    tied.fit(X, Y)
    assert [name for name in tied.parameter_names_ if "towers.2" in name] == [
        "head.towers.2.hidden.0.weight",
        "head.towers.2.hidden.0.bias",
        "head.towers.2.output.weight",
        "head.towers.2.output.bias",
    ]
    assert sum("conv" in name for name in tied.parameter_names_) == 4
    assert free.history_[-1]["tie_penalty"] == 0.0
    assert tied.history_[-1]["tie_penalty"] > 0.0
    proba = tied.predict_proba(X)
    assert [p.shape for p in proba] == [(len(X), 2), (len(X), 2), (len(X), 3)]
    assert tied.predict(X).shape == Y.shape

    def distance(est):  # between the first two towers' hidden layers
        params = dict(est.module_.named_parameters())
        a, b = (params[f"head.towers.{t}.hidden.0.weight"] for t in (0, 1))
        return (a - b).norm().item()

    assert distance(tied) < distance(free)
    with pytest.raises(ValueError, match="shared_layers"):
        SharedConvClassifier(**FAST_CONV, shared_layers=2).fit(X, Y)


def _rgb(X):
    """Three channels from 8 x 8 gray images, held channels last (n, 8, 8, 3)."""
    images = X.reshape(-1, 8, 8)
    return np.stack([images, images**2, 1 - images], axis=-1)


def test_channels_last_images_give_the_model_of_channels_first(small_digits):
    X, y = small_digits
    params = {**FAST_CONV, "max_iter": 3}
    gray = X.reshape(-1, 8, 8, 1)  # as NumPy, PIL and Keras hold images
    flat = SharedConvClassifier(**params).fit(X, y)
    last = SharedConvClassifier(**params, data_format="channels_last").fit(gray, y)
    assert last.image_shape_ == flat.image_shape_ == (1, 8, 8)
    np.testing.assert_allclose(
        last.predict_proba(gray), flat.predict_proba(X), rtol=0, atol=1e-6
    )
    rgb = _rgb(X)
    first = SharedConvClassifier(**params).fit(rgb.transpose(0, 3, 1, 2), y)
    last = SharedConvClassifier(**params, data_format="channels_last").fit(rgb, y)
    assert last.image_shape_ == first.image_shape_ == (3, 8, 8)
    expected = first.predict_proba(rgb.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(last.predict_proba(rgb), expected, atol=1e-6)
    # the same images flattened channels last, described by image_shape
    rows = SharedConvClassifier(
        **params, data_format="channels_last", image_shape=(8, 8, 3)
    ).fit(rgb.reshape(len(rgb), -1), y)
    assert rows.image_shape_ == (3, 8, 8)
    proba = rows.predict_proba(rgb.reshape(len(rgb), -1))
    np.testing.assert_allclose(proba, expected, atol=1e-6)
    np.testing.assert_allclose(rows.predict_proba(rgb), expected, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 3])
def test_images_that_look_channels_last_are_never_guessed(
    channels, small_digits, forbid_training
):
    X, y = small_digits
    images = _rgb(X)[..., :channels]
    est = SharedConvClassifier(**FAST_CONV)
    with pytest.raises(ValueError, match=r"data_format='channels_last'") as error:
        est.fit(images, y)
    assert f"(n_samples, 8, 8, {channels})" in str(error.value)
    assert not hasattr(est, "net_")
    est = SharedConvClassifier(**FAST_CONV, image_shape=(8, 8, channels))
    with pytest.raises(ValueError, match=r"image_shape=\(8, 8, .*data_format"):
        est.fit(images.reshape(len(y), -1), y)


def test_channels_first_said_explicitly_is_taken_as_said(small_digits):
    X, y = small_digits
    params = {**FAST_CONV, "max_iter": 1, "data_format": "channels_first"}
    est = SharedConvClassifier(**params).fit(X.reshape(-1, 8, 8, 1), y)
    assert est.image_shape_ == (8, 8, 1)  # eight channels of 8 x 1 images
    est = SharedConvClassifier(**params, image_shape=(16, 2, 2)).fit(X, y)
    assert est.image_shape_ == (16, 2, 2)


@pytest.mark.parametrize(
    ("params", "multilabel"),
    [
        ({}, False),
        ({"conv_channels": (4,), "hidden_layer_sizes": (8, 8)}, False),
        ({"shared_layers": 1, "share_weights": False}, True),
        ({"shared_layers": 0}, True),
    ],
)
def test_parameter_names_before_fitting_are_those_after(
    params, multilabel, small_digits
):
    X, y = small_digits
    if multilabel:
        y = np.column_stack([y % 2, y > 4, y == 0])
    est = SharedConvClassifier(**{**FAST_CONV, "max_iter": 1, **params})
    n_outputs = y.shape[1] if multilabel else 1
    names = est.parameter_names(n_outputs=n_outputs)
    assert not hasattr(est, "net_")  # no fit, no data, no image_shape
    assert names == est.fit(X, y).parameter_names_
    assert names == [name for name, _ in est.module_.named_parameters()]
