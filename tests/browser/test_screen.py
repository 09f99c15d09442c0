"""What the student sees, read from the screenshot's pixels at each point's place
(through Plotly's own axes): clusters and true classes in their colours, and the
centroids' regions tinted only when they mean something."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from browsing import CENTROIDS, COLOURED, POINT_COUNT, distinct, one_colour_each

BLOBS = "?dataset=blobs&n_samples=300&centers=4&cluster_std=0.6&random_state=0&k=4&init=kmeans%2B%2B&seed=0"
MOUSE = "?dataset=mouse&random_state=0&k=3&init=kmeans%2B%2B&seed=0"
MNIST = "?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0"
CUSTOM = "?dataset=custom&k=2&init=kmeans%2B%2B&seed=0"
PRESENT = 0.6  # of the background tinted: regions drawn (edges and dense points take some)
TWO_GROUPS = "1, 1\n1.5, 2\n2, 1.2\n2.5, 2.5\n8, 8\n8.5, 7\n7.5, 8.5\n9, 9\n"


def creates_session(response):
    return response.request.method == "POST" and urlparse(response.url).path == "/api/sessions"


def test_each_cluster_is_drawn_in_its_centroids_colour_and_clusters_apart(stepper):
    stepper.open(BLOBS)
    stepper.click("Init")
    state = stepper.click("Assign")
    stepper.wait_for_labels(state["labels"])

    screen = stepper.screen()

    by_cluster = {j: [] for j in range(state["k"])}
    for i, colour in screen.point_colours().items():
        by_cluster[state["labels"][i]].append(colour)
    colours = one_colour_each(by_cluster)
    assert distinct(colours.values())
    centroids = screen.centroid_colours()
    assert all(distance_ok(colours[j], centroids[j]) for j in colours)


def distance_ok(a, b, tolerance=24):
    return max(abs(x - y) for x, y in zip(a, b)) <= tolerance


@pytest.mark.parametrize("query", [BLOBS, MOUSE, MNIST], ids=["blobs", "mouse", "mnist"])
def test_true_labels_colour_each_class_alike_and_the_classes_apart(stepper, query):
    stepper.open(query)
    truth = stepper.api(f"/sessions/{stepper.session_id()}")["truth"]

    stepper.page.get_by_label("Colour by the true labels").check()
    stepper.page.wait_for_function(COLOURED)
    screen = stepper.screen()

    by_class = {}
    for i, colour in screen.point_colours().items():
        by_class.setdefault(truth[i], []).append(colour)
    colours = one_colour_each(by_class)
    # MNIST's 5,000 points overlap: a class may have no point alone enough to read.
    assert len(colours) >= 0.8 * len(set(truth))
    assert distinct(colours.values())
    grey = [c for c in colours.values() if max(c) - min(c) < 30]
    assert grey == [], "a true class is drawn grey"


def test_regions_are_tinted_only_once_there_are_centroids(stepper):
    stepper.open(BLOBS)
    assert stepper.screen().tinted_share() == 0

    state = stepper.click("Init")
    stepper.wait_for_centroids(state["centroids"])

    assert stepper.screen().tinted_share() > PRESENT


def test_no_regions_once_mnist_clusters_in_more_components_than_the_plot_shows(stepper):
    stepper.open(MNIST)
    stepper.wait_for_centroids(stepper.click("Init")["centroids"])
    assert stepper.screen().tinted_share() > PRESENT
    page = stepper.page
    held = []
    page.route("**/api/sessions?*", lambda route: held.append(route))

    page.get_by_label("PCA components").fill("10")
    page.get_by_label("PCA components").blur()  # a number field says it changed when left

    page.wait_for_function(f"{POINT_COUNT} === 0")
    assert stepper.screen().tinted_share() == 0
    with page.expect_response(creates_session):
        for route in held:
            route.continue_()
    page.unroute("**/api/sessions?*")
    expect(page.locator("#next")).to_contain_text("Next, Init", timeout=60_000)
    stepper.click("Init")
    stepper.wait_for_labels(stepper.click("Assign")["labels"])
    assert stepper.screen().tinted_share() == 0


def test_mnist_in_two_components_has_its_regions(stepper):
    stepper.open(MNIST)
    state = stepper.click("Init")
    stepper.wait_for_centroids(state["centroids"])

    assert stepper.screen().tinted_share() > PRESENT


def test_a_new_data_set_clears_the_old_plot_while_it_loads(stepper):
    stepper.open(MOUSE)
    stepper.click("Init")
    stepper.wait_for_labels(stepper.click("Assign")["labels"])
    assert stepper.screen().tinted_share() > PRESENT
    page = stepper.page
    held = []
    page.route("**/api/sessions?*", lambda route: held.append(route))

    page.get_by_label("Data set").select_option("mnist")

    page.wait_for_function(f"{POINT_COUNT} === 0")
    expect(page.locator("#next")).to_contain_text("Loading")
    assert stepper.screen().tinted_share() == 0
    for name in ["Init", "Assign", "Update", "Step", "Run"]:
        expect(stepper.button(name)).to_be_disabled()
    with page.expect_response(creates_session):
        for route in held:
            route.continue_()
    page.unroute("**/api/sessions?*")
    expect(page.locator("#next")).to_contain_text("Next, Init")
    expect(stepper.button("Init")).to_be_enabled()


def custom_run_with_regions(stepper):
    page = stepper.page
    page.goto(f"/{CUSTOM}")
    page.locator("#custom-points").fill(TWO_GROUPS)
    page.locator("#custom-points").dispatch_event("change")
    page.wait_for_function(f"{POINT_COUNT} === 8")
    stepper.click("Init")
    stepper.wait_for_labels(stepper.click("Assign")["labels"])
    assert stepper.screen().tinted_share() > PRESENT


def test_an_uploaded_csv_clears_the_regions_of_the_points_before(stepper):
    custom_run_with_regions(stepper)
    page = stepper.page

    page.set_input_files("#csv", files=[{"name": "p.csv", "mimeType": "text/csv",
                                         "buffer": b"x,y\n2,2\n3,3\n7,7\n8,8\n"}])

    page.wait_for_function(f"{POINT_COUNT} === 4")
    assert stepper.screen().tinted_share() == 0


def test_switching_to_placed_centroids_clears_the_regions(stepper):
    custom_run_with_regions(stepper)
    page = stepper.page
    held = []
    page.route("**/api/sessions?*", lambda route: held.append(route))

    page.get_by_label("Start with").select_option("manual")

    page.wait_for_function(f"{CENTROIDS}.x.length === 0")
    assert stepper.screen().tinted_share() == 0
    with page.expect_response(creates_session):
        for route in held:
            route.continue_()
    page.unroute("**/api/sessions?*")
    expect(page.locator("#next")).to_contain_text("place starting centroid 0 (1 of 2)")
    assert stepper.screen().tinted_share() == 0
