"""Steps that are safe to send again: a lost answer is not a second step, and a run
stepped in another tab is shown as it stands rather than stepped over."""

import json
import urllib.request

from playwright.sync_api import expect

MOUSE = "?dataset=mouse&random_state=0&k=3&init=random&seed=2"


def step_elsewhere(stepper, name, version):
    """The same run stepped in another tab: POST with the version that tab saw."""
    request = urllib.request.Request(
        f"{stepper.origin}/api/sessions/{stepper.session_id()}/{name}", data=b"{}",
        method="POST", headers={"Content-Type": "application/json", "If-Match": f'"{version}"'})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def test_a_step_whose_answer_was_lost_is_sent_again_and_taken_once(stepper):
    stepper.open(MOUSE)
    sent = []

    def lose_the_first_answer(route):
        sent.append(route.request.headers.get("if-match"))
        if len(sent) == 1:
            route.fetch()  # the server takes the step...
            route.abort("connectionreset")  # ...and its answer never reaches the page
        else:
            route.continue_()

    stepper.page.route("**/api/sessions/*/init*", lose_the_first_answer)
    state = stepper.click("Init")

    assert sent == ['"1"', '"1"']
    on_server = stepper.api(f"/sessions/{stepper.session_id()}")
    assert [entry["step"] for entry in on_server["history"]] == ["init"]
    assert state["centroids"] == on_server["centroids"]
    stepper.wait_for_centroids(on_server["centroids"])
    expect(stepper.page.locator("#error")).to_have_text("")
    assert stepper.errors == ["Failed to load resource: net::ERR_CONNECTION_RESET"]  # the lost one


def test_a_run_stepped_in_another_tab_is_shown_as_it_stands_not_stepped_over(stepper):
    stepper.open(MOUSE)
    stepper.click("Init")
    elsewhere = step_elsewhere(stepper, "assign", version=2)
    elsewhere = step_elsewhere(stepper, "update", version=3)

    refused = stepper.click("Assign")

    assert refused["status"] == 412 and refused["state"]["phase"] == "updated"
    expect(stepper.page.locator("#error")).to_contain_text("this run moved on elsewhere")
    stepper.wait_for_centroids(elsewhere["centroids"])
    on_server = stepper.api(f"/sessions/{stepper.session_id()}")
    assert [entry["step"] for entry in on_server["history"]] == ["init", "assign", "update"]

    stepper.click("Assign")  # from the version now shown: taken
    on_server = stepper.api(f"/sessions/{stepper.session_id()}")
    assert [entry["step"] for entry in on_server["history"]] == [
        "init", "assign", "update", "assign"]
    stepper.wait_for_labels(on_server["labels"])
