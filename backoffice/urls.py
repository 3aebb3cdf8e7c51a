from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from backoffice.desk.views import ticket_confirmation


def healthz(request):
    """Liveness probe for load balancers: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(url=f"/{settings.ADMIN_URL}", permanent=False)),
    path("healthz/", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # the customer's confirmation page: public, one-time signed links (desk.views)
    path("confirm/<str:number>/<str:token>/", ticket_confirmation, name="ticket_confirmation"),
    path(settings.ADMIN_URL, admin.site.urls),
]
