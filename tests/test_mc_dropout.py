"""Monte-Carlo dropout prediction (``mc_samples``) through the public API."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklreg._training._predict as predict_module
from sklreg import RegularizedMLPClassifier, RegularizedMLPRegressor
from sklreg.nn import Dropout, mc_dropout

from .helpers import fast, mc_generator

MC = dict(
    hidden_layer_sizes=(16, 8),
    dropout=[0.3, 0.2],
    input_dropout=0.1,
    learning_rate_init=1e-2,
    max_iter=20,
    random_state=0,
)


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(n_samples=150, n_features=5, noise=5.0, random_state=0)
    return X, y / y.std()


@pytest.fixture(scope="module")
def clf_data():
    return make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=0
    )


@pytest.fixture(scope="module")
def fitted_reg(reg_data):
    X, y = reg_data
    return RegularizedMLPRegressor(**MC, mc_samples=10).fit(X, y)


def reference_mc(est, X, link=lambda out: out):
    """The k thinned networks one at a time, their masks drawn as documented:
    from ``random_state``'s Monte-Carlo seed, one (k, units) draw per active
    dropout layer in the order the layers run."""
    module, k = est.module_, est.mc_samples
    generator = mc_generator(est)
    dtype = next(module.parameters()).dtype
    masks = []
    for layer, units in [
        (module.input_drop, module.hidden[0].in_features),
        *(
            (drop, lin.out_features)
            for drop, lin in zip(module.hidden_drop, module.hidden, strict=True)
        ),
    ]:
        if layer.rate:
            keep = 1 - layer.rate
            mask = torch.empty((k, units)).bernoulli_(keep, generator=generator)
            masks.append(mask.div_(keep).to(dtype))
        else:
            masks.append(None)
    act = module._activation_fn
    outputs = []
    with torch.no_grad():
        X = torch.as_tensor(X, dtype=dtype)
        for j in range(k):
            h = X if masks[0] is None else X * masks[0][j]
            for i, layer in enumerate(module.hidden):
                h = act(layer(h))
                if masks[i + 1] is not None:
                    h = h * masks[i + 1][j]
            outputs.append(link(module.output(h)))
    stacked = torch.stack(outputs)
    return stacked.mean(0).numpy(), stacked.std(0, correction=0).numpy()


def test_matches_the_thinned_networks_one_at_a_time(fitted_reg, reg_data):
    X, _ = reg_data
    mean, std = fitted_reg.predict(X, return_std=True)
    ref_mean, ref_std = reference_mc(fitted_reg, X)
    np.testing.assert_allclose(mean, ref_mean[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(std, ref_std[:, 0], rtol=1e-8, atol=1e-12)


def test_classifiers_average_probabilities_not_logits(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**MC, mc_samples=8).fit(X, y)
    proba = est.predict_proba(X)
    expected, _ = reference_mc(est, X, link=lambda out: torch.softmax(out, dim=-1))
    np.testing.assert_allclose(proba, expected, rtol=1e-10, atol=1e-12)
    from_logits, _ = reference_mc(est, X)
    assert not np.allclose(proba, torch.softmax(torch.as_tensor(from_logits), -1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(1)])


def test_binary_classifier_averages_both_columns(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**MC, mc_samples=8).fit(X, y % 2)
    proba = est.predict_proba(X)
    expected, _ = reference_mc(est, X, link=torch.sigmoid)
    np.testing.assert_allclose(proba[:, 1], expected[:, 0], rtol=1e-10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_reproducible_across_calls_and_fits(fitted_reg, reg_data):
    X, y = reg_data
    first = fitted_reg.predict(X)
    np.testing.assert_array_equal(fitted_reg.predict(X), first)
    refitted = clone(fitted_reg).fit(X, y)
    np.testing.assert_array_equal(refitted.predict(X), first)
    other = clone(fitted_reg).set_params(random_state=1).fit(X, y)
    assert not np.allclose(other.predict(X), first)
    # the Monte-Carlo masks follow random_state: the same weights predict
    # otherwise with the masks of another random_state
    other.module_.load_state_dict(fitted_reg.module_.state_dict())
    other.set_params(mc_samples=0)
    np.testing.assert_array_equal(
        other.predict(X), fitted_reg.set_params(mc_samples=0).predict(X)
    )
    fitted_reg.set_params(mc_samples=10)
    other.set_params(mc_samples=10)
    assert not np.allclose(other.predict(X), first)


def test_a_rows_prediction_ignores_the_other_rows(fitted_reg, reg_data, monkeypatch):
    X, _ = reg_data
    full = fitted_reg.predict(X)
    alone = np.array([fitted_reg.predict(X[i : i + 1])[0] for i in range(5)])
    np.testing.assert_allclose(alone, full[:5], rtol=1e-12)
    order = np.random.RandomState(0).permutation(len(X))
    np.testing.assert_allclose(fitted_reg.predict(X[order]), full[order], rtol=1e-12)
    # more rows than one Monte-Carlo chunk: 7 rows per pass here
    monkeypatch.setattr(predict_module, "MC_BUDGET", 10 * 16 * 7)
    np.testing.assert_allclose(fitted_reg.predict(X), full, rtol=1e-12)


def test_the_chunk_keeps_memory_bounded(fitted_reg, reg_data, monkeypatch):
    X, _ = reg_data
    sizes = []
    original = fitted_reg.module_.forward

    def spy(X_chunk, *args, **kwargs):
        sizes.append(len(X_chunk))
        return original(X_chunk, *args, **kwargs)

    monkeypatch.setattr(fitted_reg.module_, "forward", spy)
    monkeypatch.setattr(predict_module, "MC_BUDGET", 10 * 16 * 30)
    fitted_reg.predict(X)
    width = fitted_reg.module_.width
    assert width == 16 and max(sizes) * 10 * width <= 10 * 16 * 30
    assert sum(sizes) == len(X)


def test_masks_are_shared_by_every_row(reg_data):
    """With identity activations each thinned network is affine in X, so
    their mean is affine too; per-row masks would break this."""
    X, y = reg_data
    est = RegularizedMLPRegressor(**MC, activation="identity", mc_samples=6)
    est.fit(X, y)
    a, b = X[:20], X[20:40]
    mixed = est.predict(0.3 * a + 0.7 * b)
    np.testing.assert_allclose(
        mixed, 0.3 * est.predict(a) + 0.7 * est.predict(b), rtol=1e-9, atol=1e-9
    )


def test_differs_from_deterministic_only_with_dropout(reg_data):
    X, y = reg_data
    plain = RegularizedMLPRegressor(**fast(), random_state=0).fit(X, y)
    deterministic = plain.predict(X)
    plain.set_params(mc_samples=5)
    np.testing.assert_array_equal(plain.predict(X), deterministic)
    mean, std = plain.predict(X, return_std=True)
    np.testing.assert_array_equal(std, 0.0)
    for dropout, input_dropout in [([0.5, 0.0], 0.0), ([0.0, 0.5], 0.0), (0.0, 0.3)]:
        est = RegularizedMLPRegressor(
            **{**MC, "dropout": dropout, "input_dropout": input_dropout}
        ).fit(X, y)
        deterministic = est.predict(X)
        est.set_params(mc_samples=5)
        assert not np.allclose(est.predict(X), deterministic), (dropout, input_dropout)


def test_std_shapes_sign_and_scale(reg_data):
    X, y = reg_data
    Y = np.c_[y, 2 * y]
    est = RegularizedMLPRegressor(**MC, mc_samples=30).fit(X, Y)
    mean, std = est.predict(X, return_std=True)
    assert mean.shape == std.shape == (len(X), 2)
    assert (std > 0).all()
    # the spread of the thinned networks is that of their outputs
    _, ref_std = reference_mc(est, X)
    np.testing.assert_allclose(std, ref_std, rtol=1e-8)
    single = RegularizedMLPRegressor(**MC, mc_samples=30).fit(X, y)
    m1, s1 = single.predict(X, return_std=True)
    assert m1.shape == s1.shape == (len(X),)
    single.set_params(mc_samples=1)
    np.testing.assert_array_equal(single.predict(X, return_std=True)[1], 0.0)
    single.set_params(mc_samples=0)
    np.testing.assert_array_equal(single.predict(X, return_std=True)[1], 0.0)


def test_higher_dropout_gives_wider_spread(reg_data):
    X, y = reg_data
    spreads = []
    for rate in (0.05, 0.5):
        est = RegularizedMLPRegressor(
            **{**MC, "dropout": rate, "input_dropout": 0.0}, mc_samples=30
        ).fit(X, y)
        spreads.append(est.predict(X, return_std=True)[1].mean())
    assert spreads[1] > 1.5 * spreads[0]


@pytest.mark.parametrize("bad", [-1, 2.5, "many"])
def test_invalid_mc_samples_is_a_clear_error(fitted_reg, reg_data, bad):
    X, _ = reg_data
    est = pickle.loads(pickle.dumps(fitted_reg)).set_params(mc_samples=bad)
    with pytest.raises((ValueError, TypeError), match="mc_samples"):
        est.predict(X)
    with pytest.raises((ValueError, TypeError), match="mc_samples"):
        clone(est).fit(*reg_data)


def test_changing_mc_samples_needs_no_refit(reg_data):
    X, y = reg_data
    est = RegularizedMLPRegressor(**MC).fit(X, y)
    net, n_iter = est.net_, est.n_iter_
    deterministic = est.predict(X)
    est.set_params(mc_samples=10)
    mc = est.predict(X)
    assert est.net_ is net and est.n_iter_ == n_iter
    assert not np.allclose(mc, deterministic)
    est.set_params(mc_samples=0)
    np.testing.assert_array_equal(est.predict(X), deterministic)


def test_mc_samples_in_clone_grid_search_and_pickle(clf_data):
    X, y = clf_data
    est = RegularizedMLPClassifier(**fast(max_iter=10), dropout=0.3, random_state=0)
    assert clone(est.set_params(mc_samples=4)).mc_samples == 4
    search = GridSearchCV(est, {"mc_samples": [0, 8]}, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(set(scores)) == 2
    for k, score in zip((0, 8), scores, strict=True):  # each candidate's own k
        assert (
            cross_val_score(clone(est).set_params(mc_samples=k), X, y, cv=2).mean()
            == score
        )
    fitted = est.fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.mc_samples == 4
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))


def test_return_std_through_a_pipeline(reg_data):
    X, y = reg_data
    pipe = make_pipeline(StandardScaler(), RegularizedMLPRegressor(**MC, mc_samples=5))
    pipe.fit(X, y)
    mean, std = pipe.predict(X, return_std=True)
    Xs = pipe[0].transform(X)
    np.testing.assert_array_equal(mean, pipe[-1].predict(Xs))
    np.testing.assert_array_equal(std, pipe[-1].predict(Xs, return_std=True)[1])


def test_transformed_target_regressor_cannot_return_std(reg_data):
    """Documented: TransformedTargetRegressor inverse-transforms the
    prediction and does not know what to do with a (mean, std) pair."""
    X, y = reg_data
    ttr = TransformedTargetRegressor(
        RegularizedMLPRegressor(**MC, mc_samples=5), transformer=StandardScaler()
    ).fit(X, y * 100)
    assert ttr.predict(X).shape == (len(X),)
    with pytest.raises((AttributeError, TypeError, ValueError)):
        ttr.predict(X, return_std=True)
    # the documented recipe: the std of the inner regressor, in target units
    _, std = ttr.regressor_.predict(X, return_std=True)
    assert (std * ttr.transformer_.scale_[0] > 0).all()


def test_mc_dropout_context_on_a_bare_torch_module():
    """The torch side alone: k masks shared by every row, drawn once."""
    layer = Dropout(0.5)
    x = torch.ones(4, 6)
    generator = torch.Generator().manual_seed(0)
    with mc_dropout(layer, 3, generator):
        first, second = layer(x), layer(x)
    assert first.shape == (3, 4, 6)
    torch.testing.assert_close(first, second)  # the same masks for every pass
    assert (first == first[:, :1]).all()  # shared by every row
    assert set(first.unique().tolist()) <= {0.0, 2.0}
    assert layer._mc is None and layer._mc_mask is None  # released
    assert torch.equal(layer.eval()(x), x)  # evaluation without masks: identity


def test_folded_first_dropout_layer_equals_masking_the_input():
    """The first dropout layer folds its masks into the next weights; the
    result is that of masking k copies of the input."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(6, 4).double()
    drop = Dropout(0.4)
    x = torch.randn(9, 6, dtype=torch.float64)
    with mc_dropout(drop, 5, torch.Generator().manual_seed(0)):
        folded = drop.mc_linear(x, layer)
        explicit = layer(drop(x))  # the same masks, applied to the input
    assert folded.shape == explicit.shape == (5, 9, 4)
    torch.testing.assert_close(folded, explicit, rtol=1e-12, atol=1e-12)
    drop.train()
    torch.manual_seed(1)
    trained = drop.mc_linear(x, layer)
    torch.manual_seed(1)
    torch.testing.assert_close(trained, layer(drop(x)))  # training: unchanged
