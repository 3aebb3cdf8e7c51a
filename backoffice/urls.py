from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from backoffice.desk.views import ticket_confirmation
from backoffice.platform.admin.autocomplete import autocomplete_view


def healthz(request):
    """Liveness probe for load balancers: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(url=f"/{settings.ADMIN_URL}", permanent=False)),
    path("healthz/", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # the customer's confirmation page: public, one-time signed links (desk.views)
    path("confirm/<str:number>/<str:token>/", ticket_confirmation, name="ticket_confirmation"),
    # the admin's autocomplete with context-aware pickers (platform.admin.autocomplete),
    # at the address the site's widgets reverse, so ahead of the site's own view
    path(f"{settings.ADMIN_URL}autocomplete/", admin.site.admin_view(autocomplete_view)),
    path(settings.ADMIN_URL, admin.site.urls),
]
