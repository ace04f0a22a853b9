"""Sphinx configuration of the sklreg documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` after
``pip install -e ".[docs]"``. The gallery runs every ``examples/plot_*.py``;
``SKLREG_EXAMPLES_QUICK=1`` makes them run on less data and fewer epochs.
"""

import torch
from threadpoolctl import threadpool_limits

import sklreg

# The gallery's networks are small: one thread trains them as fast as several,
# and keeps the build steady on a busy machine. NumPy's BLAS gets one thread
# too, so that every comparison the gallery publishes (sklreg against
# scikit-learn's MLPClassifier) gives both libraries the same threads.
torch.set_num_threads(1)
threadpool_limits(1)

project = "sklreg"
author = "the sklreg developers"
copyright = f"2026, {author}"
release = version = sklreg.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# -- Markdown -----------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- API reference ------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # the numpydoc sections give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Example gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklreg",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklreg": None},
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "min_reported_time": 1,
}

# -- HTML -----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklreg {version}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "quickstart": [], "changelog": []}
html_show_sourcelink = False


def skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Document the members sklreg defines, inherited ones included; those of
    scikit-learn (score, get_params, set_params, metadata routing) are
    documented by scikit-learn."""
    defined_in = getattr(getattr(obj, "fget", obj), "__module__", None) or ""
    return True if defined_in.split(".")[0] == "sklearn" else None


def setup(app):
    app.connect("autodoc-skip-member", skip_scikit_learn_members)
