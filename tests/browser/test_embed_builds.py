"""The stepper framed by real documentation builds, in the forms docs/embedding.md
gives: a Sphinx site (rst `raw:: html`, MyST `{raw} html`), a Jupyter Book 1
site (the snippet in a Markdown page, `IFrame` in an executed notebook), and
mystmd's box 60% as tall as wide (reproduced: mystmd cannot build offline).
The sites are built once, from tests/browser/embed_sites/, served on
127.0.0.1:B while the app is on localhost:A, and opened in Chromium."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from browsing import DRAWN
from sites import FRAME_LAYOUT, POINTS_SPREAD, other_site, outside_box, serve_directory

SOURCES = Path(__file__).resolve().parent / "embed_sites"
DOCUMENTED_ADDRESS = "https://kmeans.school.example"  # the documented forms, as the sources have them
BUILD_SECONDS = 300
LAPTOP = {"width": 1366, "height": 768}
# Column widths: a phone, a narrow sidebar layout, Jupyter Book's column, the snippet, a wide page.
WIDTHS = [320, 400, 600, 720, 900]
MYSTMD_ASPECT = 0.6
PAGES = {
    "sphinx-rst": "sphinx/index.html",
    "sphinx-myst": "sphinx/myst.html",
    "jupyterbook-markdown": "jupyterbook/intro.html",
    "jupyterbook-notebook": "jupyterbook/notebook.html",
    "mystmd": "mystmd/index.html",
}

# A column of that width: the built frame keeps its height, mystmd's box follows the width.
SET_COLUMN = """([width, mystmd]) => {
    if (mystmd) {
        document.querySelector('.column').style.width = `${width}px`;
        return;
    }
    const frame = document.querySelector('iframe');
    frame.style.maxWidth = 'none';
    frame.style.width = `${width}px`;
}"""


def build(*args, cwd):
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=BUILD_SECONDS)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def app_site(live_server):
    return other_site(live_server)


@pytest.fixture(scope="module")
def course_site(tmp_path_factory, app_site):
    """The sites, built from their sources with the app's address in place of the documented one, served."""
    root = tmp_path_factory.mktemp("course")
    sources = root / "sources"
    shutil.copytree(SOURCES, sources)
    for path in sources.rglob("*"):
        if path.is_file():
            path.write_text(path.read_text().replace(DOCUMENTED_ADDRESS, app_site))
    site = root / "site"
    build("-m", "sphinx", "-b", "html", "-q", "-W", "sphinx", str(site / "sphinx"), cwd=sources)
    build("-c", "from jupyter_book.cli.main import main; main()", "build", "-q", "-W",
          "--path-output", str(root / "book"), "jupyterbook", cwd=sources)
    shutil.copytree(root / "book" / "_build" / "html", site / "jupyterbook")
    shutil.copytree(sources / "mystmd", site / "mystmd")
    with serve_directory(site) as origin:
        yield origin


@pytest.fixture
def context(contexts, app_site):
    """A laptop's browser, shared with the other tests here (``SharedContexts``)."""
    return contexts.get([f"{app_site}/healthz"], viewport=LAPTOP)


class CoursePage:
    """A built page in a tab, and the stepper in its frame."""

    def __init__(self, context, course_site, app_site, name):
        self.mystmd = name == "mystmd"
        self.page = context.new_page()
        # Only loopback: a theme's page must not reach for a CDN during a test.
        self.page.route("**/*", lambda route: route.continue_()
                        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost")
                        else route.abort())
        # The stepper's own errors: Jupyter Book's theme raises one of its own (sphinx-thebe).
        self.errors = []
        self.page.on("pageerror", lambda error: app_site in (error.stack or "")
                     and self.errors.append(str(error)))
        # Not "load": that waits for the frame too, and Plotly loads slowly on a busy machine.
        self.page.goto(f"{course_site}/{PAGES[name]}", wait_until="domcontentloaded")
        frames = self.page.locator(f"iframe[src^='{app_site}/embed']")
        expect(frames).to_have_count(1)
        frames.scroll_into_view_if_needed()  # the snippet's frame loads lazily
        self.frame = frames.element_handle().content_frame()
        self.frame.wait_for_function(DRAWN, timeout=120_000)

    def set_column(self, width):
        """Lay the page out as a column `width` wide would, and wait for the frame to be that wide."""
        self.page.evaluate(SET_COLUMN, [width, self.mystmd])
        self.frame.wait_for_function("(width) => document.documentElement.clientWidth === width",
                                     arg=width)

    def layout(self):
        return self.frame.evaluate(FRAME_LAYOUT)

    def iteration(self):
        summary = self.frame.locator("#summary").text_content()
        match = re.match(r"Iteration (\d+)", summary)
        return int(match.group(1)) if match else -1

    def wait_until_the_points_fill_the_plot(self):
        self.frame.wait_for_function(
            f"(() => {{ const s = ({POINTS_SPREAD})(); return s.sized && s.inside && s.covers >= 0.5; }})()",
            timeout=30_000)


@pytest.mark.parametrize("name", PAGES)
def test_the_frame_holds_all_of_the_stepper_with_no_scroll_bar_in_every_column_width(
        context, course_site, app_site, name):
    course = CoursePage(context, course_site, app_site, name)
    shown = {}
    for width in WIDTHS:
        course.set_column(width)
        shown[width] = course.layout()

    for width, layout in shown.items():
        box_width, box_height = layout["box"]
        assert box_width == width
        if course.mystmd:
            assert abs(box_height - MYSTMD_ASPECT * width) <= 1
        else:
            assert box_height == 520  # the height the page gave the frame
        assert outside_box(layout) == [], f"{width} x {box_height}: {layout}"
        assert layout["plot"] >= 0.4 * box_height, f"{width} x {box_height}: {layout}"
    assert course.errors == []


@pytest.mark.parametrize("name", ["sphinx-rst", "jupyterbook-notebook", "mystmd"])
def test_a_run_resized_midway_converges_with_its_points_still_filling_the_plot(
        context, course_site, app_site, name):
    course = CoursePage(context, course_site, app_site, name)
    course.set_column(720)
    course.frame.get_by_role("button", name="Run", exact=True).click()
    course.frame.wait_for_function(
        "/^Iteration [1-9]/.test(document.getElementById('summary').textContent)")
    resized_at = course.iteration()

    course.set_column(320)  # a phone turned, a sidebar opened
    course.wait_until_the_points_fill_the_plot()
    course.set_column(900)
    course.wait_until_the_points_fill_the_plot()
    expect(course.frame.locator("#happened")).to_contain_text("Converged", timeout=90_000)

    assert course.iteration() > resized_at  # the frame was resized mid-run
    spread = course.frame.evaluate(POINTS_SPREAD)
    assert spread["inside"] and spread["covers"] >= 0.5, spread
    assert outside_box(course.layout()) == []
    assert course.errors == []
