"""The live classroom in real browsers: one teacher page and three student pages,
each student seeing each teacher step; a fork stepping on its own; following again;
a student's step refused; an ended class; the projector view under axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from browsing import DRAWN, LAPTOP, SHOWN_POINTS, StepperPage

WAIT_MS = 60_000  # a loaded machine: conditions are waited for, never timed
RUN = "?dataset=mouse&k=4&init=random&seed=3"  # 40 steps to convergence

# What the page shows of a run: the plot's centroids and point colours, the
# inertia chart's points and the sentence under the plot.
SHOWN = f"""() => {{
    const plot = document.getElementById('plot');
    if (!plot?.data) return null; // not drawn yet
    const traces = Object.fromEntries(plot.data.map((t) => [t.name, t]));
    const chart = document.getElementById('objective').data ?? [];
    return {{
        centroids: traces.centroids.x.map((x, j) => [x, traces.centroids.y[j]]),
        colours: {SHOWN_POINTS}.colours,
        chart: chart.map((trace) => [...(trace.y ?? [])]),
        happened: document.getElementById('happened').textContent,
    }};
}}"""


@pytest.fixture
def pages(browser, live_server):
    """``pages()`` opens another browser of its own (its own sessionStorage) on the app."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=LAPTOP, base_url=live_server)
        contexts.append(context)
        context.set_default_timeout(WAIT_MS)
        return StepperPage(context.new_page(), live_server)

    yield open_page
    for context in contexts:
        context.close()


def teach(teacher):
    teacher.open(RUN)
    teacher.page.get_by_role("button", name="Teach this live").click()
    code = teacher.page.locator("#teach-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{6}$"), timeout=WAIT_MS)
    return code.text_content()


def join(student, code):
    student.page.goto(f"/join/{code}")
    expect(student.page.locator("#follow-status")).to_contain_text(f"Following class {code}",
                                                                   timeout=WAIT_MS)
    student.page.wait_for_function(DRAWN, timeout=WAIT_MS)


def shows_as_teacher(student, teacher):
    """Wait until the student's page shows what the teacher's shows."""
    wanted = teacher.page.evaluate(SHOWN)
    student.page.wait_for_function(
        f"(wanted) => JSON.stringify(({SHOWN})()) === JSON.stringify(wanted)",
        arg=wanted, timeout=WAIT_MS)
    return wanted


def teacher_steps(teacher, times=1):
    for _ in range(times):
        answer = teacher.click("Step")
    # The chart beside the plot is drawn after the plot; the state is settled when both are.
    teacher.page.wait_for_function(
        "(n) => (document.getElementById('objective').data?.[0]?.y?.length ?? 0) >= n",
        arg=sum(step["step"] == "assign" for step in answer["history"]), timeout=WAIT_MS)
    return answer


def test_every_student_sees_every_teacher_step_and_a_late_joiner_the_current_one(pages):
    teacher = pages()
    code = teach(teacher)
    students = [pages(), pages()]
    for student in students:
        join(student, code)
        shows_as_teacher(student, teacher)
    for _ in range(4):
        teacher_steps(teacher)
        for student in students:
            shows_as_teacher(student, teacher)
    late = pages()
    join(late, code)
    shown = shows_as_teacher(late, teacher)
    assert shown["chart"] and shown["happened"]
    expect(teacher.page.locator("#teach-followers")).to_have_text("3 students are following",
                                                                  timeout=WAIT_MS)
    teacher_steps(teacher)
    for student in [*students, late]:
        shows_as_teacher(student, teacher)
        assert not student.errors and not student.requests_elsewhere()


def test_a_fork_steps_on_its_own_and_the_student_follows_again(pages):
    teacher = pages()
    code = teach(teacher)
    teacher_steps(teacher, 2)
    student = pages()
    join(student, code)
    shows_as_teacher(student, teacher)

    student.page.get_by_role("button", name="Try the next step yourself").click()
    expect(student.page.locator("#follow-status")).to_contain_text("the class is at iteration 0",
                                                                   timeout=WAIT_MS)
    mine = student.click("Step")
    assert mine["iteration"] == 1 and student.session_id() not in teacher.requests[-1]
    student.wait_for_centroids(mine["centroids"])
    teacher_steps(teacher, 4)  # assign, update, assign, update: iteration 2
    expect(student.page.locator("#follow-status")).to_contain_text("the class is at iteration 2",
                                                                   timeout=WAIT_MS)
    student.wait_for_centroids(mine["centroids"])  # still the student's own run
    back = student.click("Back")
    assert back["iteration"] == 0

    student.page.get_by_role("button", name="Follow the teacher again").click()
    expect(student.page.locator("#follow-status")).to_contain_text("Following class",
                                                                   timeout=WAIT_MS)
    shows_as_teacher(student, teacher)
    teacher_steps(teacher)
    shows_as_teacher(student, teacher)


def test_a_student_cannot_step_the_live_run(pages):
    teacher = pages()
    code = teach(teacher)
    before = teacher_steps(teacher)
    student = pages()
    join(student, code)
    for take in (lambda: student.button("Step").click(), lambda: student.page.keyboard.press("ArrowRight"),
                 lambda: student.button("Reset").click()):
        take()
        expect(student.page.locator("#error")).to_contain_text("only the teacher steps it",
                                                               timeout=WAIT_MS)
    assert not [url for url in student.requests if "/api/sessions/" in url]
    assert teacher.api(f"/sessions/{teacher.session_id()}")["history"] == before["history"]
    shows_as_teacher(student, teacher)


def test_a_held_class_keeps_its_students_following(pages):
    teacher = pages()
    code = teach(teacher)
    student = pages()
    join(student, code)
    student.page.get_by_role("button", name="Try the next step yourself").click()
    expect(student.page.get_by_role("button", name="Follow the teacher again")).to_be_visible(
        timeout=WAIT_MS)
    teacher.page.get_by_label("Hold the class on this step").check()
    expect(student.page.locator("#follow-status")).to_contain_text("holds the class",
                                                                   timeout=WAIT_MS)
    expect(student.page.get_by_role("button", name="Try the next step yourself")).to_be_disabled()
    teacher_steps(teacher)
    shows_as_teacher(student, teacher)


def test_an_ended_class_says_so(pages):
    teacher = pages()
    code = teach(teacher)
    student = pages()
    join(student, code)
    teacher.page.once("dialog", lambda dialog: dialog.accept())  # asked first
    teacher.page.get_by_role("button", name="End the class").click()
    expect(student.page.locator("#follow-status")).to_contain_text(f"Class {code} has ended",
                                                                   timeout=WAIT_MS)
    expect(teacher.page.locator("#live-error")).to_contain_text("has ended", timeout=WAIT_MS)
    expect(teacher.page.get_by_role("button", name="Teach this live")).to_be_visible()
    latecomer = pages()
    latecomer.page.goto(f"/join/{code}")
    expect(latecomer.page.get_by_role("heading", level=1)).to_have_text(f"Class {code} has ended")


def test_a_code_typed_on_the_start_page_joins_the_class(pages):
    teacher = pages()
    code = teach(teacher)
    student = pages()
    student.open("")
    student.page.get_by_label("Join a class with its code").fill(code.lower())
    student.page.get_by_role("button", name="Join", exact=True).click()
    expect(student.page).to_have_url(re.compile(f"/join/{code}$"), timeout=WAIT_MS)
    shows_as_teacher(student, teacher)


def test_the_projector_view_is_clean_under_axe_and_the_csp(pages, artifacts):
    teacher = pages()
    code = teach(teacher)
    for _ in range(2):
        join(pages(), code)
    projector = pages()
    projector.page.set_viewport_size({"width": 1280, "height": 720})
    projector.page.goto(f"/class/{code}")
    expect(projector.page.locator("#projector-followers")).to_have_text(
        "2 students are following.", timeout=WAIT_MS)
    projector.page.wait_for_function(
        "document.querySelector('img.qr').complete && document.querySelector('img.qr').naturalWidth > 0")
    violations = Axe().run(projector.page).response["violations"]
    assert [f"{v['id']}: {v['help']}" for v in violations] == []
    assert not projector.errors  # the CSP blocked nothing
    projector.page.screenshot(path=artifacts / "projector.png")
