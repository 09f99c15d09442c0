"""A session as the API shows it: its state as JSON, what its last step did in a
teacher's words, and what the next step would change.

The core's ``Session`` keeps the steps and their numbers; the sentences come from
the teaching file (``app/teaching.toml``), through ``catalog.teaching()``.
"""

import weakref

import numpy as np
from flask import current_app, has_app_context

from app.core import metrics
from app.core.session import StepRefused
from app.web.catalog import teaching
from app.web.schemas import WEIGHT_STEPS, pack, pack_labels


def state(session, with_points=False, packed=False, with_labels=True):
    """The session as JSON-ready data; the points only when asked for; the labels,
    points and classes as JSON lists, or ``packed`` (``schemas.Packed``); no labels
    at all ``with_labels=False`` (for a caller that has them).

    With the points come the true classes: ``truth`` holds each point's class as
    an index into ``truth_names``, so that the page colours classes by index
    whatever their names."""
    data = session.data
    centroids = session.centroids
    last = session.steps[-1] if session.steps else None
    # What k-means++ drew, while its centres are picked one at a time: the picks so far
    # and the next one, whose D² give every point's chance.
    drawn = session.picks(session.picked + 1) if session.picking else None
    last_assign = session.last_assign
    shown = {
        "id": session.id,
        "dataset": data.describe(),
        "n_samples": data.n_samples,
        "n_features": data.n_features,
        "view_is_space": data.view_is_space,
        "has_images": data.image_map is not None,
        "k": session.k,
        "init": session.init,
        "seed": session.seed,
        "phase": session.phase,
        "next_step": session.next_step,
        "iteration": session.iteration,
        "centroids": None if centroids is None else _in_view(data, centroids),
        "labels": _labels(session.labels, session.k, packed),
        "inertia": None if last is None else last.inertia,
        "changed": None if last_assign is None else last_assign.changed,
        "converged": session.converged,
        "events": events(session, drawn),
        "can_back": session.can_back,
        "history": [
            {"step": step.kind, "inertia": step.inertia, "changed": step.changed}
            for step in session.steps
        ],
        "trail": _trail(session),
        "metrics": metrics.against_truth(session.labels, data.true_classes, session.k),
        "picks": picks(session, drawn, packed),
    }
    if not with_labels:
        del shown["labels"]
    if with_points:
        classes = data.true_classes
        shown["points"] = _points(data, packed)
        shown["truth"] = None if classes is None else _labels(classes[0], len(classes[1]), packed)
        shown["truth_names"] = None if classes is None else list(classes[1])
    return shown


def _labels(labels, count, packed):
    if labels is None:
        return None
    if not packed:
        return labels.tolist()
    # A step's labels go out in two answers (ahead, then as the state); a step's arrays
    # are read-only, so the same array packs to the same text.
    cache = _cache()
    cached, cached_count, text = cache.packed_labels
    if cached() is not labels or cached_count != count:
        text = pack_labels(labels, count)
        cache.packed_labels = (weakref.ref(labels), count, text)
    return text


class Cache:
    """What answers share and is worked out once: one per app
    (``app.extensions["presentation_cache"]``), so that two apps never share it."""

    def __init__(self):
        # A weak reference to the labels last packed, their count of clusters, and
        # their packing.
        self.packed_labels = (lambda: None, None, None)
        # id of a step's centroids and of their data set -> weak references to both,
        # and the centroids in view coordinates; an entry goes with its centroids.
        self.views = {}


def _cache():
    """The app's cache; outside an app, a new one each time (nothing cached)."""
    return current_app.extensions["presentation_cache"] if has_app_context() else Cache()


def _points(data, packed):
    if not packed:
        return data.view.tolist()
    # float32 is what WebGL draws with; a student's own points come back exactly.
    return pack(data.view, "float64" if data.name == "custom" else "float32")


def events(session, drawn=None):
    """What the last step did, in a teacher's words (``drawn``: ``session.picks``, while
    its centres are picked one at a time)."""
    words = teaching()
    if session.picking:
        return [_pick_event(session, drawn, words["picks"])]
    if not session.steps:
        return []
    phrases = words["steps"]
    step = session.steps[-1]
    if step.kind == "init":
        message = words["starts"][session.init]["done"].format(k=session.k, seed=session.seed)
        shown = [{"type": "init", "message": message}]
    elif step.kind == "assign":
        first = sum(s.kind == "assign" for s in session.steps) == 1
        shown = [{"type": "assign", "message": _changed_message(phrases, step.changed, first)}]
        if step.final_update:
            shown.append({"type": "final_update", "message": phrases["final_update"]})
        elif step.changed == 0:
            shown.append({"type": "converged", "message": phrases["converged"]})
    else:
        shown = [{"type": "update", "message": phrases["update"].format(shift=step.shift)}]
        shown += [{
            "type": "empty_cluster", "cluster": cluster, "point": point,
            "message": phrases["empty_cluster"].format(cluster=cluster, point=point),
        } for cluster, point in step.relocations]
        shown += [_emptied_event(phrases, *emptied, relocated=bool(step.relocations))
                  for emptied in step.emptied]
        if session.converged:
            shown.append({"type": "converged", "message": phrases["converged_update"]})
    if step.stopped:
        shown.append({"type": "stopped", "message": phrases["stopped"]})
    return shown


def picks(session, drawn, packed=False):
    """k-means++ taken one centre at a time: the centres picked so far, what the last
    pick drew and kept, and every point's chance of being drawn next; None unless the
    centres are being picked, or the last pick was the Init."""
    if not session.picking:
        return None
    data = session.data
    last = drawn[session.picked - 1]
    chosen = [pick.kept for pick in drawn[:session.picked]]
    shown = {
        "picked": session.picked,
        "indices": chosen,
        "centres": data.view[chosen].tolist(),
        "last": {
            "number": session.picked,
            "candidates": last.candidates.tolist(),
            "positions": data.view[last.candidates].tolist(),
            "chances": last.chances(data.n_samples)[last.candidates].tolist(),
            "potentials": last.potentials.tolist(),
            "kept": last.kept,
        },
        "next": None,
    }
    phrases = teaching()["picks"]
    shown["legend"] = phrases["legend_candidates"].format(number=session.picked)
    if session.picked < session.k:
        number = session.picked + 1
        shown["next"] = _next_chances(drawn[session.picked], packed)
        shown["next"]["prompt"] = phrases["next"].format(number=number, k=session.k)
        largest = _percent(shown["next"]["largest"])
        chances = phrases["legend_chances"].format(number=number, largest=largest)
        shown["legend"] = " ".join([chances, shown["legend"]])
    return shown


def _next_chances(coming, packed):
    """Every point's chance of being drawn as the next candidate, relative to the
    largest, to 1/``WEIGHT_STEPS`` (enough to draw): as a list, or ``packed`` as uint16
    counts of it (2 bytes a point, not about 6)."""
    farthest = coming.closest.max()
    largest = farthest / coming.potential if coming.potential > 0 else 0.0
    weights = coming.closest / farthest if farthest > 0 else np.zeros_like(coming.closest)
    steps = np.rint(weights * WEIGHT_STEPS)
    weights = pack(steps, "uint16") if packed else (steps / WEIGHT_STEPS).tolist()
    return {"weights": weights, "steps": WEIGHT_STEPS, "largest": float(largest)}


def _pick_event(session, drawn, phrases):
    """What the last pick drew and kept, in a teacher's words."""
    last = drawn[session.picked - 1]
    n = session.data.n_samples
    number, k = session.picked, session.k
    if number == 1:
        message = phrases["first"].format(k=k, kept=last.kept, chance=_percent(1 / n))
    else:
        best = int(np.argmin(last.potentials))
        others = [f"{value:.4g}" for index, value in enumerate(last.potentials) if index != best]
        message = phrases["later"].format(
            number=number, k=k, count=len(last.candidates), kept=last.kept,
            potential=f"{last.potentials[best]:.4g}", others=", ".join(others),
            chance=_percent(last.chances(n)[last.kept]), even=_percent(1 / n))
    if number == k:
        message += " " + phrases["all"].format(k=k, seed=session.seed)
    return {"type": "pick", "number": number, "kept": last.kept, "message": message}


def _percent(chance):
    """A chance as a student reads it: "12 %", "1.5 %", "0.031 %"."""
    value = 100 * chance
    if value >= 9.5:
        return f"{value:.0f} %"
    return f"{value:.2g} %" if value >= 0.001 else "under 0.001 %"


def ahead(session, preview, shown, packed=False):
    """What the next step would change in ``shown`` (``session``'s state), without
    taking it: the fields whose values it would change. ``preview()`` gives the session
    after that step (``services.sessions.PrecomputedSteps``). None when nothing can be
    said ahead: converged, or a manual start waiting for the student's centroids.

    A page that has this can draw a step the moment it is clicked, while the server
    takes it: the same engine gives the same answer."""
    if session.next_step is None or (session.next_step == "init" and session.init == "manual"):
        return None
    after = preview()
    # Labels the step keeps (an Update's) are the very array: not packed again to compare.
    preview = state(after, packed=packed, with_labels=after.labels is not session.labels)
    # A step never changes the id: the look-ahead names no session, whoever worked it out.
    return {key: value for key, value in preview.items()
            if key != "id" and shown.get(key) != value}


def full_centroids(session):
    """Centroids in every dimension of the clustering space, images where the data are images."""
    centroids = session.centroids
    if centroids is None:
        raise StepRefused("no_centroids")
    data = session.data
    sizes = None
    if session.labels is not None:
        sizes = np.bincount(session.labels, minlength=session.k).tolist()
    images = data.images(centroids)
    return {
        "id": session.id,
        "phase": session.phase,
        "iteration": session.iteration,
        "dimensions": data.n_features,
        "centroids": data.to_data(centroids).tolist(),
        "sizes": sizes,
        "image_shape": None if images is None else list(images.shape[1:]),
        "images": None if images is None else np.round(images, 1).tolist(),
    }


def _trail(session):
    """The centroids after every step that moved them, in view coordinates."""
    return [_in_view(session.data, step.centroids) for step in session.steps
            if step.centroids is not None]


def _in_view(data, centroids):
    """Centroids in view coordinates, as lists; worked out once for each step's array,
    which is read-only: every answer carries the whole trail, which on many features
    would otherwise be projected again for every answer."""
    views = _cache().views
    key = (id(centroids), id(data))
    cached = views.get(key)
    if cached is not None and cached[0]() is centroids and cached[1]() is data:
        return cached[2]
    shown = data.to_view(centroids).tolist()
    views[key] = (weakref.ref(centroids, lambda _: views.pop(key, None)), weakref.ref(data), shown)
    return shown


def _emptied_event(phrases, cluster, largest, size, relocated):
    """A cluster an update left with no point: where scikit-learn puts its centroid."""
    why = phrases["emptied_why_relocated" if relocated else "emptied_why_still"]
    where = phrases["emptied_where_before" if cluster < largest else "emptied_where_after"]
    where = where.format(largest=largest, size=size)
    return {
        "type": "empty_cluster", "cluster": cluster, "point": None, "largest": largest,
        "message": phrases["emptied"].format(cluster=cluster, why=why, where=where),
    }


def _changed_message(phrases, changed, first):
    if first:
        return phrases["assign_first"].format(changed=changed)
    if changed == 0:
        return phrases["assign_none"]
    if changed == 1:
        return phrases["assign_one"]
    return phrases["assign_many"].format(changed=changed)
