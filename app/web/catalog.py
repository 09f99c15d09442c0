"""What the page needs to know, sent once: the data sets with their parameters,
the start methods, the limits, and Lloyd's algorithm as the panel beside the
plot shows it (its lines, and the phases of a run that light them).

The facts come from the core (each parameter's type, range and default; the
start methods) and from the app's config (the limits); the words a student
reads come from the teaching file, ``app/teaching.toml``. The page and the embed
build their forms from this and hold no copy of it.
"""

import functools
import tomllib
from pathlib import Path

from app.core import datasets, engine
from app.core.analysis import SEEDED_INITS
from app.core.session import PHASES

TEACHING_FILE = Path(__file__).resolve().parent.parent / "teaching.toml"

DEFAULT_K = 4
DEFAULT_INIT = "kmeans++"
DEFAULT_SEED = 0
DEFAULT_SPEED = 4  # steps a second, for Run
MIN_SPEED = 1
# The embed's frame (?controls=, ?panel=): the toolbar's buttons, in its order, and
# the panels beside the plot.
CONTROLS = ("init", "pick", "assign", "update", "step", "run", "back", "reset", "speed")
DEFAULT_CONTROLS = ("step", "back", "reset", "run")
PANELS = ("algorithm",)
DEFAULT_K_MAX = 10  # the elbow's largest k, unless asked
DEFAULT_RESTARTS = 10
MAX_RESTARTS = 50


@functools.cache
def teaching():
    """The teaching file's words: data sets, parameters, start methods and steps."""
    with TEACHING_FILE.open("rb") as file:
        return tomllib.load(file)


def catalog(config):
    """Everything the page builds its form from, for an app with this ``config``."""
    words = teaching()
    return {
        "datasets": dataset_entries(config["MAX_POINTS"]),
        "starts": start_entries(),
        "limits": limits(config),
        "exercises": [{"params": {}, **exercise} for exercise in words["exercises"]],
        "explanations": words["explanations"],
        **algorithm(),
    }


def algorithm():
    """The algorithm panel's words, and each phase's step just taken and step due next."""
    return {"algorithm": teaching()["algorithm"], "phases": PHASES}


def dataset_entries(max_points):
    """Every data set with its parameters: the core's facts and the teaching file's words."""
    words = teaching()
    entries = []
    for name, entry in datasets.CATALOG.items():
        said = words["datasets"][name]
        entries.append({
            "name": name,
            "title": said["title"],
            "description": said["description"],
            "look_for": said["look_for"],
            "params": {key: _param(key, spec, words["params"][key], max_points)
                       for key, spec in entry["params"].items()},
            "view_is_space_when": entry.get("view_is_space_if", {}),
            "has_truth": entry.get("truth", True),
            "images": entry.get("images", False),
            # The true class that is no cluster (the mouse's noise), and the words for
            # a true class ("digit", "digits") where the data set has its own.
            "noise_class": entry.get("noise_class"),
            "classes": said.get("classes"),
            "axes": said.get("axes"),  # the plot's axis titles, where not x and y
        })
        if name == "custom":
            entries[-1]["custom_body"] = {
                "points": "array of [x, y] pairs, or of rows of up to "
                          f"{datasets.MAX_FEATURES} numbers (drawn through PCA)",
                "labels": "optional array of integer labels, one per point"}
    return entries


def _param(key, spec, said, max_points):
    shown = {**spec, "label": said["label"], "help": said["help"],
             "description": said["help"]}
    if spec.get("role") == "points":
        shown["maximum"] = max_points
    for extra in ("slider", "empty"):
        if extra in said:
            shown[extra] = said[extra]
    return shown


def start_entries():
    """The start methods in the order the form offers them, with their words."""
    words = teaching()["starts"]
    return [{
        "name": name,
        "title": said["title"],
        "starts": said["starts"],
        "next": said["next"],
        "line": said["line"],
        "seeded": name in SEEDED_INITS,
        "picks": name in engine.PICKED_ONE_AT_A_TIME,
        "default": name == DEFAULT_INIT,
    } for name, said in words.items() if name in engine.INIT_METHODS]


def limits(config):
    """The bounds and defaults of what the student sets, from the app's config."""
    return {
        "k": {"minimum": 1, "maximum": config["MAX_K"], "default": DEFAULT_K},
        "seed": {"minimum": 0, "maximum": datasets.SEED_MAX, "default": DEFAULT_SEED},
        "points": {"maximum": config["MAX_POINTS"]},
        "speed": {"minimum": MIN_SPEED, "maximum": config["MAX_SPEED"], "default": DEFAULT_SPEED},
        "max_iter": {"minimum": 0, "maximum": config["MAX_ITER"],
                     "default": config["DEFAULT_MAX_ITER"]},
        "restarts": {"minimum": 1, "maximum": MAX_RESTARTS, "default": DEFAULT_RESTARTS},
        "elbow_k_max": {"minimum": 1, "maximum": config["MAX_K"],
                        "default": DEFAULT_K_MAX},
    }
