"""Teaching beyond the notebook (issue 7), in the page: the exercises' controls change
what they say, the metrics and table agree with scikit-learn, the elbow, restarts
and exports work, and all of it passes axe."""

import csv
import io
import json
import re
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sklearn.metrics import adjusted_rand_score

from app import create_app
from browsing import DRAWN, Screen, distance, unpacked
from sites import SERIOUS

LAPTOP = {"width": 1366, "height": 768}


def _created(response):
    return response.request.method == "POST" and urlparse(response.url).path == "/api/sessions"


def change_and_wait(page, action):
    """Do what changes a setting, and answer the new session the page creates for it."""
    with page.expect_response(_created) as created:
        action()
    return unpacked(created.value.json())


def run_to_convergence(stepper):
    page = stepper.page
    page.locator("#speed").focus()
    page.keyboard.press("End")
    stepper.button("Run").click()
    expect(page.locator("#happened")).to_contain_text("Converged", timeout=120_000)  # a loaded machine
    return stepper.api(f"/sessions/{stepper.session_id()}")


def nearer_another_centre(created):
    """Points nearer another true blob's mean than their own's, worked out here."""
    points, truth = np.array(created["points"]), np.array(created["truth"])
    classes = np.unique(truth)
    means = np.array([points[truth == c].mean(axis=0) for c in classes])
    distances = ((points[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    own = distances[np.arange(len(points)), np.searchsorted(classes, truth)]
    return int((distances < own[:, None]).any(axis=1).sum())


# --- The exercises -----------------------------------------------------------------------

def test_the_spread_slider_draws_new_blobs_and_says_how_many_points_overlap(stepper):
    stepper.open("?dataset=blobs&k=4&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    slider = page.get_by_label("Spread of a blob")
    explanation = page.locator("#explain-spread")
    expect(explanation).to_contain_text("Spread 0.5: every point is nearer its own blob's centre")
    assert slider.get_attribute("type") == "range"
    assert slider.get_attribute("aria-describedby") == "explain-spread"

    slider.focus()
    created = change_and_wait(page, lambda: page.keyboard.press("End"))

    assert created["dataset"]["cluster_std"] == 3
    expect(page.locator("#params output")).to_have_text("3")
    overlapping = nearer_another_centre(created)
    assert overlapping > 0
    expect(explanation).to_contain_text(
        f"Spread 3: the blobs overlap: {overlapping} of 100 points are nearer another blob's centre")


def test_stretching_x_says_it_dominates_and_standardizing_says_the_axes_are_even_again(stepper):
    stepper.open("?dataset=blobs&k=4&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    explanation = page.locator("#explain-scale")
    expect(explanation).to_contain_text("Both axes spread about alike")

    stretched = change_and_wait(page, lambda: (page.get_by_label("Stretch x by").fill("100"),
                                                page.keyboard.press("Tab")))

    xs, ys = np.array(stretched["points"]).T
    assert xs.std() / ys.std() > 3
    expect(explanation).to_contain_text("distances are dominated by the x axis")
    expect(explanation).to_contain_text("vertical stripes")

    standardized = change_and_wait(page, lambda: page.get_by_label("Standardize both axes").check())

    xs, ys = np.array(standardized["points"]).T
    assert xs.std() == pytest.approx(1) and ys.std() == pytest.approx(1)
    expect(explanation).to_contain_text("puts the axes back on equal footing")
    expect(explanation).not_to_contain_text("dominated")


def test_blobs_generated_and_k_asked_for_stand_side_by_side_with_a_verdict(stepper):
    stepper.open("?dataset=blobs&centers=4&k=3&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    explanation = page.locator("#explain-k")
    expect(explanation.locator(".versus")).to_have_text(["generated: 4 blobs", "asked: k = 3"])
    expect(explanation).to_contain_text("k is too small")

    change_and_wait(page, lambda: (page.locator("#k").fill("6"), page.keyboard.press("Tab")))
    expect(explanation.locator(".versus")).to_have_text(["generated: 4 blobs", "asked: k = 6"])
    expect(explanation).to_contain_text("k is too large")

    change_and_wait(page, lambda: (page.get_by_label("Blobs").fill("6"), page.keyboard.press("Tab")))
    expect(explanation.locator(".versus")).to_have_text(["generated: 6 blobs", "asked: k = 6"])
    expect(explanation).to_contain_text("k is right")


def test_mnist_components_change_the_clustering_space_and_the_ari_reached_is_kept(stepper):
    stepper.open("?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    explanation = page.locator("#explain-pca")
    expect(explanation).to_contain_text("clusters in the 2 principal components you see")
    in_two = run_to_convergence(stepper)
    # The axes are named as the catalog names them for the digits.
    assert page.evaluate("(() => { const l = document.getElementById('plot').layout;"
                         " return [l.xaxis.title.text, l.yaxis.title.text]; })()") == [
        "principal component 1", "principal component 2"]
    expect(explanation).to_contain_text(
        f"by components: 2: {in_two['metrics']['ari']:.3f} · 10: not run yet")

    created = change_and_wait(page, lambda: (page.get_by_label("PCA components").fill("10"),
                                             page.keyboard.press("Tab")))

    assert created["n_features"] == 10
    expect(explanation).to_contain_text("clusters in the first 10 principal components, but the plot "
                                        "shows only the first 2")
    stepper.click("Init")
    assigned = stepper.click("Assign")
    expect(explanation).to_contain_text(f"Now: ARI {assigned['metrics']['ari']:.3f}, not converged yet")
    expect(explanation).to_contain_text(f"2: {in_two['metrics']['ari']:.3f} · 10: not run yet")


@pytest.mark.parametrize("number, dataset, k, focused, says", [
    (1, "blobs", "4", "param-cluster_std", "Spread 0.5"),
    (2, "blobs", "3", "k", "k is too small"),
    (3, "blobs", "4", "param-scale_x", "dominated by the x axis"),
    (4, "mnist", "10", "param-pca_components", "principal components you see"),
])
def test_each_notebook_exercise_is_one_click_away(stepper, number, dataset, k, focused, says):
    stepper.open("?dataset=mouse&k=3")
    page = stepper.page

    created = change_and_wait(page, lambda: page.locator("#exercises button").nth(number - 1).click())

    assert created["dataset"]["name"] == dataset
    assert created["k"] == int(k)
    expect(page.locator(f"#{focused}")).to_be_focused()
    expect(page.locator("#settings")).to_contain_text(says)


def test_choosing_a_data_set_shows_what_to_look_for(stepper):
    stepper.open("?dataset=blobs&k=4")
    page = stepper.page
    catalog = {entry["name"]: entry for entry in stepper.api("/datasets")["datasets"]}

    change_and_wait(page, lambda: page.get_by_label("Data set").select_option("moons"))

    expect(page.locator("#look-for")).to_have_text(catalog["moons"]["look_for"])
    expect(page.locator("#dataset-description")).to_have_text(catalog["moons"]["description"])


# --- Judging a clustering ----------------------------------------------------------------

def test_ari_purity_and_the_table_agree_with_scikit_learn_after_a_run_on_mouse(stepper):
    stepper.open("?dataset=mouse&random_state=0&k=3&init=random&seed=2")
    page = stepper.page
    run = run_to_convergence(stepper)
    truth = np.array(stepper.api(f"/sessions/{run['id']}/export.json")["truth"])
    labels = np.array(run["labels"])
    table = np.array([[np.sum((labels == j) & (truth == c)) for c in range(4)] for j in range(3)])
    ari = adjusted_rand_score(truth, labels)
    purity = table.max(axis=1).sum() / len(labels)

    expect(page.locator("#metrics-line")).to_contain_text(f"ARI {ari:.3f} · purity {purity:.3f}")
    grid = page.locator("#contingency table")
    expect(grid.locator("caption")).to_have_text("Points of each cluster (rows) by true class (columns)")
    expect(grid.locator("thead th")).to_have_text(["#", "head", "left ear", "right ear", "noise", "Mostly"])
    assert grid.locator("thead th").evaluate_all("(cells) => cells.map((c) => c.scope)") == ["col"] * 6
    names = ["head", "left ear", "right ear", "noise"]
    for j in range(3):
        row = grid.locator("tbody tr").nth(j)
        expect(row.locator("th")).to_have_attribute("scope", "row")
        expect(row.locator("th")).to_have_text(str(j))  # scikit-learn's labels_
        expect(row.locator("td")).to_have_text([str(n) for n in table[j]] + [names[table[j].argmax()]])


def test_mnist_table_says_which_digits_have_two_clusters_and_which_none(stepper):
    stepper.open("?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0")
    stepper.click("Init")
    assigned = stepper.click("Assign")
    table = np.array(assigned["metrics"]["contingency"])
    majority = table.argmax(axis=1)
    counts = np.bincount(majority, minlength=10)
    split = [f"{d} ({counts[d]})" for d in range(10) if counts[d] > 1]
    missing = [str(d) for d in range(10) if counts[d] == 0]
    assert split and missing, "this run must show both cases"

    notes = stepper.page.locator("#contingency-notes")

    expect(notes).to_contain_text(f"Digits with more than one cluster: {', '.join(split)}.")
    expect(notes).to_contain_text(f"Digits without a cluster of their own: {', '.join(missing)}.")
    expect(stepper.page.locator("#contingency tbody td:last-child")).to_have_text(
        [str(d) for d in majority])


ELBOW_SHOWN = "(n) => document.getElementById('elbow').data?.[0].x.length === n"


def test_the_elbow_draws_every_k_with_the_silhouette_and_marks_this_runs_k(stepper):
    stepper.open("?dataset=blobs&k=4&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    assert page.locator("#elbow").evaluate("(div) => div.data") is None  # only when asked

    page.get_by_text("Which k? The elbow and the silhouette").click()

    page.wait_for_function(ELBOW_SHOWN, arg=10)
    curve = stepper.api(f"/sessions/{stepper.session_id()}/elbow?k_max=10")
    drawn = page.locator("#elbow").evaluate(
        "(div) => ({ inertia: div.data[0].y, silhouette: div.data[1].y, band: div.layout.shapes[0] })")
    assert drawn["inertia"] == curve["inertia"]
    assert drawn["silhouette"] == curve["silhouette"]
    assert drawn["band"]["x0"] < 4 < drawn["band"]["x1"]
    expect(page.locator("#elbow-note")).to_contain_text("this run's k = 4")

    change_and_wait(page, lambda: (page.locator("#k").fill("12"), page.keyboard.press("Tab")))

    page.wait_for_function(ELBOW_SHOWN, arg=12)


@pytest.fixture
def cut_short_origin(serving):
    """A server whose requests may compute next to nothing: every elbow answer stops short."""
    app = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False, "MAX_COMPUTE_SECONDS": 0})
    with serving(app) as origin:
        yield origin


def test_an_elbow_answered_in_pieces_is_asked_again_until_complete(browser, cut_short_origin):
    context = browser.new_context(viewport=LAPTOP, base_url=cut_short_origin)
    page = context.new_page()
    answers = []
    page.on("response", lambda r: "/elbow" in r.url and answers.append(r.json()["complete"]))
    page.goto("/?dataset=packed_circles&random_state=3&k=7")
    page.wait_for_function(DRAWN)

    page.get_by_text("Which k? The elbow and the silhouette").click()

    # Meanwhile the status says how far it has got, to the start.
    page.wait_for_function("() => /computing k = \\d+: \\d of 10 starts done/"
                           ".test(document.getElementById('elbow-status').textContent)")
    page.wait_for_function(ELBOW_SHOWN, arg=10)
    expect(page.locator("#elbow-status")).to_contain_text("Best inertia of 10 k-means++ starts")
    expect(page.locator("#elbow-status")).to_contain_text("Silhouette on all 700 points")
    # Each k's runs are stepped on over several answers; only the last is complete.
    assert len(answers) > 10 and answers == [False] * (len(answers) - 1) + [True]
    context.close()


def test_restarts_find_a_best_inertia_no_higher_than_this_runs_and_offer_its_seed(stepper):
    stepper.open("?dataset=uneven_sizes&k=3&init=random&seed=0")
    page = stepper.page
    run = run_to_convergence(stepper)
    page.get_by_text("Restarts: would another start do better?").click()
    page.get_by_label("Start each with").select_option("random")

    with page.expect_response(lambda r: "/restarts" in r.url) as answered:
        page.get_by_role("button", name="Try 10 restarts").click()

    restarts = answered.value.json()
    best = restarts["best"]
    assert best["inertia"] <= run["inertia"]
    result = page.locator("#restarts-result")
    expect(result).to_contain_text(f"inertia {best['inertia']:.4g} (seed {best['seed']})")
    shown = re.search(r"This run \(seed 0\): ([\d.e+]+), ([\d.]+) % above the best", result.inner_text())
    assert float(shown.group(1)) == pytest.approx(run["inertia"], rel=1e-3)
    assert float(shown.group(1)) >= float(f"{best['inertia']:.4g}")
    strip = page.locator("#restarts").evaluate("(div) => div.data[0].x")
    assert strip == [start["inertia"] for start in restarts["starts"]]

    created = change_and_wait(page, lambda: page.get_by_role(
        "button", name=f"Start again from seed {best['seed']}").click())

    assert (created["seed"], created["init"]) == (best["seed"], "random")


# --- Exports -----------------------------------------------------------------------------

def test_export_links_download_every_step_and_every_point(stepper):
    stepper.open("?dataset=blobs&k=4&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    stepper.click("Init")
    assigned = stepper.click("Assign")  # the Update keeps these labels (its answer leaves them out)
    stepper.click("Update")

    with page.expect_download() as download:
        page.get_by_role("link", name="Every step (JSON)").click()
    document = json.loads(open(download.value.path(), encoding="utf-8").read())
    with page.expect_download() as download:
        page.get_by_role("link", name="The points and their clusters (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))

    assert [step["step"] for step in document["steps"]] == ["init", "assign", "update"]
    assert len(document["points"]) == 100
    assert len(rows) == 100
    assert [int(row["cluster"]) for row in rows] == assigned["labels"]
    assert assigned["labels"] == stepper.api(f"/sessions/{stepper.session_id()}")["labels"]
    assert [int(row["truth"]) for row in rows] == document["truth"]


def test_the_camera_button_saves_the_plot_as_the_student_sees_it(stepper):
    # Enough points for the page to draw them itself, in the figure (raster.js), over its
    # gridlines and the regions: both canvases must be in the picture as well as Plotly's
    # figure, in that order.
    stepper.page.goto("/")
    many = stepper.page.evaluate("import('/static/js/raster.js').then((module) => module.RASTER_FROM)")
    stepper.open(f"?dataset=blobs&n_samples={many}&centers=3&cluster_std=1&random_state=0"
                 "&k=3&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    stepper.click("Init")
    stepper.wait_for_labels(stepper.click("Assign")["labels"])
    screen = stepper.screen(every=97)
    assert stepper.regions_painted() and screen.tinted_share() > 0.3

    page.locator("#plot").hover()
    with page.expect_download() as download:
        page.locator("#plot .modebar-btn[data-title='Download plot as a PNG']").click()

    assert download.value.suggested_filename == "kmeans-blobs.png"
    picture = Image.open(download.value.path()).convert("RGB")
    # Twice the plot's size (its figure's, to the pixel: the screenshot rounds it).
    assert picture.size == pytest.approx((2 * screen.image.width, 2 * screen.image.height), abs=2)
    # The picture where the screen shows each sampled point's centre, and a region's tint.
    seen = Screen(picture.resize(screen.image.size, Image.Resampling.BOX), screen.points,
                  screen.centroids, screen.area)
    places = [place for place in screen.points if screen.inside(*place)]
    alike = [distance(screen.pixel(*place), seen.pixel(*place)) <= 40 for place in places]
    assert len(places) > 100 and sum(alike) >= 0.9 * len(places)
    assert seen.tinted_share() == pytest.approx(screen.tinted_share(), abs=0.1)
    assert all(distance(a, b) <= 40 for a, b in zip(seen.centroid_colours(), screen.centroid_colours()))


# --- Reachable and readable --------------------------------------------------------------

def test_axe_finds_nothing_serious_with_every_teaching_part_open(stepper):
    stepper.open("?dataset=blobs&k=3&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    stepper.click("Init")
    stepper.click("Assign")
    page.get_by_text("Which k? The elbow and the silhouette").click()
    page.wait_for_function(ELBOW_SHOWN, arg=10)
    page.get_by_text("Restarts: would another start do better?").click()
    page.get_by_role("button", name="Try 10 restarts").click()
    page.wait_for_function("document.getElementById('restarts').data?.length === 3")

    violations = Axe().run(page).response["violations"]

    serious = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
               for v in violations if v["impact"] in SERIOUS]
    assert serious == []


def test_every_teaching_control_is_reached_by_tab(stepper):
    stepper.open("?dataset=blobs&k=4&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    page.get_by_text("Restarts: would another start do better?").click()
    reached = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()"))

    wanted = {"1. More spread", "2. A \"wrong\" k", "3. Stretch x", "4. MNIST + PCA", "param-cluster_std",
              "param-scale_x", "param-standardize", "k", "What to look for",
              "Clusters against the true labels", "contingency", "Which k? The elbow and the silhouette",
              "restarts-init", "restarts-run", "export-json", "export-csv"}
    assert wanted - reached == set()
