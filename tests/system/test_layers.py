"""The three layers hold: web → stores → core, never back, and no import cycle."""

import shutil
import subprocess
import sys

from services import REPO

CONTRACTS = REPO / ".importlinter"
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(sys.argv[1], no_cache=True))"


def lint_imports(tree):
    """import-linter's verdict on the ``app`` package found in ``tree``."""
    return subprocess.run([sys.executable, "-c", LINT, str(CONTRACTS)], cwd=tree,
                          capture_output=True, text=True, timeout=120)


def test_the_import_linter_contracts_are_kept():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_core_module_importing_flask_breaks_a_contract(tmp_path):
    shutil.copytree(REPO / "app", tmp_path / "app")
    engine = tmp_path / "app" / "core" / "engine.py"
    engine.write_text("import flask  # noqa: F401\n" + engine.read_text())
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "The core imports no web framework, no HTTP and no Redis BROKEN" in result.stdout


def test_an_import_cycle_breaks_a_contract(tmp_path):
    shutil.copytree(REPO / "app", tmp_path / "app")
    engine = tmp_path / "app" / "core" / "engine.py"  # the session imports the engine
    engine.write_text("from app.core import session  # noqa: F401\n" + engine.read_text())
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "No import cycle, between the layers or inside one BROKEN" in result.stdout
