"""How long a student waits for a step on 5,000 points, against a plain repaint.

In headless Chromium against a live server: the median time from a click on
Step (an Assign, so the labels change) to the plot showing the new labels, and,
in the same page and interleaved with it, the median time of a plain
``Plotly.react`` that recolours the same 5,000 points in a plot of the same
size with no server call, one WebGL trace per colour (the points regrouped by
their new cluster), as the page draws a smaller data set; a large one (from
RASTER_FROM points, static/js/raster.js) the page stamps into a canvas of its
own. Both end at the first animation frame after the drawing. The same repaint
as one trace with a colour per point is printed beside it. Prints both, their
ratio (target: at most 1.5) and the size of a step's answer, which carries
labels but never the points.

The page asks every step with ``?ahead=1``: the answer before the click already
says what the step will change, so the click is drawn at once while the server
takes the step. Steps measured without it (the same page, its requests sent
with ``ahead=0``: each click waits for its answer) are interleaved with the
others, and their figures printed beside them, with the time the server's
answer took to come in.

Every main-thread task over 50 ms after the first draw is counted (the Long
Tasks API), while the page steps (not while the plain repaints run): it should
have none over 200 ms.

    python3 bench/bench_browser.py [--points 5000] [--samples 30]
"""

import argparse
import itertools
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from record import record  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TARGET = 1.5

# Tells when Plotly has drawn the page's plot, and when each API call's answer was in;
# with benchWithoutAhead set, asks the page's steps without the look-ahead.
INSTRUMENT = """() => {
    const fetchOriginal = window.fetch;
    window.fetch = async (url, ...rest) => {
        const asked = window.benchWithoutAhead ? String(url).replace('ahead=1', 'ahead=0') : url;
        const start = performance.now();
        const response = await fetchOriginal(asked, ...rest);
        await response.clone().arrayBuffer();
        window.benchAnswered = performance.now();
        window.benchFetched = window.benchAnswered - start;
        return response;
    };
    const react = Plotly.react;
    Plotly.react = function (div, ...rest) {
        return react.call(this, div, ...rest).then((result) => {
            if (div.id === 'plot') window.benchDrawn?.(div.data[0]);
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

# Every task over 50 ms on the page's main thread (the Long Tasks API), from its first moment.
WATCH_LONG_TASKS = """
window.longTasks = [];
new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longTasks.push(Math.round(entry.duration));
}).observe({ type: 'longtask', buffered: true });
"""
LONG_TASK = 200  # ms: the longest a task may take after the first draw

# [click to new labels on screen, click to the answer in, the API call's own time]
TIME_STEP = """async () => {
    const plot = document.getElementById('plot');
    const before = plot.data[0];
    const drawn = new Promise((resolve) => {
        window.benchDrawn = (points) => { if (points !== before) resolve(); };
    });
    window.benchAnswered = null;
    const start = performance.now();
    document.querySelector('[data-action="step"]').click();
    await drawn;
    await new Promise(requestAnimationFrame);
    const shown = performance.now() - start;
    window.benchDrawn = null;
    while (window.benchAnswered === null) await new Promise((r) => setTimeout(r, 1));
    return [shown, window.benchAnswered - start, window.benchFetched];
}"""

# The page has shown a state once its summary line names the state's iteration.
SHOWN = r"""(iteration) => new RegExp(`^(Iteration ${iteration}\\b|No step)`)
    .test(document.getElementById('summary').textContent)"""

# The same points, recoloured as if every point changed cluster, with no server: what a
# step needs at the least. Drawn as the page draws them, one trace per colour ("grouped":
# the points regrouped by their new cluster), or as one trace with a colour per point
# ("one trace", for comparison: Plotly parses every point's colour at every redraw).
TIME_REPAINT = """async ([round, grouped]) => {
    const plot = document.getElementById('plot');
    const groups = plot.data.filter((t) => t.name === 'points');
    const palette = plot.data.find((t) => t.name === 'centroids').marker.color;
    const n = groups.reduce((sum, t) => sum + t.x.length, 0);
    const [xs, ys, labels] = [new Float64Array(n), new Float64Array(n), new Int32Array(n)];
    for (const t of groups) {
        const label = palette.indexOf(t.marker.color);
        t.x.forEach((x, j) => {
            const i = t.indices ? t.indices[j] : j;
            [xs[i], ys[i], labels[i]] = [x, t.y[j], label];
        });
    }
    const k = palette.length;
    const shift = round % k + 1;
    const { xaxis, yaxis, margin } = plot.layout;
    const marker = { size: groups[0].marker.size };
    const start = performance.now();
    let traces;
    if (grouped) {
        const sizes = new Int32Array(k);
        for (let i = 0; i < n; i += 1) sizes[(labels[i] + shift) % k] += 1;
        const parts = Array.from(sizes, (size) => ({ x: new Float64Array(size), y: new Float64Array(size), at: 0 }));
        for (let i = 0; i < n; i += 1) {
            const part = parts[(labels[i] + shift) % k];
            part.x[part.at] = xs[i];
            part.y[part.at] = ys[i];
            part.at += 1;
        }
        traces = parts.map(({ x, y }, j) => ({ type: 'scattergl', mode: 'markers', x, y,
            marker: { ...marker, color: palette[j] } }));
    } else {
        traces = [{ type: 'scattergl', mode: 'markers', x: xs, y: ys,
            marker: { ...marker, color: Array.from(labels, (label) => palette[(label + shift) % k]) } }];
    }
    await Plotly.react('baseline', traces, { xaxis, yaxis, margin, showlegend: false });
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
        timed = measure(page, origin, args.points, args.samples)
        browser.close()
    report(args.points, timed)


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
    """Per way of stepping ("ahead", "waiting"): the times of ``samples`` timed steps."""
    # Twenty overlapping blobs from random starting points: many iterations before converging.
    query = (f"?dataset=blobs&n_samples={points}&centers=20&cluster_std=2.5&random_state=0"
             "&k=20&init=random&seed=0")
    answers = []
    page.on("response", lambda r: is_step(r, "step") and answers.append(r))
    page.add_init_script(WATCH_LONG_TASKS)
    page.goto(f"{origin}/{query}")
    page.wait_for_function("document.getElementById('plot').data?.some((t) => t.name === 'points' && t.x.length)")
    page.evaluate(INSTRUMENT)
    page.evaluate("() => { window.longTasks.length = 0; }")  # from the first draw on
    timed = {"ahead": Timings(), "waiting": Timings()}
    ways = itertools.cycle(timed)
    way = next(ways)
    while min(len(t.shown) for t in timed.values()) < samples:
        # The answer before the timed step says what it will do, or not.
        page.evaluate("(without) => { window.benchWithoutAhead = without; }", way == "waiting")
        tasks_before = page.evaluate("window.longTasks.length")
        state = take(page, "step")  # init or update: no new labels
        if state["next_step"] != "assign":
            continue
        settle(page)
        shown, answered, fetched = page.evaluate(TIME_STEP)
        timed[way].add(shown, answered, fetched, len(answers[-1].body()))
        settle(page)
        # The page's own tasks, through both steps: not the plain repaint's below.
        timed[way].long_tasks += page.evaluate("(n) => window.longTasks.slice(n)", tasks_before)
        timed[way].repaints.append(page.evaluate(TIME_REPAINT, [len(timed[way].repaints), True]))
        timed[way].one_trace.append(page.evaluate(TIME_REPAINT, [len(timed[way].one_trace), False]))
        settle(page)  # the repaints' own frames, before the next step's long tasks are counted
        way = next(ways)
        if answers[-1].json()["converged"]:
            take(page, "reset")
    return timed


@dataclass
class Timings:
    shown: list = field(default_factory=list)  # click -> new labels on screen
    answered: list = field(default_factory=list)  # click -> the step's answer in
    fetched: list = field(default_factory=list)  # the API call alone
    sizes: list = field(default_factory=list)  # bytes of the step's answer
    repaints: list = field(default_factory=list)  # plain repaints as the page draws, interleaved
    one_trace: list = field(default_factory=list)  # plain repaints as one trace, interleaved
    long_tasks: list = field(default_factory=list)  # ms, every task over 50 ms after the first draw

    def add(self, shown, answered, fetched, size):
        self.shown.append(shown)
        self.answered.append(answered)
        self.fetched.append(fetched)
        self.sizes.append(size)


def is_step(response, endpoint):
    return urlsplit(response.url).path.endswith(f"/{endpoint}")


def take(page, endpoint):
    """A step not timed: click, and wait until the page shows its answer."""
    with page.expect_response(lambda r: is_step(r, endpoint)) as answer:
        page.click(f'[data-action="{endpoint}"]')
    state = answer.value.json()
    page.wait_for_function(SHOWN, arg=state["iteration"])
    return state


def settle(page):
    """Let the charts drawn after the plot finish, so one sample does not pay for the last."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)))")
    time.sleep(0.05)


def report(points, timed):
    median = statistics.median
    repaint = median(timed["ahead"].repaints + timed["waiting"].repaints)
    one_trace = median(timed["ahead"].one_trace + timed["waiting"].one_trace)
    ahead, waiting = timed["ahead"], timed["waiting"]
    ratio = median(ahead.shown) / repaint
    verdict = "within" if ratio <= TARGET else "OVER"
    print(f"{len(ahead.shown) + len(waiting.shown)} steps on {points} points (k = 20), "
          "headless Chromium, the two ways interleaved:")
    print(f"  plain Plotly.react repaint            median {repaint:7.1f} ms"
          f"  (min {min(ahead.repaints + waiting.repaints):.1f}; one WebGL trace per colour)")
    print(f"    the same as one trace, a colour per point: median {one_trace:7.1f} ms")
    print("  as the page steps (the answer before the click said what the step does):")
    print(f"    click on Step -> new labels shown   median {median(ahead.shown):7.1f} ms"
          f"  (min {min(ahead.shown):.1f}, max {max(ahead.shown):.1f})")
    print(f"    click -> the server's answer in     median {median(ahead.answered):7.1f} ms"
          f"  (the step confirmed; the drawing does not wait for it)")
    print(f"    ratio {ratio:.2f} ({verdict} the target of {TARGET})")
    print("  without the look-ahead (every click waits for its answer):")
    print(f"    click on Step -> new labels shown   median {median(waiting.shown):7.1f} ms"
          f"  (min {min(waiting.shown):.1f}, max {max(waiting.shown):.1f})")
    print(f"    of which the API round trip         median {median(waiting.fetched):7.1f} ms")
    print(f"    ratio {median(waiting.shown) / repaint:.2f}")
    print(f"  a step's answer: {median(ahead.sizes) / 1024:.1f} KiB with the look-ahead, "
          f"{median(waiting.sizes) / 1024:.1f} KiB without (labels, centroids, trail, history, "
          f"metrics; never the points): {median(ahead.sizes) / points:.2f} bytes a point")
    tasks = ahead.long_tasks + waiting.long_tasks  # the page's, while it steps
    over = [task for task in tasks if task > LONG_TASK]
    print(f"  main-thread tasks over 50 ms after the first draw: {len(tasks)}, the longest "
          f"{max(tasks, default=0)} ms; over {LONG_TASK} ms: {len(over)} "
          f"({'within' if not over else 'OVER'} the target of none)")
    figures = {
        "points": points, "repaint_ms": round(repaint, 2), "one_trace_repaint_ms": round(one_trace, 2),
        "step_ms": round(median(ahead.shown), 2), "ratio": round(ratio, 3),
        "answer_in_ms": round(median(ahead.answered), 2),
        "waiting_step_ms": round(median(waiting.shown), 2),
        "waiting_ratio": round(median(waiting.shown) / repaint, 3),
        "api_ms": round(median(waiting.fetched), 2),
        "bytes_per_point": round(median(ahead.sizes) / points, 3),
        "longest_task_ms": max(tasks, default=0), "tasks_over_200_ms": len(over)}
    print(json.dumps(figures))
    record(f"browser-{points}-points", title=f"A click on Step in the browser, {points:,} points",
           command="python3 bench/bench_browser.py" + ("" if points == 5000
                                                       else f" --points {points}"),
           what=f"In headless Chromium, a click on Step (an Assign on {points:,} points, k = 20) "
                "until the frame after the plot shows the new labels, against a plain "
                "Plotly.react recolouring the same points (one WebGL trace per colour), "
                "interleaved in the same page; the same click without the look-ahead; every "
                "main-thread task over 50 ms while the page steps (the Long Tasks API).",
           target=f"at most {TARGET}; no task over {LONG_TASK} ms",
           met=ratio <= TARGET and not over,
           summary=f"ratio {ratio:.2f} (step {median(ahead.shown):.1f} ms, plain repaint "
                   f"{repaint:.1f} ms), without the look-ahead "
                   f"{median(waiting.shown) / repaint:.2f}; {len(over)} tasks over {LONG_TASK} ms, "
                   f"the longest {max(tasks, default=0)} ms",
           figures=figures)


if __name__ == "__main__":
    main()
