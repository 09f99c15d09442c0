"""Lloyd's algorithm beside the plot: the line of the step due next is lit and the one
just taken marked, through every control, on the page and in the embed (?panel=algorithm);
the notation is native MathML, drawn; a screen reader gets the lit line as text. axe
checks the panel in the embed here, and on the full page with the rest of it
(test_accessibility.py)."""

import json
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from browsing import DRAWN
from sites import SERIOUS

BLOBS = "?dataset=blobs&k=4&init=kmeans%2B%2B&seed=0"
EMBED = "/embed?dataset=mouse&k=3&panel=algorithm&controls=init,assign,update,step,back,run"
PHONE = {"width": 390, "height": 844}

# The panel as a student and a screen reader find it: which lines are lit and marked.
PANEL = """() => {
    const lines = [...document.querySelectorAll('#algorithm-lines > li')];
    const number = (selector) => lines.findIndex((li) => li.matches(selector)) + 1;
    return {
        lit: number('.is-next'), marked: number('.is-taken'),
        current: lines.filter((li) => li.getAttribute('aria-current') === 'step').length,
        litText: lines.find((li) => li.matches('.is-next'))?.textContent ?? '',
        said: document.getElementById('algorithm-now').textContent,
        start: lines[0].textContent,
    };
}"""

# Each formula laid out by the browser's own MathML engine: a box, a superscript
# raised above its base, a fraction's numerator above its bar.
MATH = """() => [...document.querySelectorAll('#algorithm math')].map((math) => {
    const box = math.getBoundingClientRect();
    const sup = math.querySelector('msup');
    const frac = math.querySelector('mfrac');
    const top = (el) => el.getBoundingClientRect().top;
    return {
        display: getComputedStyle(math).display,
        width: box.width, height: box.height,
        raised: sup ? top(sup.children[1]) < top(sup.children[0]) : null,
        stacked: frac ? top(frac.children[0]) < top(frac.children[1]) : null,
    };
})"""


def lines_of(catalog):
    """The numbers (from 1) of the panel's lines for each step, as the catalog gives them."""
    return {line["step"]: number for number, line in enumerate(catalog["algorithm"]["lines"], 1)
            if "step" in line}


def expect_lit(page, lit, marked, timeout=30_000):
    page.wait_for_function(
        f"(() => {{ const p = ({PANEL})(); return p.lit === {lit} && p.marked === {marked}; }})()",
        timeout=timeout)
    shown = page.evaluate(PANEL)
    assert shown["current"] == 1
    assert f"line {lit}" in shown["said"]
    return shown


@pytest.fixture(scope="module")
def catalog(live_server):
    with urllib.request.urlopen(f"{live_server}/api/catalog") as response:
        return json.load(response)


def test_the_lit_line_follows_step_half_steps_back_keys_and_run_with_its_notation_drawn(
        stepper, catalog):
    line = lines_of(catalog)
    starts = {start["name"]: start for start in catalog["starts"]}
    stepper.open(BLOBS)
    page = stepper.page

    shown = expect_lit(page, line["init"], 0)
    assert starts["kmeans++"]["line"] in shown["start"]
    assert shown["said"].startswith("Next:") and catalog["algorithm"]["lines"][0]["text"][:5] in shown["said"]
    maths = page.evaluate(MATH)
    assert len(maths) == 3
    for math in maths:
        assert math["display"].endswith("math"), math  # laid out as MathML, not as unknown tags
        assert math["width"] > 20 and math["height"] > 10, math
    assert all(math["raised"] is not False and math["stacked"] is not False for math in maths)
    assert any(math["stacked"] for math in maths) and any(math["raised"] for math in maths)

    stepper.click("Init")
    expect_lit(page, line["assign"], line["init"])
    stepper.click("Assign")
    expect_lit(page, line["update"], line["assign"])
    stepper.click("Update")
    expect_lit(page, line["assign"], line["update"])
    stepper.press("ArrowLeft", "back")
    expect_lit(page, line["update"], line["assign"])
    stepper.press("ArrowRight", "step")
    expect_lit(page, line["assign"], line["update"])
    stepper.click("Back")
    expect_lit(page, line["update"], line["assign"])

    page.locator("#speed").focus()
    page.keyboard.press("End")
    stepper.button("Run").click()
    shown = expect_lit(page, line["converged"], line["assign"], timeout=60_000)
    assert shown["said"].startswith("Done:")

    # Another start, another start line: its words from the catalog.
    page.locator("#start").select_option("random")
    expect(page.locator("#algorithm-lines > li").first).to_contain_text(starts["random"]["line"])
    expect_lit(page, line["init"], 0)
    assert stepper.errors == []


def test_the_embed_with_panel_algorithm_follows_its_buttons_and_fits_a_phone_and_a_wide_frame(
        browser, live_server, catalog):
    line = lines_of(catalog)
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True,
                                  base_url=live_server)
    try:
        page = context.new_page()
        page.goto(EMBED)
        page.wait_for_function(DRAWN)
        expect_lit(page, line["init"], 0)
        for name, lit, marked in (("Step", "assign", "init"), ("Assign", "update", "assign"),
                                  ("Back", "assign", "init")):
            page.get_by_role("button", name=name, exact=True).tap()
            expect_lit(page, line[lit], line[marked])
        fits = page.evaluate("""() => {
            const panel = document.getElementById('algorithm').getBoundingClientRect();
            const plot = document.querySelector('.plot-frame').getBoundingClientRect();
            return { sideways: document.documentElement.scrollWidth - window.innerWidth,
                     under: panel.top >= plot.bottom - 1, right: panel.right - window.innerWidth };
        }""")
        assert fits["sideways"] <= 0 and fits["right"] <= 0 and fits["under"], fits
        assert len(page.evaluate(MATH)) == 3

        # A wide frame: the panel beside the plot, and the frame needs no scroll bar.
        page.set_viewport_size({"width": 900, "height": 520})
        page.wait_for_function("""() => {
            const panel = document.getElementById('algorithm').getBoundingClientRect();
            const plot = document.querySelector('.plot-frame').getBoundingClientRect();
            return panel.left >= plot.right - 1 && panel.top < plot.bottom;
        }""")
        page.wait_for_function(
            "document.documentElement.scrollHeight <= document.documentElement.clientHeight + 1"
            " && document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")
        violations = Axe().run(page).response["violations"]
        assert [v["id"] for v in violations if v["impact"] in SERIOUS] == []
    finally:
        context.close()
