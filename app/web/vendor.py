"""Plotly's stylesheet as a file, so that no inline style is needed.

Plotly.js injects its CSS rules into a <style> element at start-up, which a
Content-Security-Policy without 'unsafe-inline' blocks. Plotly skips that when
the page already has an element with id ``plotly.js-style-global`` and class
``no-inline-styles``; the page links this stylesheet under that id instead.
The rules are read from the very plotly.min.js the app serves.
"""

import functools
import os
import re

import plotly
from flask import Blueprint, Response

bp = Blueprint("vendor", __name__)

PLOTLY_JS = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")

# The rules object starts with its first selector; keys are double-quoted, values
# single- or double-quoted CSS declarations.
RULES_START = '{"X,X div":'
RULE = re.compile(r'"((?:[^"\\]|\\.)*)":(\'(?:[^\'\\]|\\.)*\'|"(?:[^"\\]|\\.)*")')


@functools.cache
def plotly_css():
    """Plotly's global CSS rules, in the order Plotly's own insertion leaves them."""
    with open(PLOTLY_JS, encoding="utf-8") as source:
        text = source.read()
    start = text.index(RULES_START)
    end = text.index("}", start)
    rules = []
    for selector, declarations in RULE.findall(text[start:end + 1]):
        selector = (selector.replace(",", " ,", 1) if selector.startswith(",") else selector)
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        rules.append(f"{selector}{{{declarations[1:-1]}}}")
    # Plotly inserts every rule at index 0, so the last one defined comes first.
    return "\n".join(reversed(rules)) + "\n"


@bp.get("/vendor/plotly.css")
def plotly_stylesheet():
    response = Response(plotly_css(), mimetype="text/css")
    response.cache_control.max_age = 7 * 24 * 3600
    response.cache_control.public = True
    return response
