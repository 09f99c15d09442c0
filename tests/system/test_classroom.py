"""The classroom of compose.yaml, run for real: the app image three times, Redis with
an append-only file and nginx in front, each a container built from the repository.

The topology is read from compose.yaml and run on the host's network, where only
names and ports change: services reach each other at 127.0.0.1 on free ports
instead of by name, and nginx lists the replicas' ports. Students are told apart
by the loopback address they connect from (127.0.x.y).
"""

import re
from urllib.parse import urlsplit

import pytest
import yaml

from services import REPO, free_port, request, wait_until
from test_deploy import OneProcess, without_id

COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
NGINX_CONF = REPO / "deploy" / "nginx.conf"
# What the tests add to compose's environment: a create limit low enough to reach.
TEST_ENVIRONMENT = {"KMEANS_SESSION_CREATE_LIMIT": "3 per hour"}
# Every key of each service that this module runs or checks: a new one fails the check.
UNDERSTOOD = {
    "app": {"build", "image", "environment", "read_only", "tmpfs", "deploy", "depends_on",
            "restart"},
    "proxy": {"build", "image", "ports", "depends_on", "restart"},
    "redis": {"build", "image", "command", "volumes", "healthcheck", "restart"},
}


def build_args(service):
    """(context, Dockerfile) of a service's ``build``."""
    build = COMPOSE["services"][service]["build"]
    if isinstance(build, str):
        return REPO / build, None
    return REPO / build["context"], REPO / build["context"] / build["dockerfile"]


def app_environment(redis_port, port):
    """compose's environment for the app, with Redis and the app on loopback ports."""
    environment = dict(COMPOSE["services"]["app"]["environment"])
    redis_url = urlsplit(environment["REDIS_URL"])
    assert redis_url.hostname == "redis", "the app should reach Redis by its service name"
    environment["REDIS_URL"] = redis_url._replace(netloc=f"127.0.0.1:{redis_port}").geturl()
    environment["PORT"] = str(port)
    return environment


def redis_command(port):
    return [*COMPOSE["services"]["redis"]["command"], "--port", str(port), "--bind", "127.0.0.1"]


def nginx_conf(port, replica_ports):
    """deploy/nginx.conf with the replicas' ports for ``app``'s and a loopback listen."""
    app_port = COMPOSE["services"]["app"]["environment"]["PORT"]
    text = NGINX_CONF.read_text()
    servers = "\n    ".join(f"server 127.0.0.1:{p};" for p in replica_ports)
    text, upstreams = re.subn(rf"server app:{app_port};", servers, text)
    text, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", text)
    assert (upstreams, listens) == (1, 1), "nginx.conf should name app:PORT once and listen on 80"
    return text


class Classroom:
    """The containers of compose.yaml, started on loopback ports."""

    def __init__(self, docker, app_image, directory):
        self.docker, self.app_image, self.directory = docker, app_image, directory
        self.redis_port, self.port = free_port(), free_port()
        replicas = COMPOSE["services"]["app"]["deploy"]["replicas"]
        self.replica_ports = [free_port() for _ in range(replicas)]
        self.images = {}
        self.redis = self.proxy = None
        self.replicas = []

    def start(self):
        self.images = {name: self.docker.build(COMPOSE["services"][name]["image"],
                                               *build_args(name))
                       for name in ("redis", "proxy")}
        volume = COMPOSE["services"]["redis"]["volumes"][0].split(":")[1]
        self.redis = self.docker.run(self.images["redis"], "--mount", f"type=volume,dst={volume}",
                                     command=redis_command(self.redis_port))
        self.wait_for_redis()
        app = COMPOSE["services"]["app"]
        options = (["--read-only"] if app["read_only"] else []) + [
            word for path in app["tmpfs"] for word in ("--tmpfs", path)]
        for port in self.replica_ports:
            environment = {**app_environment(self.redis_port, port), **TEST_ENVIRONMENT,
                           "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}"}
            env_options = [word for item in environment.items()
                           for word in ("--env", "=".join(item))]
            self.replicas.append(self.docker.run(self.app_image, *options, *env_options))
        for replica, port in zip(self.replicas, self.replica_ports):
            replica.wait_serving(port, "/readyz")
        conf = self.directory / "stepper.conf"
        conf.write_text(nginx_conf(self.port, self.replica_ports))
        self.proxy = self.docker.run(
            self.images["proxy"], "--mount",
            f"type=bind,src={conf},dst=/etc/nginx/conf.d/stepper.conf,readonly")
        self.proxy.wait_serving(self.port, "/readyz")
        return self

    def wait_for_redis(self):
        test = COMPOSE["services"]["redis"]["healthcheck"]["test"]
        assert test[0] == "CMD" and test[1] == "redis-cli"
        ping = ["redis-cli", "-p", str(self.redis_port), *test[2:]]
        wait_until(lambda: self.docker("exec", self.redis.name, *ping, check=False) == "PONG",
                   "redis", alive=self.redis.running)

    def remove(self):
        for container in [self.proxy, *self.replicas, self.redis]:
            if container is not None:
                container.remove()


@pytest.fixture(scope="module")
def classroom(docker, app_image, tmp_path_factory):
    room = Classroom(docker, app_image, tmp_path_factory.mktemp("classroom"))
    try:
        yield room.start()
    finally:
        room.remove()


class Student:
    """One student's browser: its own loopback address, through nginx."""

    def __init__(self, classroom, address):
        self.port, self.address = classroom.port, address

    def __call__(self, method, path, body=None, **headers):
        return request(self.port, method, path, body, source=self.address, headers=headers)


def students(classroom, group, count):
    return [Student(classroom, f"127.0.{group}.{n}") for n in range(1, count + 1)]


BODIES = [
    {"dataset": {"name": "blobs", "random_state": 4}, "k": 4, "seed": 4, "init": "random"},
    {"dataset": "mouse", "k": 3, "init": "kmeans++", "seed": 7},
    {"dataset": {"name": "mnist", "pca_components": 2}, "k": 10, "seed": 1},
    {"dataset": {"name": "blobs", "random_state": 2}, "k": 5, "seed": 2, "init": "farthest"},
]
STEPS = ["step"] * 5 + ["back", "assign", "update", "back", "step", "step", "run", "back"]


def create_sessions(class_students, here):
    """Each student's session, and the same session in one process: [(remote, local)]."""
    ids = []
    for student, body in zip(class_students, BODIES):
        status, created = student("POST", "/api/sessions", body)
        assert status == 201, created
        expected = here.request("POST", "/api/sessions", body)[1]
        assert without_id(created) == without_id(expected)
        ids.append((created["id"], expected["id"]))
    return ids


def step_all(class_students, ids, here, steps):
    """Every student takes ``steps`` in turn; each answer is the one process's."""
    for name in steps:
        for student, (remote, local) in zip(class_students, ids):
            answer = student("POST", f"/api/sessions/{remote}/{name}", {})
            expected = here.request("POST", f"/api/sessions/{local}/{name}", {})
            assert (answer[0], without_id(answer[1])) == (expected[0], without_id(expected[1]))


def assert_nothing_lost(class_students, ids, here):
    for student, (remote, local) in zip(class_students, ids):
        status, state = student("GET", f"/api/sessions/{remote}")
        expected = here.request("GET", f"/api/sessions/{local}")[1]
        assert status == 200 and state["history"] and without_id(state) == without_id(expected)


def test_compose_yaml_says_what_the_classroom_runs(docker, classroom):
    services = COMPOSE["services"]
    assert set(COMPOSE) == {"services", "volumes"} and set(services) == set(UNDERSTOOD)
    for name, service in services.items():
        assert set(service) <= UNDERSTOOD[name], f"{name}: {set(service) - UNDERSTOOD[name]}"
        assert service["restart"] == "unless-stopped"
        assert docker("image", "inspect", "--format", "{{.Id}}", service["image"])

    assert services["app"]["build"] == "." and services["app"]["image"] == classroom.app_image
    assert len(classroom.replicas) == services["app"]["deploy"]["replicas"] == 3
    for replica, port in zip(classroom.replicas, classroom.replica_ports):
        config = replica.inspect()
        ran = dict(item.split("=", 1) for item in config["Config"]["Env"])
        expected = {**app_environment(classroom.redis_port, port), **TEST_ENVIRONMENT}
        assert {key: ran[key] for key in expected} == expected
        assert config["HostConfig"]["ReadonlyRootfs"] is services["app"]["read_only"] is True
        assert list(config["HostConfig"]["Tmpfs"]) == services["app"]["tmpfs"]
    assert services["app"]["depends_on"] == {"redis": {"condition": "service_healthy"}}

    redis = classroom.redis.inspect()
    assert redis["Config"]["Cmd"] == redis_command(classroom.redis_port)
    assert services["redis"]["command"][services["redis"]["command"].index("--appendonly") + 1] == "yes"
    volume_name, volume_path = services["redis"]["volumes"][0].split(":")
    assert volume_name in COMPOSE["volumes"]
    assert redis["Config"]["WorkingDir"] == volume_path  # where Redis writes its files
    assert [m["Destination"] for m in redis["Mounts"]] == [volume_path]

    proxy = services["proxy"]
    assert proxy["ports"] == ["${PORT:-8000}:80"]
    assert proxy["depends_on"] == {"app": {"condition": "service_healthy"}}
    ran = classroom.proxy.exec("cat", "/etc/nginx/conf.d/stepper.conf")
    assert ran == nginx_conf(classroom.port, classroom.replica_ports).strip()
    # The image holds deploy/nginx.conf, which the test replaced by its loopback twin.
    shipped = docker("run", "--rm", "--network", "none", classroom.images["proxy"],
                     "cat", "/etc/nginx/conf.d/stepper.conf")
    assert shipped == NGINX_CONF.read_text().strip()


def test_students_steps_alternate_across_the_replicas_and_none_is_lost(classroom):
    here, class_students = OneProcess(), students(classroom, 1, len(BODIES))
    ids = create_sessions(class_students, here)
    step_all(class_students, ids, here, STEPS)
    assert_nothing_lost(class_students, ids, here)
    for remote, _ in ids:
        served = [replica for replica in classroom.replicas
                  if f"POST /api/sessions/{remote}/" in replica.logs()]
        assert served == classroom.replicas, f"session {remote} was stepped on {len(served)}"


def test_a_replica_killed_mid_class_loses_no_session(classroom):
    here, class_students = OneProcess(), students(classroom, 2, len(BODIES))
    ids = create_sessions(class_students, here)
    step_all(class_students, ids, here, STEPS[:4])
    killed = classroom.replicas[1]
    classroom.docker("kill", killed.name)
    try:
        step_all(class_students, ids, here, STEPS[4:])
        assert_nothing_lost(class_students, ids, here)
    finally:
        classroom.docker("start", killed.name)
        killed.wait_serving(classroom.replica_ports[1], "/readyz")


def test_sessions_outlive_redis_killed_and_started_again(classroom):
    here, class_students = OneProcess(), students(classroom, 3, len(BODIES))
    ids = create_sessions(class_students, here)
    step_all(class_students, ids, here, STEPS[:6])
    # SIGKILL: Redis saves nothing on the way out, so only the append-only file can
    # bring the sessions back.
    classroom.docker("kill", classroom.redis.name)
    assert class_students[0]("POST", f"/api/sessions/{ids[0][0]}/step", {})[0] == 503
    classroom.docker("start", classroom.redis.name)
    classroom.wait_for_redis()
    for replica, port in zip(classroom.replicas, classroom.replica_ports):
        replica.wait_serving(port, "/readyz")
    assert_nothing_lost(class_students, ids, here)
    assert "append only file" in classroom.redis.logs().split("Server initialized")[-1]
    step_all(class_students, ids, here, STEPS[6:])
    assert_nothing_lost(class_students, ids, here)


def test_nginx_hands_each_students_address_to_the_rate_limit(classroom):
    limit = int(TEST_ENVIRONMENT["KMEANS_SESSION_CREATE_LIMIT"].split()[0])
    alice, bob = students(classroom, 4, 2)
    body = {"dataset": "mouse", "k": 3}
    assert [alice("POST", "/api/sessions", body)[0] for _ in range(limit)] == [201] * limit
    assert alice("POST", "/api/sessions", body)[0] == 429
    # A forged X-Forwarded-For gains nothing: nginx adds the address it saw, and the
    # app believes only that last one.
    assert alice("POST", "/api/sessions", body, **{"X-Forwarded-For": "127.0.4.99"})[0] == 429
    assert bob("POST", "/api/sessions", body)[0] == 201
