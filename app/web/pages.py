"""The pages a student opens, and Plotly.js served from the plotly package (no CDN)."""

import os

import plotly
from flask import Blueprint, render_template, send_from_directory

from app.web.catalog import teaching

bp = Blueprint("pages", __name__)

PLOTLY_DIR = os.path.join(os.path.dirname(plotly.__file__), "package_data")


@bp.get("/")
def index():
    return stepper_page()


def stepper_page():
    """The stepper, here and where a student follows a class (live.join)."""
    return render_template("index.html", pick_button=teaching()["picks"]["button"])


@bp.get("/vendor/plotly.min.js")
def plotly_js():
    return send_from_directory(PLOTLY_DIR, "plotly.min.js", max_age=7 * 24 * 3600)
