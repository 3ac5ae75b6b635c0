"""docs/shortcuts.md lists every shortcut with the test that holds it to its slow path.

Every `fine=` twin registered by an imaging check is a row of its first table (and every row there
is a registered twin, with its check as the slow path), and every test the file names exists.
"""

from __future__ import annotations

import re

from harness.imaging import rules  # importing the package registers every check
from tests.shared import ROOT
DOC = (ROOT / "docs" / "shortcuts.md").read_text(encoding="utf-8")


def _rows(section: str) -> list[list[str]]:
    """The cells of each body row of the first table under the heading `section`."""
    body = DOC.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in body.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:]]  # the header row first


def test_every_fine_twin_is_listed_with_its_check_and_nothing_else():
    listed = {row[0].strip("`"): row[1].strip("`") for row in _rows("Fine verdicts of the imaging checks")}
    registered = {f"{fine.__module__}.{fine.__name__}": check.__name__ for check, fine, _ in rules.GUARDED}
    assert registered, "no fine twin registered: the table's test would prove nothing"
    assert listed == registered


def test_every_named_equivalence_test_exists():
    """`file.py::test_name`, and `::test_name` for another test of the file named last."""
    files = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")}
    named = 0
    for section in ("Fine verdicts of the imaging checks", "Other shortcuts"):
        for row in _rows(section):
            current = None
            for file, name in re.findall(r"`(test_\w+\.py)?::(test_\w+)`", row[2]):
                current = file or current
                assert current in files, (row[0], current)
                assert re.search(rf"^def {name}\(", files[current], re.M), (row[0], current, name)
                named += 1
            assert current is not None or row[2] == "the three above", row
    assert named > 20
