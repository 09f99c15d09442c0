"""Generated data sets kept built, least recently used first, bounded in bytes."""

import threading
from collections import OrderedDict


class Cache:
    """Generated data sets by parameters, least recently used first, bounded in bytes.

    A bound on their number alone would not do: one MNIST projection weighs 31 MB
    and a blobs set of 100 points 5 KB. A data set evicted here lives on for as
    long as a session uses it.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        data = build()  # outside the lock: a slow build must not hold up every other
        with self._lock:
            data = self._entries.setdefault(key, data)
            total = sum(entry.nbytes for entry in self._entries.values())
            while total > self.max_bytes and len(self._entries) > 1:
                _, evicted = self._entries.popitem(last=False)
                total -= evicted.nbytes
        return data
