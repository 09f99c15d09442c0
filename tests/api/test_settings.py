"""Settings are read strictly, from one declaration that the settings page is made from."""

import re

import pytest

from app import create_app, settings
from services import REPO


@pytest.mark.parametrize("text, value", [
    ("true", True), ("True", True), ("TRUE", True), ("1", True), ("yes", True), ("Yes", True),
    ("false", False), ("False", False), ("FALSE", False), ("0", False), ("no", False),
    ("NO", False), (" no ", False),
])
def test_a_boolean_setting_takes_true_false_1_0_yes_no_in_any_case(monkeypatch, text, value):
    monkeypatch.setenv("KMEANS_RATE_LIMITS_ENABLED", text)
    app = create_app()
    assert app.config["RATE_LIMITS_ENABLED"] is value
    answers = [app.test_client().post("/api/sessions", json={"dataset": "mouse", "k": 3,
                                                             "seed": seed}).status_code
               for seed in range(3)]
    assert answers == [201] * 3


@pytest.mark.parametrize("name, text, says", [
    ("KMEANS_RATE_LIMITS_ENABLED", "False!", "is not a boolean"),
    ("KMEANS_RATE_LIMITS_ENABLED", "on", "is not a boolean"),
    ("KMEANS_RATE_LIMITS_ENABLED", "2", "is not a boolean"),
    ("KMEANS_REQUIRE_DURABLE_REDIS", "maybe", "is not a boolean"),
    ("KMEANS_MAX_POINTS", "lots", "is not a whole number"),
    ("KMEANS_MAX_POINTS", "1e4", "is not a whole number"),
    ("KMEANS_MAX_K", "-3", "should be >= 0"),
    ("KMEANS_MAX_COMPUTE_SECONDS", "ten", "is not a number of seconds"),
    ("KMEANS_REDIS_TIMEOUT_SECONDS", "0", "should be a number of seconds > 0"),
    ("KMEANS_REDIS_TIMEOUT_SECONDS", "nan", "should be a number of seconds > 0"),
    ("KMEANS_STEP_LIMIT", "fast", "is not a rate limit"),
    ("KMEANS_SESSION_CREATE_LIMIT", '"600 per minute"', "is not a rate limit"),
])
def test_an_unreadable_setting_stops_the_start_naming_the_variable(monkeypatch, name, text,
                                                                   says):
    monkeypatch.setenv(name, text)
    with pytest.raises(settings.SettingError) as refused:
        create_app()
    assert str(refused.value).startswith(f"{name}={text!r} {says}")


def test_an_empty_setting_counts_as_unset(monkeypatch):
    monkeypatch.setenv("KMEANS_MAX_K", "")
    monkeypatch.setenv("REDIS_URL", "")
    app = create_app()
    assert app.config["MAX_K"] == settings.BY_NAME["KMEANS_MAX_K"].default
    assert app.config["REDIS_URL"] is None


def test_rate_limits_are_read_in_flask_limiters_notation(monkeypatch):
    for text in ("25 per second", "600/minute", "10 per 2 minutes", "5/second; 100 per hour"):
        monkeypatch.setenv("KMEANS_STEP_LIMIT", text)
        assert create_app().config["STEP_LIMIT"] == text


def test_a_misspelt_setting_is_named_in_the_log(monkeypatch, caplog):
    monkeypatch.setenv("KMEANS_RATE_LIMIT_ENABLED", "false")
    create_app()
    assert ("KMEANS_RATE_LIMIT_ENABLED is no setting of K-Means Stepper and does nothing "
            "(docs/settings.md)") in caplog.messages


def test_the_settings_table_has_a_row_for_each_declared_setting_in_order():
    assert re.findall(r"^\| `(\w+)`", settings.table(), re.M) == [s.name for s in settings.SETTINGS]


def test_the_settings_page_types_no_table_of_its_own():
    """The page's table is made from the declaration when the site is built (tests/test_docs.py
    checks the built page); a row typed beside it would be a second copy."""
    page = (REPO / "docs" / "settings.md").read_text()
    assert "```{settings-table}" in page
    assert not re.search(r"^\|", page, re.M)


def test_every_config_key_the_app_reads_is_declared_once():
    keys = [setting.key for setting in settings.SETTINGS]
    assert len(keys) == len(set(keys))
    app = create_app()
    assert all(key in app.config for key in keys)
