"""The browser tier's fixtures. They and the helpers the tests import are written in
``browsing.py``: a module of its own name, since a test that imported ``conftest``
would get whichever tier's conftest was imported first when tiers run together."""

from browsing import (artifacts, browser, contexts, live_server, serving,  # noqa: F401
                      shared_contexts, stepper, stepper_on)
