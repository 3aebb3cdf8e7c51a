"""Call spot checks (录音抽查): the manager's list and form. Opened from a call note on the
ticket page ("Spot-check this call") or from the list; whoever took a call sees the
checks of their own calls, the manager sees them all."""

import datetime as dt

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display

from backoffice.desk import services
from backoffice.desk.forms import CallSpotCheckForm
from backoffice.desk.models import CallSpotCheck
from backoffice.platform.admin.base import BackofficeAdmin
from backoffice.platform.people import display_name

CHECKER_PERMISSION = "backoffice.add_callspotcheck"


def may_check_calls(user) -> bool:
    return user.is_active and user.has_perm(CHECKER_PERMISSION)


class CallMonthFilter(admin.SimpleListFilter):
    """The month of the call (local time), as the appraisal counts it: ``?month=2026-03``."""

    title = _("month of the call")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        today = timezone.localdate().replace(day=1)
        months, month = [], today
        for _i in range(12):
            months.append((f"{month:%Y-%m}", f"{month:%Y-%m}"))
            month = (month - dt.timedelta(days=1)).replace(day=1)
        return months

    def queryset(self, request, queryset):
        value = self.value() or ""
        try:
            first = dt.date(int(value[:4]), int(value[5:7]), 1)
        except ValueError:
            return queryset
        tz = timezone.get_current_timezone()
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return queryset.filter(
            call_at__gte=timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz),
            call_at__lt=timezone.make_aware(dt.datetime.combine(following, dt.time.min), tz))


@admin.register(CallSpotCheck)
class CallSpotCheckAdmin(BackofficeAdmin):
    form = CallSpotCheckForm
    list_display = ["checked_at", "display_ticket", "display_agent", "call_at", "score",
                    "display_recording", "display_checker"]
    list_display_links = ["checked_at"]
    list_select_related = ["message__ticket", "agent", "checked_by", "recording"]
    list_filter = [CallMonthFilter, ("call_at", RangeDateFilter), "agent"]
    list_filter_submit = True
    search_fields = ["=message__ticket__number", "comment"]
    date_hierarchy = "call_at"
    readonly_fields = ["display_call", "agent", "call_at", "checked_by", "checked_at"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not may_check_calls(request.user):
            qs = qs.filter(agent=request.user)  # one's own calls' checks
        return qs

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["message", "recording", "score", "comment"]
        return ["display_call", "recording", "score", "comment", "agent", "call_at",
                "checked_by", "checked_at"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if str(request.GET.get("message", "")).isdigit():
            initial["message"] = int(request.GET["message"])
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def has_change_permission(self, request, obj=None):
        # the score and comment are the checker's own: nobody else rewrites them
        if obj is not None and obj.checked_by_id != request.user.pk:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.checked_by_id != request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            obj._history_user = request.user
            return super().save_model(request, obj, form, change)
        # through the service: the four-eyes rule is checked again and the caller told
        check = services.spot_check_record(
            message=obj.message, recording=obj.recording, score=obj.score,
            comment=obj.comment, actor=request.user)
        obj.pk, obj.agent, obj.call_at = check.pk, check.agent, check.call_at
        obj.checked_by, obj.checked_at, obj.version = (check.checked_by, check.checked_at,
                                                       check.version)
        obj._state.adding = False

    # -- columns ---------------------------------------------------------------------
    @display(description=_("ticket"), ordering="message__ticket__number")
    def display_ticket(self, obj):
        return obj.message.ticket.number

    @display(description=_("call taken by"), ordering="agent__username")
    def display_agent(self, obj):
        return display_name(obj.agent)

    @display(description=_("checked by"), ordering="checked_by__username")
    def display_checker(self, obj):
        return display_name(obj.checked_by)

    @display(description=_("recording"))
    def display_recording(self, obj):
        return obj.recording.filename if obj.recording_id else "-"

    @display(description=_("call"))
    def display_call(self, obj):
        from django.urls import reverse

        message = obj.message
        url = reverse("admin:backoffice_ticket_change", args=[message.ticket_id])
        player = ""
        if obj.recording_id:
            player = format_html('<audio controls preload="none" src="{}" class="mt-2">'
                                 '</audio>', obj.recording.file.url)
        return format_html(
            '<a class="text-primary-600" href="{}#message-{}">{}</a> · {} · {}'
            '<div class="text-sm mt-1" style="white-space:pre-line">{}</div>{}',
            url, message.pk, message.ticket.number, display_name(message.author),
            message.get_direction_display(), message.body[:1000], player)
