"""A live class as each kind of page shows it, for each kind of data set, on a laptop and
on a phone: every form control shows the run the page shows as the server holds it,
after every teacher action; axe finds nothing serious; no page says undefined, NaN or
null; the class's end is asked first and said once; the teacher sees the forks.

One teacher page per data set, one page of each kind per screen, reused throughout."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from browsing import CENTROIDS, DRAWN, StepperPage
from sites import SERIOUS

WAIT_MS = 60_000  # a loaded machine: conditions are waited for, never timed
SCREENS = {
    "laptop": ({"width": 1280, "height": 900}, {}),
    "phone": ({"width": 390, "height": 844}, {"has_touch": True, "is_mobile": True}),
}
CUSTOM_POINTS = ",".join(f"{x},{y}" for i in range(24) for x, y in [((i % 6) + 3 * (i // 12), i // 6)])
RUNS = {
    "blobs": "?dataset=blobs&centers=3&cluster_std=1.2&n_samples=150&random_state=5&scale_x=2"
             "&standardize=false&k=3&init=kmeans%2B%2B&seed=7",
    "mouse": "?dataset=mouse&k=3&init=random&seed=3",
    "mnist": "?dataset=mnist&pca_components=2&k=10&init=kmeans%2B%2B&seed=0",
    "custom": f"?dataset=custom&points={CUSTOM_POINTS}&k=2&init=farthest&seed=4",
}

# Every setting as the form shows it: what a student reads on the page.
FORM = """() => {
    const value = (id) => document.getElementById(id).value;
    const params = Object.fromEntries([...document.querySelectorAll('#params [data-param]')]
        .map((input) => [input.dataset.param, input.type === 'checkbox' ? input.checked : input.value]));
    const points = value('custom-points').split('\\n').filter((line) => line.trim()).length;
    return { dataset: value('dataset'), params, k: value('k'), init: value('start'),
             seed: value('seed'), points };
}"""
# The words no page may show, whole words in its visible text.
# Every control of the settings, as the browser lets a user (or a screen reader) reach it.
CONTROLS = "[...document.querySelectorAll('#settings :is(input, select, textarea, button)')]"
# Read-only while following, yet not hidden from assistive technology (inert would hide it).
READ_ONLY = f"""() => !document.getElementById('settings').inert
    && {CONTROLS}.length > 0 && {CONTROLS}.every((control) => control.matches(':disabled'))"""
EDITABLE = f"() => {CONTROLS}.some((control) => !control.matches(':disabled'))"
BROKEN_WORDS = r"\b(undefined|NaN|null)\b"
# Each button of the step toolbar as laid out: its name and where it sits.
TOOLBAR = """() => [...document.querySelectorAll('.toolbar button')]
    .filter((button) => !button.hidden)
    .map((button) => { const box = button.getBoundingClientRect();
                       return [button.textContent.trim(), Math.round(box.x), Math.round(box.y)]; })"""


def form_of(state):
    """What the form must show for a run in the server's state."""
    dataset = dict(state["dataset"])
    name = dataset.pop("name")
    points = dataset.pop("n_points", 0) if name == "custom" else 0
    return {"dataset": name, "k": str(state["k"]), "init": state["init"],
            "seed": str(state["seed"]), "params": dataset, "points": points}


def shows_settings(stepper, state):
    """Wait until every control of the page shows the run ``state`` (numbers compared as
    numbers: 1.0 is shown as 1), and answer what it shows."""
    wanted = form_of(state)
    stepper.page.wait_for_function(
        f"""(wanted) => {{
            const shown = ({FORM})();
            const same = (a, b) => (b === null ? a === '' : typeof b === 'boolean' ? a === b
                                    : Number(a) === Number(b) && a !== '');
            return shown.dataset === wanted.dataset && shown.k === wanted.k
                && shown.init === wanted.init && shown.seed === wanted.seed
                && shown.points === wanted.points
                && Object.keys(shown.params).length === Object.keys(wanted.params).length
                && Object.entries(wanted.params).every(([key, v]) => same(shown.params[key], v));
        }}""", arg=wanted, timeout=WAIT_MS)
    return stepper.page.evaluate(FORM)


def clean(stepper, what):
    """axe finds nothing serious, and the page says no undefined, NaN or null."""
    text = stepper.page.evaluate("document.body.innerText")
    assert not re.findall(BROKEN_WORDS, text), f"{what}: {re.findall(f'.{{0,40}}{BROKEN_WORDS}.{{0,20}}', text)}"
    violations = Axe().run(stepper.page).response["violations"]
    serious = [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in violations
               if v["impact"] in SERIOUS]
    assert serious == [], what


@pytest.fixture
def screens(contexts, live_server):
    """``screens(name)``: a new tab of the stepper on that screen."""
    def open_on(name):
        viewport, options = SCREENS[name]
        context = contexts.get([f"{live_server}/healthz"], viewport=viewport,
                               base_url=live_server, **options)
        context.set_default_timeout(WAIT_MS)
        return StepperPage(context.new_page(), live_server)
    return open_on


class Teacher:
    """The teacher's page, teaching a class; ``state()`` is its run as the server holds it."""

    def __init__(self, stepper, run):
        self.stepper = stepper
        self.told = []  # the runs the page told the server it teaches, in turn
        stepper.page.on("requestfinished", self._count_told)
        stepper.open(run)
        stepper.page.wait_for_function(DRAWN)
        stepper.page.get_by_role("button", name="Teach this live").click()
        code = stepper.page.locator("#teach-code")
        expect(code).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{6}$"))
        self.code = code.text_content()

    def state(self):
        return self.stepper.api(f"/sessions/{self.stepper.created}")

    def act(self, action):
        """A step button by its name, or (control, value): a setting changed, a new run,
        which the class is taught from once the teacher's page told the server."""
        if isinstance(action, str):
            self.stepper.click(action)
            return
        control, value = action
        page = self.stepper.page
        told = len(self.told)
        if control == "start":
            page.locator("#start").select_option(value)
        else:
            page.locator(f"#{control}").fill(str(value))
            page.locator(f"#{control}").blur()  # changed, as when a teacher moves on
        for _ in range(WAIT_MS // 50):
            if len(self.told) > told:
                self.stepper.created = self.told[-1]
                return
            page.wait_for_timeout(50)
        raise AssertionError("the teacher's page never told the server of its new run")

    def _count_told(self, request):
        if request.method == "PATCH" and "/api/classes/" in request.url:
            self.told.append(request.post_data_json["session"])


ACTIONS = ["Init", "Assign", ("k", 4), "Init", "Assign", "Update", ("start", "random_partition"), "Init"]


@pytest.mark.parametrize("name", RUNS)
def test_every_page_of_a_class_shows_the_run_it_shows_as_the_server_holds_it(screens, name):
    teacher = Teacher(screens("laptop"), RUNS[name])
    students = {screen: screens(screen) for screen in SCREENS}
    for screen, student in students.items():
        student.page.goto(f"/join/{teacher.code}")
        student.page.wait_for_function(DRAWN)
        shows_settings(student, teacher.state())

    for action in ACTIONS:
        teacher.act(action)
        state = teacher.state()
        for screen, student in students.items():
            shows_settings(student, state)
            student.page.wait_for_function(
                f"(xs) => JSON.stringify({CENTROIDS}?.x ?? []) === JSON.stringify(xs)",
                arg=[x for x, _ in state["centroids"] or []])
    for screen, student in students.items():
        following = f"{name}, following, {screen}"
        assert student.page.evaluate(READ_ONLY), following
        if screen == "laptop":  # the same toolbar as the teacher's page, on the same screen
            assert student.page.evaluate(TOOLBAR) == teacher.stepper.page.evaluate(TOOLBAR)
        else:  # the plot first; the settings folded away under it
            plot = student.page.locator("#plot").bounding_box()
            assert plot["y"] < 844 - 200, following
            expect(student.page.locator("#settings")).to_be_hidden()
            student.page.get_by_role("button", name="Show the settings").click()
            settings = student.page.locator("#settings").bounding_box()
            assert settings["y"] > plot["y"] + plot["height"], following
        clean(student, following)

    # A fork: the forked run's own settings, editable; the teacher counts it.
    forked = {}
    for screen, student in students.items():
        with student.page.expect_response(lambda r: r.url.split("?")[0].endswith("/fork")) as made:
            student.page.get_by_role("button", name="Try the next step yourself").click()
        forked[screen] = made.value.json()["id"]
        student.created = forked[screen]
        shows_settings(student, student.api(f"/sessions/{forked[screen]}"))
        assert student.page.evaluate(EDITABLE)
        clean(student, f"{name}, fork, {screen}")
    assert teacher.stepper.api(f"/classes/{teacher.code}")["forks"] == len(students)
    expect(teacher.stepper.page.locator("#teach-followers")).to_contain_text("2 runs forked")
    for student in students.values():
        student.page.get_by_role("button", name="Follow the teacher again").click()
        shows_settings(student, teacher.state())

    # The projector view, on both screens.
    for screen in SCREENS:
        projector = screens(screen)
        projector.page.goto(f"/class/{teacher.code}")
        expect(projector.page.locator("#projector-followers")).to_contain_text("2 runs forked")
        clean(projector, f"{name}, projector, {screen}")

    # Ending the class is asked first; a teacher who says no keeps it.
    end = teacher.stepper.page.get_by_role("button", name="End the class")
    teacher.stepper.page.once("dialog", lambda dialog: dialog.dismiss())
    end.click()
    assert teacher.stepper.api(f"/classes/{teacher.code}")["ended"] is False
    last = teacher.state()
    teacher.stepper.page.once("dialog", lambda dialog: dialog.accept())
    end.click()
    for screen, student in students.items():
        ended = f"{name}, ended, {screen}"
        expect(student.page.locator("#follow-status")).to_contain_text("has ended")
        bar = student.page.locator("#live").inner_text()
        assert bar.count("has ended") == 1 and student.page.locator("#live-error").inner_text() == "", ended
        shows_settings(student, last)
        assert student.page.evaluate(f"{CENTROIDS}.x") == [x for x, _ in last["centroids"] or []]
        clean(student, ended)
