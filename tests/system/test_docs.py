"""The documentation site (docs/) builds with Sphinx, warnings as errors; its generated
pages hold what the code declares; and every command its quick start and deploy page
give is one the suite runs."""

import html
import json
import os
import re
import subprocess
import sys

import pytest

from app import create_app, settings
from docker_engine import BASE_IMAGE_SCRIPT, READ_ONLY, deploy_build, deploy_run
from services import REPO, free_port, request, stop, wait_until

DOCS = REPO / "docs"
APP_URL = "http://127.0.0.1:5999"  # an address no default uses: the frame must take it from here
RUN_COMMAND = "bash scripts/run.sh"  # the quick start's, run by the last test here
BY_HAND = ":caption: By hand"
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})  # a command block the page says the tests do not run


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built as a reader gets it, every page's text by its name."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(DOCS), str(out)],
        env={**os.environ, "DOCS_APP_URL": APP_URL}, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {page.stem: page.read_text() for page in out.glob("*.html")}


def text_of(page):
    """A built page as a reader reads it: no tags, entities decoded, spaces collapsed, and
    Sphinx's curly quotes straight again."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", page)).translate(SMART_QUOTES)
    return " ".join(text.split())


def test_the_api_reference_has_every_operation_of_the_served_openapi_document(site):
    document = create_app({"TESTING": True}).test_client().get("/api/openapi.json").get_json()
    reference = text_of(site["api"])
    operations = [(method.upper(), path) for path, methods in document["paths"].items()
                  for method in methods]
    assert all(path.startswith("/api/") for _, path in operations)
    missing = [f"{method} {path}" for method, path in operations
               if f"{method} {path}" not in reference]
    assert not missing
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name.lower()}"' in site["api"]


def test_the_settings_page_has_every_declared_setting_with_its_default(site):
    page = text_of(site["settings"])
    for setting in settings.SETTINGS:
        help_begins = re.escape(text_of(setting.help.replace("`", ""))[:30])
        row = re.search(rf"\b{setting.name} (.+?) {help_begins}", page)
        assert row, setting.name
        if setting.shown is None and setting.kind is not settings.boolean:
            assert row.group(1) == str(setting.default)


def test_the_embedding_page_frames_the_stepper_at_the_address_given_at_build_time(site):
    page = site["embedding"]
    framed = re.findall(r'<iframe src="([^"]+)"', page)
    assert framed == [f"{APP_URL}/embed?dataset=mouse&amp;k=3&amp;init=random&amp;seed=1"]
    # The snippet shown is the one that frames it, as a course author would paste it.
    snippet = re.search(r"<iframe src=.*?</iframe>", page, re.S).group(0)
    assert text_of(snippet) in text_of(page.replace(snippet, ""))


def test_the_performance_page_shows_each_benchmarks_latest_run_from_its_results_file(site):
    page = text_of(site["performance"])
    results = sorted((REPO / "bench" / "results").glob("*.json"))
    assert results
    for path in results:
        result = json.loads(path.read_text())
        assert result["name"] == path.stem
        assert result["command"] in page
        latest = result["runs"][-1]
        assert " ".join(latest["summary"].split()) in page
        assert f"bench/results/{path.name}" in page


def test_the_site_loads_nothing_from_another_server(site):
    for name, page in site.items():
        for tag, address in re.findall(r"<(script|link|img)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"",
                                       page):
            assert not re.match(r"(https?:)?//", address), (name, tag, address)


def command_blocks(page):
    """Each fenced command block of a page (plain, sh, bash or console) as
    (its options, its commands): lines joined at a trailing backslash, comments left out."""
    blocks = re.findall(r"^( *)```(\{code-block\} *)?(sh|bash|console|shell)?\n(.*?)^\1```$",
                        (DOCS / page).read_text(), re.M | re.S)
    found = []
    for indent, _, _, body in blocks:
        lines = [line.removeprefix(indent) for line in body.splitlines()]
        options = [line for line in lines if line.startswith(":")]
        commands = " ".join(line[:-1] if line.endswith("\\") else line + "\n"
                            for line in lines if line and not line.startswith((":", "#")))
        found.append((options, [" ".join(c.split()) for c in commands.splitlines() if c.strip()]))
    return found


def commands_the_suite_runs():
    """Each command the pages give that the suite runs, and what runs it."""
    ci = REPO / ".ci" / "run"
    runs = {line: ".ci/run" for line in ci.read_text().splitlines() if line.startswith("bash ")}
    runs[f"bash {BASE_IMAGE_SCRIPT.relative_to(REPO)}"] = "tests/docker_engine.py (Engine.base_image)"
    runs[" ".join(deploy_build())] = "tests/conftest.py (the image, by its tag)"
    runs[" ".join(deploy_run(*READ_ONLY))] = "tests/test_docker.py (the container)"
    runs[RUN_COMMAND] = "tests/test_docs.py (test_the_quick_starts_run_command_serves_the_stepper)"
    return runs


@pytest.mark.parametrize("page", ["quickstart.md", "deploy.md"])
def test_every_command_block_of_the_page_is_run_by_the_suite_or_says_it_is_not(page):
    blocks = command_blocks(page)
    assert blocks
    runs = commands_the_suite_runs()
    for options, commands in blocks:
        if any(option.startswith(BY_HAND) for option in options):
            continue
        assert commands
        assert [c for c in commands if c not in runs] == [], f"{page}: not run by the suite"


def test_the_quick_start_gives_the_run_and_test_commands():
    commands = [c for _, block in command_blocks("quickstart.md") for c in block]
    assert RUN_COMMAND in commands
    assert "bash scripts/test.sh" in commands


def test_the_quick_starts_run_command_serves_the_stepper(tmp_path):
    """``bash scripts/run.sh`` as the quick start gives it, on a free port (its extra arguments
    go to ``flask run``), with its own cache directory."""
    port = free_port()
    env = {**os.environ, "KMEANS_CACHE_DIR": str(tmp_path / "cache")}
    with open(tmp_path / "run.log", "wb") as log:
        server = subprocess.Popen([*RUN_COMMAND.split(), "--port", str(port)], cwd=REPO, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            try:
                wait_until(lambda: _answers(port), "bash scripts/run.sh", seconds=600,
                           alive=lambda: server.poll() is None)
            except RuntimeError as error:
                raise AssertionError((tmp_path / "run.log").read_text()[-3000:]) from error
            status, catalog = request(port, "GET", "/api/catalog")
            assert status == 200 and catalog["datasets"]
        finally:
            stop(server)


def _answers(port):
    try:
        return request(port, "GET", "/healthz", timeout=5)[0] == 200
    except OSError:
        return False
