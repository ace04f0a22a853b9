"""Sphinx configuration of the sklreg documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` after
``pip install -e ".[docs]"``. The gallery runs every ``examples/plot_*.py``;
``SKLREG_EXAMPLES_QUICK=1`` makes them run on less data and fewer epochs.
sphinx-gallery re-runs an example only when its source changed, so the
gallery remembers which of the two modes produced it and is generated anew
when the mode changes (see :func:`clear_gallery_of_other_mode`).
"""

import os
import re
import shutil
from pathlib import Path

import torch
from docutils import nodes
from sphinx.util import logging
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
#: File in the gallery's output folder naming the mode that produced it.
MODE_STAMP = ".examples-mode"


def examples_mode(environ=os.environ) -> str:
    """``'quick'`` when ``SKLREG_EXAMPLES_QUICK=1`` (as the examples read it),
    else ``'full'``."""
    return "quick" if environ.get("SKLREG_EXAMPLES_QUICK") == "1" else "full"


def clear_gallery_of_other_mode(gallery_dir: Path, mode: str) -> bool:
    """Delete the generated gallery when another mode (or an unknown one)
    produced it; then record ``mode``. Returns whether it was deleted.

    sphinx-gallery skips an example whose source has the MD5 recorded at its
    last run, whatever ``SKLREG_EXAMPLES_QUICK`` said then: without this, a
    full build after a quick one would publish the quick figures and numbers.
    """
    gallery_dir = Path(gallery_dir)
    stamp = gallery_dir / MODE_STAMP
    stale = gallery_dir.exists() and (
        not stamp.is_file() or stamp.read_text().strip() != mode
    )
    if stale:
        shutil.rmtree(gallery_dir)
    gallery_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(mode + "\n")
    return stale


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

#: Gallery thumbnails, as sphinx-gallery names them.
THUMBNAIL = re.compile(r"images/thumb/sphx_glr_(\w+)_thumb\.\w+$")


def thumbnail_alt(uri: str, examples_dir: Path) -> str | None:
    """Alt text of a gallery thumbnail (None for another image): the title
    of its example. sphinx-gallery leaves a thumbnail's alt text empty."""
    match = THUMBNAIL.search(uri)
    if match is None:
        return None
    script = examples_dir / f"{match.group(1)}.py"
    title = script.read_text().split('"""')[1].strip().splitlines()[0]
    return f"Figure of the example: {title}"


def add_thumbnail_alt(app, doctree, docname):
    examples_dir = Path(app.srcdir) / sphinx_gallery_conf["examples_dirs"]
    for image in doctree.findall(nodes.image):
        alt = thumbnail_alt(image["uri"], examples_dir)
        if alt is not None and not image.get("alt"):
            image["alt"] = alt


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
    app.connect("doctree-resolved", add_thumbnail_alt)
    mode = examples_mode()
    gallery_dir = Path(app.srcdir) / sphinx_gallery_conf["gallery_dirs"]
    if clear_gallery_of_other_mode(gallery_dir, mode):
        logging.getLogger(__name__).info(
            f"sklreg: the example gallery was not built in {mode} mode; "
            "running every example anew"
        )
