"""Course pages on another site than the app (a static server on 127.0.0.1:B
for the pages that frame the app, which they reach as localhost:A), and what
the framed stepper shows in the box it is given."""

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from browsing import SHOWN_POINTS

# The axe findings a page may not have.
SERIOUS = ("serious", "critical")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_directory(directory):
    """Static files on a free port of 127.0.0.1, in a thread; gives its origin."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def other_site(origin):
    """The same server under another site's name: localhost:A for 127.0.0.1:A."""
    return origin.replace("127.0.0.1", "localhost")


# The frame's box, how far its content reaches, and where the stepper's parts are,
# measured once the frame has laid itself out (two animation frames after a resize).
FRAME_LAYOUT = """async () => {
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const doc = document.documentElement;
    const parts = document.querySelectorAll(
        '.embed-title, #next, [data-action], #more:not([hidden]), .plot-frame, .embed-footer a');
    return {
        box: [doc.clientWidth, doc.clientHeight],
        content: [doc.scrollWidth, doc.scrollHeight],
        parts: [...parts].map((part) => {
            const r = part.getBoundingClientRect();
            return { name: part.id || part.dataset.action || part.className,
                     box: [r.left, r.top, r.right, r.bottom] };
        }),
        plot: document.querySelector('.plot-frame').getBoundingClientRect().height,
        folded: document.getElementById('embed').classList.contains('is-compact'),
    };
}"""

# Where the points are on screen, through Plotly's axes, once Plotly has drawn
# the figure at the plot's size: all inside, and how much of the plot they span.
POINTS_SPREAD = f"""() => {{
    const plot = document.getElementById('plot');
    const figure = plot._fullLayout;
    const {{ xaxis, yaxis }} = figure;
    const points = {SHOWN_POINTS};
    const xs = points.x.map((x) => xaxis.l2p(x));
    const ys = points.y.map((y) => yaxis.l2p(y));
    const within = (values, length) => values.every((v) => v >= -0.5 && v <= length + 0.5);
    const span = (values) => Math.max(...values) - Math.min(...values);
    return {{
        sized: Math.abs(figure.width - plot.clientWidth) < 1 && Math.abs(figure.height - plot.clientHeight) < 1,
        inside: within(xs, xaxis._length) && within(ys, yaxis._length),
        covers: Math.max(span(xs) / xaxis._length, span(ys) / yaxis._length),
    }};
}}"""


def zoom_in(page):
    """Drag a box over part of the plot, as a student zooms; until the points
    shown spread over more than the plot (some are out of sight)."""
    drag = page.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(drag["x"] + drag["width"] * 0.3, drag["y"] + drag["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(drag["x"] + drag["width"] * 0.5, drag["y"] + drag["height"] * 0.6, steps=5)
    page.mouse.up()
    page.wait_for_function(f"(() => {{ const s = ({POINTS_SPREAD})(); return s.covers > 1; }})()")


def outside_box(layout):
    """What does not fit: content past the box (a scroll bar), a part cut off or squashed to nothing."""
    width, height = layout["box"]
    problems = []
    if layout["content"][0] > width or layout["content"][1] > height:
        problems.append(f"content {layout['content']} in a box {layout['box']}")
    for part in layout["parts"]:
        left, top, right, bottom = part["box"]
        if right - left < 1 or bottom - top < 1 or left < -0.5 or top < -0.5 \
                or right > width + 0.5 or bottom > height + 0.5:
            problems.append(f"{part['name']} at {part['box']}")
    return problems
