from django.forms.renderers import TemplatesSetting


class ConciliaFormRenderer(TemplatesSetting):
    """Every form renders through templates/forms/: label, hint, error tied to its field."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
