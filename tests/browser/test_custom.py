"""Your own data: points clicked into the plot or read from a CSV, centroids placed by hand."""

from playwright.sync_api import expect

from browsing import POINT_COUNT

PLACED_COUNT = ("document.getElementById('manual-centroids').value"
                ".split('\\n').filter((line) => line.trim()).length")


def click_plot(page, fx, fy):
    """Click at a fraction of the plot area, measured afresh (the axes may have moved)."""
    box = page.locator("#plot .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def test_clicked_points_and_placed_centroids_make_a_run(stepper):
    page = stepper.page
    page.goto("/?dataset=custom&k=2&init=manual&seed=0")
    expect(page.locator("#next")).to_contain_text("Click in the plot to add points")
    left = [(0.2, 0.2), (0.25, 0.3), (0.3, 0.2)]
    right = [(0.7, 0.8), (0.75, 0.7), (0.8, 0.75)]
    for n, (fx, fy) in enumerate(left + right, start=1):
        click_plot(page, fx, fy)
        page.wait_for_function(f"{POINT_COUNT} === {n}")
    page.get_by_label("a centroid").check()
    # One click at a time: a click while Plotly redraws the last one's plot may be lost.
    for n, (fx, fy) in enumerate([(0.1, 0.5), (0.9, 0.5)], start=1):
        click_plot(page, fx, fy)
        page.wait_for_function(f"{PLACED_COUNT} === {n}")
    expect(page.locator("#next")).to_contain_text("start from the 2 centroids you placed")

    started = stepper.click("Init")
    assigned = stepper.click("Assign")

    assert started["dataset"]["name"] == "custom" and started["n_samples"] == 6
    assert assigned["labels"] == [0, 0, 0, 1, 1, 1]
    stepper.wait_for_labels(assigned["labels"])
    assert stepper.shown_labels() == assigned["labels"]


def test_an_uploaded_csv_becomes_the_data_set(stepper):
    page = stepper.page
    page.goto("/?dataset=custom&k=2&init=kmeans%2B%2B&seed=0")
    csv = "x,y,label\n0,0,0\n0,1,0\n1,0,0\n10,10,1\n10,11,1\n11,10,1\n"

    page.set_input_files("#csv", files=[{"name": "points.csv", "mimeType": "text/csv",
                                         "buffer": csv.encode()}])

    page.wait_for_function(f"{POINT_COUNT} === 6")
    expect(page.get_by_label("Colour by the true labels")).to_be_enabled()
    stepper.click("Step")
    assigned = stepper.click("Step")
    stepper.wait_for_labels(assigned["labels"])
    assert len(set(assigned["labels"][:3])) == 1 and len(set(assigned["labels"][3:])) == 1
    assert assigned["labels"][0] != assigned["labels"][3]
