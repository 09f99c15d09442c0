"""A live server on a free port, one headless Chromium for the whole run, and a
small driver that clicks through the stepper and reads what its plot shows."""

import contextlib
import json
import re
import threading
import urllib.request
from urllib.parse import urlsplit
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAPTOP = {"width": 1366, "height": 768}
SESSION_IN_PATH = re.compile(r"/api/sessions/([^/]+)/")

# What the plot shows, read from the figure Plotly keeps on its element.
READ_FIGURE = """() => {
    const traces = Object.fromEntries(document.getElementById('plot').data.map((t) => [t.name, t]));
    return {
        points: traces.points.marker.color,
        centroidColours: traces.centroids.marker.color,
        centroids: traces.centroids.x.map((x, j) => [x, traces.centroids.y[j]]),
        previous: traces.previous.x.length,
    };
}"""

# True once every point's colour is the colour of its cluster's centroid.
SHOWS_LABELS = """(labels) => {
    const traces = Object.fromEntries(document.getElementById('plot').data.map((t) => [t.name, t]));
    const colours = traces.points.marker.color;
    const ofCluster = traces.centroids.marker.color;
    return Array.isArray(colours) && colours.length === labels.length
        && labels.every((label, i) => colours[i] === ofCluster[label]);
}"""

SHOWS_CENTROIDS = """(centroids) => {
    const traces = Object.fromEntries(document.getElementById('plot').data.map((t) => [t.name, t]));
    const shown = traces.centroids;
    return shown.x.length === centroids.length
        && centroids.every(([x, y], j) => shown.x[j] === x && shown.y[j] === y);
}"""


@contextlib.contextmanager
def serve(app):
    """The app on a free port of 127.0.0.1, in a thread; gives its origin."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="session")
def live_server():
    # Tests click faster than a class would; the per-session step limit is not under test here.
    with serve(create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False})) as origin:
        yield origin


@pytest.fixture(scope="session")
def serving():
    """``with serving(app) as origin``: a test's own server, for an app configured otherwise."""
    return serve


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def stepper(browser, live_server):
    context = browser.new_context(viewport=LAPTOP, base_url=live_server)
    page = context.new_page()
    driver = StepperPage(page, live_server)
    yield driver
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class StepperPage:
    """The stepper in a browser tab: open it, take steps, read the plot."""

    def __init__(self, page, origin):
        self.page = page
        self.origin = origin
        self.requests = []
        self.errors = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        # The browser reports here what the Content-Security-Policy blocked.
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    def open(self, query=""):
        """Load the page with settings in its URL and wait for its session and plot."""
        with self.page.expect_response(_creates_session):
            self.page.goto(f"/{query}")
        self.page.wait_for_function("document.getElementById('plot').data?.length === 4")

    def click(self, name, endpoint=None):
        """Click a step button and answer the state the API sent back for it."""
        with self.page.expect_response(_answer_of(endpoint or name.lower())) as answer:
            self.button(name).click()
        return answer.value.json()

    def press(self, key, endpoint):
        """Press a key that takes a step, and answer the state the API sent back for it."""
        with self.page.expect_response(_answer_of(endpoint)) as answer:
            self.page.keyboard.press(key)
        return answer.value.json()

    def button(self, name):
        return self.page.get_by_role("button", name=name, exact=True)

    def screenshot(self, path):
        """A screenshot once the plot has been refitted to its box."""
        self.page.wait_for_function(
            "(() => { const plot = document.getElementById('plot');"
            " return Math.abs(plot.querySelector('.main-svg').getBoundingClientRect().height"
            " - plot.getBoundingClientRect().height) < 1; })()")
        self.page.screenshot(path=path)

    def regions_painted(self):
        """Whether the Voronoi regions' canvas under the plot has anything drawn on it."""
        return self.page.evaluate("""() => {
            const canvas = document.getElementById('regions');
            const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            return data.some((value, i) => i % 4 === 3 && value > 0);
        }""")

    def figure(self):
        return self.page.evaluate(READ_FIGURE)

    def wait_for_labels(self, labels):
        self.page.wait_for_function(SHOWS_LABELS, arg=labels)

    def wait_for_centroids(self, centroids):
        self.page.wait_for_function(SHOWS_CENTROIDS, arg=centroids)

    def shown_labels(self):
        """The cluster of every point, read back from its colour in the plot."""
        figure = self.figure()
        cluster_of = {colour: j for j, colour in enumerate(figure["centroidColours"])}
        assert len(cluster_of) == len(figure["centroidColours"]), "two clusters share a colour"
        return [cluster_of[colour] for colour in figure["points"]]

    def session_id(self):
        ids = [match.group(1) for url in self.requests if (match := SESSION_IN_PATH.search(url))]
        return ids[-1]

    def api(self, path):
        """GET from the API directly, past the page."""
        with urllib.request.urlopen(f"{self.origin}/api{path}") as response:
            return json.load(response)

    def requests_elsewhere(self):
        """Requests that went anywhere but the live server (data: URLs never leave the page)."""
        return [url for url in self.requests
                if not url.startswith(f"{self.origin}/") and not url.startswith("data:")]


def _creates_session(response):
    return response.request.method == "POST" and urlsplit(response.url).path == "/api/sessions"


def _answer_of(endpoint):
    def is_answer(response):
        return (response.request.method == "POST"
                and urlsplit(response.url).path.endswith(f"/{endpoint}"))
    return is_answer
