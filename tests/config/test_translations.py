"""Spanish (es-AR) is the platform's first language: its catalogue must be complete."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "es_AR" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext (msgfmt) is not installed")
def test_the_spanish_catalogue_has_no_untranslated_or_fuzzy_entries():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert re.search(r"\d+ translated messages?\.", result.stderr), result.stderr
    assert "fuzzy" not in result.stderr, result.stderr
    assert "untranslated" not in result.stderr, result.stderr


def test_a_page_is_spanish_by_default_and_english_on_request(db):
    from django.test import Client

    spanish = Client().get("/cuenta/login/").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/cuenta/login/").content.decode()

    assert "Iniciar sesión" in spanish
    assert "Log in" in english
