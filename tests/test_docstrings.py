"""The public docstrings parse as numpydoc.

numpydoc comes with the ``test`` extra (and the ``docs`` one); where it is
missing, these checks are skipped, and the skip says why.
"""

import pytest

numpydoc_validate = pytest.importorskip(
    "numpydoc.validate",
    reason="the docstring checks need numpydoc, which the test extra installs: "
    "python -m pip install -e '.[test]'",
)

# errors we do not enforce: summary/extended-summary style, See Also on methods,
# examples on every method
IGNORED = {"SA01", "EX01", "ES01", "GL08", "SA04", "RT02", "PR02", "GL02"}
CLASSIFIERS = ("RegularizedMLPClassifier", "SharedConvClassifier")
PUBLIC = (
    [
        f"sklreg.{cls}{method}"
        for cls in (*CLASSIFIERS, "RegularizedMLPRegressor")
        for method in ("", ".fit", ".partial_fit", ".predict")
    ]
    + [f"sklreg.{cls}.predict_proba" for cls in CLASSIFIERS]
    + [
        "sklreg.RegularizedMLPClassifier.predict_log_proba",
        "sklreg.RegularizedMLPClassifier.score",
        "sklreg.RegularizedMLPRegressor.parameter_names",
        "sklreg.SharedConvClassifier.parameter_names",
        "sklreg.plot_history",
    ]
)


@pytest.mark.parametrize("name", PUBLIC)
def test_numpydoc(name):
    errors = [
        e for e in numpydoc_validate.validate(name)["errors"] if e[0] not in IGNORED
    ]
    assert errors == []
