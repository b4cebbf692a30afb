"""The case timeline names every event the hearings floor writes."""

import re
from pathlib import Path

from complaints.templatetags.cases import ACTION_LABELS


def test_every_case_event_the_hearings_floor_writes_has_a_readable_label():
    """The timeline names each event in the reader's language; an unlabelled one would show its code."""
    source = "".join(path.read_text() for path in (Path(__file__).resolve().parents[2] / "hearings").rglob("*.py"))
    written = set(re.findall(r'action="([a-z_]+)"', source))
    written |= set(re.findall(r'"(recording_(?:consented|refused))"', source))

    assert written, "the scan found no events: the pattern is out of date"
    assert written - set(ACTION_LABELS) == set()
