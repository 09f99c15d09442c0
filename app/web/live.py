"""The live classroom: a teacher's run that every student follows, and can leave to try.

- ``POST /api/classes`` {"session": id} makes the teacher's run a class: a join
  code and the teacher's token (sent back as ``Authorization: Bearer``).
- ``GET /api/classes/CODE``: the class (code, hold, followers, forks, iteration).
- ``GET /api/classes/CODE/events``: Server-Sent Events; the first is the run
  as it stands, then each step the teacher takes. A dropped stream resumes
  from ``Last-Event-ID`` (the backlog, or the run as it stands).
- ``POST /api/classes/CODE/fork``: the teacher's run as the student's own session.
- ``PATCH`` (hold, session) and ``DELETE`` (end): the teacher's, with the token.
- Pages: ``/join/CODE`` (the stepper, following), ``/join?code=``, the
  projector view ``/class/CODE`` and its QR code ``/class/CODE/qr.svg``.

Following is read-only: a follower never learns the teacher's session id (the
events carry the state without it), and every change needs the token.

Guessing a code is limited: every endpoint that takes one counts the unknown codes
an address asks for (``CLASS_CODE_MISS_LIMIT``), and past the limit refuses that
address with a 429, real codes too. A change without the teacher's token is
answered as an unknown code is, so that it does not confirm a code exists.
"""

import functools
import io
import threading
import time

import orjson
import segno
from flask import (Blueprint, Response, current_app, jsonify, redirect, render_template, request,
                   url_for)

from app.core import classroom as classes
from app.core.classroom import Classroom, Event
from app.core.session import new_session_id
from app.stores.base import StoreError, StoreUnavailable
from app.stores.live import ClassEnded, CodeTaken, UnknownClass
from app.services import sessions as sessions_service
from app.web import presentation, schemas, security
from app.web.api import with_ahead
from app.web.errors import ApiError
from app.web.json_provider import OPTIONS
from app.web.openapi import BAD_BODY, NO_SESSION
from app.web.operations import operation
from app.web.pages import stepper_page
from app.web.sessions import find_session, get_store

bp = Blueprint("live", __name__)

RETRY_MS = 1000  # how soon a browser opens a dropped stream again
DRAW_CODE_TRIES = 20
# The views that take a class code: the API's, and the pages, which answer in HTML.
CODE_OPERATIONS = ("show_class", "change_class", "end_class", "fork", "stream_events", "qr_code")
CODE_PAGES = ("join", "join_form", "projector")


def init_app(app):
    """The class store beside the session store, the blueprint, the rate limits, and
    the announcement of every step taken on a class's run."""
    config = app.config  # the settings are declared in app.settings
    sizes = dict(max_classes=config["MAX_CLASSES"], idle_seconds=config["CLASS_IDLE_SECONDS"],
                 ended_seconds=config["CLASS_ENDED_SECONDS"], backlog=config["CLASS_BACKLOG"])
    if config["REDIS_URL"]:
        from app.stores.redis_live import RedisClassrooms

        sessions = app.extensions["session_store"]
        store = RedisClassrooms(sessions.client, **sizes)
    else:
        from app.stores.live import MemoryClassrooms

        store = MemoryClassrooms(**sizes)
    app.extensions["class_store"] = store
    app.extensions["class_snapshots"] = _Snapshots()
    app.extensions.setdefault("after_step", []).append(announce_step)
    app.register_blueprint(bp)
    _add_rate_limits(app)


def _add_rate_limits(app):
    """Joining a real code is not limited (a school's NAT joins whole rooms at once; the
    streams are bounded per class by ``MAX_FOLLOWERS``): only the misses are."""
    limiter = app.extensions["rate_limiter"]
    views = app.view_functions
    views["live.open_class"] = limiter.limit(
        lambda: current_app.config["CLASS_CREATE_LIMIT"],
        error_message="too many new classes from this address; wait a moment")(views["live.open_class"])
    views["live.fork"] = limiter.limit(
        lambda: current_app.config["SESSION_CREATE_LIMIT"],
        error_message="too many new sessions from this address; wait a moment")(views["live.fork"])
    app.extensions["class_code_misses"] = security.MissLimit(
        "CLASS_CODE_MISS_LIMIT", scope="class_code",
        message=f"{MISSES}; wait, then check the code")
    for name in CODE_OPERATIONS + CODE_PAGES:
        views[f"live.{name}"] = _guarded(views[f"live.{name}"], page=name in CODE_PAGES)


def _guarded(view, page):
    """The view, refused to an address past the miss limit; a page answers its 429 as
    a page."""
    @functools.wraps(view)
    def guarded(**arguments):
        try:
            current_app.extensions["class_code_misses"].check()
            return view(**arguments)
        except security.TooManyMisses as error:
            if not page:
                raise
            page_429 = render_template("live_missing.html", too_many=error.message,
                                       seconds=error.seconds)
            return page_429, 429, error.headers
    return guarded


def get_classes():
    return current_app.extensions["class_store"]


# --- The API ------------------------------------------------------------------------

BEARER = {"name": "Authorization", "in": "header", "required": False,
          "schema": {"type": "string"}, "description": "Bearer and the teacher's token."}
NO_CLASS = {"404": "No class by this code."}
UNKNOWN = {**NO_CLASS, "410": "The class has ended."}
NOT_YOURS = {"404": "No class by this code, or not its teacher's token: the same answer, "
                    "which does not tell whether the code exists.",
             "410": "The class has ended."}
MISSES = "too many unknown class codes from this address"


def too_many(*others):
    """The 429 of an operation that takes a class code: past the miss limit, or ``others``."""
    return {"429": ", or ".join([*others, MISSES]).capitalize() + "."}


@operation(bp, "post", "/api/classes", "Teach a session live: a join code, and the "
           "teacher's token.", answer=schemas.ClassDescription, status="201",
           body="class_open", body_required=True,
           errors={**BAD_BODY, **NO_SESSION, "409": "The session is already taught live.",
                   "429": "Too many new classes from this address.",
                   "503": "{MAX_CLASSES} classes are live already."})
def open_class(body):
    session_id = body.session
    find_session(session_id)
    token = classes.new_token()
    for _ in range(DRAW_CODE_TRIES):
        classroom = Classroom(code=classes.new_code(), session_id=session_id,
                              digest=classes.token_digest(token))
        try:
            get_classes().open(classroom)
            break
        except CodeTaken:
            continue
    else:
        raise ApiError(503, "no free join code was found; try again")
    response = jsonify(token=token, **_describe(classroom, followers=0))
    response.status_code = 201
    response.headers["Location"] = url_for("live.show_class", code=classroom.code)
    return response


@operation(bp, "get", "/api/classes/{code}", "The class and its followers.",
           answer=schemas.ClassDescription, query=None, parameters=[BEARER],
           errors={**NO_CLASS, **too_many()})
def show_class(code):
    classroom = _find(code)
    if classroom.taught_by(_bearer()):
        get_classes().touch(classroom.code)  # the teacher's page is still open
    return jsonify(_describe(classroom, followers=get_classes().followers(classroom.code)))


@operation(bp, "patch", "/api/classes/{code}", "Hold the class on this step, or teach "
           "another session.", answer=schemas.ClassDescription, body="class_change",
           body_required=True, parameters=[BEARER],
           errors={**BAD_BODY, **NOT_YOURS, **too_many()})
def change_class(code, body):
    classroom = _teacher_of(code)
    store = get_classes()
    if body.hold is not None:
        classroom = store.change(classroom.code, hold=body.hold)
        store.publish(classroom.code, "hold", _encode({"hold": classroom.hold}))
    if body.session is not None:
        session = find_session(body.session)
        if session.id != classroom.session_id:
            classroom = store.change(classroom.code, session_id=session.id)
            store.publish(classroom.code, "run", _run_data(session, classroom))
    return jsonify(_describe(classroom, followers=store.followers(classroom.code)))


@operation(bp, "delete", "/api/classes/{code}", "End the class.", status="204",
           query=None, parameters=[BEARER], errors={**NOT_YOURS, **too_many()})
def end_class(code):
    classroom = _teacher_of(code)
    get_classes().end(classroom.code, _encode({"reason": "ended"}))
    return "", 204


@operation(bp, "post", "/api/classes/{code}/fork", "The teacher's run as it stands, as a "
           "new session of one's own.", operation_id="fork_class", answer=schemas.FullState,
           status="201", query="state",
           errors={"400": "Bad ahead or packed.",
                   "409": "The teacher holds the class on this step.",
                   **too_many("too many new sessions from this address"), **UNKNOWN})
def fork(code, query):
    """The teacher's run as it stands, as a new session of the student's own."""
    classroom = _find_live(code)
    if classroom.hold:
        raise ApiError(409, f"the teacher holds class {classroom.code} on this step: "
                            "follow along for now")
    found = sessions_service.fork(get_store(), find_session(classroom.session_id))
    try:
        get_classes().count_fork(classroom.code)
    except StoreError as error:  # the student has their run; only the teacher's count misses it
        current_app.logger.warning("fork not counted: %s", error)
    state = presentation.state(found.session, with_points=True, packed=query.packed)
    response = jsonify(with_ahead(state, found, query))
    response.status_code = 201
    response.headers["Location"] = f"/api/sessions/{found.session.id}"
    response.set_etag("1")  # a new session's first version, as a created one's
    return response


@operation(bp, "get", "/api/classes/{code}/events", "Server-Sent Events: the run as it "
           "stands (run), then each step (step), hold and end; resumes after Last-Event-ID.",
           operation_id="class_events", query=None,
           parameters=[{"name": "Last-Event-ID", "in": "header", "required": False,
                        "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}}],
           errors={"400": "Bad Last-Event-ID.", **too_many(),
                   "503": "{MAX_FOLLOWERS} students follow already.", **UNKNOWN},
           extra={"stream": True})
def stream_events(code):
    config = current_app.config
    follower = new_session_id()
    store = get_classes()
    after = _last_event_id()
    try:
        classroom = _find_live(code)
        store.follow(classroom.code, follower, 3 * config["CLASS_HEARTBEAT_SECONDS"],
                     config["MAX_FOLLOWERS"])
    except StoreUnavailable:
        # A browser does not reopen a stream refused: open it, and let it ask Redis again.
        read = classes.read_code(code)
        if read is None:
            _missed()
            raise UnknownClass(str(code)) from None
        classroom = Classroom(code=read, session_id="", digest="")
    sessions = get_store()
    made = current_app.extensions["class_snapshots"]

    def snapshot():
        event_id = store.last_event_id(classroom.code)  # first: a step after it is sent again
        now = store.get(classroom.code)
        session = None if now is None else sessions.get(now.session_id)
        if session is None:  # the class or the teacher's run was forgotten
            return Event(event_id + 1, "end", _encode({"reason": "expired"}))
        # A class joining at once gets one snapshot, made once per worker.
        key = (classroom.code, event_id, session.id, len(session.steps), now.hold)
        return made.get_or_make(key, lambda: Event(event_id, "run", _run_data(session, now)))

    stream = _Stream(store, classroom.code, follower, snapshot, config)
    response = Response(stream.messages(after), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: send each event at once
    return response


def announce_step(found, state):
    """After a step (``found``: the session as stored, ``state``: the step's answer):
    if a class follows the run, every follower gets the step. A step is never undone
    by a class's trouble."""
    store = get_classes()
    try:
        classroom = store.of_session(found.session.id, found.class_code)
        if classroom is not None:
            store.publish(classroom.code, "step", _encode({"state": _followed(state)}))
    except StoreError as error:
        current_app.logger.warning("step not announced to its class: %s", error)


# --- The pages ----------------------------------------------------------------------

@bp.get("/join")
def join_form():
    # Looked up here, not only after the redirect: an unknown code is a miss at every door.
    classroom = _find_page(request.args.get("code", ""))
    if not isinstance(classroom, Classroom):
        return classroom
    return redirect(url_for("live.join", code=classroom.code))


@bp.get("/join/<code>")
def join(code):
    classroom = _find_page(code)
    if not isinstance(classroom, Classroom):
        return classroom
    if classroom.code != code:
        return redirect(url_for("live.join", code=classroom.code))
    return stepper_page()


@bp.get("/class/<code>")
def projector(code):
    classroom = _find_page(code)
    if not isinstance(classroom, Classroom):
        return classroom
    return render_template("projector.html", code=classroom.code,
                           join_url=url_for("live.join", code=classroom.code, _external=True))


@bp.get("/class/<code>/qr.svg")
def qr_code(code):
    classroom = _find(code)
    link = url_for("live.join", code=classroom.code, _external=True)
    svg = io.BytesIO()
    # No style attribute anywhere (the CSP allows none): colours are SVG attributes.
    segno.make(link, error="m").save(svg, kind="svg", scale=10, border=2, xmldecl=False,
                                     title=f"Join class {classroom.code}: {link}")
    response = Response(svg.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Helpers ------------------------------------------------------------------------

class _Snapshots:
    """The last few snapshots this worker made. A room joining at once costs one: the
    first makes it while the others wait for it, rather than each making its own."""

    SIZE = 16

    def __init__(self):
        self._made = {}
        self._making = threading.Lock()

    def get_or_make(self, key, make):
        with self._making:
            event = self._made.get(key)
            if event is None:
                event = self._made[key] = make()
                while len(self._made) > self.SIZE:
                    self._made.pop(next(iter(self._made)))
            return event


class _Stream:
    """One follower's stream: the events of the class after the one it last had, in
    order and without a gap, a heartbeat while nothing happens, to the end."""

    def __init__(self, store, code, follower, snapshot, config):
        self.store, self.code, self.follower, self.snapshot = store, code, follower, snapshot
        self.heartbeat = config["CLASS_HEARTBEAT_SECONDS"]
        self.limit = config["MAX_FOLLOWERS"]
        self.last = 0

    def messages(self, after):
        listener = self.store.listen(self.code)  # first: nothing falls between it and the backlog
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            first = self._since(after)
            yield from self._send(first or [])
            counted = time.monotonic()
            while self.last >= 0:
                events = listener.wait(self.heartbeat)
                if first is None:  # the store did not answer the first time: again
                    events = first = self._since(after)
                elif events and events[0].id > self.last + 1:  # missed while Redis was away
                    events = self._since(self.last) or events
                yield from self._send(events or [])
                if time.monotonic() - counted >= self.heartbeat:
                    counted = time.monotonic()
                    yield from self._send(self._recount())
                    yield b": heartbeat\n\n"
        finally:
            listener.close()
            self._quietly(self.store.unfollow, self.code, self.follower)

    def _since(self, after):
        """The events after ``after`` (None: none yet), or the run as it stands; None
        if the store does not answer (the next event or heartbeat asks again)."""
        try:
            events = None if after is None else self.store.events_after(self.code, after)
            return [self.snapshot()] if events is None else events
        except StoreUnavailable:
            return None

    def _recount(self):
        """Counted as a follower again; an "end" if the class went while nobody looked."""
        try:
            self.store.follow(self.code, self.follower, 3 * self.heartbeat, self.limit)
        except (UnknownClass, ClassEnded):
            return self._since(self.last) or [Event(self.last + 1, "end",
                                                    _encode({"reason": "expired"}))]
        except StoreError:
            pass
        return []

    def _send(self, events):
        for event in events:
            if event.id < self.last or (event.id == self.last and event.kind != "run"):
                continue
            self.last = event.id
            yield b"id: %d\nevent: %s\ndata: %s\n\n" % (event.id, event.kind.encode(), event.data)
            if event.kind == "end":
                self.last = -1
                return

    @staticmethod
    def _quietly(action, *args):
        try:
            action(*args)
        except StoreError:
            pass


def _followed(state):
    """A state as followers get it: without the teacher's session id, nor the look-ahead."""
    return {key: value for key, value in state.items() if key not in ("id", "next")}


def _run_data(session, classroom):
    state = presentation.state(session, with_points=True)
    return _encode({"state": _followed(state), "hold": classroom.hold})


def _encode(data):
    return orjson.dumps(data, option=OPTIONS)


def _describe(classroom, followers):
    return {
        "code": classroom.code,
        "hold": classroom.hold,
        "ended": classroom.ended,
        "followers": followers,
        "forks": classroom.forks,
        "join_url": url_for("live.join", code=classroom.code, _external=True),
        "projector_url": url_for("live.projector", code=classroom.code, _external=True),
    }


def _get(code):
    """The class by a code as typed (ended ones too), or None."""
    read = classes.read_code(code)
    return None if read is None else get_classes().get(read)


def _missed():
    """Count a miss against the client's address: a 429 if it is one too many."""
    current_app.extensions["class_code_misses"].miss()


def _find(code):
    """The class by a code as typed (ended ones too), or a 404, counted as a miss."""
    classroom = _get(code)
    if classroom is None:
        _missed()
        raise UnknownClass(str(code))
    return classroom


def _find_live(code):
    classroom = _find(code)
    if classroom.ended:
        raise ClassEnded(classroom.code)
    return classroom


def _teacher_of(code):
    """The class whose teacher's token came with the request. Another's class is answered
    as an unknown code is (RFC 9110 allows a 404 for a resource one may not touch), and
    counted as a miss: neither the status, the message nor the limit tells whether a
    code exists."""
    classroom = _get(code)
    if classroom is None or not classroom.taught_by(_bearer()):
        _missed()
        raise ApiError(404, "no class with this code takes this token: only its teacher, "
                            "with the token given when the class began (Authorization: "
                            "Bearer), can change or end a class; following is read-only",
                       headers={"WWW-Authenticate": "Bearer"})
    if classroom.ended:
        raise ClassEnded(classroom.code)
    return classroom


def _bearer():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _last_event_id():
    """Where a stream resumes: ``Last-Event-ID`` (the browser's), or ``?after=``; None
    for a first stream, which starts with the run as it stands."""
    text = request.headers.get("Last-Event-ID") or request.args.get("after")
    if text is None:
        return None
    if not text.isdigit() or len(text) > 18:
        raise ApiError(400, f"Last-Event-ID must be an event's number, got {text[:40]!r}")
    return int(text)


def _find_page(code):
    """The class for a page, or the page saying there is none, or that it ended."""
    classroom = _get(code)
    if classroom is None:
        _missed()
        return _missing(code, 404)
    if classroom.ended:
        return _missing(classroom.code, 410, ended=True)
    return classroom


def _missing(code, status, ended=False):
    return render_template("live_missing.html", code=str(code)[:12], ended=ended), status
