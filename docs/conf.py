"""Sphinx configuration for twiliorm's documentation (``sphinx-build -W -b html docs out``)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

import twiliorm  # noqa: E402

project = "twiliorm"
author = "The twiliorm authors"
copyright = "the twiliorm authors"
version = release = twiliorm.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode", "twiliorm_docs"]
exclude_patterns = ["_build", "seed"]
templates_path: list[str] = []

# The code's type hints stay in the signatures; the reference pages read the docstrings.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}
add_module_names = False
python_use_unqualified_type_names = True

html_theme = "alabaster"
html_title = f"twiliorm {release}"
html_theme_options = {
    "description": "Twilio's REST API 2010-04-01 as Django-style models, with a local sandbox.",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_static_path: list[str] = []
