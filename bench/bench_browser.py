"""How long a student waits for a step on 5,000 points, against a plain repaint.

In headless Chromium against a live server: the median time from a click on
Step (an Assign, so the labels change) to the plot showing the new labels, and,
in the same page and interleaved with it, the median time of a plain
``Plotly.react`` that recolours the same 5,000 points in a plot of the same
size with no server call. Both end at the first animation frame after Plotly
has drawn. Prints both, their ratio (target: at most 1.5) and the size of a
step's answer, which carries labels but never the points.

    python3 bench/bench_browser.py [--points 5000] [--samples 30]
"""

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TARGET = 1.5

# Tells when Plotly has drawn the page's plot, and how long each API call took.
INSTRUMENT = """() => {
    const fetchOriginal = window.fetch;
    window.fetch = async (...args) => {
        const start = performance.now();
        const response = await fetchOriginal(...args);
        await response.clone().arrayBuffer();
        window.benchFetched = performance.now() - start;
        return response;
    };
    const react = Plotly.react;
    Plotly.react = function (div, ...rest) {
        return react.call(this, div, ...rest).then((result) => {
            if (div.id === 'plot') window.benchDrawn?.(div.data[0].marker.color);
            return result;
        });
    };
    const box = document.getElementById('plot').getBoundingClientRect();
    const baseline = document.createElement('div');
    baseline.id = 'baseline';
    Object.assign(baseline.style, {
        position: 'fixed', left: `${box.left}px`, top: `${box.top}px`, zIndex: '10',
        background: '#fff', pointerEvents: 'none',
        width: `${box.width}px`, height: `${box.height}px`,
    });
    document.body.append(baseline);
}"""

TIME_STEP = """async () => {
    const plot = document.getElementById('plot');
    const before = plot.data[0].marker.color;
    const drawn = new Promise((resolve) => {
        window.benchDrawn = (colours) => { if (colours !== before) resolve(); };
    });
    const start = performance.now();
    document.querySelector('[data-action="step"]').click();
    await drawn;
    await new Promise(requestAnimationFrame);
    window.benchDrawn = null;
    return [performance.now() - start, window.benchFetched];
}"""

# The page has shown a state once its summary line names the state's iteration.
SHOWN = r"""(iteration) => new RegExp(`^(Iteration ${iteration}\\b|No step)`)
    .test(document.getElementById('summary').textContent)"""

# The same 5,000 points, recoloured as if every point changed cluster: one trace, no server.
TIME_REPAINT = """async (round) => {
    const plot = document.getElementById('plot');
    const points = plot.data[0];
    const palette = plot.data.find((t) => t.name === 'centroids').marker.color;
    const shift = round % palette.length + 1;
    const next = new Map(palette.map((c, j) => [c, palette[(j + shift) % palette.length]]));
    const trace = { ...points, marker: { ...points.marker,
        color: points.marker.color.map((c) => next.get(c) ?? c) } };
    const { xaxis, yaxis, margin } = plot.layout;
    const start = performance.now();
    await Plotly.react('baseline', [trace], { xaxis, yaxis, margin, showlegend: false });
    await new Promise(requestAnimationFrame);
    return performance.now() - start;
}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    with live_server() as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        timings = measure(page, origin, args.points, args.samples)
        browser.close()
    report(args.points, *timings)


class live_server:
    """The app on a free port, rate limits off: the benchmark steps faster than a class."""

    def __enter__(self):
        app = create_app({"RATE_LIMITS_ENABLED": False})
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()


def measure(page, origin, points, samples):
    # Twenty overlapping blobs from random starting points: many iterations before converging.
    query = (f"?dataset=blobs&n_samples={points}&centers=20&cluster_std=2.5&random_state=0"
             "&k=20&init=random&seed=0")
    answers = []
    page.on("response", lambda r: r.url.endswith("/step") and answers.append(r))
    page.goto(f"{origin}/{query}")
    page.wait_for_function("document.getElementById('plot').data?.length === 4")
    page.evaluate(INSTRUMENT)
    steps, fetches, repaints, sizes = [], [], [], []
    while len(steps) < samples:
        state = take(page, "step")  # init or update: no new labels
        if state["converged"]:
            take(page, "reset")
            continue
        if state["next_step"] != "assign":
            continue
        settle(page)
        step, fetched = page.evaluate(TIME_STEP)
        steps.append(step)
        fetches.append(fetched)
        sizes.append(len(answers[-1].body()))
        settle(page)
        repaints.append(page.evaluate(TIME_REPAINT, len(repaints)))
    return steps, fetches, repaints, statistics.median(sizes)


def take(page, endpoint):
    """A step not timed: click, and wait until the page shows its answer."""
    with page.expect_response(lambda r: r.url.endswith(f"/{endpoint}")) as answer:
        page.click(f'[data-action="{endpoint}"]')
    state = answer.value.json()
    page.wait_for_function(SHOWN, arg=state["iteration"])
    return state


def settle(page):
    """Let the charts drawn after the plot finish, so one sample does not pay for the last."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)))")
    time.sleep(0.05)


def report(points, steps, fetches, repaints, answer_bytes):
    step = statistics.median(steps)
    repaint = statistics.median(repaints)
    api = statistics.median(fetches)
    after = statistics.median(s - f for s, f in zip(steps, fetches))
    ratio = step / repaint
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"{len(steps)} steps on {points} points (k = 20), headless Chromium:")
    print(f"  click on Step -> new labels shown   median {step:7.1f} ms"
          f"  (min {min(steps):.1f}, max {max(steps):.1f})")
    print(f"    of which the API round trip        median {api:7.1f} ms"
          f"  (the request, the server's step and the answer)")
    print(f"    and the page's work after it       median {after:7.1f} ms"
          f"  (parse, draw the figure, status; to the next frame)")
    print(f"  plain Plotly.react repaint          median {repaint:7.1f} ms"
          f"  (min {min(repaints):.1f}, max {max(repaints):.1f})")
    print(f"  ratio {ratio:.2f} ({verdict} the target of {TARGET})")
    # A step cannot beat its round trip plus one full redraw, which is what
    # Plotly does to recolour a WebGL trace: the floor the page can reach.
    print(f"  floor: (API round trip + plain repaint) / plain repaint = {(api + repaint) / repaint:.2f}")
    print(f"  a step's answer: {answer_bytes / 1024:.1f} KiB (labels, centroids, trail, history, "
          f"metrics; never the points)")
    print(json.dumps({"points": points, "step_ms": round(step, 2), "api_ms": round(api, 2),
                      "after_api_ms": round(after, 2), "repaint_ms": round(repaint, 2),
                      "ratio": round(ratio, 3), "floor": round((api + repaint) / repaint, 3)}))


if __name__ == "__main__":
    main()
