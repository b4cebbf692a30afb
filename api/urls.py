"""The company API (/api/v1/, api/company_api.py) and the company administrator's pages for keys
and webhooks (api/views/)."""

from django.urls import path, re_path

from api.company_api import api, not_found

urlpatterns: list = [
    path("api/v1/", api.urls),
    # Anything else under /api/v1/ (an id that is not a number, a path that does not exist): the API's
    # JSON 404, never the site's HTML page.
    re_path(r"^api/v1/", not_found),
]

# The company administrator's pages (api/views/): its API keys, their audit log, its webhooks.
from api.views import keys, webhooks  # noqa: E402

urlpatterns += [
    path("empresa/<int:pk>/api/", keys.company_api_keys, name="company_api_keys"),
    path("empresa/<int:pk>/api/registro/", keys.company_api_log, name="company_api_log"),
    path(
        "empresa/<int:company_pk>/api/claves/<int:pk>/revocar/",
        keys.company_api_key_revoke,
        name="company_api_key_revoke",
    ),
    path("empresa/<int:pk>/webhooks/", webhooks.company_webhooks, name="company_webhooks"),
    path("empresa/<int:company_pk>/webhooks/<int:pk>/", webhooks.company_webhook, name="company_webhook"),
    path(
        "empresa/<int:company_pk>/webhooks/<int:pk>/editar/",
        webhooks.company_webhook_edit,
        name="company_webhook_edit",
    ),
    path(
        "empresa/<int:company_pk>/webhooks/<int:pk>/secreto/",
        webhooks.company_webhook_rotate,
        name="company_webhook_rotate",
    ),
    path(
        "empresa/<int:company_pk>/webhooks/<int:pk>/desactivar/",
        webhooks.company_webhook_disable,
        name="company_webhook_disable",
    ),
    path(
        "empresa/<int:company_pk>/webhooks/<int:pk>/activar/",
        webhooks.company_webhook_enable,
        name="company_webhook_enable",
    ),
    path(
        "empresa/<int:company_pk>/webhooks/entregas/<int:pk>/reenviar/",
        webhooks.company_webhook_resend,
        name="company_webhook_resend",
    ),
]
