"""A session as bytes for a shared store: compact, and never a pickle.

A record is a JSON header followed by the raw bytes of the session's arrays::

    b"KMS1" | header length (4 bytes, big-endian) | header (UTF-8 JSON) | array bytes

The header lists each array's dtype and shape, in the order their bytes follow,
and refers to arrays by their place in that list. A generated data set is kept
as its name and parameters and rebuilt through ``datasets.load`` (deterministic,
and shared within the process); a custom one as the bytes of its points and
labels. Reading a record only ever builds numbers and strings, so a tampered
store cannot make the server run code, as an unpickled one could.
"""

import hashlib
import struct
import threading
from collections import OrderedDict

import numpy as np
import orjson

from app.core import datasets
from app.core.session import Session, Step

MAGIC = b"KMS1"
_LENGTH = struct.Struct(">I")
NUMERIC_KINDS = "biuf"  # booleans, integers, floats: no objects, nothing to execute


def to_record(session):
    """The session as one compact bytes value."""
    arrays = []

    def ref(array):
        if array is None:
            return None
        arrays.append(np.ascontiguousarray(array))
        return len(arrays) - 1

    header = {
        "id": session.id,
        "k": session.k,
        "init": session.init,
        "seed": session.seed,
        "data": _data_header(session.data, ref),
        "labels": ref(session.labels),
        "steps": [_step_header(step, ref) for step in session.steps],
    }
    if session.picked:
        header["picked"] = session.picked
    header["arrays"] = [[array.dtype.str, list(array.shape)] for array in arrays]
    text = orjson.dumps(header)
    return b"".join([MAGIC, _LENGTH.pack(len(text)), text, *(a.tobytes() for a in arrays)])


def from_record(record, library=None, custom_sets=None):
    """The session a record was made from (its arrays read-only views of the record):
    its generated data set from ``library`` (a ``datasets.Library``; None: the
    module's defaults), a custom one from ``custom_sets`` (a ``RecentCustomSets``)."""
    if record[:len(MAGIC)] != MAGIC:
        raise ValueError(f"not a session record: it starts with {bytes(record[:8])!r}")
    start = len(MAGIC) + _LENGTH.size
    (length,) = _LENGTH.unpack_from(record, len(MAGIC))
    header = orjson.loads(record[start:start + length])
    arrays = _read_arrays(memoryview(record)[start + length:], header["arrays"])

    def array(index):
        return None if index is None else arrays[index]

    return Session(
        data=_data(header["data"], array, library, custom_sets or _custom_sets),
        k=header["k"],
        init=header["init"],
        seed=header["seed"],
        id=header["id"],
        steps=[_step(step, array) for step in header["steps"]],
        labels=array(header["labels"]),
        picked=header.get("picked", 0),
    )


# --- Steps and data sets ----------------------------------------------------------

def _step_header(step, ref):
    """Only what the step holds: the fields left at their defaults are left out."""
    header = {"kind": step.kind}
    if step.centroids is not None:
        header["centroids"] = ref(step.centroids)
    for name in ("inertia", "shift"):
        if getattr(step, name) is not None:
            header[name] = float(getattr(step, name))
    if step.changed is not None:
        header["changed"] = int(step.changed)
    if step.relocations:
        header["relocations"] = [[int(cluster), int(point)] for cluster, point in step.relocations]
    if step.emptied:
        header["emptied"] = [[int(value) for value in emptied] for emptied in step.emptied]
    if step.final_update:
        header["final_update"] = True
    if step.stopped:
        header["stopped"] = True
    return header


def _step(header, array):
    return Step(
        kind=header["kind"],
        centroids=array(header.get("centroids")),
        inertia=header.get("inertia"),
        changed=header.get("changed"),
        shift=header.get("shift"),
        relocations=tuple(tuple(pair) for pair in header.get("relocations", ())),
        emptied=tuple(tuple(emptied) for emptied in header.get("emptied", ())),
        final_update=header.get("final_update", False),
        stopped=header.get("stopped", False),
    )


def _data_header(data, ref):
    if data.name == "custom":
        return {"name": "custom", "points": ref(_exact(data.source)), "labels": ref(data.truth)}
    return {"name": data.name, "params": data.params}


def _data(header, array, library, custom_sets):
    if header["name"] == "custom":
        return custom_sets.get(array(header["points"]), array(header["labels"]))
    if library is None:
        return datasets.load(header["name"], header["params"])
    return library.load(header["name"], header["params"])


# --- Arrays -------------------------------------------------------------------------

def _exact(array):
    """The array in the narrowest of a few dtypes that holds every value exactly: a
    notebook's digits are bytes, and their record an eighth of their float64 size."""
    for dtype in (np.uint8, np.float32):
        with np.errstate(invalid="ignore", over="ignore"):
            narrow = array.astype(dtype)
        if np.array_equal(narrow, array):
            return narrow
    return array


def _read_arrays(buffer, specs):
    arrays, offset = [], 0
    for dtype, shape in specs:
        dtype = np.dtype(dtype)
        if dtype.kind not in NUMERIC_KINDS:
            raise ValueError(f"a session record holds only numbers, not dtype={dtype.str!r}")
        size = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        if offset + size > len(buffer):
            raise ValueError(f"a session record is cut short: {len(buffer)} bytes of arrays, "
                             f"the header lists at least {offset + size}")
        arrays.append(np.frombuffer(buffer[offset:offset + size], dtype=dtype).reshape(shape))
        offset += size
    return arrays


class RecentCustomSets:
    """Custom data sets rebuilt from records, the most recent few kept by content.

    A session's requests then share one ``Dataset``, and with it the elbow and
    restarts computed on it, as they do when sessions live in memory.
    """

    def __init__(self, size):
        self.size = size
        self._sets = OrderedDict()
        self._lock = threading.Lock()

    def get(self, points, labels):
        key = hashlib.sha256(points.tobytes()).digest()
        if labels is not None:
            key += hashlib.sha256(labels.tobytes()).digest()
        with self._lock:
            if key in self._sets:
                self._sets.move_to_end(key)
                return self._sets[key]
        # A copy, so that the data set kept here does not keep the whole record alive.
        data = datasets.make_custom(np.array(points), None if labels is None else labels.tolist())
        with self._lock:
            data = self._sets.setdefault(key, data)
            while len(self._sets) > self.size:
                self._sets.popitem(last=False)
        return data


_custom_sets = RecentCustomSets(size=32)  # outside a store: tests, scripts
