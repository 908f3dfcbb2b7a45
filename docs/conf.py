"""Sphinx configuration for crmkit's documentation."""

from __future__ import annotations

from importlib.metadata import version as _version

project = "crmkit"
author = "crmkit developers"
copyright = "2026, crmkit developers"
release = _version("crmkit")
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "myst_nb",
]

# The notebooks in notebooks/ (linked as docs/notebooks) are executed during the build,
# so the rendered pages always show the output of the current code.
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True

autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = False
nitpicky = False

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "notebooks/README.md"]
html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["crmkit.css"]
html_title = f"crmkit {release}"
html_theme_options = {
    "description": "Customer relationship management analytics for scientific Python",
    "fixed_sidebar": True,
}
