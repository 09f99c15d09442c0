"""What the page says and keeps: slow work shown and kept off the main thread, plain
words for bad settings, Space after a click, the mouse's noise, reload and history,
the share link, one cluster numbering, and the CSV's messages."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from app import create_app
from browsing import CENTROIDS, PAINTED, POINT_COUNT
from sites import POINTS_SPREAD, zoom_in

BLOBS = "?dataset=blobs&n_samples=200&centers=4&cluster_std=0.5&random_state=0&k=4&init=kmeans%2B%2B&seed=0"
MOUSE = "?dataset=mouse&random_state=0&k=3&init=kmeans%2B%2B&seed=0"
LONG_TASK = 200  # ms: the longest a task on the main thread may take

# Every long task (over 50 ms) the browser reports, from the page's first moment.
WATCH_LONG_TASKS = """
window.longTasks = [];
new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longTasks.push(Math.round(entry.duration));
}).observe({ type: 'longtask', buffered: true });
"""


def creates_session(response):
    return response.request.method == "POST" and urlparse(response.url).path == "/api/sessions"


def upload(page, text, folder):
    """Choose a file of this text; from a path, which the browser reads itself (a buffer
    would be copied into the page by Playwright's own script, a long task of its own)."""
    path = folder / "points.csv"
    path.write_text(text)
    page.set_input_files("#csv", path)


# --- 4. Slow work -------------------------------------------------------------------------

def test_a_file_over_the_limit_is_refused_in_words_without_blocking_or_drawing(stepper, tmp_path):
    page = stepper.page
    page.add_init_script(WATCH_LONG_TASKS)
    page.goto("/?dataset=custom&k=3&init=kmeans%2B%2B&seed=0")
    expect(page.locator("#next")).to_contain_text("Click in the plot")
    limit = stepper.api("/catalog")["limits"]["points"]["maximum"]
    lines = "x,y\n" + "".join(f"{i % 997},{i % 991}\n" for i in range(200_000))
    page.evaluate("window.longTasks.length = 0")

    upload(page, lines, tmp_path)

    expect(page.locator("#error")).to_contain_text(
        f"this file has 200,000 points; the most is {limit:,}", ignore_case=True, timeout=60_000)
    assert page.evaluate(POINT_COUNT) == 0
    assert not [url for url in stepper.requests if urlparse(url).path == "/api/sessions"]
    expect(page.locator("#next")).not_to_contain_text("Next, Init")
    assert max(page.evaluate("window.longTasks"), default=0) <= LONG_TASK


def test_the_limit_a_file_is_held_to_is_the_servers(browser, serving, tmp_path):
    with serving(create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False, "MAX_POINTS": 500})) as origin:
        context = browser.new_context(base_url=origin)
        page = context.new_page()
        page.goto("/?dataset=custom&k=3&init=kmeans%2B%2B&seed=0")
        expect(page.locator("#next")).to_contain_text("Click in the plot")

        upload(page, "".join(f"{i},{i % 7}\n" for i in range(501)), tmp_path)

        expect(page.locator("#error")).to_contain_text("this file has 501 points; the most is 500",
                                                       ignore_case=True)
        context.close()


def test_the_first_mnist_load_shows_it_is_loading_and_keeps_the_page_responsive(browser, serving):
    # A server of its own, so that MNIST is loaded for the first time.
    with serving(create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False})) as origin:
        context = browser.new_context(base_url=origin, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.add_init_script(WATCH_LONG_TASKS)
        page.goto(f"/{MOUSE}")
        expect(page.locator("#next")).to_contain_text("Next, Init", timeout=60_000)
        page.evaluate(PAINTED)
        page.evaluate("window.longTasks.length = 0")  # from here: the MNIST load alone
        # The server's answer is held while the page is looked at: the MNIST that an
        # earlier test loaded in this process would answer before the page is read.
        held = []
        page.route("**/api/sessions?*", lambda route: held.append(route))

        page.get_by_label("Data set").select_option("mnist")

        expect(page.locator("#next")).to_contain_text("Loading")
        expect(page.get_by_role("button", name="Init", exact=True)).to_be_disabled()
        while not held:  # the page asks for the session as it says it is loading
            page.wait_for_timeout(50)
        for route in held:
            route.continue_()
        page.unroute("**/api/sessions?*")
        expect(page.locator("#next")).to_contain_text("Next, Init", timeout=120_000)
        page.wait_for_function(f"{POINT_COUNT} === 5000")
        page.evaluate(PAINTED)
        assert max(page.evaluate("window.longTasks"), default=0) <= LONG_TASK
        context.close()


# --- 5. An invalid k ---------------------------------------------------------------------

@pytest.mark.parametrize("k", ["0", "-3", "2.5", "500", ""])
def test_an_invalid_k_is_said_in_plain_words_everywhere(stepper, k):
    stepper.open(BLOBS)
    page = stepper.page

    page.locator("#k").fill(k)
    page.locator("#k").dispatch_event("change")

    expect(page.locator("#error")).to_contain_text("k must be a whole number from 1 to 50")
    expect(page.locator("#next")).not_to_contain_text("Click in the plot")
    expect(page.locator("#next")).to_contain_text("Change k")
    expect(page.locator("#explain-spread")).not_to_contain_text("drawing the blobs")
    expect(page.locator("#explain-k")).not_to_contain_text("too small")
    expect(stepper.button("Init")).to_be_disabled()


def test_k_above_the_number_of_points_says_what_to_do_next(stepper):
    page = stepper.page
    page.goto("/?dataset=custom&k=5&init=kmeans%2B%2B&seed=0")
    page.locator("#custom-points").fill("1, 1\n2, 2\n3, 1\n")
    page.locator("#custom-points").dispatch_event("change")

    # Too few points of your own is a run still being made, not a fault.
    expect(page.locator("#next")).to_have_text(
        "Click to add 2 more points: k = 5 needs one per cluster. Or lower k.")
    expect(page.locator("#error")).to_be_empty()
    expect(stepper.button("Init")).to_be_disabled()

    page.locator("#k").fill("3")
    page.locator("#k").dispatch_event("change")
    expect(page.locator("#next")).to_contain_text("Next, Init")


# --- 6. Space after a click ----------------------------------------------------------------

def test_space_after_clicking_init_takes_the_next_step(stepper):
    stepper.open(BLOBS)
    stepper.click("Init")

    answer = stepper.press("Space", "step")

    assert answer["phase"] == "assigned"
    expect(stepper.page.locator("#error")).to_be_empty()
    assert stepper.press("ArrowRight", "step")["phase"] == "updated"


def test_space_on_a_button_reached_by_keyboard_still_presses_it(stepper):
    stepper.open(BLOBS)
    stepper.button("Init").focus()

    assert stepper.press("Space", "init")["phase"] == "initialized"
    stepper.button("Assign").focus()
    assert stepper.press("Enter", "assign")["phase"] == "assigned"


# --- 7. The mouse's noise ------------------------------------------------------------------

def test_the_mouse_is_three_clusters_plus_noise_and_k_3_is_right(stepper):
    stepper.open(MOUSE)

    verdict = stepper.page.locator("#explain-k")

    expect(verdict).to_contain_text("k is right")
    expect(verdict).to_contain_text("3 clusters plus noise")
    expect(verdict).not_to_contain_text("too small")


# --- 9. Reload and history -----------------------------------------------------------------

def test_a_reload_keeps_the_run_without_a_cookie(stepper):
    stepper.open(MOUSE)
    stepper.click("Init")
    assigned = stepper.click("Assign")
    stepper.wait_for_labels(assigned["labels"])
    page = stepper.page

    page.reload()

    stepper.wait_for_labels(assigned["labels"])
    expect(page.locator("#next")).to_contain_text("Next, Update")
    assert stepper.session_id() == assigned["id"]
    assert page.context.cookies() == []
    assert stepper.click("Update")["iteration"] == 1


def test_back_and_forward_move_between_settings(stepper):
    stepper.open(BLOBS)
    page = stepper.page
    for k in ["3", "5"]:
        with page.expect_response(creates_session):
            page.locator("#k").fill(k)
            page.locator("#k").dispatch_event("change")

    page.go_back()
    expect(page.locator("#k")).to_have_value("3")
    assert "k=3" in page.url
    page.wait_for_function(f"{CENTROIDS}.x.length === 0")
    page.go_back()
    expect(page.locator("#k")).to_have_value("4")
    page.go_forward()
    expect(page.locator("#k")).to_have_value("3")
    expect(stepper.button("Init")).to_be_enabled()
    assert urlparse(page.url).path == "/"


# --- 10. Smaller things ----------------------------------------------------------------------

def test_share_gives_the_full_page_and_embed_the_iframe(stepper):
    stepper.open(MOUSE)
    page = stepper.page

    page.get_by_role("button", name="Share").click()

    link = page.locator("#share-text").input_value()
    assert urlparse(link).path == "/" and "dataset=mouse" in link and "k=3" in link
    page.get_by_role("button", name="Embed").click()
    assert "/embed?" in page.locator("#share-text").input_value()


def test_a_shared_link_with_your_own_points_opens_them_on_the_full_page(stepper):
    page = stepper.page
    page.goto("/?dataset=custom&k=2&init=kmeans%2B%2B&seed=0&points=1,1,2,2,8,8,9,9")
    page.wait_for_function(f"{POINT_COUNT} === 4")
    page.get_by_role("button", name="Share").click()
    assert "points=1,1,2,2,8,8,9,9" in page.locator("#share-text").input_value()


def test_clusters_are_numbered_from_0_as_scikit_learns_labels(stepper):
    stepper.open("?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0")
    stepper.click("Init")
    assigned = stepper.click("Assign")
    page = stepper.page

    expect(page.locator("#gallery button").first).to_have_attribute(
        "aria-label", f"Cluster 0: {assigned['labels'].count(0)} points")
    expect(page.locator("#contingency tbody th").first).to_have_text("0")
    hover = page.evaluate(f"{CENTROIDS}.customdata")
    assert hover == list(range(10))


def test_an_empty_csv_says_it_has_no_points(stepper, tmp_path):
    page = stepper.page
    page.goto("/?dataset=custom&k=2&init=kmeans%2B%2B&seed=0")
    expect(page.locator("#next")).to_contain_text("Click in the plot")

    upload(page, "", tmp_path)

    expect(page.locator("#error")).to_contain_text("no points")


def test_a_csv_error_names_the_files_own_line(stepper, tmp_path):
    page = stepper.page
    page.goto("/?dataset=custom&k=2&init=kmeans%2B%2B&seed=0")
    expect(page.locator("#next")).to_contain_text("Click in the plot")

    upload(page, "x,y\n1,2\n\n3,oops\n", tmp_path)

    expect(page.locator("#error")).to_contain_text(re.compile(r"^Line 4\b"))


def test_no_table_against_true_labels_for_points_without_labels(stepper):
    page = stepper.page
    page.goto("/?dataset=custom&k=2&init=kmeans%2B%2B&seed=0")
    page.locator("#custom-points").fill("1, 1\n2, 2\n8, 8\n9, 9\n")
    page.locator("#custom-points").dispatch_event("change")
    stepper.click("Init")
    stepper.click("Assign")

    expect(page.locator("#judge-section")).to_be_hidden()


def test_reset_on_the_full_page_forgets_the_zoom_and_shows_all_the_points(stepper):
    stepper.open(MOUSE)
    page = stepper.page
    stepper.click("Init")
    zoom_in(page)

    stepper.click("Reset")

    page.wait_for_function(
        f"(() => {{ const s = ({POINTS_SPREAD})(); return s.inside && s.covers >= 0.5; }})()")


def test_no_class_controls_show_before_a_class_is_taught_or_joined(stepper):
    # live.css's display: flex once overrode the hidden attribute: every page showed
    # "End the class" and "Try the next step yourself" with no class at all.
    stepper.open(MOUSE)
    page = stepper.page
    expect(page.get_by_role("button", name="Teach this live")).to_be_visible()
    expect(page.get_by_role("button", name="End the class")).to_be_hidden()
    expect(page.get_by_role("button", name="Try the next step yourself")).to_be_hidden()
