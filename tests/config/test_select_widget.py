"""Every select of the site is written in one template, whatever its number of options, and says
what Django's own select says: the chosen option, groups, an option's attributes."""

from django import forms
from django.test.signals import template_rendered

PROVINCES = [
    ("", "Any"),
    ("CABA", "Ciudad de Buenos Aires"),
    ("Interior", [("CB", "Córdoba"), ("SF", "Santa Fe")]),
]


class Pick(forms.Form):
    province = forms.ChoiceField(choices=PROVINCES, required=False)
    many = forms.TypedChoiceField(choices=[(n, f"Option {n}") for n in range(200)], coerce=int, required=False)


def rendered(form: forms.Form) -> tuple[str, list[str]]:
    names: list[str] = []

    def note(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(note)
    try:
        html = str(form)
    finally:
        template_rendered.disconnect(note)
    return html, names


def test_a_select_of_two_hundred_options_is_one_template():
    html, templates = rendered(Pick(data={"province": "CB", "many": "7"}))

    assert templates.count("django/forms/widgets/select.html") == 2
    assert "django/forms/widgets/select_option.html" not in templates
    assert html.count("<option ") == 4 + 200


def test_the_chosen_option_groups_and_escaping_are_as_django_writes_them():
    html, _ = rendered(Pick(data={"province": "CB", "many": "7"}))

    assert '<select name="province" id="id_province" class="form-select">' in html
    assert '<optgroup label="Interior">' in html
    assert '<option value="CB" selected>Córdoba</option>' in html
    assert '<option value="CABA">Ciudad de Buenos Aires</option>' in html
    assert '<option value="7" selected>Option 7</option>' in html
    assert '<option value="8">Option 8</option>' in html


def test_an_option_s_own_attributes_are_written():
    class Flagged(forms.Select):
        def create_option(self, *args, **kwargs):
            option = super().create_option(*args, **kwargs)
            if option["value"] == "SF":
                option["attrs"].update({"disabled": True, "data-note": 'a "quoted" note'})
            return option

    class FlaggedPick(Pick):
        province = forms.ChoiceField(choices=PROVINCES, widget=Flagged, required=False)

    html, _ = rendered(FlaggedPick())

    assert '<option value="SF" disabled data-note="a &quot;quoted&quot; note">Santa Fe</option>' in html
