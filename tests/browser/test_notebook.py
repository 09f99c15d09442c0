"""The example notebook run headless in one kernel: each cell shows its own data in an
inline frame of the stepper the helper started there, and each frame, stepped to
convergence in Chromium, ends with scikit-learn's labels for the same data and start."""

import json
import os
import re
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from nbclient import NotebookClient
from playwright.sync_api import expect
from sklearn.cluster import KMeans

import kmeans_stepper
from browsing import LAPTOP, SHOWS_LABELS
from sites import SERIOUS, other_site, serve_directory

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "course.ipynb"
FRAME = re.compile(r'<iframe\s[^>]*src="(http://127\.0\.0\.1:\d+/embed\?session=([\w-]+))"')
SKLEARN_INIT = {"kmeans++": "k-means++"}


@pytest.fixture(scope="module")
def notebook():
    """The notebook executed as Jupyter would from examples/ (the repository on its path, as
    docs/notebooks.md says), its kernel and the stepper it started kept running for the module."""
    cells = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(cells, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    with client.setup_kernel(env={**os.environ, "PYTHONPATH": str(REPO)}):
        for index, cell in enumerate(cells.cells):
            client.execute_cell(cell, index)
        yield cells


def shown_data():
    """What each cell hands to ``show``: the cells run here, ``show`` only noting its arguments."""
    asked = []
    namespace = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kmeans_stepper, "show", lambda X, labels=None, **run: asked.append(
            (np.array(X, dtype=np.float64), run)))  # a copy: the next cell stretches X in place
        for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
            exec(cell.source, namespace)  # noqa: S102  (the repository's own notebook)
    return asked


def test_the_notebook_has_the_four_course_cells_of_one_line_each():
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    assert [cell.cell_type for cell in cells] == ["code"] * 4
    assert all("\n" not in cell.source.strip() for cell in cells)
    assert [run["k"] for _, run in shown_data()] == [4, 4, 20, 3]


def test_each_cells_frame_steps_to_sklearns_labels_for_its_data(notebook, browser, tmp_path):
    frames = []
    for index, cell in enumerate(notebook.cells):
        others = [output for output in cell.outputs if output.output_type != "execute_result"
                  or "text/html" not in output.data]
        assert others == [], f"the cell printed something besides its frame: {others}"
        html = cell.outputs[0].data["text/html"]
        assert 'width="100%"' in html and 'height="520"' in html
        url, session = FRAME.search(html).groups()
        # The cell's output as Jupyter shows it, its frame running at full speed.
        (tmp_path / f"cell{index}.html").write_text(html.replace(url, f"{url}&amp;speed=12"))
        frames.append((f"cell{index}.html", url, session))
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with serve_directory(tmp_path) as notebook_page:
        for (cell, url, session), (X, asked) in zip(frames, shown_data(), strict=True):
            page.goto(f"{other_site(notebook_page)}/{cell}")  # Jupyter on another site, say
            frame = page.frame_locator("iframe")
            step = frame.get_by_role("button", name="Step", exact=True)
            expect(step).to_be_enabled(timeout=60_000)  # the run is open, its buttons wired
            run = frame.locator("[data-action=run]")
            run.click()
            expect(step).to_be_disabled(timeout=60_000)  # converged, as drawn ahead
            expect(run).to_have_text("Run")  # and Run stopped: the server answered the last step
            state = read_json(url.split("/embed")[0] + f"/api/sessions/{session}")
            assert state["converged"] and state["n_features"] == X.shape[1]
            assert (state["k"], state["init"], state["seed"]) == (
                asked["k"], asked.get("init") or state["init"], asked.get("seed", state["seed"]))
            reference = KMeans(state["k"], init=SKLEARN_INIT.get(state["init"], state["init"]),
                               n_init=1, random_state=state["seed"], algorithm="lloyd",
                               tol=0).fit(X)
            assert state["labels"] == reference.labels_.tolist()
            page.frames[1].wait_for_function(SHOWS_LABELS, arg=state["labels"])  # and drawn so
            expect(frame.locator("#happened")).to_contain_text("Converged")
    # A session's frame, opened on its own, is clean under axe as every embed is.
    page.goto(frames[-1][1])
    expect(page.locator("#happened")).to_contain_text("Converged", timeout=60_000)
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in SERIOUS] == []
    context.close()
    assert errors == []


def read_json(url):
    with urllib.request.urlopen(url) as answer:
        return json.load(answer)
