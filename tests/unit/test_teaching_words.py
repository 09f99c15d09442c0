"""The core holds no words for students; the teaching file holds the words of every
refusal the core raises (the catalog the page gets: tests/api/test_catalog.py)."""

import re

from app.core import datasets
from app.web.catalog import teaching
from services import REPO


def test_the_core_holds_no_words_for_students():
    for entry in datasets.CATALOG.values():
        assert not {"title", "description", "look_for"} & set(entry)
        for spec in entry["params"].values():
            assert not {"description", "label", "help"} & set(spec)


def test_every_refusal_the_app_raises_has_the_teaching_files_words():
    """The core refuses a step by naming a reason; the student reads its words, which
    the teaching file holds: a reason with none would answer a KeyError (a 500)."""
    raised = set()
    for module in (REPO / "app").rglob("*.py"):
        raised |= set(re.findall(r'StepRefused\(\s*"(\w+)"', module.read_text()))
    assert len(raised) >= 8
    assert raised == set(teaching()["refused"])
