"""/embed: the query checked once, the settings handed to the page, and the headers that let it be framed."""

import html
import json
import re

import pytest

from app import create_app

OPTIONS = re.compile(r"data-options='([^']*)'")
ALERT = re.compile(r'role="alert">([^<]*)<')


def options_of(response):
    match = OPTIONS.search(response.get_data(as_text=True))
    return json.loads(match.group(1)) if match else None


def alert_of(response):
    return ALERT.search(response.get_data(as_text=True)).group(1)


def test_the_query_becomes_the_settings_of_the_run(client):
    response = client.get("/embed?dataset=mouse&random_state=7&k=3&init=random&seed=1")
    assert response.status_code == 200
    assert options_of(response) == {
        "settings": {"dataset": {"name": "mouse", "random_state": 7}, "k": 3, "init": "random",
                     "seed": 1},
        "custom": None,
        "centroids": None,
        "controls": ["step", "back", "reset", "run"],
        "autoplay": False,
        "speed": 4,
        "panel": None,
    }
    assert "<title>K-Means Stepper: Mickey Mouse, k = 3</title>" in response.get_data(as_text=True)


def test_data_set_parameters_are_typed_by_the_catalog(client):
    response = client.get("/embed?dataset=blobs&n_samples=300&cluster_std=1.5&scale_x=100"
                          "&standardize=true&k=5")
    assert options_of(response)["settings"]["dataset"] == {
        "name": "blobs", "n_samples": 300, "cluster_std": 1.5, "scale_x": 100.0, "standardize": True}
    mnist = options_of(client.get("/embed?dataset=mnist&pca_components=&k=10"))
    assert mnist["settings"]["dataset"] == {"name": "mnist", "pca_components": None}


def test_custom_points_labels_and_manual_centroids_come_from_the_query(client):
    response = client.get("/embed?dataset=custom&points=0,0,0.5,1,10,10,10.25,-1e-3&labels=0,0,1,1"
                          "&k=2&init=manual&centroids=1,1,9,9")
    options = options_of(response)
    assert options["custom"] == {"points": [[0, 0], [0.5, 1], [10, 10], [10.25, -0.001]],
                                 "labels": [0, 0, 1, 1]}
    assert options["centroids"] == [[1, 1], [9, 9]]


def test_the_page_gets_the_catalogs_entry_of_its_data_set_with_the_plots_axis_titles(client):
    page = client.get("/embed?dataset=mnist&k=10").get_data(as_text=True)
    catalog = json.loads(re.search(r"data-catalog='([^']*)'", page).group(1))
    [entry] = catalog["datasets"]
    assert entry["name"] == "mnist" and len(entry["axes"]) == 2


def test_controls_autoplay_and_speed(client):
    options = options_of(client.get("/embed?controls=run,step,speed&autoplay=1&speed=9"))
    assert options["controls"] == ["step", "run", "speed"]  # in the toolbar's order
    assert options["autoplay"] is True and options["speed"] == 9
    page = client.get("/embed?controls=run,step").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', page) == ["step", "run"]
    bare = client.get("/embed?controls=")
    assert options_of(bare)["controls"] == [] and "data-action" not in bare.get_data(as_text=True)


def test_panel_algorithm_puts_the_algorithm_and_its_notation_beside_the_plot(client):
    response = client.get("/embed?dataset=mouse&panel=algorithm")
    page = response.get_data(as_text=True)
    assert options_of(response)["panel"] == "algorithm"
    assert page.count('id="algorithm"') == 1 and page.count("<math ") == 3
    # The page's script gets the algorithm's words and the phases that light its lines.
    catalog = json.loads(re.search(r"data-catalog='([^']*)'", page).group(1))
    assert catalog["algorithm"]["lines"] and set(catalog["phases"]) >= {"new", "assigned"}
    assert all(start["line"] for start in catalog["starts"])
    for query in ("dataset=mouse", "dataset=mouse&panel="):
        without = client.get(f"/embed?{query}")
        assert options_of(without)["panel"] is None
        assert 'id="algorithm"' not in without.get_data(as_text=True)
    # The full page it links to always has the panel: panel is the embed's own.
    assert 'href="/?dataset=mouse"' in page


@pytest.mark.parametrize("query, message", [
    ("dataset=nope", 'dataset="nope" is not one of'),
    ("k=three", 'k must be an integer, got "three"'),
    ("k=0", "k=0 should be between 1 and 50"),
    ("init=best", 'init="best" is not one of'),
    ("seed=-1", "seed=-1 should be between 0 and 4294967295"),
    ("dataset=blobs&n_samples=2.5", "n_samples must be an integer, got 2.5"),
    ("dataset=blobs&cluster_std=nan", 'cluster_std must be a number, got "nan"'),
    ("dataset=blobs&standardize=yes", 'standardize must be true or false, got "yes"'),
    ("dataset=mouse&n_samples=10", "unknown parameter 'n_samples'; data set 'mouse' takes ['random_state']"),
    ("dataset=custom", "dataset=custom needs its points"),
    ("dataset=custom&points=1,2,3", "points must be x,y pairs"),
    ("dataset=custom&points=1,2,x,4", 'points[1] must hold two numbers'),
    ("dataset=custom&points=1,2,3,4&labels=0", "labels has 1 values for 2 points"),
    ("dataset=custom&points=1,2,3,4&labels=0,-1", "labels[1]=-1 should be between 0 and 999"),
    ("dataset=blobs&points=1,2", "points go only with dataset=custom"),
    ("centroids=1,2", "centroids go only with init=manual"),
    ("k=2&init=manual&centroids=1,2", "send exactly 2 centroids, one per cluster; got 1"),
    ("controls=step,jump", 'controls="jump" is not one of'),
    ("autoplay=yes", "autoplay must be 1 or 0"),
    ("speed=100", "speed=100 should be between 1 and 12"),
    ("panel=code", 'panel="code" is not one of'),
    ("panel=algorithm&panel=algorithm", "panel is given 2 times in the query; give it once"),
])
def test_a_bad_query_answers_400_with_a_page_saying_what_is_wrong(client, query, message):
    response = client.get(f"/embed?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    shown = alert_of(response).replace("&#34;", '"').replace("&#39;", "'")
    assert shown.startswith("This link to the stepper cannot be opened: ")
    assert message in shown
    assert options_of(response) is None


def test_the_page_links_to_the_full_stepper_with_the_same_settings(client):
    page = client.get("/embed?dataset=mouse&k=3&init=random&seed=1&controls=step&autoplay=1")
    assert 'href="/?dataset=mouse&amp;k=3&amp;init=random&amp;seed=1"' in page.get_data(as_text=True)


def test_the_page_loads_only_its_own_scripts_and_no_inline_one(client):
    page = client.get("/embed?dataset=mouse").get_data(as_text=True)
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/vendor/plotly.min.js">', '<script type="module" src="/static/js/embed.js">']
    assert "style=" not in page


# --- Headers: framed by anyone, or by the configured origins -------------------------

def policy_of(response):
    policy = response.headers["Content-Security-Policy"]
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))


@pytest.mark.parametrize("query", ["dataset=mouse&k=3", "k=nope"])
def test_embed_may_be_framed_by_any_origin_by_default_and_sets_no_cookie(client, query):
    response = client.get(f"/embed?{query}")
    assert policy_of(response)["frame-ancestors"] == "*"
    assert policy_of(response)["script-src"] == "'self' 'unsafe-eval'"
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert 'data-frame-ancestors="*"' in response.get_data(as_text=True)


def test_configured_origins_frame_it_and_are_the_ones_its_commands_may_come_from():
    client = create_app({"TESTING": True,
                         "FRAME_ANCESTORS": "https://moodle.school.example,https://*.instructure.com"}
                        ).test_client()
    response = client.get("/embed?dataset=mouse")
    allowed = "'self' https://moodle.school.example https://*.instructure.com"
    assert policy_of(response)["frame-ancestors"] == allowed
    assert "X-Frame-Options" not in response.headers
    assert f'data-frame-ancestors="{allowed.replace(chr(39), "&#39;")}"' in response.get_data(as_text=True)


def test_frame_ancestors_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KMEANS_FRAME_ANCESTORS", "https://canvas.example")
    response = create_app({"TESTING": True}).test_client().get("/embed")
    assert policy_of(response)["frame-ancestors"] == "'self' https://canvas.example"


# --- /embed?session=ID: a run made through the API (a notebook's own data) ---------------

def test_a_session_made_through_the_api_is_shown_by_its_id_with_its_own_settings(client, api):
    rows = [[0, 0, 1], [0, 1, 0], [9, 9, 8], [9, 8, 9]]  # three coordinates: drawn through PCA
    made = api.create({"name": "custom", "points": rows, "labels": [0, 0, 1, 1]}, k=2,
                      init="random", seed=5)
    api.step(made["id"], "init")
    response = client.get(f"/embed?session={made['id']}&controls=step,run&speed=7&panel=algorithm")
    assert response.status_code == 200
    assert options_of(response) == {
        "session": made["id"],
        "settings": {"dataset": {"name": "custom", "n_points": 4}, "k": 2, "init": "random",
                     "seed": 5},
        "custom": None, "centroids": None,
        "controls": ["step", "run"], "autoplay": False, "speed": 7, "panel": "algorithm",
    }
    page = response.get_data(as_text=True)
    assert "<title>K-Means Stepper: Your own points, k = 2</title>" in page
    assert 'href="/?dataset=custom&amp;k=2&amp;init=random&amp;seed=5"' in page


def test_a_session_of_a_generated_data_set_links_the_full_page_with_its_settings(client, api):
    made = api.create({"name": "blobs", "n_samples": 50, "standardize": True}, k=3)
    page = client.get(f"/embed?session={made['id']}").get_data(as_text=True)
    assert ('href="/?dataset=blobs&amp;n_samples=50&amp;centers=4&amp;cluster_std=0.5&amp;'
            'random_state=0&amp;scale_x=1.0&amp;standardize=true&amp;k=3&amp;init=kmeans%2B%2B'
            '&amp;seed=0"') in page


@pytest.mark.parametrize("session", ["never-made", "", "../api/catalog", "x" * 300])
def test_an_unknown_session_is_a_404_page_that_says_to_make_it_again(client, session):
    response = client.get("/embed", query_string={"session": session})
    assert response.status_code == 404
    assert alert_of(response).startswith("This run is no longer on the server")
    assert options_of(response) is None


def test_a_deleted_session_is_a_404_page(client, api):
    made = api.create("mouse", k=3)
    assert client.delete(f"/api/sessions/{made['id']}").status_code == 204
    assert client.get(f"/embed?session={made['id']}").status_code == 404


@pytest.mark.parametrize("extra, message", [
    ("&k=3", "'k' does not go with session: the session has its own data and start"),
    ("&dataset=mouse", "'dataset' does not go with session"),
    ("&points=1,2", "'points' does not go with session"),
    ("&speed=99", "speed=99 should be between 1 and 12"),
    ("&session=again", "session is given 2 times in the query; give it once"),
])
def test_a_session_takes_only_the_frames_fields(client, api, extra, message):
    made = api.create("mouse", k=3)
    response = client.get(f"/embed?session={made['id']}{extra}")
    assert response.status_code == 400
    assert message in html.unescape(alert_of(response))
