"""Every answer's JSON written by orjson.

A step's answer is mostly floats (centroids, their trail, the inertia history),
which orjson writes several times faster than the standard library, to the same
shortest digits that read back as the same numbers. It writes NaN and infinity
as null (the standard library writes NaN, which no browser's JSON.parse takes).
Keys stay sorted, as Flask sorts them; requests are still read by the standard
library (see ``validation``).
"""

import orjson
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, writing with orjson; what orjson does not know
    (decimals, ``__html__``) goes through Flask's own conversions."""

    def dumps(self, obj, **kwargs):
        return self._bytes(obj, kwargs.get("indent")).decode()

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        indent = self.compact is False or (self.compact is None and self._app.debug)
        return self._app.response_class(self._bytes(obj, indent, orjson.OPT_APPEND_NEWLINE),
                                        mimetype=self.mimetype)

    def _bytes(self, obj, indent, option=0):
        option |= OPTIONS | (orjson.OPT_INDENT_2 if indent else 0)
        return orjson.dumps(obj, default=self.default, option=option)
