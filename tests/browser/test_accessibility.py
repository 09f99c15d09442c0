"""Reachable and readable: axe-core finds nothing serious, and every control takes keyboard focus visibly."""

from axe_playwright_python.sync_playwright import Axe

from sites import SERIOUS


# Every control's name, role and whether its focus ring shows, in tab order.
TAB_STOP = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        id: el.id || el.dataset.action || el.dataset.cluster || el.tagName,
        visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
}"""


def test_axe_finds_no_serious_or_critical_violation(stepper):
    # MNIST shows every part of the page: plot, regions, objective chart and gallery.
    stepper.open("?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0")
    stepper.click("Init")
    stepper.click("Assign")
    stepper.click("Update")

    violations = Axe().run(stepper.page).response["violations"]

    serious = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
               for v in violations if v["impact"] in SERIOUS]
    assert serious == []


def test_every_control_is_reached_by_tab_with_a_visible_focus(stepper):
    stepper.open("?dataset=blobs&k=4&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    stepper.press("ArrowRight", "step")  # so that Back and Reset have something to undo
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stop = page.evaluate(TAB_STOP)
        if stops and stop["id"] == stops[0]["id"]:
            break
        if stop["id"] != "BODY":  # focus passing through the browser's own controls
            stops.append(stop)

    reached = {stop["id"] for stop in stops}
    controls = {"dataset", "param-n_samples", "param-standardize", "new-data", "k", "start",
                "seed", "init", "assign", "update", "step", "run", "speed",
                "back", "reset", "by-truth"}
    assert controls - reached == set()
    assert [stop["id"] for stop in stops if not stop["visible"]] == []
