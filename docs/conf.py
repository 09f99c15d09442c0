# The K-Means Stepper's documentation: Sphinx with MyST Markdown, the stack course
# pages are built with (Jupyter Book 1 is Sphinx), so this site is also the embed's
# first host. Built in the suite with `sphinx-build -W -b html docs <out>` (tests/system/test_docs.py).
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS / "_ext"), str(DOCS.parent)]  # the extension, and the app it reads

project = "K-Means Stepper"
extensions = ["myst_parser", "kmeans_docs"]
exclude_patterns = ["_build"]
myst_heading_anchors = 3  # links to a section as [words](page.md#its-title)
# The default theme serves its stylesheets and scripts from the built site: nothing
# comes from a CDN, so the site reads offline, like the app.
html_theme = "alabaster"
html_theme_options = {"description": "Lloyd's algorithm, one step at a time",
                      "fixed_sidebar": True}
html_static_path = []
