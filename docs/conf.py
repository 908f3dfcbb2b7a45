"""Sphinx configuration for crmkit's documentation.

The build is nitpicky and offline: every cross-reference must resolve, and references to
Python, numpy, pandas and scipy resolve from the inventories stored in ``_inventories/``
(see the README there), never from the network.
"""

from __future__ import annotations

import sys
from importlib.metadata import version as _version
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE / "_ext"))

project = "crmkit"
author = "crmkit developers"
copyright = "2026, crmkit developers"
release = _version("crmkit")
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "myst_nb",
    # MathJax 3 bundled in the package (Apache-2.0) and copied into _static/mathjax, so
    # the maths renders without a network connection
    "sphinx-mathjax-offline",
    # crmkit's public API: canonical paths, alias resolution and a completeness check
    "crmkit_api",
    "crmkit_figures",
]

# The notebooks in notebooks/ (linked as docs/notebooks) are executed during the build,
# so the rendered pages always show the output of the current code.
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True

# -- cross-references --------------------------------------------------------------------
nitpicky = True
_INV = _HERE / "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", str(_INV / "python.inv")),
    "numpy": ("https://numpy.org/doc/stable/", str(_INV / "numpy.inv")),
    "pandas": ("https://pandas.pydata.org/docs/", str(_INV / "pandas.inv")),
    "scipy": ("https://docs.scipy.org/doc/scipy/", str(_INV / "scipy.inv")),
}
intersphinx_timeout = 1
# Written as plain text rather than links: no stored inventory covers them (matplotlib,
# hypothesis and dask are optional extras), or they are words of numpydoc's type
# vocabulary rather than objects.
nitpick_ignore = [
    ("py:class", "matplotlib.axes.Axes"),
    ("py:class", "Axes"),
    ("py:class", "matplotlib.figure.Figure"),
    ("py:class", "hypothesis.strategies.SearchStrategy"),
    ("py:class", "dask.dataframe.DataFrame"),
    ("py:func", "numpy_financial.irr"),
    ("py:func", "numpy_financial.npv"),
]
nitpick_ignore_regex = [
    # numpydoc's descriptive types ("array-like", "date-like", "callable", ...)
    (
        "py:class",
        r"(array[-_]like|date-like|datetime-like|timestamp-like|path-like|"
        r"callable|iterable|sequence|mapping|scalar|file-like)",
    ),
]

# -- autodoc -----------------------------------------------------------------------------
autosummary_generate = False
autodoc_default_options = {"show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_typehints_description_target = "documented_params"
autodoc_preserve_defaults = False
# the annotations are strings (from __future__ import annotations): show the aliases
# by name instead of numpy's expansion of them
autodoc_type_aliases = {
    "ArrayLike": "numpy.typing.ArrayLike",
    "NDArray": "numpy.typing.NDArray",
    "npt.ArrayLike": "numpy.typing.ArrayLike",
    "npt.NDArray": "numpy.typing.NDArray",
    "TimeUnit": "crmkit.timeunits.TimeUnit",
    "NegativePolicy": "crmkit.pareto.NegativePolicy",
}
python_use_unqualified_type_names = True
add_module_names = False
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = True
napoleon_type_aliases = {
    "pd.DataFrame": "pandas.DataFrame",
    "pd.Series": "pandas.Series",
    "pd.Timestamp": "pandas.Timestamp",
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "np.ndarray": "numpy.ndarray",
    "ndarray": "numpy.ndarray",
    "np.float64": "numpy.float64",
    "np.random.Generator": "numpy.random.Generator",
    "Generator": "numpy.random.Generator",
    "Axes": "matplotlib.axes.Axes",
    "datetime": "datetime.datetime",
    "date": "datetime.date",
    "Path": "pathlib.Path",
}

# -- HTML --------------------------------------------------------------------------------
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "notebooks/README.md", "_inventories"]
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_css_files = ["crmkit.css"]
html_title = f"crmkit {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
