"""Clicking and pressing through Lloyd's algorithm: what the plot shows is what the API says."""

import urllib.request
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from browsing import COLOURED, SHOWN_POINTS, UNASSIGNED, unpacked

RUNS = {
    "blobs": "?dataset=blobs&n_samples=300&centers=4&cluster_std=1&random_state=0"
             "&k=4&init=random&seed=1",
    "mouse": "?dataset=mouse&random_state=0&k=3&init=random&seed=2",
}
MAX_ITERATIONS = 100


@pytest.mark.parametrize("dataset", ["blobs", "mouse"])
def test_init_assign_update_until_converged_colours_points_by_the_api_labels(
        stepper, artifacts, dataset):
    stepper.open(RUNS[dataset])
    assert set(stepper.figure()["points"]) == {UNASSIGNED}
    assert not stepper.regions_painted()

    state = stepper.click("Init")
    stepper.wait_for_centroids(state["centroids"])
    for _ in range(MAX_ITERATIONS):
        state = stepper.click("Assign")
        stepper.wait_for_labels(state["labels"])
        assert stepper.shown_labels() == state["labels"]
        if state["converged"]:
            break
        state = stepper.click("Update")
        stepper.wait_for_centroids(state["centroids"])
        assert stepper.figure()["previous"] == state["k"]

    assert state["converged"]
    assert stepper.regions_painted()
    expect(stepper.page.locator("#happened")).to_contain_text("Converged")
    on_server = stepper.api(f"/sessions/{stepper.session_id()}")
    assert stepper.shown_labels() == on_server["labels"]
    stepper.screenshot(artifacts / f"converged-{dataset}.png")
    assert stepper.requests_elsewhere() == []
    assert stepper.errors == []


def test_back_undoes_the_last_step(stepper):
    stepper.open(RUNS["mouse"])
    stepper.click("Init")
    first = stepper.click("Assign")
    stepper.click("Update")
    second = stepper.click("Assign")
    assert second["changed"] > 0, "the two assignments must differ for Back to show"
    stepper.wait_for_labels(second["labels"])

    undone = stepper.click("Back")

    assert undone["phase"] == "updated"
    stepper.wait_for_labels(first["labels"])
    expect(stepper.page.locator("#next")).to_contain_text("Next, Assign")


def test_run_steps_on_a_timer_and_stops_when_asked(stepper):
    stepper.open("?dataset=blobs&n_samples=3000&centers=12&cluster_std=2&k=12&init=random&seed=0")
    page = stepper.page
    page.locator("#speed").focus()
    page.keyboard.press("End")
    with page.expect_response(lambda r: urlparse(r.url).path.endswith("/step")):
        stepper.button("Run").click()
    with page.expect_response(lambda r: urlparse(r.url).path.endswith("/step")):
        expect(stepper.button("Stop")).to_be_visible()

    stepper.button("Stop").click()

    expect(stepper.button("Run")).to_be_visible()
    steps_at_stop = _count(stepper.requests, "/step")
    stepper.press("ArrowLeft", "back")
    stepper.press("ArrowRight", "step")
    stepper.press("ArrowLeft", "back")
    state = stepper.press("ArrowRight", "step")
    assert _count(stepper.requests, "/step") == steps_at_stop + 2
    assert not state["converged"]


def test_keys_step_go_back_and_run_to_convergence(stepper):
    stepper.open(RUNS["mouse"])
    page = stepper.page
    page.locator("#speed").focus()
    page.keyboard.press("End")
    page.locator("#speed").blur()

    assert stepper.press("ArrowRight", "step")["phase"] == "initialized"
    assigned = stepper.press("Space", "step")
    stepper.wait_for_labels(assigned["labels"])
    assert stepper.press("ArrowLeft", "back")["phase"] == "initialized"
    expect(page.locator("#next")).to_contain_text("Next, Assign")

    page.keyboard.press("r")

    # Some twenty steps at 12 a second: seconds on a loaded machine, hence the wait.
    expect(page.locator("#happened")).to_contain_text("Converged", timeout=60_000)
    expect(stepper.button("Run")).to_be_disabled()
    on_server = stepper.api(f"/sessions/{stepper.session_id()}")
    assert on_server["converged"]
    stepper.wait_for_labels(on_server["labels"])


# The page asks every step with ?ahead=1, so a click is drawn from the answer before it.

def test_a_step_is_drawn_before_its_answer_comes_and_the_answer_is_what_was_drawn(stepper):
    stepper.open(RUNS["blobs"])
    stepper.click("Init")
    page = stepper.page
    held = []
    page.route("**/api/sessions/*/assign?*", lambda route: held.append(route))

    stepper.button("Assign").click()

    page.wait_for_function(COLOURED)
    drawn = stepper.shown_labels()
    expect(page.locator("#happened")).to_contain_text("Every point joined its nearest centroid")
    assert len(held) == 1, "the request is held: the server has not answered"
    assert stepper.api(f"/sessions/{stepper.session_id()}")["phase"] == "initialized"
    with page.expect_response(_is_step("assign")) as answer:
        held[0].continue_()
    assert unpacked(answer.value.json())["labels"] == drawn
    expect(page.locator("#next")).to_contain_text("Next, Update")
    assert stepper.shown_labels() == drawn
    assert stepper.errors == []


def test_a_step_the_server_refuses_is_taken_back_on_the_page(stepper):
    stepper.open(RUNS["mouse"])
    stepper.click("Init")
    first = stepper.click("Assign")
    stepper.wait_for_labels(first["labels"])
    stepper.wait_for_centroids(stepper.click("Update")["centroids"])
    page = stepper.page
    held = []
    page.route("**/api/sessions/*/assign?*", lambda route: held.append(route))

    stepper.button("Assign").click()

    page.wait_for_function(SHOWS_OTHER_LABELS, arg=first["labels"])  # drawn ahead
    refusal = {"error": "too many steps on this session; wait a moment", "status": 429}
    held[0].fulfill(status=429, json=refusal)
    expect(page.locator("#error")).to_contain_text("too many steps")
    stepper.wait_for_labels(first["labels"])  # what the server kept
    expect(page.locator("#next")).to_contain_text("Next, Assign")
    assert stepper.api(f"/sessions/{stepper.session_id()}")["phase"] == "updated"


def test_a_session_stepped_elsewhere_shows_the_servers_answer_not_the_one_foretold(stepper):
    stepper.open(RUNS["mouse"])
    stepper.click("Init")
    stepper.click("Assign")
    stepper.wait_for_centroids(stepper.click("Update")["centroids"])
    # Someone else, on the same session, takes back the update and the assignment.
    for _ in range(2):
        _post(f"{stepper.origin}/api/sessions/{stepper.session_id()}/back")

    answer = stepper.click("Step")

    # The page foretold the second assignment and sent the version it saw; the session
    # had moved on, so the server refused the step (412) with the session as it stands,
    # which the page shows in place of what it foretold.
    assert answer["status"] == 412 and answer["state"]["phase"] == "initialized"
    assert answer["state"]["iteration"] == 0 and answer["state"]["labels"] is None
    expect(stepper.page.locator("#next")).to_contain_text("Next, Assign")
    expect(stepper.page.locator("#summary")).not_to_contain_text("Iteration 1")



def test_an_update_answered_without_the_labels_it_kept_keeps_them_on_screen(stepper):
    # The page sends each step with its version, so an Update's answer leaves out the
    # labels it kept. Here the Assign's answer comes without its look-ahead, so the
    # Update is not drawn ahead and the page takes its answer as it is: the points
    # must keep the Assign's colours, not lose them.
    stepper.open(RUNS["mouse"])
    stepper.click("Init")
    page = stepper.page

    def without_next(route):
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "next": None})

    page.route("**/api/sessions/*/assign?*", without_next)
    assigned = stepper.click("Assign")
    stepper.wait_for_labels(assigned["labels"])
    updated = stepper.click("Update")

    assert "labels" not in updated and updated["phase"] == "updated"
    stepper.wait_for_centroids(updated["centroids"])
    expect(page.locator("#next")).to_contain_text("Next, Assign")
    assert stepper.shown_labels() == assigned["labels"]
    assert stepper.errors == []

SHOWS_OTHER_LABELS = f"""(labels) => {{
    const colours = {SHOWN_POINTS}.colours;
    const ofCluster = document.getElementById('plot').data.find((t) => t.name === 'centroids').marker.color;
    return colours[0] !== '{UNASSIGNED}' && labels.some((label, i) => colours[i] !== ofCluster[label]);
}}"""


def _is_step(endpoint):
    return lambda r: r.request.method == "POST" and urlparse(r.url).path.endswith(f"/{endpoint}")


def _post(url):
    request = urllib.request.Request(url, data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def _count(urls, ending):
    return sum(urlparse(url).path.endswith(ending) for url in urls)
