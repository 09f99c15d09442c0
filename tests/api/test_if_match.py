"""A step's If-Match that names no version of the session is a clear 400 (the versions
themselves, across servers: tests/system/test_deploy.py)."""

import pytest

from app import create_app

MOUSE = {"dataset": "mouse", "k": 3}


# "\xb2" and "\xb9\xb2" (superscript digits, which str.isdigit takes) and "" (an empty
# tag, which werkzeug reads as None) once answered a 500; an unquoted 0 (outside the
# documented pattern) was taken as version 0.
@pytest.mark.parametrize("if_match", ['"two"', '"1", "2"', 'W/"1"', '"' + "9" * 19 + '"',
                                      '"\xb2"', '"\xb9\xb2"', '"\u0661"', '""', "0", "*, \"1\""])
def test_an_if_match_that_names_no_version_is_a_clear_400(if_match):
    client = create_app({"TESTING": True, "RATE_LIMITS_ENABLED": False}).test_client()
    session_id = client.post("/api/sessions", json=MOUSE).get_json()["id"]
    reply = client.post(f"/api/sessions/{session_id}/step", json={},
                        headers={"If-Match": if_match})
    assert reply.status_code == 400
    assert reply.get_json()["error"].startswith('If-Match should be one ETag of this session')
    assert client.get(f"/api/sessions/{session_id}").get_json()["phase"] == "new"
