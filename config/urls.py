from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config.home import home

# The admin logs in through allauth, so the second factor and the rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# A branded page in the reader's language; a 503 with Retry-After when the database is unreachable.
handler500 = "config.error_pages.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("cuenta/", include("allauth.urls")),
    path("", home, name="home"),
    path("", include("parties.urls")),
    path("", include("complaints.urls")),
    path("", include("notifications.urls")),
    path("", include("hearings.urls")),
    path("", include("privacy.urls")),
    path("", include("legal.urls")),
    path("", include("workdays.urls")),
    path("", include("oversight.urls")),
    path("", include("reporting.urls")),
    path("", include("api.urls")),
    path("", include("companydesk.urls")),
]
# Media is never served directly, not even in DEBUG: every stored file (evidence, actas, recordings,
# proofs, justifications, cédulas) is downloaded through a view that checks who is asking.
