"""The one page outside the admin: the customer confirms (or not) their ticket's solution
from a link, with no login. It shows the service record of that ticket and nothing else."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_ratelimit.decorators import ratelimit

from backoffice.desk import services
from backoffice.desk.forms import CustomerConfirmationForm

CUSTOMER_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(request):
    """Chinese by default; English when asked (?lang=en) or when the browser prefers it."""
    asked = request.GET.get("lang") or request.POST.get("lang")
    if asked in CUSTOMER_LANGUAGES:
        return asked
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


@never_cache
@csrf_protect
@ratelimit(key="ip", rate=lambda group, request: settings.CONFIRMATION_RATE_LIMIT,
           method=ratelimit.ALL, block=False)
def ticket_confirmation(request, number, token):
    language = _language(request)
    with translation.override(language):
        if getattr(request, "limited", False):
            return render(request, "backoffice/confirmation/unavailable.html",
                          {"language": language, "too_many": True}, status=429)
        confirmation = services.open_confirmation(number, token)
        if confirmation is None:
            return render(request, "backoffice/confirmation/unavailable.html",
                          {"language": language}, status=404)
        staff = request.user.is_authenticated and request.user.is_staff
        form = CustomerConfirmationForm(request.POST or None)
        if request.method == "POST" and not staff and form.is_valid():
            data = form.cleaned_data
            try:
                services.answer_confirmation(
                    confirmation, outcome=data["outcome"], rating=data["rating"],
                    comment=data["comment"], signer_name=data["signer_name"],
                    signature=data["signature"], ip_address=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return render(request, "backoffice/confirmation/thanks.html",
                              {"language": language, "outcome": data["outcome"],
                               "ticket": confirmation.ticket})
        return render(request, "backoffice/confirmation/page.html", {
            "language": language, "form": form, "ticket": confirmation.ticket,
            "confirmation": confirmation, "staff": staff,
            "other_language": "en" if language.startswith("zh") else "zh-hans"})
