"""The stepper framed by a course page on another site: its messages, the commands
it obeys and those it ignores, links that reproduce a run, Share and Embed, and
no cookie anywhere."""

import functools
import json
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app import create_app
from browsing import DRAWN, unpacked
from sites import (FRAME_LAYOUT, POINTS_SPREAD, SERIOUS, QuietHandler, other_site,
                   outside_box, zoom_in)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MOUSE = "/embed?dataset=mouse&random_state=0&k=3&init=random&seed=1"
LOG = "#log code"
LAPTOP = {"width": 1366, "height": 768}
# The focused control's name, and whether its focus ring shows.
TAB_STOP = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        id: el.id || el.dataset.action || el.tagName,
        visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
}"""


def serve(app_or_handler):
    """A server on a free port of 127.0.0.1 in a thread; answers it and its port."""
    if callable(getattr(app_or_handler, "wsgi_app", None)):
        server = make_server("127.0.0.1", 0, app_or_handler, threaded=True)
    else:
        server = ThreadingHTTPServer(("127.0.0.1", 0), app_or_handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


@pytest.fixture(scope="module")
def host_port():
    """examples/ served from a second site: the course page is on 127.0.0.1:B."""
    server, port = serve(functools.partial(QuietHandler, directory=str(EXAMPLES)))
    yield port
    server.shutdown()


@pytest.fixture(scope="module")
def app_site(live_server):
    """The app as another site than the host: localhost:A against 127.0.0.1:B."""
    return other_site(live_server)


@pytest.fixture(scope="module")
def listing_app(host_port):
    """The app with frame-ancestors listing only the course page's origin."""
    app = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False,
                      "FRAME_ANCESTORS": f"http://127.0.0.1:{host_port}"})
    server, port = serve(app)
    yield f"http://localhost:{port}"
    server.shutdown()


@pytest.fixture
def context(contexts, app_site, live_server):
    """A laptop's browser, shared with the other tests here (``SharedContexts``): its
    pages on the app's two sites kept open between them."""
    return contexts.get([f"{app_site}/healthz", f"{live_server}/healthz"], viewport=LAPTOP)


@pytest.fixture
def own_context(browser):
    """A context of the test's own, for a test that listens to all of it."""
    context = browser.new_context(viewport=LAPTOP)
    yield context
    context.close()


class HostPage:
    """examples/embed-host.html framing the stepper, and what it received."""

    def __init__(self, context, host, embed_url):
        self.page = context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{host}/embed-host.html?app={quote(embed_url, safe='')}")
        self.frame_element = self.page.locator("#stepper")
        self.frame = self.page.frame_locator("#stepper")

    def messages(self, kind=None):
        texts = self.page.locator(LOG).all_text_contents()
        messages = [json.loads(text) for text in texts]
        return [m for m in messages if kind is None or m["type"] == f"kmeans:{kind}"]

    def wait_for(self, kind, count=1):
        """Wait until `count` messages of a kind have arrived; answer them all."""
        self.page.wait_for_function(
            """([type, count]) => [...document.querySelectorAll('#log code')]
                .filter((c) => JSON.parse(c.textContent).type === type).length >= count""",
            arg=[f"kmeans:{kind}", count])
        return self.messages(kind)

    def command(self, name):
        self.page.get_by_role("button", name=name, exact=True).click()

    def embed_frame(self):
        return self.frame_element.element_handle().content_frame()


def host_url(port):
    return f"http://127.0.0.1:{port}"


# --- A host page on another site ----------------------------------------------------

def test_a_host_on_another_site_hears_ready_resize_and_every_step_and_sizes_the_frame(
        context, host_port, app_site):
    host = HostPage(context, host_url(host_port), app_site + MOUSE)
    host.wait_for("ready")
    resize = host.wait_for("resize")[-1]
    expect(host.frame_element).to_have_attribute("height", str(resize["height"]))

    host.frame.get_by_role("button", name="Step", exact=True).click()
    host.frame.get_by_role("button", name="Step", exact=True).click()
    steps = host.wait_for("step", 2)

    assert [(s["action"], s["phase"], s["iteration"]) for s in steps] == [
        ("step", "initialized", 0), ("step", "assigned", 0)]
    assert steps[0]["inertia"] is None and steps[1]["inertia"] > 0
    assert steps[1]["converged"] is False
    expect(host.page.locator("#latest")).to_contain_text("assigned, iteration 0")
    assert host.errors == []


def test_the_host_commands_step_back_reset_and_run_and_the_stepper_obeys(
        context, host_port, app_site):
    host = HostPage(context, host_url(host_port), app_site + MOUSE)
    host.wait_for("ready")

    host.command("Step")
    host.wait_for("step", 1)
    host.command("Step")
    host.wait_for("step", 2)
    host.command("Back")
    host.wait_for("step", 3)
    host.command("Reset")
    host.wait_for("step", 4)
    host.command("Run")
    host.page.wait_for_function(
        """() => [...document.querySelectorAll('#log code')].map((c) => JSON.parse(c.textContent))
            .some((m) => m.type === 'kmeans:step' && m.converged)""")
    steps = host.messages("step")

    assert [(s["action"], s["phase"]) for s in steps[:4]] == [
        ("step", "initialized"), ("step", "assigned"), ("back", "initialized"), ("reset", "new")]
    run = steps[4:]
    assert run[0]["phase"] == "initialized" and run[-1]["converged"]
    inertias = [s["inertia"] for s in run if s["phase"] == "assigned"]
    assert inertias == sorted(inertias, reverse=True)
    expect(host.frame.locator("#happened")).to_contain_text("Converged")


def test_commands_are_ignored_from_a_sibling_frame_and_from_an_origin_outside_the_list(
        context, host_port, listing_app):
    host = HostPage(context, host_url(host_port), listing_app + MOUSE)
    host.wait_for("ready")
    embed = host.embed_frame()
    step_requests = []
    host.page.on("request", lambda r: urlparse(r.url).path.endswith("/step")
                 and step_requests.append(r.url))

    # Another frame in the course page, from the listed origin: it is not the parent.
    sibling_url = f"{host_url(host_port)}/embed-host.css"
    host.page.evaluate("""(src) => new Promise((resolve) => {
        const frame = document.createElement('iframe');
        frame.src = src;
        frame.addEventListener('load', resolve);
        document.body.append(frame);
    })""", sibling_url)
    sibling = next(f for f in host.page.frames if f.url == sibling_url)
    sibling.evaluate(
        "parent.frames[0].postMessage({type: 'kmeans:command', command: 'step'}, '*')")
    # The parent's window, but an origin the configuration does not list.
    command_from = """(origin) => window.dispatchEvent(new MessageEvent('message', {
        data: {type: 'kmeans:command', command: 'step'}, origin, source: window.parent}))"""
    embed.evaluate(command_from, f"http://localhost:{host_port}")

    host.command("Step")  # the parent, from the listed origin
    steps = host.wait_for("step", 1)
    embed.evaluate(command_from, host_url(host_port))  # the same check lets this one through
    steps = host.wait_for("step", 2)

    assert [s["phase"] for s in steps] == ["initialized", "assigned"]
    assert len(step_requests) == 2


@pytest.mark.parametrize("origin, allowed, obeyed", [
    ("https://moodle.school.example", "*", True),
    ("https://moodle.school.example", "'self' https://moodle.school.example", True),
    ("https://moodle.school.example:8443", "'self' https://moodle.school.example", False),
    ("http://moodle.school.example", "'self' https://moodle.school.example", False),
    ("https://evil.example", "'self' https://moodle.school.example", False),
    ("https://moodle.school.example.evil.example", "'self' https://moodle.school.example", False),
    ("https://school.instructure.com", "'self' https://*.instructure.com", True),
    ("https://instructure.com", "'self' https://*.instructure.com", False),
    ("https://evilinstructure.com", "'self' https://*.instructure.com", False),
    ("https://anything.example", "'self' https:", True),
    ("http://anything.example", "'self' https:", False),
    ("http://127.0.0.1:8001", "'self' 127.0.0.1:8001", True),
    ("http://127.0.0.1:8002", "'self' 127.0.0.1:8001", False),
    ("http://127.0.0.1:8002", "'self' http://127.0.0.1:*", True),
    ("null", "'self' https:", False),
    ("SELF", "'self' https://moodle.school.example", True),
])
def test_the_origin_of_a_command_is_matched_as_csp_matches_frame_ancestors(
        context, live_server, origin, allowed, obeyed):
    page = context.new_page()
    page.goto(live_server + "/embed?dataset=custom&points=0,0,1,1&k=1&controls=")
    origin = live_server if origin == "SELF" else origin
    answer = page.evaluate("""async ([origin, allowed]) => {
        const { originAllowed } = await import('/static/js/protocol.js');
        return originAllowed(origin, allowed, window.location.origin);
    }""", [origin, allowed])
    assert answer is obeyed


def test_autoplay_runs_to_convergence_with_no_click(context, host_port, app_site):
    host = HostPage(context, host_url(host_port),
                    app_site + "/embed?dataset=mouse&k=3&init=random&seed=1&controls=&autoplay=1&speed=12")
    # As long as a loaded machine needs: 30 s was not always enough for the whole run.
    host.page.wait_for_function(
        """() => [...document.querySelectorAll('#log code')].map((c) => JSON.parse(c.textContent))
            .some((m) => m.type === 'kmeans:step' && m.converged)""", timeout=120_000)
    steps = host.messages("step")
    assert steps[0]["phase"] == "initialized" and steps[-1]["converged"]
    assert host.frame.locator("[data-action]").count() == 0


def test_a_page_outside_the_list_cannot_frame_the_stepper(context, host_port, listing_app):
    page = context.new_page()
    page.goto(f"http://localhost:{host_port}/embed-host.html"
              f"?app={quote(listing_app + MOUSE, safe='')}")
    frame = page.locator("#stepper").element_handle().content_frame()
    frame.wait_for_load_state()
    # Chromium shows its error page in place of a frame the CSP refuses.
    assert frame.url.startswith("chrome-error://")
    assert page.locator(LOG).count() == 0


# --- The same link, the same run ----------------------------------------------------

def steps_reported(context, host_port, embed_url, count):
    host = HostPage(context, host_url(host_port), embed_url)
    host.wait_for("ready")
    for n in range(1, count + 1):
        host.command("Step")
        host.wait_for("step", n)
    steps = host.messages("step")
    host.page.close()
    return steps


def test_two_loads_of_one_link_stepped_alike_report_the_same_inertia(context, host_port, app_site):
    url = app_site + "/embed?dataset=blobs&n_samples=300&centers=5&cluster_std=1.5&random_state=3" \
                     "&k=5&init=random&seed=4"
    first = steps_reported(context, host_port, url, 7)
    second = steps_reported(context, host_port, url, 7)
    other_seed = steps_reported(context, host_port, url.replace("seed=4", "seed=5"), 7)

    assert first == second
    assert first[-1]["inertia"] > 0
    assert other_seed[-1]["inertia"] != first[-1]["inertia"]


# --- Share and Embed on the full page ------------------------------------------------

def test_share_gives_a_link_that_replays_the_run_with_custom_points_and_centroids(
        stepper):
    page = stepper.page
    page.goto("/?dataset=custom&k=2&init=manual&seed=0")
    expect(page.locator("#next")).to_contain_text("Click in the plot to add points")
    page.locator("#custom-points").fill("0, 0, 0\n1, 0.5, 0\n0.25, 1, 0\n5, 5, 1\n6, 5.5, 1\n5.5, 6.1, 1")
    page.locator("#custom-points").dispatch_event("change")
    page.locator("#manual-centroids").fill("0.1, 0.1\n0.3, 0.2")
    page.locator("#manual-centroids").dispatch_event("change")
    with page.expect_response(lambda r: urlparse(r.url).path.endswith("/api/sessions")):
        stepper.click("Step", "init")
    stepper.click("Step")
    stepper.click("Step")
    full = stepper.click("Step")

    page.get_by_role("button", name="Share", exact=True).click()
    link = page.get_by_label("Link to this run").input_value()
    assert link == (f"{stepper.origin}/?dataset=custom&k=2&init=manual&seed=0"
                    "&points=0,0,1,0.5,0.25,1,5,5,6,5.5,5.5,6.1&labels=0,0,0,1,1,1"
                    "&centroids=0.1,0.1,0.3,0.2")
    expect(page.locator("#share-note")).to_have_text("")

    other = page.context.new_page()
    other.goto(link)
    step = other.get_by_role("button", name="Step", exact=True)
    for _ in range(4):
        with other.expect_response(lambda r: urlparse(r.url).path.endswith(("/step", "/init"))) as answer:
            step.click()
    replayed = unpacked(answer.value.json())
    assert (replayed["labels"], replayed["inertia"], replayed["centroids"]) == (
        full["labels"], full["inertia"], full["centroids"])


def test_embed_gives_an_iframe_snippet_and_copy_falls_back_to_selecting_it(stepper):
    stepper.open("?dataset=mouse&random_state=0&k=3&init=random&seed=1")
    page = stepper.page
    page.get_by_role("button", name="Embed", exact=True).click()
    expect(page.get_by_role("button", name="Embed", exact=True)).to_have_attribute(
        "aria-expanded", "true")
    box = page.get_by_label("Code to put this run in a course page")
    assert box.input_value() == (
        f'<iframe src="{stepper.origin}/embed?dataset=mouse&amp;random_state=0&amp;k=3'
        '&amp;init=random&amp;seed=1" title="K-Means Stepper: Mickey Mouse, k = 3" '
        'width="720" height="520" loading="lazy" style="border: 0; max-width: 100%;"></iframe>')
    expect(box).to_have_attribute("readonly", "")

    page.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error('no')); }")
    page.get_by_role("button", name="Copy", exact=True).click()

    expect(page.locator("#share-note")).to_contain_text("selected")
    selected = page.evaluate("(() => { const t = document.getElementById('share-text');"
                             " return [t.selectionStart, t.selectionEnd, t.value.length]; })()")
    assert selected[0] == 0 and selected[1] == selected[2]
    expect(box).to_be_focused()


def test_copy_puts_the_link_on_the_clipboard(stepper):
    stepper.page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                           origin=stepper.origin)
    stepper.open("?dataset=mouse&random_state=0&k=3&init=random&seed=1")
    page = stepper.page
    page.get_by_role("button", name="Share", exact=True).click()
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("#share-note")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == \
        f"{stepper.origin}/?dataset=mouse&random_state=0&k=3&init=random&seed=1"


# --- The embed page itself ---------------------------------------------------------

def test_the_embed_fits_a_640_by_480_frame_and_a_phone_without_sideways_scrolling(
        context, live_server):
    page = context.new_page()
    page.set_viewport_size({"width": 640, "height": 480})
    page.goto(live_server + MOUSE)
    page.wait_for_function(DRAWN)
    size = "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    assert page.evaluate(size) == [640, 480]
    page.set_viewport_size({"width": 320, "height": 560})
    assert page.evaluate(size)[0] == 320


def frame_of_size(host, width, height=None):
    """The host's frame set to a size, as a course page's column and CSS would; answers its Frame."""
    host.page.evaluate("""([width, height]) => {
        const frame = document.getElementById('stepper');
        frame.style.width = `${width}px`;
        if (height) frame.style.height = `${height}px`;
    }""", [width, height])
    embed = host.embed_frame()
    embed.wait_for_function("(width) => document.documentElement.clientWidth === width", arg=width)
    return embed


def test_kmeans_resize_reports_the_natural_height_whatever_the_box_and_a_host_following_it_fits(
        context, host_port, app_site):
    host = HostPage(context, host_url(host_port), app_site + MOUSE)
    host.wait_for("ready")
    reported = {}
    for width, height in [(400, 240), (400, 900), (720, 300), (720, 900)]:
        embed = frame_of_size(host, width, height)
        embed.wait_for_function("(height) => document.documentElement.clientHeight === height",
                                arg=height)
        layout = embed.evaluate(FRAME_LAYOUT)
        assert outside_box(layout) == [], layout
        reported[width, height] = host.messages("resize")[-1]["height"]

    # The natural height depends on the width only: a host that follows it never chases it.
    assert reported[400, 240] == reported[400, 900]
    assert reported[720, 300] == reported[720, 900]
    assert reported[400, 240] > reported[720, 300]  # a narrow frame's plot is squarer
    # Followed (embed-host.html sets the frame's height from it), the plot has its natural shape.
    host.page.evaluate("document.getElementById('stepper').style.height = ''")
    embed = frame_of_size(host, 400)
    expect(host.frame_element).to_have_attribute("height", str(reported[400, 900]))
    embed.wait_for_function("(height) => document.documentElement.clientHeight === height",
                            arg=reported[400, 900])
    layout = embed.evaluate(FRAME_LAYOUT)
    plot = embed.locator(".plot-frame").bounding_box()
    assert not layout["folded"] and outside_box(layout) == []
    assert abs(plot["height"] - plot["width"]) <= 2  # square at 400 wide, as embed.css says


def test_a_short_frame_folds_what_happened_behind_details_and_shows_it_over_the_plot(
        context, live_server):
    page = context.new_page()
    page.set_viewport_size({"width": 320, "height": 240})
    page.goto(live_server + MOUSE)
    page.wait_for_function(DRAWN)
    with page.expect_response(lambda r: urlparse(r.url).path.endswith("/step")):
        page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#happened")).to_contain_text("centroid")
    details = page.get_by_role("button", name="Details", exact=True)
    layout = page.evaluate(FRAME_LAYOUT)
    assert layout["folded"] and outside_box(layout) == [], layout
    assert page.locator("#happened").bounding_box()["height"] <= 1  # out of sight, still read out

    details.click()
    expect(details).to_have_attribute("aria-expanded", "true")
    happened = page.locator("#happened").bounding_box()
    assert happened["height"] > 10 and happened["y"] + happened["height"] <= 240
    assert outside_box(page.evaluate(FRAME_LAYOUT)) == []
    page.keyboard.press("Escape")
    expect(details).to_have_attribute("aria-expanded", "false")
    expect(details).to_be_focused()

    page.set_viewport_size({"width": 320, "height": 560})  # room again: both lines whole
    expect(details).to_be_hidden()
    assert page.locator("#happened").bounding_box()["height"] > 10


def test_a_zoom_is_kept_through_steps_and_resizes_and_reset_shows_all_the_points_again(
        context, live_server):
    page = context.new_page()
    page.set_viewport_size({"width": 720, "height": 520})
    page.goto(live_server + MOUSE)
    page.wait_for_function(DRAWN)
    zoom_in(page)
    with page.expect_response(lambda r: urlparse(r.url).path.endswith("/step")):
        page.get_by_role("button", name="Step", exact=True).click()
    page.set_viewport_size({"width": 600, "height": 520})
    page.wait_for_function(f"(() => {{ const s = ({POINTS_SPREAD})(); return s.sized; }})()")
    assert page.evaluate(POINTS_SPREAD)["covers"] > 1  # still the student's zoom
    assert not page.evaluate(POINTS_SPREAD)["inside"]

    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function(
        f"(() => {{ const s = ({POINTS_SPREAD})(); return s.inside && s.covers >= 0.5; }})()")


def test_a_bad_link_shows_what_is_wrong_in_the_frame_and_tells_the_host(
        context, host_port, app_site):
    host = HostPage(context, host_url(host_port), app_site + "/embed?dataset=mouse&k=many")
    errors = host.wait_for("error")
    assert errors[0]["message"] == 'This link to the stepper cannot be opened: k must be an ' \
                                   'integer, got "many"'
    expect(host.frame.get_by_role("alert")).to_have_text(errors[0]["message"])


def test_axe_finds_nothing_serious_and_the_keyboard_reaches_every_control(context, live_server):
    page = context.new_page()
    page.set_viewport_size({"width": 720, "height": 520})
    page.goto(live_server + MOUSE + "&controls=init,assign,update,step,run,back,reset,speed")
    page.wait_for_function(DRAWN)
    with page.expect_response(lambda r: urlparse(r.url).path.endswith("/step")):
        page.keyboard.press("ArrowRight")
    with page.expect_response(lambda r: urlparse(r.url).path.endswith("/step")):
        page.keyboard.press("Space")
    expect(page.locator("#summary")).to_contain_text("inertia")

    violations = Axe().run(page).response["violations"]
    serious = [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in SERIOUS]
    assert serious == []

    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stop = page.evaluate(TAB_STOP)
        if stops and stop["id"] == stops[0]["id"]:
            break
        if stop["id"] != "BODY":
            stops.append(stop)
    reached = {stop["id"] for stop in stops}
    assert {"init", "assign", "update", "step", "run", "back", "reset", "speed"} <= reached
    assert [stop["id"] for stop in stops if not stop["visible"]] == []


# --- No cookie, anywhere ------------------------------------------------------------

def test_no_answer_of_the_app_sets_a_cookie(own_context, host_port, app_site, live_server):
    answers = []
    own_context.on("response", lambda response: answers.append(response))
    host = HostPage(own_context, host_url(host_port), app_site + MOUSE)
    host.wait_for("ready")
    host.command("Step")
    host.wait_for("step")
    full = own_context.new_page()
    full.goto(live_server + "/?dataset=mouse&k=3")
    full.wait_for_function(DRAWN)
    with full.expect_response(lambda r: urlparse(r.url).path.endswith("/step")):
        full.get_by_role("button", name="Step", exact=True).click()

    from_app = [a for a in answers if a.url.startswith((app_site, live_server))]
    paths = {urlparse(a.url).path for a in from_app}
    assert {"/", "/embed", "/api/catalog", "/api/sessions", "/static/js/main.js",
            "/static/js/embed.js", "/static/js/protocol.js", "/static/css/app.css",
            "/static/css/embed.css", "/vendor/plotly.min.js", "/vendor/plotly.css"} <= paths
    assert any(path.endswith("/step") for path in paths)
    assert [a.url for a in from_app if "set-cookie" in a.all_headers()] == []
    assert own_context.cookies() == []
    embed = next(a for a in from_app if urlparse(a.url).path == "/embed")
    assert embed.all_headers()["content-security-policy"].endswith("frame-ancestors *")
    assert "x-frame-options" not in embed.all_headers()
