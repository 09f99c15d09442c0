"""k-means++ one centre at a time, as the student sees it: each point's chance drawn
as a circle, the candidates with the potential each would leave, the one kept, and
the sentence that says why; on the page and in the embed."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from browsing import DRAWN, distance, unpacked
from sites import SERIOUS

RUN = "dataset=blobs&n_samples=60&centers=3&random_state=1&k=3&init=kmeans%2B%2B&seed=0"

# The k-means++ layer as Plotly holds it (null while no centre is being picked).
READ_LAYER = """() => {
    const traces = Object.fromEntries(document.getElementById('plot').data.map((t) => [t.name, t]));
    if (!traces.kept) return null;
    const xy = (t) => t.x.map((x, i) => [x, t.y[i]]);
    return {
        sizes: traces.chances.marker.size,
        chances: xy(traces.chances).length,
        candidates: xy(traces.candidates),
        labels: traces.candidates.text,
        kept: xy(traces.kept),
        centroids: xy(traces.centroids),
    };
}"""

# Waits until the plot draws the picks of this answer.
DRAWS_PICKS = """(picks) => {
    const traces = Object.fromEntries(document.getElementById('plot').data.map((t) => [t.name, t]));
    return Boolean(traces.kept) && traces.centroids.x.length === picks.picked
        && traces.candidates.x.length === picks.last.candidates.length
        && traces.chances.x.length === (picks.next ? picks.next.weights.length : 0);
}"""


def take_pick(stepper):
    state = stepper.click("Pick next centre", "pick")
    stepper.page.wait_for_function(DRAWS_PICKS, arg=state["picks"])
    return state


def serious_violations(page):
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in violations if v["impact"] in SERIOUS]


def test_picking_centres_draws_each_chance_the_candidates_the_kept_one_and_says_why(
        stepper, artifacts):
    stepper.open(f"?{RUN}")
    page = stepper.page
    take_pick(stepper)
    state = take_pick(stepper)
    picks = state["picks"]
    layer = page.evaluate(READ_LAYER)

    # Circles of area in proportion to each point's chance of being drawn next.
    weights = picks["next"]["weights"]
    assert layer["chances"] == len(weights) == 60
    assert all(abs(size - 30 * w ** 0.5) < 1e-9 for size, w in zip(layer["sizes"], weights))
    assert layer["candidates"] == picks["last"]["positions"]
    assert len(layer["labels"]) == len(picks["last"]["potentials"]) == 3
    kept_at = picks["last"]["candidates"].index(picks["last"]["kept"])
    assert layer["kept"] == [picks["last"]["positions"][kept_at]]
    assert layer["centroids"] == picks["centres"]

    # The sentence, the legend and the next line, in the server's words.
    message = state["events"][0]["message"]
    chance = re.search(r"this point had a ([\d.]+ %) chance", message).group(1)
    expect(page.locator("#happened")).to_contain_text(f"Far points are likelier: this point had "
                                                      f"a {chance} chance")
    expect(page.locator("#picks-legend")).to_have_text(picks["legend"])
    expect(page.locator("#next")).to_have_text(picks["next"]["prompt"])
    expect(stepper.button("Pick next centre")).to_have_class(re.compile("is-next"))
    expect(stepper.button("Reset")).to_be_enabled()

    # On screen, through Plotly's axes: the star where the kept point is, and the likeliest
    # point tinted by its circle where it would otherwise be grey.
    kept = stepper.screen("kept")
    star = kept.pixel(*kept.points[0])
    assert max(star) < 80, f"the kept point is drawn in {star}, not as the dark star"
    circles = stepper.screen("chances")
    likeliest = max(range(len(weights)), key=weights.__getitem__)
    place = circles.points[likeliest]
    assert min(distance(place, other) for other in circles.centroids) > 20
    red, green, blue = circles.pixel(*place)
    assert red - blue > 40 and red - green > 20, (
        f"the likeliest point is drawn in {(red, green, blue)}, untinted")
    stepper.screenshot(artifacts / "kmeanspp-picks.png")
    assert serious_violations(page) == []

    # The last pick is the Init (Back is tested on the server); Assign leaves the layer.
    final = take_pick(stepper)
    assert final["phase"] == "initialized" and final["picks"]["next"] is None
    expect(page.locator("#happened")).to_contain_text("All 3 centres are picked")
    stepper.click("Assign")
    page.wait_for_function("!document.getElementById('plot').data.some((t) => t.name === 'kept')")
    expect(page.locator("#picks-legend")).to_be_hidden()
    assert stepper.errors == []


def test_the_embed_takes_picks_from_its_button_and_draws_them(browser, live_server):
    context = browser.new_context(viewport={"width": 720, "height": 560}, base_url=live_server)
    page = context.new_page()
    try:
        page.goto(f"/embed?{RUN}&controls=init,pick,step,back")
        page.wait_for_function(DRAWN)
        with page.expect_response(lambda r: r.url.split("?")[0].endswith("/pick")) as answer:
            page.get_by_role("button", name="Pick next centre").click()
        picks = unpacked(answer.value.json())["picks"]  # the page asks for it packed
        page.wait_for_function(DRAWS_PICKS, arg=picks)
        expect(page.locator("#happened")).to_contain_text("Centre 1 of 3")
        expect(page.locator("#picks-legend")).to_have_text(picks["legend"])
        assert serious_violations(page) == []
    finally:
        context.close()
