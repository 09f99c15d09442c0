"""The API's requests and answers, declared once with pydantic.

Each declared type pairs a check from ``app.web.validation`` (so every message
is written there) with the JSON Schema of what it takes; the requests are
validated by these models and ``/api/openapi.json`` is generated from them
(``app.web.openapi``). The limits come from the app's configuration:
``requests(config)`` builds the request models once, in ``create_app``.
"""

from types import SimpleNamespace
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

import numpy as np
import pybase64
from flask import current_app
from pydantic import (BaseModel, ConfigDict, Field, PlainValidator, create_model,
                      model_validator)
from pydantic_core import PydanticCustomError

from app.core import datasets, engine, session
from app.core.analysis import SEEDED_INITS
from app.web import validation
from app.web.catalog import (CONTROLS, DEFAULT_CONTROLS, DEFAULT_K_MAX, DEFAULT_RESTARTS,
                             DEFAULT_SPEED, MAX_RESTARTS, MIN_SPEED, PANELS, dataset_entries)
from app.web.validation import MAX_COORDINATE, MAX_LABEL, refuse


# --- Declared types: a check, and the schema of what it takes --------------------------

def _declared(check, schema_type):
    return Annotated[Any, PlainValidator(check, json_schema_input_type=schema_type)]


def Integer(minimum, maximum, nullable=False):
    schema = Annotated[int, Field(ge=minimum, le=maximum)]
    return _declared(validation.integer(minimum, maximum, nullable),
                     Optional[schema] if nullable else schema)


def Number(minimum, maximum):
    return _declared(validation.number(minimum, maximum),
                     Annotated[float, Field(ge=minimum, le=maximum)])


Boolean = _declared(validation.boolean, bool)


def Choice(options):
    return _declared(validation.choice(options), Literal[tuple(options)])


Coordinate = Annotated[float, Field(ge=-MAX_COORDINATE, le=MAX_COORDINATE)]
Pair = Annotated[list[Coordinate], Field(min_length=2, max_length=2)]


def Points(max_points, min_points=1, max_width=2):
    point = Pair if max_width == 2 else Annotated[
        list[Coordinate], Field(min_length=2, max_length=max_width)]
    return _declared(validation.points(max_points, min_points, max_width),
                     Annotated[list[point], Field(min_length=min_points, max_length=max_points)])


Flag = _declared(validation.flag, Literal["0", "1"])

SessionId = _declared(validation.session_id, str)

# A step's If-Match: the ETag of the version it is taken from ("7"), or * for any.
IF_MATCH = r'\*|"(?P<version>[0-9]{1,18})"'


def Parameter(spec):
    """A data set's parameter, as the catalog declares it."""
    kinds = {"integer": lambda: Integer(spec["minimum"], spec["maximum"], spec.get("nullable")),
             "number": lambda: Number(spec["minimum"], spec["maximum"]),
             "boolean": lambda: Boolean}
    return kinds[spec["type"]]()


# --- Requests ------------------------------------------------------------------------

class Body(BaseModel):
    """A JSON object of known fields; an unknown one is named in the refusal."""

    model_config = ConfigDict(extra="forbid")
    where: ClassVar[str] = "the body"

    @model_validator(mode="before")
    @classmethod
    def _only_known_fields(cls, value):
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(cls.model_fields))
            if unknown:
                raise refuse("unknown" if cls.model_fields else "no_fields", field=unknown[0],
                             where=cls.where, allowed=sorted(cls.model_fields))
        return value


class Query(BaseModel):
    """Query parameters, read by ``app.web.query.read``; frozen, as it keeps them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


AHEAD = ("With 1, the answer says under \"next\" what the next step would change, without "
         "taking it: the page draws a click at once. A step asked so and sent with If-Match "
         "answers without \"labels\" when it kept those of the version it was taken from "
         "(an Update): the client has them.")
PACKED = ("With 1, the labels, the true classes, the points and k-means++'s chances "
          "(picks.next.weights) come packed (see Packed): about 1 byte a label, as the page "
          "asks for them; without it, JSON lists.")


class StateQuery(Query):
    ahead: Flag = Field("0", validate_default=True, description=AHEAD)
    packed: Flag = Field("0", validate_default=True, description=PACKED)


class NoQuery(Query):
    pass


class NoBody(Body):
    pass


class ClassOpen(Body):
    """A live class of one of the teacher's runs."""
    session: SessionId = Field(..., description="The id of the run to teach.")


class ClassChange(Body):
    """What a teacher changes in a live class: either, or both."""
    hold: Optional[Boolean] = Field(
        None, description="true: the students' screens stay where they are until false.")
    session: Optional[SessionId] = Field(
        None, description="The teacher's new run.")


def _dataset_model(entry):
    """A data set's parameters as a model, its description the catalog's."""
    fields = {"name": (Literal[entry["name"]], ...)}
    for key, spec in entry["params"].items():
        fields[key] = (Parameter(spec), Field(spec["default"], description=spec["description"]))
    model = type(f"{_camel(entry['name'])}Dataset", (Body,), {
        "__doc__": entry["description"],
        "__annotations__": {key: kind for key, (kind, _) in fields.items()},
        **{key: default for key, (_, default) in fields.items() if default is not ...},
        "where": f"data set {entry['name']!r}",
    })
    return model


def _custom_model(entry, max_points):
    class CustomDataset(Body):
        __doc__ = entry["description"]
        where: ClassVar[str] = "data set 'custom'"
        name: Literal["custom"]
        points: Points(max_points, max_width=datasets.MAX_FEATURES) = Field(
            ..., description="The points, as [x, y] pairs, or as rows of up to "
                             f"{datasets.MAX_FEATURES} numbers each, clustered as they are "
                             "and drawn in their first two principal components.")
        labels: _declared(lambda value: value,
                          Optional[list[Annotated[int, Field(ge=0, le=MAX_LABEL)]]]) = Field(
            None, description="Optional true classes, one integer per point.")

        @model_validator(mode="after")
        def _one_label_per_point(self):
            if self.labels is None:
                return self
            if not isinstance(self.labels, list) or len(self.labels) != len(self.points):
                raise refuse("labels", at=("labels",), count=len(self.points))
            check = validation.integer(0, MAX_LABEL)
            for index, label in enumerate(self.labels):
                try:
                    check(label)
                except PydanticCustomError as error:
                    raise refuse(error.type, at=("labels", index), **error.context) from None
            return self

    return CustomDataset


def requests(config):
    """Every request's model, with the limits of ``config``."""
    catalog = dataset_entries(config["MAX_POINTS"])
    variants = {entry["name"]: _custom_model(entry, config["MAX_POINTS"])
                if entry["name"] == "custom" else _dataset_model(entry) for entry in catalog}
    name_check = validation.choice(tuple(variants))

    def check_dataset(value):
        """The data set asked for, a name or an object: (its model's instance)."""
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict):
            raise refuse("dataset")
        try:
            name_check(value.get("name"))
        except PydanticCustomError as error:
            raise refuse("choice", at=("name",), **error.context) from None
        return validation.validated_or_refused(variants[value["name"]], value, "dataset")

    Variant = Annotated[Union[tuple(variants.values())], Field(discriminator="name")]

    class SessionCreate(Body):
        """A new session on a data set."""
        dataset: _declared(check_dataset, Union[Literal[tuple(variants)], Variant]) = Field(
            ..., description="A data set's name, or its name and parameters.")
        k: Integer(1, config["MAX_K"]) = Field(
            ..., description="Number of clusters; at most the number of points.")
        init: Choice(engine.INIT_METHODS) = Field("kmeans++", description="How to start.")
        seed: Integer(0, datasets.SEED_MAX) = Field(0, description="Seed of the start.")

    class InitBody(Body):
        centroids: Optional[Points(config["MAX_K"])] = Field(
            None, description="For init='manual': exactly k centroids, in view coordinates.")

    class RunBody(Body):
        max_iter: Integer(0, config["MAX_ITER"]) = Field(
            config["DEFAULT_MAX_ITER"], description="Updates to take at most.")

    class ElbowQuery(Query):
        k_max: Integer(1, config["MAX_K"]) = Field(
            None, json_schema_extra=_no_default,
            description=f"Largest k; default {DEFAULT_K_MAX}, at most the number of points.")

    class RestartsQuery(Query):
        n: Integer(1, MAX_RESTARTS) = Field(DEFAULT_RESTARTS, description="Seeded runs.")
        init: Choice(SEEDED_INITS) = Field(
            None, json_schema_extra=_no_default,
            description="Default: the session's, or kmeans++ for a manual one.")

    class EmbedFrame(Body):
        """How an embed's frame shows its run, from its query string."""
        controls: _declared(validation.choices(CONTROLS), str) = Field(
            DEFAULT_CONTROLS, description="The toolbar's buttons, comma-separated.")
        autoplay: _declared(validation.switch, str) = Field(
            False, description="1: Run starts as the frame loads.")
        speed: Integer(MIN_SPEED, config["MAX_SPEED"]) = Field(
            DEFAULT_SPEED, description="Steps a second, for Run.")
        panel: _declared(lambda text: validation.choice(PANELS)(text) if text else None,
                         Optional[Literal[PANELS]]) = Field(
            None, description="Beside the plot; none when empty.")

    # The embed's run and frame: k, init and seed as a session takes them
    # (SessionCreate's very fields), then EmbedFrame's; its data set by the data set's
    # own model.
    EmbedRun = create_model(
        "EmbedRun", __base__=Body, __doc__="The run an embed shows, and how.",
        **{name: (model.model_fields[name].annotation, model.model_fields[name])
           for model, names in ((SessionCreate, ("k", "init", "seed")),
                                (EmbedFrame, tuple(EmbedFrame.model_fields)))
           for name in names})

    return SimpleNamespace(session_create=SessionCreate, init=InitBody, run=RunBody,
                           embed_run=EmbedRun, embed_frame=EmbedFrame,
                           no_body=NoBody, state=StateQuery, no_query=NoQuery,
                           class_open=ClassOpen, class_change=ClassChange,
                           elbow=ElbowQuery, restarts=RestartsQuery, datasets=variants)


def current():
    """The request models of the app handling the request."""
    return current_app.extensions["schemas"]


def _no_default(schema):
    schema.pop("default", None)


def _camel(name):
    return "".join(part.title() for part in name.split("_"))


# --- Packed arrays: the labels, classes and points asked for with packed=1 ------------

PACKED_TYPES = {"uint8": "<u1", "uint16": "<u2", "uint32": "<u4",
                "float32": "<f4", "float64": "<f8"}  # its name -> numpy's, little-endian


class Packed(BaseModel):
    """An array as bytes: ``base64`` holds its values as little-endian ``dtype``,
    row after row, in ``shape`` (a JavaScript typed array of that type reads them as
    they are). Labels and true classes come as the narrowest unsigned type that holds
    them (uint8 up to 256 clusters: 1 byte a point, 1.33 in base64); points as
    float32, 8 bytes a point, except a custom data set's, float64, which come back
    exactly as they were sent."""
    model_config = ConfigDict(extra="forbid")
    dtype: Literal[tuple(PACKED_TYPES)]
    shape: list[Annotated[int, Field(ge=0)]]
    base64: str


def pack(values, dtype):
    """``values`` (an array) as a ``Packed`` answer of ``dtype``."""
    array = np.ascontiguousarray(values, dtype=PACKED_TYPES[dtype])
    return {"dtype": dtype, "shape": list(array.shape),
            "base64": pybase64.b64encode_as_string(array)}


def pack_labels(labels, count):
    """Labels from 0 to ``count`` - 1, packed in the narrowest unsigned type."""
    return pack(labels, "uint8" if count <= 2**8 else "uint16" if count <= 2**16 else "uint32")


def unpack(packed):
    """The array a ``Packed`` answer holds (for tests and notebooks)."""
    data = pybase64.b64decode(packed["base64"], validate=True)
    return np.frombuffer(data, dtype=PACKED_TYPES[packed["dtype"]]).reshape(packed["shape"])


Labels = Union[list[int], Packed]


# --- Answers: declared for the document; Session and the views build them --------------

Phase = Literal[tuple(session.PHASES)]
StepKind = Literal["init", "assign", "update"]
Point = Annotated[list[float], Field(min_length=2, max_length=2)]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(Answer):
    """Every error, in one shape (a 412 adds the session's "state" as it stands)."""
    model_config = ConfigDict(extra="allow")
    error: str
    status: int


class Event(BaseModel):
    """What a step did, in a teacher's words (an empty cluster also says which)."""
    model_config = ConfigDict(extra="allow")
    type: str
    message: str


class HistoryEntry(Answer):
    step: StepKind
    inertia: Optional[float]
    changed: Optional[int]


class Metrics(Answer):
    """Against the true labels, after an assignment."""
    ari: float = Field(description="sklearn.metrics.adjusted_rand_score")
    purity: float = Field(ge=0, le=1)
    contingency: list[list[Annotated[int, Field(ge=0)]]] = Field(
        description="Points of each cluster (rows, k) in each true class (columns, as "
                    "truth_names).")
    truth_names: list[str]


class PickDrawn(Answer):
    """What the last pick drew and kept."""
    number: int = Field(description="Which centre, from 1 to k.")
    candidates: list[int] = Field(
        description="Indices of the points drawn: 2 + int(ln k) of them (the first centre: "
                    "one, drawn uniformly), as sklearn.cluster.kmeans_plusplus draws them.")
    positions: list[Point] = Field(description="The candidates, in view coordinates.")
    chances: list[float] = Field(
        description="Each candidate's chance of being drawn: its D² over Σ D², D² being its "
                    "squared distance to the nearest centre picked before.")
    potentials: list[float] = Field(description="The Σ D² each candidate would leave.")
    kept: int = Field(description="The point kept: the candidate that leaves the least Σ D².")


WEIGHT_STEPS = 1000  # a point's chance over the largest is told in thousandths


class NextChances(Answer):
    """Every point's chance of being drawn for the next centre."""
    weights: Union[list[float], Packed] = Field(
        description=f"One per point: its chance over the largest (D² / max D², to 1/"
                    f"{WEIGHT_STEPS}); 0 for the centres. Asked with packed=1, packed: uint16 "
                    f"counts of 1/{WEIGHT_STEPS} (2 bytes a point).")
    steps: int = Field(description="The weights are multiples of 1/steps (packed: counts "
                                   "of it).")
    largest: float = Field(description="The largest chance, max D² / Σ D².")
    prompt: str = Field(description="The next pick, in a student's words.")


class Picks(Answer):
    """k-means++ taken one centre at a time (POST .../pick), until the Init after it."""
    picked: int = Field(description="Centres picked so far, 1 to k.")
    indices: list[int] = Field(description="The points picked as centres, in order.")
    centres: list[Point] = Field(description="The centres picked, in view coordinates.")
    last: PickDrawn
    next: Optional[NextChances] = Field(description="Null once all k are picked.")
    legend: str = Field(description="What the plot's circles, diamonds and star show.")


class State(Answer):
    """A session after a step (no points)."""
    id: str
    dataset: dict[str, Any] = Field(description="The data set's name and parameters.")
    n_samples: int
    n_features: int
    view_is_space: bool
    has_images: bool
    k: int
    init: Literal[engine.INIT_METHODS]
    seed: int
    phase: Phase
    next_step: Optional[StepKind]
    iteration: int = Field(description="Updates done.")
    centroids: Optional[list[Point]] = Field(description="In view coordinates.")
    labels: Optional[Labels] = Field(
        None, description="Absent from a step's answer asked with ahead=1 and sent with "
                          "If-Match when the step kept the labels of that version.")
    inertia: Optional[float]
    changed: Optional[int]
    converged: bool
    events: list[Event]
    can_back: bool
    history: list[HistoryEntry]
    trail: list[list[Point]]
    picks: Optional[Picks] = Field(
        description="While k-means++ is taken one centre at a time, and after the pick that "
                    "was the Init; null otherwise. Phase stays \"new\" until the Init.")
    metrics: Optional[Metrics] = Field(
        description="Against the true labels, after an assignment; null without labels or "
                    "truth.")
    next: Optional[dict[str, Any]] = Field(
        None, description="Only with ahead=1: the fields of this state that the next step "
                          "would change, with their new values; null when it cannot be told "
                          "ahead (converged, or a manual start waiting for its centroids).")


class FullState(State):
    """A session with its points."""
    points: Union[list[Point], Packed]
    truth: Optional[Labels]
    truth_names: Optional[list[str]]


class Centroids(Answer):
    """Centroids in every dimension of the clustering space; 28 × 28 images for MNIST."""
    id: str
    phase: Phase
    iteration: int
    dimensions: int
    centroids: list[list[float]]
    sizes: Optional[list[int]]
    image_shape: Optional[list[int]]
    images: Optional[list[list[list[float]]]]


class ClassDescription(Answer):
    """A live class: its code, whether it is held, its followers, and its pages."""
    code: str
    hold: bool
    ended: bool
    followers: int = Field(description="Students whose page follows the class now.")
    forks: int = Field(description="Runs students forked from the class to try on their own, "
                                   "counted since it opened.")
    join_url: str
    projector_url: str
    token: Optional[str] = Field(
        None, description="Only when the class is opened: the teacher's token, sent back "
                          "as Authorization: Bearer.")


class Catalog(Answer):
    """Every data set with its parameter schema."""
    datasets: list[dict[str, Any]]


class PageCatalog(Answer):
    """What the page builds its form from: data sets, start methods, limits."""
    model_config = ConfigDict(extra="allow")
    datasets: list[dict[str, Any]]
    starts: list[dict[str, Any]]
    limits: dict[str, Any]


COMPLETE = "False when the request ran out of time: ask again to go on from there."


class ElbowProgress(Answer):
    k: int = Field(description="The k under way.")
    starts_done: int
    starts: int


class Elbow(Answer):
    k: list[int]
    inertia: list[float]
    silhouette: list[Optional[float]]
    k_max: int
    complete: bool = Field(description=COMPLETE)
    starts: int
    progress: Optional[ElbowProgress] = Field(description="Null once complete.")
    silhouette_sample: Optional[int] = Field(
        description="The silhouette's seeded sample of points; null: all of them.")
    silhouette_note: str = Field(description="That, in a sentence for the student.")


class Start(Answer):
    seed: int
    inertia: float
    iterations: int
    converged: bool


class Best(Answer):
    seed: int
    inertia: float


class Current(Answer):
    seed: int
    init: Literal[engine.INIT_METHODS]
    phase: Phase
    inertia: Optional[float]
    converged: bool


class Running(Answer):
    seed: int
    passes: int = Field(description="Passes over the data its run has taken so far.")


class Restarts(Answer):
    k: int
    init: Literal[SEEDED_INITS]
    n: int
    complete: bool = Field(description=COMPLETE)
    starts: list[Start]
    best: Optional[Best] = Field(description="Null until a first run is done.")
    running: Optional[Running] = Field(description="The start under way; null once complete.")
    current: Current


class ReplayedStep(Answer):
    step: StepKind
    centroids: list[Point] = Field(description="In view coordinates.")
    labels: Optional[list[int]]
    inertia: Optional[float]
    changed: Optional[int]
    relocations: list[list[int]]


class Export(Answer):
    dataset: dict[str, Any]
    k: int
    init: Literal[engine.INIT_METHODS]
    seed: int
    points: list[Point]
    truth: Optional[list[int]]
    truth_names: Optional[list[str]]
    steps: list[ReplayedStep]
