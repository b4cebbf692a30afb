"""The case list's status checkboxes are written out by hand (templates/complaints/case/list.html)
rather than by Django's widget, so what the widget would add has to be added there too: a refused
status filter marks each box aria-invalid, as every other refused field is marked."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST = reverse("complaint_list")


def status_boxes(content: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="status"[^>]*>', content)


def test_a_refused_status_filter_marks_every_box_invalid(client_for, officer) -> None:
    response = client_for(officer).get(LIST, {"status": ["bogus", "submitted"]})

    assert response.context["filters"].errors["status"]
    boxes = status_boxes(response.content.decode())
    assert len(boxes) == len(response.context["filters"].fields["status"].choices) > 1
    assert all('aria-invalid="true"' in box for box in boxes)


def test_an_accepted_status_filter_marks_no_box(client_for, officer) -> None:
    response = client_for(officer).get(LIST, {"status": ["submitted", "rejected"]})

    assert not response.context["filters"].errors
    boxes = status_boxes(response.content.decode())
    assert boxes
    assert not [box for box in boxes if "aria-invalid" in box]
    assert [box for box in boxes if " checked" in box] == [
        box for box in boxes if 'value="submitted"' in box or 'value="rejected"' in box
    ]
