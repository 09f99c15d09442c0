"""Each benchmark's runs, kept in ``bench/results/<name>.json`` beside what it prints.

A file holds what the benchmark measures, its target and the command, then every run
in order: its date, commit, the machine's load and cores, whether the target was met,
a one-line summary and the figures. The documentation's performance page renders
these files when the site is built, so the figures are never typed into prose.
Runs transcribed from the README of before are marked with their ``source``.
"""

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def record(name, *, title, command, what, target, met, summary, figures, load=None,
           directory=RESULTS):
    """Append this run to ``directory/<name>.json``, and say where it went."""
    path = Path(directory) / f"{name}.json"
    runs = json.loads(path.read_text())["runs"] if path.exists() else []
    result = {"name": name, "title": title, "command": command, "what": what, "target": target,
              "runs": runs}
    runs.append({
        "date": datetime.date.today().isoformat(),
        "commit": _commit(),
        "command": " ".join(["python3", _relative(sys.argv[0]), *sys.argv[1:]]),
        "load": load if load is not None else [round(value, 2) for value in os.getloadavg()],
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "source": "measured",
        "met": "yes" if met else "no",
        "summary": summary,
        "figures": figures,
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(f"results: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return path


def load_average():
    """The 1, 5 and 15 minute load averages, as the results keep them."""
    return [round(value, 2) for value in os.getloadavg()]


def _commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _relative(script):
    path = Path(script).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else script
