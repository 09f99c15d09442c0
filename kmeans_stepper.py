"""A notebook's own data in K-Means Stepper, shown inline: one line per cell.

    from kmeans_stepper import show
    show(X, y, k=4)                              # a stepper started in this kernel
    show(X, y, k=4, url="http://127.0.0.1:5000")  # or one running elsewhere

``show`` posts ``X`` (n x 2; wider rows are clustered as they are and drawn in
their first two principal components, by the server) as a new session and
returns the embed of that session, ``/embed?session=ID``, as an IPython IFrame.
Given a URL it needs numpy and the standard library only; without one it starts
this repository's app (Flask and all) on a free loopback port of this kernel.
"""

import functools
import json
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

HEIGHT = 520  # the embed fits any width at this height (docs/embedding.md, "The frame's size")
LOCAL_BODY_BYTES = 512 * 1024 * 1024  # this kernel's own stepper takes the widest data whole


class StepperError(Exception):
    """The stepper refused the data, or could not be reached; the message says why."""


def show(X, labels=None, k=None, init=None, seed=None, url=None, height=HEIGHT):
    """Send ``X`` (and its true ``labels``) to a stepper as a new run of ``k`` clusters,
    started by ``init`` with ``seed`` (the server's defaults when None), and give its embed."""
    from IPython.display import IFrame

    base = (url or local_stepper()).rstrip("/")
    rows = np.asarray(X)
    # Whole numbers (pixels, say) travel as integers: a third of the text, and exact.
    whole = rows.dtype.kind in "biu" or np.array_equal(rows, np.round(rows))
    dataset = {"name": "custom", "points": (rows.astype(np.int64) if whole else
                                            rows.astype(np.float64)).tolist()}
    if labels is not None:
        dataset["labels"] = np.asarray(labels).astype(np.int64).tolist()
    if k is None:
        k = _call(base, "GET", "/api/catalog")["limits"]["k"]["default"]
    asked = {"init": {"k-means++": "kmeans++"}.get(init, init), "seed": seed}  # sklearn's spelling too
    body = {"dataset": dataset, "k": k, **{key: v for key, v in asked.items() if v is not None}}
    session = _call(base, "POST", "/api/sessions", body)
    return IFrame(f"{base}/embed?session={session['id']}", width="100%", height=height)


def _call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        try:
            said = json.load(error)["error"]
        except (ValueError, KeyError):
            said = error.reason
        raise StepperError(f"the stepper at {base} refused the run ({error.code}): {said}") from None
    except urllib.error.URLError as error:
        raise StepperError(f"no stepper answers at {base}: {error.reason}") from None


@functools.lru_cache(maxsize=1)
def local_stepper():
    """This repository's stepper, started once in this kernel on a free port of 127.0.0.1."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the app sits beside this file
    from werkzeug.serving import WSGIRequestHandler, make_server

    from app import create_app

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args):  # not a line per request under the notebook's cells
            pass

    server = make_server("127.0.0.1", 0, create_app({"MAX_CONTENT_LENGTH": LOCAL_BODY_BYTES}),
                         threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True, name="kmeans-stepper").start()
    return f"http://127.0.0.1:{server.server_port}"
