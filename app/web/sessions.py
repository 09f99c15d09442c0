"""The session store and the data sets of the app, and a session found by its id or a 404."""

from flask import current_app

from app.stores.base import UnknownSession


def get_store():
    """The session store chosen in the factory."""
    return current_app.extensions["session_store"]


def get_datasets():
    """The app's data sets (``datasets.Library``): its cache and where it prepares them."""
    return current_app.extensions["datasets"]


def get_analyses():
    """What the app has computed on each data set (``core.analysis.Analyses``)."""
    return current_app.extensions["analyses"]


def get_precomputed():
    """The steps worked out ahead (``services.sessions.PrecomputedSteps``) of the app."""
    return current_app.extensions["precomputed_steps"]


def find_session(session_id):
    """The session as it stands (whole: steps never change a stored session in place)."""
    session = get_store().get(session_id)
    if session is None:
        raise UnknownSession(session_id)
    return session
