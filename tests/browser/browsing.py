"""The browser tier's fixtures and helpers: a live server on a free port, one headless
Chromium for the whole run, and a small driver that clicks through the stepper and
reads what its plot shows. Tests import the helpers from here (``from browsing import``)."""

import contextlib
import io
import json
import re
import threading
import urllib.request
from urllib.parse import urlsplit
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import sync_playwright
from scipy.spatial import cKDTree
from werkzeug.serving import make_server

from app import create_app
from app.web.schemas import unpack

CHROMIUM = "/usr/bin/chromium"
# --process-per-site: the pages of one context that show one site share a renderer (see
# SharedContexts).
CHROMIUM_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--process-per-site"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAPTOP = {"width": 1366, "height": 768}
SESSION_IN_PATH = re.compile(r"/api/sessions/([^/?]+)")

# Every point the plot shows, in the data's order, from the figure Plotly keeps on its
# element. The plot draws the points one trace per colour, each named 'points' and
# holding its points' indices in the data (null: every point, in order). A JS
# expression, for the scripts below and the tests' own.
SHOWN_POINTS = """((plot) => {
    const groups = plot.data.filter((t) => t.name === 'points');
    const count = groups.reduce((sum, t) => sum + t.x.length, 0);
    const [x, y, colours] = [new Array(count), new Array(count), new Array(count)];
    for (const t of groups) {
        for (let j = 0; j < t.x.length; j += 1) {
            const i = t.indices ? t.indices[j] : j;
            [x[i], y[i], colours[i]] = [t.x[j], t.y[j], t.marker.color];
        }
    }
    return { x, y, colours, traces: groups.length };
})(document.getElementById('plot'))"""
POINT_COUNT = f"{SHOWN_POINTS}.x.length"
# The plot shows its data set's points: the session is there (while it loads, the plot
# is drawn empty).
DRAWN = "document.getElementById('plot')?.data?.some((t) => t.name === 'points' && t.x.length > 0)"
CENTROIDS = "document.getElementById('plot').data.find((t) => t.name === 'centroids')"
UNASSIGNED = "#BBBBBB"  # palette.js: the points' colour before they are assigned
# True once the points show clusters or classes: not all one grey.
COLOURED = f"""() => document.getElementById('plot').data
    .some((t) => t.name === 'points' && t.marker.color !== '{UNASSIGNED}')"""

# What the plot shows, read from the figure Plotly keeps on its element.
READ_FIGURE = f"""() => {{
    const traces = Object.fromEntries(document.getElementById('plot').data.map((t) => [t.name, t]));
    return {{
        points: {SHOWN_POINTS}.colours,
        centroidColours: traces.centroids.marker.color,
        centroids: traces.centroids.x.map((x, j) => [x, traces.centroids.y[j]]),
        previous: traces.previous.x.length,
    }};
}}"""

# True once every point's colour is the colour of its cluster's centroid.
SHOWS_LABELS = f"""(labels) => {{
    const colours = {SHOWN_POINTS}.colours;
    const ofCluster = document.getElementById('plot').data.find((t) => t.name === 'centroids').marker.color;
    return colours.length === labels.length && labels.every((label, i) => colours[i] === ofCluster[label]);
}}"""

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


class SharedContexts:
    """Browser contexts that tests take in turn, one for each set of options.

    A new context starts a new renderer, which compiles Plotly's 3.5 MB again
    (1.2-2.2 s, most of a short test's time). Tests that ask for the same options
    share a context instead, each on pages of its own (a tab each, so a
    sessionStorage each: the page keeps nothing else), and ``tidy`` closes those
    pages after the test. A page of each site left open (``keep``) keeps that
    site's renderer, and the code compiled in it, alive: with --process-per-site
    the next test's pages join it; with every page of a site closed, it ends."""

    def __init__(self, browser):
        self.browser = browser
        self.opened = {}  # options -> (context, the pages kept open)
        self.used = set()

    def get(self, keep=(), **options):
        """A context made with ``options``, a page open at each URL of ``keep``."""
        key = json.dumps([list(keep), options], sort_keys=True)
        if key not in self.opened:
            context = self.browser.new_context(**options)
            kept = []
            for url in keep:
                kept.append(context.new_page())
                kept[-1].goto(url)
            self.opened[key] = (context, kept)
        self.used.add(key)
        return self.opened[key][0]

    def tidy(self):
        """Close every page the last test opened and take back what it granted."""
        for key in self.used:
            context, kept = self.opened[key]
            for page in context.pages:
                if page not in kept:
                    page.close()
            context.clear_permissions()
        self.used.clear()

    def close(self):
        for context, _ in self.opened.values():
            context.close()


@pytest.fixture(scope="session")
def shared_contexts(browser):
    contexts = SharedContexts(browser)
    yield contexts
    contexts.close()


@pytest.fixture
def contexts(shared_contexts):
    """``contexts.get(keep, **options)``: a shared context, tidied after the test."""
    yield shared_contexts
    shared_contexts.tidy()


def on_screen(contexts, origin, viewport, **options):
    """The stepper's context at ``origin`` on a screen (a viewport, touch, a phone)."""
    return contexts.get([f"{origin}/healthz"], viewport=viewport, base_url=origin, **options)


@pytest.fixture
def stepper(contexts, live_server):
    return StepperPage(on_screen(contexts, live_server, LAPTOP).new_page(), live_server)


@pytest.fixture
def stepper_on(contexts, live_server):
    """``stepper_on(viewport, **context options)``: the stepper on another screen (touch, a phone)."""
    def open_on(viewport, **options):
        return StepperPage(on_screen(contexts, live_server, viewport, **options).new_page(),
                           live_server)
    return open_on


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
        self.created = None
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        # The browser reports here what the Content-Security-Policy blocked.
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    def open(self, query=""):
        """Load the page with settings in its URL and wait for its session and plot."""
        with self.page.expect_response(_creates_session) as created:
            self.page.goto(f"/{query}")
        self.created = created.value.json()["id"]
        self.page.wait_for_function(DRAWN)

    def click(self, name, endpoint=None):
        """Click a step button and answer the state the API sent back for it (``unpacked``)."""
        with self.page.expect_response(_answer_of(endpoint or name.lower())) as answer:
            self.button(name).click()
        return unpacked(answer.value.json())

    def press(self, key, endpoint):
        """Press a key that takes a step, and answer the state the API sent back for it."""
        with self.page.expect_response(_answer_of(endpoint)) as answer:
            self.page.keyboard.press(key)
        return unpacked(answer.value.json())

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

    def screen(self, trace="points", every=1):
        """The plot as drawn, with where each point of `trace` is in it (see Screen);
        every `every`-th point only, for a trace too large to read whole."""
        return Screen.of(self.page, trace, every)

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
        return ids[-1] if ids else self.created

    def api(self, path):
        """GET from the API directly, past the page."""
        with urllib.request.urlopen(f"{self.origin}/api{path}") as response:
            return json.load(response)

    def requests_elsewhere(self):
        """Requests that went anywhere but the live server (data: URLs never leave the page)."""
        return [url for url in self.requests
                if not url.startswith(f"{self.origin}/") and not url.startswith("data:")]


def unpacked(answer):
    """An answer as the page asks for it (``?packed=1``), its packed arrays (labels,
    classes, points; in "next" and a 412's "state" too) as the JSON lists an API
    user gets by default."""
    def plain(value):
        if isinstance(value, dict) and set(value) == {"dtype", "shape", "base64"}:
            return unpack(value).tolist()
        if isinstance(value, dict) and ("labels" in value or "phase" in value):
            return unpacked(value)
        if isinstance(value, dict) and isinstance(value.get("next"), dict) \
                and isinstance(value["next"].get("weights"), dict):  # picks: counts of 1/steps
            chances = value["next"]
            weights = (unpack(chances["weights"]) / chances["steps"]).tolist()
            return {**value, "next": {**chances, "weights": weights}}
        return value
    return {key: plain(value) for key, value in answer.items()}


def _creates_session(response):
    return response.request.method == "POST" and urlsplit(response.url).path == "/api/sessions"


def _answer_of(endpoint):
    def is_answer(response):
        return (response.request.method == "POST"
                and urlsplit(response.url).path.endswith(f"/{endpoint}"))
    return is_answer


# --- What the plot looks like, read from its pixels -------------------------------------

# Where each point of a trace is drawn, in pixels of the plot's box, by Plotly's own
# axis mapping (d2p) and the plot area's offset: what Plotly itself draws with.
PLACES = f"""([name, every]) => {{
    const plot = document.getElementById('plot');
    const {{ xaxis, yaxis }} = plot._fullLayout;
    const trace = name === 'points' ? {SHOWN_POINTS} : plot.data.find((t) => t.name === name);
    const place = (x, y) => [xaxis._offset + xaxis.d2p(x), yaxis._offset + yaxis.d2p(y)];
    const centroids = plot.data.find((t) => t.name === 'centroids');
    const sampled = Array.from({{ length: Math.ceil(trace.x.length / every) }}, (_, j) => j * every);
    return {{
        points: sampled.map((i) => place(trace.x[i], trace.y[i])),
        centroids: Array.from(centroids.x, (x, i) => place(x, centroids.y[i])),
        area: [xaxis._offset, yaxis._offset, xaxis._length, yaxis._length],
    }};
}}"""
# The figure fills the plot's box: no refit is pending.
FITTED = """() => {
    const plot = document.getElementById('plot');
    const svg = plot.querySelector('.main-svg');
    return svg && Math.abs(svg.getBoundingClientRect().width - plot.getBoundingClientRect().width) < 1
        && Math.abs(svg.getBoundingClientRect().height - plot.getBoundingClientRect().height) < 1;
}"""
# Two frames: whatever was drawn before is on screen.
PAINTED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


class Screen:
    """A screenshot of the plot and where each point is in it.

    Markers are sampled at their centre, and only where no other marker lies within
    a marker's width, since a later marker may cover an earlier one. A region's
    tint is a light colour (every channel >= 190) that is not grey; gridlines are
    grey, and trails, edges and markers dark or far from the sampled background.
    """

    ALONE = 9  # px to the nearest other marker, so that the centre pixel is the marker's own

    def __init__(self, image, points, centroids, area):
        self.image = image
        self.points = np.asarray(points, dtype=float).reshape(-1, 2)
        self.centroids = np.asarray(centroids, dtype=float).reshape(-1, 2)
        self.area = area

    @classmethod
    def of(cls, page, trace="points", every=1):
        # The plot may be refitting to its box (the lines above it changed): the places
        # are read before and after the screenshot, and it is taken again until they agree.
        page.wait_for_function(FITTED)
        for _ in range(10):
            page.evaluate(PAINTED)
            places = page.evaluate(PLACES, [trace, every])
            shot = page.locator("#plot").screenshot(animations="disabled")
            if page.evaluate(PLACES, [trace, every]) == places:
                break
        image = Image.open(io.BytesIO(shot)).convert("RGB")
        return cls(image, places["points"], places["centroids"], places["area"])

    def pixel(self, x, y):
        return self.image.getpixel((int(round(x)), int(round(y))))

    def inside(self, x, y, margin=4):
        left, top, width, height = self.area
        return left + margin <= x <= left + width - margin and top + margin <= y <= top + height - margin

    def point_colours(self):
        """{index: (r, g, b)} for the points whose centre can be read: alone and in view."""
        if len(self.points) == 0:
            return {}
        markers = np.vstack([self.points, self.centroids])
        nearest, _ = cKDTree(markers).query(self.points, k=2)
        near_centroid = (cKDTree(self.centroids).query(self.points)[0] < 16
                         if len(self.centroids) else np.zeros(len(self.points), bool))
        return {i: self.pixel(*self.points[i]) for i in range(len(self.points))
                if nearest[i, 1] > self.ALONE and not near_centroid[i] and self.inside(*self.points[i])}

    def centroid_colours(self):
        return [self.pixel(x, y) for x, y in self.centroids]

    def background(self, step=14, clear=14):
        """The colours of a grid of places in the plot area that no marker comes near."""
        left, top, width, height = self.area
        grid = np.array([(x, y) for x in np.arange(left + 6, left + width - 6, step)
                         for y in np.arange(top + 6, top + height - 6, step)])
        markers = np.vstack([self.points, self.centroids])
        if len(markers):
            grid = grid[cKDTree(markers).query(grid)[0] > clear]
        return [self.pixel(x, y) for x, y in grid]

    def tinted_share(self):
        """The share of the background a region tints."""
        colours = self.background()
        assert len(colours) > 20, "too little background to judge the regions by"
        return sum(map(tinted, colours)) / len(colours)


def tinted(colour):
    return min(colour) >= 190 and max(colour) - min(colour) >= 10


def distance(a, b):
    return float(np.linalg.norm(np.subtract(a, b, dtype=float)))


def one_colour_each(colours_by_group, tolerance=24):
    """{group: its one colour}, asserting every sampled pixel of a group is close to it."""
    found = {}
    for group, colours in colours_by_group.items():
        assert colours, f"no point of {group!r} could be read on screen"
        values, counts = np.unique(np.array(colours), axis=0, return_counts=True)
        common = tuple(int(v) for v in values[counts.argmax()])
        strays = [c for c in colours if distance(c, common) > tolerance]
        assert len(strays) <= len(colours) // 20, f"{group!r} is drawn in {common} and in {strays[:5]}"
        found[group] = common
    return found


def distinct(colours, apart=40):
    """Whether every two colours differ by more than `apart` (RGB distance)."""
    colours = list(colours)
    return all(distance(a, b) > apart for i, a in enumerate(colours) for b in colours[i + 1:])
