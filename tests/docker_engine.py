"""A real Docker engine for the container tests, and the images they run.

The engine is the one already running, or a ``dockerd`` started here with no
default bridge and no iptables rules, and stopped after. Images are built from
the repository's Dockerfiles unchanged, on a base image that
``scripts/base-image.sh`` pulls or, where no registry answers, makes from
Debian's packages once. Containers run on the host's network and are bound to
loopback ports: no test traffic leaves 127.0.0.0/8.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from services import REPO, request, stop, wait_until

# Predefined build arguments: a build reaches the network as this machine does.
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
BUILD_SECONDS = 1800  # the stand-in base image alone takes minutes on a fresh machine
# A bound, not a target: each of an app container's workers imports numpy, scipy and
# scikit-learn, three replicas at once on two shared cores.
START_SECONDS = 240
RUN_PREFIX = "kmeans-test"
BASE_IMAGE_SCRIPT = REPO / "scripts" / "base-image.sh"
# The label that marks the stand-in base image, and every image built on it.
STAND_IN_LABEL = re.search(r"^LABEL=(\S+)$", BASE_IMAGE_SCRIPT.read_text(), re.MULTILINE).group(1)


class Engine:
    """``docker`` commands against the running engine, or one started by ``start``."""

    def __init__(self):
        self.daemon = None
        self.log_path = Path(tempfile.gettempdir()) / "kmeans-test-dockerd.log"

    def start(self):
        if self.answers():
            return self
        if not shutil.which("dockerd"):
            raise RuntimeError("no Docker engine: apt-get install docker.io (scripts/test.sh does)")
        with open(self.log_path, "ab") as log:
            self.daemon = subprocess.Popen(
                ["dockerd", "--bridge=none", "--iptables=false", "--ip-masq=false"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(self.answers, "dockerd", alive=lambda: self.daemon.poll() is None)
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error}\n{self.log_path.read_text(errors='replace')[-3000:]}")
        return self

    def stop(self):
        """Stop the engine if it was started here; one found running is left as it was."""
        stop(self.daemon, seconds=60)
        self.daemon = None

    def answers(self):
        try:
            return subprocess.run(["docker", "version"], capture_output=True,
                                  timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def __call__(self, *args, check=True, timeout=120):
        """``docker *args``: its standard output, stripped; fails with its output if it does."""
        result = subprocess.run(["docker", *args], capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} exited {result.returncode}:\n"
                               f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return result.stdout.strip()

    def base_image(self):
        """The Dockerfile's FROM, pulled or made from Debian's packages (once per recipe)."""
        subprocess.run(["bash", str(BASE_IMAGE_SCRIPT)], check=True,
                       timeout=BUILD_SECONDS)

    def build(self, tag, context=REPO, dockerfile=None):
        """``docker build`` on the host's network, as the deploy page says; returns ``tag``."""
        args = ["build", "--network", "host", "--tag", tag]
        if dockerfile is not None:
            args += ["--file", str(dockerfile)]
        for name in PROXY_VARIABLES:
            if name in os.environ:
                args += ["--build-arg", name]
        self(*args, str(context), timeout=BUILD_SECONDS)
        # What an earlier build left untagged, if it came from the stand-in base:
        # otherwise every change to the app would leave a few hundred megabytes behind.
        self("image", "prune", "--force", "--filter", f"label={STAND_IN_LABEL}")
        return tag

    def run(self, image, *options, command=(), name=None):
        """A detached container on the host's network; removed by ``Container.remove``."""
        name = name or f"{RUN_PREFIX}-{uuid.uuid4().hex[:8]}"
        self("run", "--detach", "--name", name, "--network", "host", *options, image, *command)
        return Container(self, name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class Container:
    """A container started by ``Engine.run``, by its name."""

    def __init__(self, engine, name):
        self.engine = engine
        self.name = name

    def inspect(self):
        return json.loads(self.engine("inspect", self.name))[0]

    def health(self):
        return self.inspect()["State"].get("Health", {}).get("Status")

    def logs(self):
        result = subprocess.run(["docker", "logs", self.name], capture_output=True, text=True)
        return result.stdout + result.stderr

    def running(self):
        return self.inspect()["State"]["Running"]

    def wait_serving(self, port, path="/healthz", seconds=START_SECONDS):
        """Wait until it answers 200 on 127.0.0.1:``port``; its log in the error if not."""
        def answers():
            try:
                return request(port, "GET", path, timeout=2)[0] == 200
            except OSError:
                return False
        try:
            wait_until(answers, f"{self.name} on port {port}", seconds, alive=self.running)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{self.logs()[-3000:]}") from None
        return self

    def exec(self, *command):
        return self.engine("exec", self.name, *command)

    def remove(self):
        self.engine("rm", "--force", "--volumes", self.name, check=False)


DEPLOY_PAGE = REPO / "docs" / "deploy.md"
# The deploy page's docker run that tests/test_docker.py runs: the hardened one.
READ_ONLY = ("--read-only", "--tmpfs")


def deploy_commands():
    """The deploy page's ``docker build`` and ``docker run`` commands, each as a list of words."""
    text = DEPLOY_PAGE.read_text()
    commands = [line.split() for line in re.findall(r"(?:^|`)(docker (?:build|run) [^`\n]+)", text,
                                                    re.MULTILINE)]
    return [c for c in commands if c[1] == "build"], [c for c in commands if c[1] == "run"]


def deploy_build():
    """The deploy page's first ``docker build``: the tests build the image with its tag."""
    builds, _ = deploy_commands()
    return builds[0]


def deploy_run(*needed):
    """The deploy page's first ``docker run`` command that has every one of ``needed``."""
    _, runs = deploy_commands()
    found = [command for command in runs if all(word in command for word in needed)]
    assert found, f"{DEPLOY_PAGE.relative_to(REPO)} has no docker run command with {needed}"
    return found[0]


def on_loopback(command, port):
    """A documented ``docker run`` as the tests run it: on the host's network, served on
    127.0.0.1:``port`` only, and kept after it stops (no ``--rm``) to be inspected."""
    words, options = command[2:-1], []
    while words:
        word = words.pop(0)
        if word == "--rm":
            continue
        if word in ("-p", "--publish"):
            words.pop(0)  # no port mapping on the host's network: PORT is the port
        elif word in ("-e", "--env") and words[0].startswith("PORT="):
            words.pop(0)
        else:
            options.append(word)
    return options + ["--env", f"PORT={port}",
                      "--env", f"GUNICORN_CMD_ARGS=--bind 127.0.0.1:{port}"], command[-1]
