"""The stepper's main path on three screens, a laptop (1280 × 900), a tablet
(1024 × 768, touch) and a phone (390 × 844, touch): taps land where tapped, nothing
overflows its panel, axe finds nothing serious; and the column beside the plot
shows all it has at 1280 × 900."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from browsing import CENTROIDS, PAINTED, POINT_COUNT, SHOWN_POINTS, distinct, one_colour_each, unpacked
from sites import SERIOUS

LAPTOP = {"width": 1280, "height": 900}
SCREENS = {
    "laptop": (LAPTOP, {}),
    "tablet": ({"width": 1024, "height": 768}, {"has_touch": True}),
    "phone": ({"width": 390, "height": 844}, {"has_touch": True, "is_mobile": True}),
}
BLOBS = "?dataset=blobs&n_samples=200&centers=3&cluster_std=0.6&random_state=0&k=3&init=kmeans%2B%2B&seed=0"

# Where a place on screen is in the plot's data, by Plotly's own axes.
DATA_AT = """([vx, vy]) => {
    const plot = document.getElementById('plot');
    const { xaxis, yaxis } = plot._fullLayout;
    const box = plot.getBoundingClientRect();
    return {
        at: [xaxis.p2d(vx - box.left - xaxis._offset), yaxis.p2d(vy - box.top - yaxis._offset)],
        span: [Math.abs(xaxis.range[1] - xaxis.range[0]), Math.abs(yaxis.range[1] - yaxis.range[0])],
    };
}"""
LAST_POINT = f"""() => {{
    const shown = {SHOWN_POINTS};
    return [shown.x.at(-1), shown.y.at(-1)];
}}"""

# Every visible element that reaches past the left or right edge of its panel.
OVERFLOWING = """() => {
    const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${el.className?.baseVal ?? el.className}`;
    const out = [];
    if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('the page');
    for (const panel of document.querySelectorAll('.masthead, .panel, .stage, .share-panel')) {
        const box = panel.getBoundingClientRect();
        if (panel.scrollWidth > panel.clientWidth + 1) out.push(`inside ${name(panel)}`);
        for (const el of panel.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            // A chart is judged by its box: Plotly's drag layers reach past it, unseen.
            const chart = el.parentElement.closest('.js-plotly-plot');
            if (r.width === 0 || r.height === 0 || chart || el.closest('.visually-hidden')) continue;
            if (r.right > box.right + 1 || r.left < box.left - 1) out.push(`${name(el)} in ${name(panel)}`);
        }
    }
    return out;
}"""


def press(stepper, name, touch):
    """Tap (or click) a step button and answer the state the API sent back."""
    with stepper.page.expect_response(lambda r: r.url.split("?")[0].endswith(f"/{name.lower()}")) as answer:
        button = stepper.button(name)
        button.tap() if touch else button.click()
    return unpacked(answer.value.json())


def put_point(stepper, fx, fy, touch):
    """Tap (or click) at a fraction of the plot area; answer where that is in data and the axes' spans."""
    page = stepper.page
    drag = page.locator("#plot .nsewdrag")
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
    expected = page.evaluate(DATA_AT, [x, y])
    count = page.evaluate(POINT_COUNT)
    page.touchscreen.tap(x, y) if touch else page.mouse.click(x, y)
    page.wait_for_function(f"{POINT_COUNT} === {count + 1}")
    return expected


@pytest.mark.parametrize("screen", SCREENS)
def test_the_main_path_on_every_screen(stepper_on, screen):
    viewport, options = SCREENS[screen]
    touch = options.get("has_touch", False)
    stepper = stepper_on(viewport, **options)
    stepper.open(BLOBS)

    press(stepper, "Init", touch)
    state = press(stepper, "Assign", touch)
    stepper.wait_for_labels(state["labels"])
    by_cluster = {j: [] for j in range(state["k"])}
    for i, colour in stepper.screen().point_colours().items():
        by_cluster[state["labels"][i]].append(colour)
    assert distinct(one_colour_each(by_cluster).values())
    stepper.page.locator("#judge-section summary").scroll_into_view_if_needed()
    # The keys are told where there are keys: not on a touch screen.
    keys = expect(stepper.page.locator(".keys"))
    keys.to_be_hidden() if touch else keys.to_be_visible()

    assert stepper.page.evaluate(OVERFLOWING) == []
    violations = Axe().run(stepper.page).response["violations"]
    assert [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in SERIOUS] == []
    assert stepper.errors == []


@pytest.mark.parametrize("screen", SCREENS)
def test_a_tap_adds_the_point_where_it_was_tapped(stepper_on, screen):
    viewport, options = SCREENS[screen]
    stepper = stepper_on(viewport, **options)
    page = stepper.page
    page.goto("/?dataset=custom&k=3&init=kmeans%2B%2B&seed=0")
    expect(page.locator("#next")).to_contain_text("Click in the plot")
    plot_area = page.locator("#plot .nsewdrag")
    plot_area.scroll_into_view_if_needed()
    where = plot_area.bounding_box()

    for fx, fy in [(0.5, 0.5), (0.2, 0.25), (0.85, 0.7), (0.1, 0.9)]:
        expected = put_point(stepper, fx, fy, options.get("has_touch", False))
        added = page.evaluate(LAST_POINT)
        for axis in (0, 1):
            off = abs(added[axis] - expected["at"][axis]) / expected["span"][axis]
            assert off <= 0.02, f"tapped at {expected['at']}, added {added}"
        # The plot stays under the finger: what a point says (fewer than k, say) does not push it.
        page.evaluate(PAINTED)
        assert plot_area.bounding_box()["y"] == pytest.approx(where["y"], abs=1)
    expect(page.locator("#error")).to_be_empty()
    assert page.evaluate(OVERFLOWING) == []


def test_placed_centroids_land_where_tapped_on_a_phone(stepper_on):
    viewport, options = SCREENS["phone"]
    stepper = stepper_on(viewport, **options)
    stepper.open("?dataset=blobs&k=2&init=manual&seed=0")
    page = stepper.page
    placed = f"{CENTROIDS}.x.length"
    for n, (fx, fy) in enumerate([(0.3, 0.4), (0.7, 0.6)], start=1):
        drag = page.locator("#plot .nsewdrag")
        drag.scroll_into_view_if_needed()
        box = drag.bounding_box()
        x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
        expected = page.evaluate(DATA_AT, [x, y])
        page.touchscreen.tap(x, y)
        page.wait_for_function(f"{placed} === {n}")
        shown = page.evaluate(f"(() => {{ const t = {CENTROIDS}; return [t.x[{n - 1}], t.y[{n - 1}]]; }})()")
        for axis in (0, 1):
            assert abs(shown[axis] - expected["at"][axis]) / expected["span"][axis] <= 0.02


# --- The column beside the plot at 1280 × 900 --------------------------------------------

OBJECTIVE_PARTS = """() => {
    const div = document.getElementById('objective');
    const rect = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const star = div.querySelectorAll('.scatterlayer .trace')[1]?.querySelector('.point');
    const clip = div.querySelector('.scatterlayer .trace:last-child')?.getAttribute('clip-path');
    return {
        label: [...div.querySelectorAll('.annotation')].map(rect),
        ticks: [...div.querySelectorAll('.ytick text, .y2tick text')].map(rect),
        star: star ? rect(star) : null,
        figure: rect(div),
    };
}"""


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_converged_label_and_star_are_whole_and_clear_of_the_ticks(stepper_on):
    stepper = stepper_on(LAPTOP)
    stepper.open(BLOBS)  # converges at the second Assign: the star is near the y axis
    page = stepper.page
    page.locator("#speed").focus()
    page.keyboard.press("End")
    stepper.button("Run").click()
    expect(page.locator("#happened")).to_contain_text("Converged", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('#objective .annotation').length === 1")

    parts = page.evaluate(OBJECTIVE_PARTS)

    assert parts["star"], "no star at convergence"
    assert not any(overlaps(label, tick) for label in parts["label"] for tick in parts["ticks"])
    left, top, right, bottom = parts["figure"]
    star = parts["star"]
    assert left <= star[0] and star[2] <= right and top <= star[1] and star[3] <= bottom
    assert star[2] - star[0] >= 12, "the star is clipped"


def test_the_side_column_shows_its_charts_tables_and_means_whole(stepper_on):
    stepper = stepper_on(LAPTOP)
    stepper.open("?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0")
    page = stepper.page
    stepper.click("Init")
    stepper.click("Assign")
    stepper.click("Update")
    page.wait_for_function("document.querySelectorAll('#contingency tbody tr').length === 10")
    page.locator("#elbow-section summary").click()
    page.wait_for_function("document.querySelector('#elbow .scatterlayer')")

    elbow = page.locator("#elbow").bounding_box()
    assert elbow["width"] >= 240 and elbow["height"] >= 160
    table = page.evaluate("""() => {
        const box = document.getElementById('contingency');
        return { scroll: box.scrollWidth, width: box.clientWidth,
                 caption: box.querySelector('caption').getBoundingClientRect().right,
                 right: box.getBoundingClientRect().right };
    }""")
    assert table["scroll"] <= table["width"] and table["caption"] <= table["right"] + 1
    # The means: crisp (whole pixels, no smoothing), large enough to read, dark ink.
    page.wait_for_function("document.querySelector('#gallery button .size').textContent !== '–'")
    tile = page.evaluate("""() => {
        const canvas = document.querySelector('#gallery canvas');
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let darkest = 255;
        for (let i = 0; i < data.length; i += 4) darkest = Math.min(darkest, data[i]);
        return { shown: canvas.getBoundingClientRect().width, pixels: canvas.width,
                 rendering: getComputedStyle(canvas).imageRendering, darkest };
    }""")
    assert tile["shown"] >= 56 and tile["shown"] % 28 == 0
    assert tile["rendering"] == "pixelated" and tile["darkest"] <= 40
    page.get_by_role("button", name="Larger images").click()
    expect(page.get_by_role("button", name="Larger images")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.querySelector('#gallery canvas').getBoundingClientRect().width") >= 112
    # "Reading the plot" can be read to its last line.
    page.locator(".legend li").last.scroll_into_view_if_needed()
    whole = page.evaluate("""() => {
        const li = [...document.querySelectorAll('.legend li')].at(-1);
        const r = li.getBoundingClientRect();
        const side = li.closest('.side').getBoundingClientRect();
        return r.bottom <= side.bottom + 1 && r.height > 10;
    }""")
    assert whole
    assert page.evaluate(OVERFLOWING) == []
