"""Clicking and pressing through Lloyd's algorithm: what the plot shows is what the API says."""

import pytest
from playwright.sync_api import expect

RUNS = {
    "blobs": "?dataset=blobs&n_samples=300&centers=4&cluster_std=1&random_state=0"
             "&k=4&init=random&seed=1",
    "mouse": "?dataset=mouse&random_state=0&k=3&init=random&seed=2",
}
UNASSIGNED = "#BBBBBB"
MAX_ITERATIONS = 100


@pytest.mark.parametrize("dataset", ["blobs", "mouse"])
def test_init_assign_update_until_converged_colours_points_by_the_api_labels(
        stepper, artifacts, dataset):
    stepper.open(RUNS[dataset])
    assert stepper.figure()["points"] == UNASSIGNED
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
    with page.expect_response(lambda r: r.url.endswith("/step")):
        stepper.button("Run").click()
    with page.expect_response(lambda r: r.url.endswith("/step")):
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

    expect(page.locator("#happened")).to_contain_text("Converged")
    expect(stepper.button("Run")).to_be_disabled()
    on_server = stepper.api(f"/sessions/{stepper.session_id()}")
    assert on_server["converged"]
    stepper.wait_for_labels(on_server["labels"])


def _count(urls, ending):
    return sum(url.endswith(ending) for url in urls)
