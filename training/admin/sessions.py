"""Training sessions with their attendees and results; the follow-up coaching list."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import display

from backoffice.platform.admin.base import BackofficeAdmin
from training import selectors
from training import workflows as wf
from training.admin.common import StaffChoiceMixin, _number, _person
from training.models import SessionAttendee, TrainingSession
from training.resources.sessions import AttendanceResource, TrainingSessionResource

SESSION_COLOURS = {wf.TrainingSessionStatus.PLANNED: "info",
                   wf.TrainingSessionStatus.HELD: "success",
                   wf.TrainingSessionStatus.CANCELLED: "default"}


class PersonText(forms.Widget):
    """Shows who an existing attendee row is about, without a query per row."""

    def __init__(self, text="", attrs=None):
        self.text = text
        super().__init__(attrs)

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<span class="block py-2">{}</span>', self.text or "-")


class AttendeeForm(forms.ModelForm):
    """Once on the list, an attendee row stays about the same person (delete the row to
    replace them); results and attendance stay editable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("contact", "staff"):
                if name in self.fields:
                    person = getattr(self.instance, name)
                    self.fields[name].disabled = True
                    self.fields[name].widget = PersonText(
                        _person(person) if name == "staff" and person else (
                            str(person) if person else ""))


class AttendeeInline(StaffChoiceMixin, TabularInline):
    model = SessionAttendee
    form = AttendeeForm
    extra = 0
    user_fields = ("staff",)
    fields = ["contact", "staff", "attended", "exam_score", "practical_result", "survey_rating",
              "display_outcome", "comments"]
    readonly_fields = ["display_outcome"]
    autocomplete_fields = ["contact"]

    def get_queryset(self, request):
        return selectors.attendee_with_outcome(
            super().get_queryset(request).select_related("contact__customer", "staff",
                                                         "session__plan_item"))

    def _open(self, obj):
        return obj is None or obj.state != wf.TrainingSessionStatus.CANCELLED

    def has_add_permission(self, request, obj=None):
        return self._open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._open(obj) and super().has_delete_permission(request, obj)

    @display(description=_("result"))
    def display_outcome(self, obj):
        return _outcome(obj)


def _outcome(attendee):
    if not getattr(attendee, "evaluated", False):
        return "-"
    if attendee.passed:
        return format_html('<span class="text-green-700">{}</span>', _("passed"))
    if attendee.coached_on:
        return _("below pass mark, coached on %(day)s") % {"day": attendee.coached_on}
    return format_html('<span class="text-red-600 font-semibold">{}</span>',
                       _("below pass mark: coaching"))


@admin.register(TrainingSession)
class TrainingSessionAdmin(StaffChoiceMixin, BackofficeAdmin):
    resource_classes = [TrainingSessionResource]
    user_fields = ("trainer",)
    list_display = ["number", "title", "display_state", "starts_at", "method",
                    "display_trainer", "display_attendance", "display_avg_exam",
                    "display_avg_survey", "display_pass_rate", "display_coaching"]
    list_display_links = ["number", "title"]
    list_select_related = ["plan_item__plan", "trainer"]
    list_filter = [("state", ChoicesDropdownFilter), "method",
                   ("plan_item__plan", RelatedDropdownFilter), ("starts_at", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=number", "title", "plan_item__title", "place"]
    autocomplete_fields = ["plan_item"]
    date_hierarchy = "starts_at"
    inlines = [AttendeeInline]
    readonly_fields = ["number", "held_at", "display_results"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return selectors.session_with_results(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        main = [("number", "state")] if obj else []
        sets = [
            (None, {"fields": [*main, "plan_item", "title", ("starts_at", "ends_at"),
                               ("method", "place", "link"),
                               ("trainer", "external_trainer"), ("capacity", "actual_cost"),
                               "notes"]}),
        ]
        if obj:
            sets.append((_("Results"), {"fields": ["display_results", "held_at"]}))
        return sets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("plan_item")
            if obj.state == wf.TrainingSessionStatus.CANCELLED:
                readonly += [f.name for f in TrainingSession._meta.fields]
        return readonly

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != wf.TrainingSessionStatus.PLANNED:
            return False
        return super().has_delete_permission(request, obj)

    @display(description=_("state"), ordering="state", label=SESSION_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("trainer"))
    def display_trainer(self, obj):
        return obj.trainer_name

    @display(description=_("present / invited"), ordering="attended_count")
    def display_attendance(self, obj):
        return f"{obj.attended_count} / {obj.attendee_count}"

    @display(description=_("avg exam"), ordering="avg_exam")
    def display_avg_exam(self, obj):
        return _number(obj.avg_exam)

    @display(description=_("avg survey"), ordering="avg_survey")
    def display_avg_survey(self, obj):
        return _number(obj.avg_survey, 2)

    @display(description=_("pass rate"), ordering="pass_rate")
    def display_pass_rate(self, obj):
        return _number(obj.pass_rate, 0, " %")

    @display(description=_("coaching"), ordering="coaching_count")
    def display_coaching(self, obj):
        return obj.coaching_count or ""

    @display(description=_("session results"))
    def display_results(self, obj):
        return format_html(
            "{}: {} / {} · {}: {} · {}: {} · {}: {} · {}: {}",
            _("present / invited"), obj.attended_count, obj.attendee_count,
            _("avg exam"), _number(obj.avg_exam), _("avg survey"), _number(obj.avg_survey, 2),
            _("pass rate"), _number(obj.pass_rate, 0, " %"),
            _("follow-up coaching"), obj.coaching_count)


class CoachingFilter(admin.SimpleListFilter):
    title = _("result")
    parameter_name = "result"

    def lookups(self, request, model_admin):
        return [("coaching", _("Below pass mark, coaching pending")),
                ("coached", _("Coached")), ("passed", _("Passed")),
                ("absent", _("Absent"))]

    def queryset(self, request, queryset):
        match self.value():
            case "coaching":
                return queryset.filter(selectors.coaching_pending_q())
            case "coached":
                return queryset.filter(coached_on__isnull=False)
            case "passed":
                return queryset.filter(passed=True)
            case "absent":
                return queryset.filter(attended=False)
        return queryset


@admin.register(SessionAttendee)
class SessionAttendeeAdmin(StaffChoiceMixin, BackofficeAdmin):
    """Attendance and results across sessions; the follow-up coaching list."""

    resource_classes = [AttendanceResource]
    user_fields = ("staff",)
    list_display = ["display_name", "session", "attended", "exam_score", "practical_result",
                    "survey_rating", "display_outcome", "coached_on"]
    list_select_related = ["session__plan_item", "contact__customer", "staff"]
    list_filter = [CoachingFilter, "attended", ("session__plan_item__plan", RelatedDropdownFilter)]
    search_fields = ["=session__number", "staff__username", "staff__last_name", "contact__name",
                     "contact__customer__name"]
    autocomplete_fields = ["session", "contact"]
    readonly_fields = ["display_outcome"]
    fieldsets = [
        (None, {"fields": ["session", ("contact", "staff")]}),
        (_("Attendance and results"), {"fields": [
            "attended", ("exam_score", "practical_result", "survey_rating"), "comments",
            "display_outcome"]}),
        (_("Follow-up coaching"), {"fields": ["coached_on", "coaching_note"]}),
    ]

    def get_queryset(self, request):
        return selectors.attendee_with_outcome(super().get_queryset(request))

    @display(description=_("attendee"), ordering="id")
    def display_name(self, obj):
        return obj.name

    @display(description=_("result"))
    def display_outcome(self, obj):
        return _outcome(obj)
