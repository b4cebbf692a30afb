"""Small typed accessors for values the stubs declare optional but the tests know are set."""

from django.db.models.fields.files import FieldFile

from complaints.models import Complaint


def case_number(case: Complaint) -> str:
    """The number of a case that has one (every submitted case is numbered)."""
    assert case.number is not None, f"case {case.pk} has no number yet"
    return case.number


def stored_name(file: FieldFile) -> str:
    """The storage name of a file field that holds a file."""
    assert file.name is not None, "the file field holds no file"
    return file.name
