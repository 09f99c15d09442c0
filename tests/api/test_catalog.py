"""One catalog for the page: data sets, start methods and limits sent once, in the
teaching file's words, and no copy of them in the page's scripts or templates."""

import re

import pytest

from app import create_app
from app.core import datasets, engine
from app.core.analysis import SEEDED_INITS
from app.core.session import PHASES
from app.web.catalog import teaching
from services import REPO

FRONT_END = sorted((REPO / "static" / "js").glob("*.js")) + sorted((REPO / "templates").glob("*.html"))


def test_the_catalog_sends_every_data_set_start_method_and_limit(client, app):
    catalog = client.get("/api/catalog").get_json()
    assert [entry["name"] for entry in catalog["datasets"]] == list(datasets.CATALOG)
    assert client.get("/api/datasets").get_json()["datasets"] == catalog["datasets"]
    starts = {start["name"]: start for start in catalog["starts"]}
    assert set(starts) == set(engine.INIT_METHODS)
    assert [name for name, start in starts.items() if start["seeded"]] == [
        name for name in starts if name in SEEDED_INITS]
    assert [start["name"] for start in catalog["starts"] if start["default"]] == ["kmeans++"]
    for start in catalog["starts"]:
        assert start["title"] and start["next"] and start["starts"], start["name"]
    limits = catalog["limits"]
    assert limits["k"]["maximum"] == app.config["MAX_K"]
    assert limits["points"]["maximum"] == app.config["MAX_POINTS"]
    assert limits["speed"]["maximum"] == app.config["MAX_SPEED"]
    assert limits["restarts"] == {"minimum": 1, "maximum": 50, "default": 10}
    assert all(exercise["dataset"] in datasets.CATALOG for exercise in catalog["exercises"])


def test_the_algorithm_panel_has_a_line_for_every_step_that_a_phase_names(client):
    catalog = client.get("/api/catalog").get_json()
    assert catalog["phases"] == PHASES
    steps = {line["step"] for line in catalog["algorithm"]["lines"] if "step" in line}
    named = {place[side] for place in PHASES.values() for side in ("taken", "next")} - {None}
    assert named | {"converged"} == steps
    assert sum("{start}" in line["text"] for line in catalog["algorithm"]["lines"]) == 1
    assert all(start["line"] for start in catalog["starts"])


def test_the_limits_come_from_the_apps_config():
    client = create_app({"TESTING": True, "MAX_K": 7, "MAX_POINTS": 300,
                         "MAX_SPEED": 5}).test_client()
    catalog = client.get("/api/catalog").get_json()
    assert catalog["limits"]["k"]["maximum"] == 7
    assert catalog["limits"]["speed"]["maximum"] == 5
    blobs = next(entry for entry in catalog["datasets"] if entry["name"] == "blobs")
    assert blobs["params"]["n_samples"]["maximum"] == 300
    page = client.get("/embed?speed=5&controls=speed").get_data(as_text=True)
    assert 'id="speed" min="1" max="5"' in page
    refused = client.get("/embed?speed=6")
    assert refused.status_code == 400
    assert "speed=6 should be between 1 and 5" in refused.get_data(as_text=True)


def test_every_parameter_has_a_label_and_help_from_the_teaching_file(client):
    words = teaching()
    for entry in client.get("/api/catalog").get_json()["datasets"]:
        said = words["datasets"][entry["name"]]
        assert (entry["title"], entry["description"], entry["look_for"]) == (
            said["title"], said["description"], said["look_for"])
        for key, spec in entry["params"].items():
            assert spec["label"] == words["params"][key]["label"], key
            assert spec["help"] == words["params"][key]["help"], key
            assert {"type", "default"} <= set(spec)


@pytest.mark.parametrize("components, is_space", [(2, True), (10, False), (None, False)])
def test_the_view_is_the_clustering_space_by_the_parameters_not_by_the_data_sets_name(
        client, api, components, is_space):
    catalog = client.get("/api/catalog").get_json()
    mnist = next(entry for entry in catalog["datasets"] if entry["name"] == "mnist")
    rule = mnist["view_is_space_when"]
    assert all({"pca_components": components}.get(key) == value
               for key, value in rule.items()) is is_space
    created = api.create({"name": "mnist", "pca_components": components}, k=3)
    assert created["view_is_space"] is is_space
    planar = next(entry for entry in catalog["datasets"] if entry["name"] == "blobs")
    assert planar["view_is_space_when"] == {}


def test_true_labels_come_as_class_indices_with_their_names(api):
    created = api.create({"name": "custom", "points": [[0, 0], [1, 0], [5, 5], [6, 5], [9, 9]],
                          "labels": [7, 7, 3, 3, 12]}, k=2)
    assert created["truth_names"] == ["3", "7", "12"]
    assert created["truth"] == [1, 1, 0, 0, 2]
    blobs = api.create({"name": "blobs", "centers": 3}, k=2)
    assert blobs["truth_names"] == ["blob 0", "blob 1", "blob 2"]
    assert sorted(set(blobs["truth"])) == [0, 1, 2]


def _catalog_names():
    catalog = create_app({"TESTING": True}).test_client().get("/api/catalog").get_json()
    starts = [start["name"] for start in catalog["starts"]]
    params = sorted({key for entry in catalog["datasets"] for key in entry["params"]})
    return catalog, starts, params


def _code(path):
    """The file's text without its comments: what a comment names is no copy."""
    text = path.read_text()
    if path.suffix == ".js":
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        return re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", text)
    return re.sub(r"\{#.*?#\}", "", text, flags=re.S)


# Words that are not the parameter: the API's error messages name the state's field
# n_samples, which plainWords puts in a student's words.
SERVER_WORDS = {("static/js/messages.js", "n_samples")}


def test_no_start_method_or_parameter_is_written_by_hand_in_the_page():
    _, starts, params = _catalog_names()
    found = []
    for path in FRONT_END:
        code = _code(path)
        for name in starts + params:
            quoted = re.escape(name)
            # 'name', "name" or `name` as a literal, or name: as an object's key
            pattern = rf"""(['"`]){quoted}\1|(?<![\w.$-]){quoted}\s*:(?!:)"""
            if name in params:
                # settings.dataset.name, but not the state's own fields (n_samples)
                pattern += rf"|(?<!state)\.{quoted}\b"
            for match in re.finditer(pattern, code):
                if (str(path.relative_to(REPO)), name) in SERVER_WORDS:
                    continue
                line = code[:match.start()].count("\n") + 1
                found.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert found == []


def test_no_limit_is_written_by_hand_in_the_page():
    """Limits would be written as an input's bounds, a constant, or a number in a sentence."""
    catalog, _, _ = _catalog_names()
    values = {value for limit in catalog["limits"].values() for value in limit.values()
              if isinstance(value, int) and value > 1}
    found = []
    for path in FRONT_END:
        code = _code(path)
        if path.suffix == ".html":
            code = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", code)
            written = [match.group(0) for match in
                       re.finditer(r"""\b(min|max|value)=["']?\d+""", code)]
            sentences = re.findall(r">([^<]+)<", code)
        else:
            written = [match.group(0) for match in re.finditer(
                r"""\bconst [A-Z_]+ = (\d+)(?![\w.])|\.(min|max|value)\s*=\s*['"]?(\d+)""", code)
                if int(match.group(1) or match.group(3)) in values]
            sentences = [match.group(2) for match in
                         re.finditer(r"""(['"`])((?:(?!\1).)*)\1""", code)]
        written += [f"{value} in {sentence.strip()!r}" for sentence in sentences
                    for value in values if re.search(rf"(?<![\w.]){value}(?![\w.])", sentence)]
        found += [f"{path.relative_to(REPO)}: {text}" for text in written]
    assert found == []
