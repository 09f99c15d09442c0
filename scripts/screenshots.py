"""Take the documentation's screenshots of today's page: python3 scripts/screenshots.py

A converged MNIST run at 1280 x 900 (docs/screenshot.png), a mouse run on a
phone, 390 x 844 with touch (docs/screenshot-phone.png), the embed with the
algorithm beside the plot, 820 x 500, an Update due (docs/screenshot-algorithm.png),
k-means++ picking its third centre on the blobs (docs/kmeanspp.png), and a notebook's
stretched blobs (X[:, 0] *= 100) shown by kmeans_stepper.show, run to convergence in
its frame (docs/notebook.png), from the app served on a free loopback port and
Debian's Chromium."""

import sys
import threading
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app import create_app  # noqa: E402  (the app of this checkout)

ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader", "--disable-background-networking"]


def run_to_convergence(page):
    page.locator("#speed").focus()
    page.keyboard.press("End")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#happened")).to_contain_text("Converged", timeout=120_000)
    page.evaluate("() => new Promise((done) => setTimeout(done, 500))")  # the charts beside it


def algorithm_beside_the_plot(browser, origin):
    """The embed with ?panel=algorithm after Init and Assign: the Update's line lit."""
    page = browser.new_page(viewport={"width": 820, "height": 500}, base_url=origin)
    page.goto("/embed?dataset=mouse&random_state=0&k=3&init=kmeans%2B%2B&seed=0"
              "&panel=algorithm&controls=init,assign,update,step,back,run")
    lit = page.locator("#algorithm-lines li.is-next")
    expect(lit).to_contain_text("Start", timeout=60_000)
    page.get_by_role("button", name="Init").click()
    expect(lit).to_contain_text("Assign", timeout=60_000)
    page.get_by_role("button", name="Assign").click()
    expect(lit).to_contain_text("Update", timeout=60_000)
    page.screenshot(path=ROOT / "docs" / "screenshot-algorithm.png")


def pick_two_centres(page):
    page.goto("/?dataset=blobs&k=4&init=kmeans%2B%2B&seed=3")
    expect(page.locator("#next")).to_contain_text("Next, Init", timeout=60_000)
    for number in (1, 2):
        page.get_by_role("button", name="Pick next centre").click()
        expect(page.locator("#happened")).to_contain_text(f"Centre {number} of 4")
    expect(page.locator("#picks-legend")).to_be_visible()
    page.evaluate("() => new Promise((done) => setTimeout(done, 500))")


def notebooks_stretched_blobs(browser, origin):
    """The frame kmeans_stepper.show gives for the notebook's X[:, 0] *= 100, converged."""
    from sklearn.datasets import make_blobs

    import kmeans_stepper

    X, y = make_blobs(n_samples=100, centers=4, cluster_std=0.5, random_state=0)  # the course's
    X[:, 0] *= 100
    frame = kmeans_stepper.show(X, y, k=4, seed=8, url=origin)
    page = browser.new_page(viewport={"width": 720, "height": 520})
    page.goto(frame.src + "&speed=12")
    step = page.get_by_role("button", name="Step", exact=True)
    expect(step).to_be_enabled(timeout=60_000)
    page.locator("[data-action=run]").click()
    expect(page.locator("#happened")).to_contain_text("Converged", timeout=120_000)
    page.evaluate("() => new Promise((done) => setTimeout(done, 500))")
    page.screenshot(path=ROOT / "docs" / "notebook.png")


def main():
    server = make_server("127.0.0.1", 0, create_app({"RATE_LIMITS_ENABLED": False}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, base_url=origin)
        page.goto("/?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0")
        expect(page.locator("#next")).to_contain_text("Next, Init", timeout=120_000)
        run_to_convergence(page)
        page.screenshot(path=ROOT / "docs" / "screenshot.png")
        phone = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True,
                                 is_mobile=True, base_url=origin)
        phone.goto("/?dataset=mouse&random_state=0&k=3&init=kmeans%2B%2B&seed=0")
        expect(phone.locator("#next")).to_contain_text("Next, Init", timeout=60_000)
        run_to_convergence(phone)
        phone.locator("#stage").scroll_into_view_if_needed()
        phone.screenshot(path=ROOT / "docs" / "screenshot-phone.png")
        algorithm_beside_the_plot(browser, origin)
        pick_two_centres(page)
        page.locator("#stage").screenshot(path=ROOT / "docs" / "kmeanspp.png")
        notebooks_stretched_blobs(browser, origin)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
