"""The axe helper itself: it must see a problem that is there, so a clean report means something."""

import pytest

from tests.browser.a11y import assert_accessible, axe_violations


def test_axe_reports_an_unlabelled_field_and_the_helper_fails_on_it(browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="es"><head><title>t</title></head><body><main><h1>Prueba</h1>'
            '<input type="text" name="dni"></main></body></html>'
        )
        assert "label" in [violation["id"] for violation in axe_violations(page)]
        with pytest.raises(AssertionError, match=r"\[critical\] label: Form elements must have labels\n    input"):
            assert_accessible(page, "self-test")
    finally:
        context.close()
