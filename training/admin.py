"""Admin of the training app: needs, plans, sessions and results; appraisals.

Configuration only: rules live in the models' workflows and in ``training.services``;
figures come from ``training.selectors``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display

from backoffice.platform.admin.base import BackofficeAdmin, ReadOnlyInline
from training import selectors, services
from training import workflows as wf
from training.forms import ConfirmDialogForm
from training.models import (
    Appraisal,
    AppraisalPeriod,
    KpiTarget,
    SessionAttendee,
    TrainingNeed,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)
from training.resources import (
    AppraisalPeriodResource,
    AppraisalResource,
    AttendanceResource,
    KpiTargetResource,
    TrainingNeedResource,
    TrainingPlanItemResource,
    TrainingPlanResource,
    TrainingSessionResource,
)

User = get_user_model()

NEED_COLOURS = {wf.TrainingNeedStatus.OPEN: "info", wf.TrainingNeedStatus.PLANNED: "success",
                wf.TrainingNeedStatus.DROPPED: "default"}
PLAN_COLOURS = {wf.TrainingPlanStatus.DRAFT: "default",
                wf.TrainingPlanStatus.SUBMITTED: "warning",
                wf.TrainingPlanStatus.APPROVED: "success", wf.TrainingPlanStatus.CLOSED: "info"}
SESSION_COLOURS = {wf.TrainingSessionStatus.PLANNED: "info",
                   wf.TrainingSessionStatus.HELD: "success",
                   wf.TrainingSessionStatus.CANCELLED: "default"}
APPRAISAL_COLOURS = {wf.AppraisalStatus.DRAFT: "warning", wf.AppraisalStatus.REVIEWED: "info",
                     wf.AppraisalStatus.ACKNOWLEDGED: "success"}
OUTCOME_COLOURS = {wf.Outcome.REWARD: "success", wf.Outcome.NONE: "default",
                   wf.Outcome.DEDUCTION: "warning", wf.Outcome.WARNING: "danger",
                   wf.Outcome.TRANSFER: "danger"}
URGENCY_COLOURS = {wf.Urgency.LOW: "default", wf.Urgency.NORMAL: "info",
                   wf.Urgency.HIGH: "warning", wf.Urgency.URGENT: "danger"}


def _person(user):
    return (user.get_full_name() or user.username) if user else "-"


def _number(value, places=1, suffix=""):
    return "-" if value is None else f"{float(value):.{places}f}{suffix}"


def _redirect(obj):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return HttpResponse(headers={"HX-Redirect": url})


class StaffChoiceMixin:
    """Foreign keys to users offer the active staff, by name, without an autocomplete
    (which would need permission to browse all user accounts)."""

    user_fields: tuple[str, ...] = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is User and db_field.name in self.user_fields:
            kwargs["queryset"] = User.objects.filter(is_active=True, is_staff=True).order_by(
                "last_name", "first_name", "username")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = _person
            # evaluated once per page, not once per inline row
            field.choices = list(field.choices)
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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


# -- needs ---------------------------------------------------------------------------------
@admin.register(TrainingNeed)
class TrainingNeedAdmin(StaffChoiceMixin, BackofficeAdmin):
    resource_classes = [TrainingNeedResource]
    user_fields = ("staff",)
    list_display = ["number", "topic", "display_state", "display_requester", "source",
                    "display_urgency", "product", "created_at"]
    list_display_links = ["number", "topic"]
    list_select_related = ["customer", "contact", "staff", "product"]
    list_filter = [("state", ChoicesDropdownFilter), ("urgency", ChoicesDropdownFilter),
                   ("source", ChoicesDropdownFilter), "requester_kind",
                   ("product", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["=number", "topic", "customer__name", "=customer__code", "contact__name",
                     "staff__username", "staff__last_name"]
    search_help_text = _("Need number, topic, customer, contact or staff member")
    autocomplete_fields = ["customer", "contact", "product", "ticket"]
    readonly_fields = ["number", "collected_by", "display_plan_items"]

    def get_fieldsets(self, request, obj=None):
        head = [("number", "state"), "topic"] if obj else ["topic"]
        sets = [
            (None, {"fields": [*head, "description", ("urgency", "source", "product")]}),
            (_("Who asked"), {"fields": ["requester_kind", ("customer", "contact"), "staff",
                                         "ticket"]}),
        ]
        if obj:
            sets.append((_("Plan"), {"fields": ["display_plan_items", "collected_by"]}))
        return sets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state != wf.TrainingNeedStatus.OPEN:
            readonly += [f.name for f in TrainingNeed._meta.fields if f.name not in readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        if not change:
            obj.collected_by = request.user
        super().save_model(request, obj, form, change)

    @display(description=_("state"), ordering="state", label=NEED_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("urgency"), ordering="urgency", label=URGENCY_COLOURS)
    def display_urgency(self, obj):
        return obj.urgency, obj.get_urgency_display()

    @display(description=_("asked by"))
    def display_requester(self, obj):
        if obj.requester_kind == wf.RequesterKind.STAFF:
            return _person(obj.staff)
        if obj.contact_id:
            return f"{obj.contact.name} ({obj.customer.name if obj.customer_id else ''})"
        return obj.customer.name if obj.customer_id else "-"

    @display(description=_("answered by plan items"))
    def display_plan_items(self, obj):
        items = obj.plan_items.select_related("plan").order_by("plan__year", "seq")
        if not items:
            return "-"
        return format_html_join(
            mark_safe("<br>"), '<a class="text-primary-600" href="{}">{} · {}</a>',
            ((reverse("admin:training_trainingplanitem_change", args=[i.pk]), i.plan.number,
              i) for i in items))


# -- plans -----------------------------------------------------------------------------------
class PlanItemInline(StaffChoiceMixin, TabularInline):
    model = TrainingPlanItem
    extra = 0
    show_change_link = True
    user_fields = ("trainer",)
    fields = ["seq", "title", "audience", "method", "planned_start", "planned_end",
              "trainer_kind", "trainer", "external_trainer", "budget_estimate", "pass_mark"]
    verbose_name_plural = _("plan items (open an item to edit its content and the needs "
                            "it answers)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("trainer")

    def _editable(self, obj):
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(TrainingPlan)
class TrainingPlanAdmin(BackofficeAdmin):
    resource_classes = [TrainingPlanResource]
    list_display = ["number", "year", "title", "display_state", "display_items",
                    "display_budget", "prepared_by", "approved_by"]
    list_display_links = ["number", "title"]
    list_select_related = ["prepared_by", "approved_by"]
    list_filter = [("state", ChoicesDropdownFilter), "year"]
    search_fields = ["=number", "title"]
    inlines = [PlanItemInline]
    actions_detail = ["copy_action"]
    readonly_fields = ["number", "prepared_by", "submitted_by", "submitted_at", "approved_by",
                       "approved_at", "budget_remark", "closed_at", "display_total_budget",
                       "effectiveness"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            item_count=Count("items"), budget_total=Sum("items__budget_estimate"))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["year", "title", "goals"]})]
        return [
            (None, {"fields": [("number", "state"), ("year", "title"), "goals",
                               "display_total_budget"]}),
            (_("Approval"), {"fields": [("prepared_by", "submitted_by", "submitted_at"),
                                        ("approved_by", "approved_at"), "budget_remark",
                                        "closed_at"]}),
            (_("Effectiveness"), {"fields": ["effectiveness"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            readonly += [f.name for f in TrainingPlan._meta.fields if f.name not in readonly]
        return readonly

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != wf.TrainingPlanStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.prepared_by = request.user
        super().save_model(request, obj, form, change)

    def has_copy_permission(self, request, object_id=None):
        return request.user.has_perm("training.add_trainingplan")

    @action(description=_("Copy as next year's draft"), url_path="copy", icon="content_copy",
            permissions=["copy"],
            dialog={"title": _("Copy as next year's draft"), "form_class": ConfirmDialogForm,
                    "form_submit_text": _("Copy"),
                    "description": _("Creates a draft plan for the following year with the "
                                     "same items, dates moved by a year. Needs are not "
                                     "carried over.")})
    def copy_action(self, request, form, object_id):
        plan = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            copy = services.plan_copy(plan=plan, actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
            return _redirect(plan)
        messages.success(request, _("Draft %(number)s created.") % {"number": copy.number})
        return _redirect(copy)

    @display(description=_("state"), ordering="state", label=PLAN_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("items"), ordering="item_count")
    def display_items(self, obj):
        return obj.item_count

    @display(description=_("budget estimate"), ordering="budget_total")
    def display_budget(self, obj):
        return _number(obj.budget_total or 0, 2)

    @display(description=_("total budget estimate"))
    def display_total_budget(self, obj):
        return _number(obj.total_budget(), 2) if obj.pk else "-"

    @display(description=_("effectiveness summary"))
    def effectiveness(self, obj):
        if not obj.pk:
            return "-"
        rows, total = selectors.plan_effectiveness(obj)
        if not rows:
            return _("No items yet.")
        head = [_("item"), _("sessions held / planned / cancelled"), _("present / invited"),
                _("avg exam"), _("avg survey"), _("pass rate"), _("follow-up coaching"),
                _("budget"), _("actual cost")]

        def cells(s, label):
            return (label, f"{s.sessions_held} / {s.sessions_planned} / {s.sessions_cancelled}",
                    f"{s.attended} / {s.invited}", _number(s.avg_exam),
                    _number(s.avg_survey, 2), _number(s.pass_rate, 0, " %"), s.coaching,
                    _number(s.item.budget_estimate if s.item else obj.total_budget(), 2),
                    _number(s.actual_cost, 2))

        row_html = '<tr class="border-t border-base-200">' + "".join(
            ['<td class="pr-4 py-1">{}</td>'] * len(head)) + "</tr>"
        body = format_html_join("", row_html, (cells(s, str(s.item)) for s in rows))
        foot = format_html(row_html.replace("<tr ", '<tr style="font-weight:600" '),
                           *cells(total, _("Total")))
        header = format_html_join("", '<th class="pr-4 text-left">{}</th>', ((h,) for h in head))
        return format_html('<table class="text-sm"><thead><tr>{}</tr></thead>'
                           "<tbody>{}{}</tbody></table>", header, body, foot)


@admin.register(TrainingPlanItem)
class TrainingPlanItemAdmin(StaffChoiceMixin, BackofficeAdmin):
    resource_classes = [TrainingPlanItemResource]
    user_fields = ("trainer",)
    list_display = ["plan", "seq", "title", "audience", "method", "planned_start",
                    "planned_end", "display_trainer", "budget_estimate", "display_sessions"]
    list_display_links = ["seq", "title"]
    list_select_related = ["plan", "trainer"]
    list_filter = [("plan", RelatedDropdownFilter), "audience", "method", "trainer_kind"]
    search_fields = ["title", "=plan__number", "plan__title"]
    autocomplete_fields = ["plan", "product", "needs"]
    ordering = ["-plan__year", "plan", "seq"]
    fieldsets = [
        (None, {"fields": [("plan", "seq"), "title", "content", ("audience", "method"),
                           "product", ("planned_start", "planned_end")]}),
        (_("Trainer and cost"), {"fields": [("trainer_kind", "trainer", "external_trainer"),
                                            ("budget_estimate", "pass_mark")]}),
        (_("Needs answered"), {"fields": ["needs"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(session_count=Count("sessions"))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("plan")
            if not obj.plan.is_editable:
                readonly += [f.name for f in TrainingPlanItem._meta.fields] + ["needs"]
        return readonly

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.plan.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan":
            kwargs["queryset"] = TrainingPlan.objects.filter(
                state__in=[wf.TrainingPlanStatus.DRAFT, wf.TrainingPlanStatus.APPROVED])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        """Sessions are only planned for items of plans that are not closed."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset,
                                                                   search_term)
        if request.GET.get("model_name") == "trainingsession":
            queryset = queryset.exclude(plan__state=wf.TrainingPlanStatus.CLOSED)
        return queryset, may_have_duplicates

    @display(description=_("trainer"))
    def display_trainer(self, obj):
        return obj.trainer_name

    @display(description=_("sessions"), ordering="session_count")
    def display_sessions(self, obj):
        return obj.session_count


# -- sessions ---------------------------------------------------------------------------------
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


# -- appraisals ----------------------------------------------------------------------------------
@admin.register(KpiTarget)
class KpiTargetAdmin(BackofficeAdmin):
    resource_classes = [KpiTargetResource]
    list_display = ["kpi", "display_rule", "target", "note"]
    list_display_links = ["kpi"]

    @display(description=_("rule"))
    def display_rule(self, obj):
        return "≤" if obj.kpi in wf.LOWER_IS_BETTER else "≥"


class PeriodAppraisalInline(ReadOnlyInline):
    model = Appraisal
    show_change_link = True
    fields = ["employee", "state", "resolution_rate", "satisfaction_mean",
              "avg_response_hours", "response_in_time_share", "record_completeness",
              "manager_score", "outcome"]
    readonly_fields = fields
    verbose_name_plural = _("appraisals of this month")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("employee", "period")


@admin.register(AppraisalPeriod)
class AppraisalPeriodAdmin(BackofficeAdmin):
    resource_classes = [AppraisalPeriodResource]
    list_display = ["__str__", "display_drafts", "display_reviewed", "display_acknowledged",
                    "notes"]
    inlines = [PeriodAppraisalInline]
    actions = ["generate_selected"]
    actions_detail = ["generate_action"]
    fields = ["month", "notes"]

    def get_queryset(self, request):
        s = wf.AppraisalStatus
        return super().get_queryset(request).annotate(
            drafts=Count("appraisals", filter=Q(appraisals__state=s.DRAFT)),
            reviewed=Count("appraisals", filter=Q(appraisals__state=s.REVIEWED)),
            acknowledged=Count("appraisals", filter=Q(appraisals__state=s.ACKNOWLEDGED)))

    def get_readonly_fields(self, request, obj=None):
        return ["month"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.appraisals.exists():
            return False
        return super().has_delete_permission(request, obj)

    @display(description=_("drafts"), ordering="drafts")
    def display_drafts(self, obj):
        return obj.drafts

    @display(description=_("reviewed"), ordering="reviewed")
    def display_reviewed(self, obj):
        return obj.reviewed

    @display(description=_("acknowledged"), ordering="acknowledged")
    def display_acknowledged(self, obj):
        return obj.acknowledged

    def has_generate_permission(self, request, object_id=None):
        return request.user.has_perm("training.review_appraisal")

    @action(description=_("Compute appraisals"), url_path="generate", icon="calculate",
            permissions=["generate"],
            dialog={"title": _("Compute this month's appraisals"),
                    "form_class": ConfirmDialogForm,
                    "form_submit_text": _("Compute"),
                    "description": _("Creates a draft appraisal for every support staff "
                                     "member and recomputes the drafts already there. "
                                     "Reviewed and imported appraisals are left as they are.")})
    def generate_action(self, request, form, object_id):
        period = get_object_or_404(AppraisalPeriod, pk=object_id)
        self._generate(request, [period])
        return _redirect(period)

    @admin.action(description=_("Compute the appraisals of the selected months"),
                  permissions=["generate"])
    def generate_selected(self, request, queryset):
        self._generate(request, list(queryset))

    def _generate(self, request, periods):
        for period in periods:
            try:
                result = services.appraisals_generate(period=period, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
            else:
                messages.success(request, f"{period}: {result}")


class MineFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("My appraisals")), ("review", _("Awaiting my review"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(employee=request.user)
        if self.value() == "review":
            return queryset.filter(state=wf.AppraisalStatus.DRAFT).exclude(employee=request.user)
        return queryset


@admin.register(Appraisal)
class AppraisalAdmin(StaffChoiceMixin, BackofficeAdmin):
    resource_classes = [AppraisalResource]
    user_fields = ("employee",)
    list_display = ["period", "display_employee", "display_state", "display_targets",
                    "display_resolution", "display_satisfaction", "display_response",
                    "display_in_time", "display_completeness", "manager_score",
                    "display_outcome"]
    list_display_links = ["period", "display_employee"]
    list_select_related = ["period", "employee"]
    list_filter = [MineFilter, ("state", ChoicesDropdownFilter),
                   ("period", RelatedDropdownFilter), ("outcome", ChoicesDropdownFilter),
                   "source"]
    search_fields = ["employee__username", "employee__last_name", "employee__first_name"]
    ordering = ["-period__month", "employee__username"]
    actions = ["recompute_selected"]
    actions_detail = ["recompute_action"]
    review_fields = ["spot_check_notes", "manager_score", "outcome", "outcome_amount"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not request.user.has_perm("training.review_appraisal"):
            qs = qs.filter(employee=request.user)
        return qs

    def _may_see(self, request, obj):
        return (obj is None or request.user.has_perm("training.review_appraisal")
                or obj.employee_id == request.user.pk)

    def has_view_permission(self, request, obj=None):
        return self._may_see(request, obj) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_see(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != wf.AppraisalStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["period", "employee"],
                            "description": _("The figures are computed from the employee's "
                                             "tickets when you save.")})]
        return [
            (None, {"fields": [("period", "employee"), ("state", "source", "computed_at")]}),
            (_("Key figures"), {"fields": ["display_figures"]}),
            (_("Ticket counts"), {"classes": ["collapse"], "fields": [
                ("tickets_received", "tickets_resolved"),
                ("tickets_rated", "tickets_satisfied"),
                ("tickets_responded", "tickets_response_measured", "tickets_answered_in_time"),
                ("tickets_closed", "records_complete")]}),
            (_("Manager's review"), {"fields": [
                "spot_check_notes", ("manager_score", "outcome", "outcome_amount"),
                ("reviewed_by", "reviewed_at")]}),
            (_("Employee"), {"fields": ["employee_comment", "acknowledged_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        editable = set()
        if (obj.state == wf.AppraisalStatus.DRAFT
                and wf.can_review_appraisal(obj, request.user)):
            editable = set(self.review_fields)
        names = [f.name for f in Appraisal._meta.fields if f.name not in editable]
        return [*names, "display_figures"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            try:
                services.appraisal_recompute(appraisal=obj, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.warning(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))

    # -- columns ---------------------------------------------------------------------
    @display(description=_("employee"), ordering="employee__username")
    def display_employee(self, obj):
        return _person(obj.employee)

    @display(description=_("state"), ordering="state", label=APPRAISAL_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("outcome"), ordering="outcome", label=OUTCOME_COLOURS)
    def display_outcome(self, obj):
        return (obj.outcome, obj.get_outcome_display()) if obj.outcome else ("", "")

    @display(description=_("targets met"))
    def display_targets(self, obj):
        met, judged = obj.targets_met()
        return f"{met} / {judged}" if judged else "-"

    def _kpi(self, obj, kpi, places=1, suffix=""):
        for name, _label, value, _target, met in obj.kpi_results():
            if name == kpi:
                text = _number(value, places, suffix)
                if met is False:
                    return format_html('<span class="text-red-600 font-semibold">{}</span>', text)
                return text
        return "-"

    @display(description=_("resolution rate"), ordering="resolution_rate")
    def display_resolution(self, obj):
        return self._kpi(obj, wf.Kpi.RESOLUTION_RATE, 1, " %")

    @display(description=_("satisfaction"), ordering="satisfaction_mean")
    def display_satisfaction(self, obj):
        return self._kpi(obj, wf.Kpi.SATISFACTION_MEAN, 2)

    @display(description=_("first response (h)"), ordering="avg_response_hours")
    def display_response(self, obj):
        return self._kpi(obj, wf.Kpi.AVG_RESPONSE_HOURS, 2)

    @display(description=_("answered in time"), ordering="response_in_time_share")
    def display_in_time(self, obj):
        return self._kpi(obj, wf.Kpi.RESPONSE_IN_TIME_SHARE, 1, " %")

    @display(description=_("record completeness"), ordering="record_completeness")
    def display_completeness(self, obj):
        return self._kpi(obj, wf.Kpi.RECORD_COMPLETENESS, 1, " %")

    @display(description=_("key figures"))
    def display_figures(self, obj):
        def verdict(met):
            if met is None:
                return format_html('<span class="text-base-500">{}</span>', _("not judged"))
            if met:
                return format_html('<span class="text-green-700">{}</span>', _("met"))
            return format_html('<span class="text-red-600 font-semibold">{}</span>', _("missed"))

        rows = format_html_join(
            "", '<tr class="border-t border-base-200"><td class="pr-6 py-1">{}</td>'
            '<td class="pr-6">{}</td><td class="pr-6">{} {}</td><td>{}</td></tr>',
            ((label, _number(value, 2), "≤" if kpi in wf.LOWER_IS_BETTER else "≥",
              _number(target, 2), verdict(met))
             for kpi, label, value, target, met in obj.kpi_results()))
        return format_html('<table class="text-sm"><thead><tr><th class="pr-6 text-left">{}</th>'
                           '<th class="pr-6 text-left">{}</th><th class="pr-6 text-left">{}</th>'
                           '<th class="text-left">{}</th></tr></thead><tbody>{}</tbody></table>',
                           _("KPI"), _("value"), _("target"), _("verdict"), rows)

    # -- recomputation -------------------------------------------------------------------
    def has_recompute_permission(self, request, object_id=None):
        if not request.user.has_perm("training.review_appraisal"):
            return False
        if object_id is None:
            return True
        return Appraisal.objects.filter(pk=object_id, state=wf.AppraisalStatus.DRAFT).exists()

    @action(description=_("Recompute from tickets"), url_path="recompute", icon="calculate",
            permissions=["recompute"],
            dialog={"title": _("Recompute from tickets"), "form_class": ConfirmDialogForm,
                    "form_submit_text": _("Recompute"),
                    "description": _("Replaces the figures with those computed from the "
                                     "tickets now. The manager's notes, score and outcome "
                                     "are kept.")})
    def recompute_action(self, request, form, object_id):
        appraisal = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            services.appraisal_recompute(appraisal=appraisal, actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, _("Figures recomputed from the tickets."))
        return _redirect(appraisal)

    @admin.action(description=_("Recompute the selected drafts from tickets"),
                  permissions=["recompute"])
    def recompute_selected(self, request, queryset):
        try:
            result = services.appraisals_recompute(appraisals=list(queryset),
                                                   actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        else:
            messages.success(request, str(result))
