"""MNIST's "look at the means": k centroid images that change with every update."""

from playwright.sync_api import expect

from browsing import DRAWN, LAPTOP

K = 10
FADED = "#E6E6E6"

IMAGES = "() => [...document.querySelectorAll('#gallery canvas')].map((c) => c.toDataURL())"
IMAGES_CHANGED = """(before) => {
    const now = [...document.querySelectorAll('#gallery canvas')].map((c) => c.toDataURL());
    return now.length === before.length && now.some((image, j) => image !== before[j]);
}"""


def test_mnist_gallery_shows_k_means_that_change_after_an_update(stepper):
    stepper.open(f"?dataset=mnist&pca_components=2&k={K}&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    tiles = page.locator("#gallery button")

    stepper.click("Init")
    assigned = stepper.click("Assign")
    sizes = [assigned["labels"].count(j) for j in range(K)]
    expect(tiles).to_have_count(K)
    expect(tiles.first).to_have_attribute("aria-label", f"Cluster 0: {sizes[0]} points")
    before = page.evaluate(IMAGES)

    stepper.click("Update")

    page.wait_for_function(IMAGES_CHANGED, arg=before)
    assert len(page.evaluate(IMAGES)) == K
    assert stepper.requests_elsewhere() == []


def test_picking_a_mean_highlights_its_cluster_in_the_plot(stepper):
    stepper.open(f"?dataset=mnist&pca_components=2&k={K}&init=kmeans%2B%2B&seed=0")
    stepper.click("Init")
    assigned = stepper.click("Assign")
    tile = stepper.page.locator("#gallery button").nth(2)
    expect(tile).to_have_attribute("aria-label", f"Cluster 2: {assigned['labels'].count(2)} points")

    tile.click()

    expect(tile).to_have_attribute("aria-pressed", "true")
    stepper.page.wait_for_function(
        "(faded) => document.getElementById('plot').data.some((t) => t.marker.color === faded)", arg=FADED)
    figure = stepper.figure()
    own = figure["centroidColours"][2]
    assert figure["points"] == [own if label == 2 else FADED for label in assigned["labels"]]


def test_while_the_server_prepares_mnist_the_page_says_how_far_and_opens_the_run_once_ready(
        browser, serving, held_preparation):

    app, release = held_preparation
    context = browser.new_context(viewport=LAPTOP)
    try:
        with serving(app) as origin:
            page = context.new_page()
            page.goto(f"{origin}/?dataset=mnist&pca_components=2&k={K}")
            line = page.locator("#next")
            expect(line).to_contain_text("MNIST is being prepared", timeout=30000)
            expect(line).to_contain_text("reading the digits: 35%")
            expect(line).to_contain_text("The page asks again every second")

            release.set()

            page.wait_for_function(DRAWN, timeout=60000)
            expect(line).not_to_contain_text("being prepared")
    finally:
        context.close()
