"""An unreadable setting stops a ``flask`` command, run as its own process, with the
setting's message (the settings themselves: tests/api/test_settings.py)."""

import subprocess
import sys

from services import REPO


def test_flask_commands_stop_with_the_message_on_an_unreadable_setting():
    env = {"PATH": "/usr/bin:/bin", "KMEANS_RATE_LIMITS_ENABLED": "nope"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "routes"], cwd=REPO,
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "KMEANS_RATE_LIMITS_ENABLED='nope' is not a boolean" in result.stderr
