"""KPI targets, monthly appraisal periods and the appraisals themselves."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import action, display

from backoffice.platform.admin.base import BackofficeAdmin, ReadOnlyInline
from training import selectors, services
from training import workflows as wf
from training.admin.common import StaffChoiceMixin, _number, _person, _redirect
from training.forms import ConfirmDialogForm
from training.models import Appraisal, AppraisalPeriod, KpiTarget
from training.resources.appraisals import (
    AppraisalPeriodResource,
    AppraisalResource,
    KpiTargetResource,
)

#: the figures computed from customers' ratings (the page says which ratings they count)
SATISFACTION_KPIS = {wf.Kpi.SATISFACTION_MEAN, wf.Kpi.SATISFIED_SHARE, wf.Kpi.SELF_RATED_SHARE}

APPRAISAL_COLOURS = {wf.AppraisalStatus.DRAFT: "warning", wf.AppraisalStatus.REVIEWED: "info",
                     wf.AppraisalStatus.ACKNOWLEDGED: "success"}
OUTCOME_COLOURS = {wf.Outcome.REWARD: "success", wf.Outcome.NONE: "default",
                   wf.Outcome.DEDUCTION: "warning", wf.Outcome.WARNING: "danger",
                   wf.Outcome.TRANSFER: "danger"}


@admin.register(KpiTarget)
class KpiTargetAdmin(BackofficeAdmin):
    resource_classes = [KpiTargetResource]
    list_display = ["role", "kpi", "display_rule", "target", "note"]
    list_display_links = ["kpi"]
    list_filter = ["role"]

    @display(description=_("rule"))
    def display_rule(self, obj):
        return "≤" if obj.kpi in wf.LOWER_IS_BETTER else "≥"


class PeriodAppraisalInline(ReadOnlyInline):
    model = Appraisal
    show_change_link = True
    fields = ["employee", "role", "state", "resolution_rate", "satisfaction_mean",
              "avg_response_hours", "response_in_time_share", "record_completeness",
              "tickets_first_contact", "manager_score", "outcome"]
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
    list_display = ["period", "display_employee", "role", "display_state", "display_targets",
                    "display_resolution", "display_satisfaction", "display_response",
                    "display_in_time", "display_completeness", "manager_score",
                    "display_outcome"]
    list_display_links = ["period", "display_employee"]
    list_select_related = ["period", "employee"]
    list_filter = [MineFilter, ("state", ChoicesDropdownFilter),
                   ("period", RelatedDropdownFilter), "role", ("outcome", ChoicesDropdownFilter),
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
        if obj.role == wf.AppraisalRole.CLERK:
            counts = [("calls_forwarded", "forward_seconds"),
                      ("first_contact_questions", "first_contact_answered"),
                      "tickets_first_contact", ("followups_due", "followups_on_time"),
                      "spot_checks"]
        else:
            counts = [
                ("tickets_received", "tickets_received_resolved", "tickets_resolved"),
                ("tickets_rated", "tickets_satisfied", "tickets_rated_by_link"),
                ("tickets_responded", "tickets_response_measured", "tickets_answered_in_time"),
                ("tickets_closed", "records_complete", "records_reviewed"),
                "tickets_first_contact",
                "tickets_held", "spot_checks"]
        return [
            (None, {"fields": [("period", "employee"), ("role", "state", "source",
                                                        "computed_at")]}),
            (_("Key figures"), {"fields": ["display_figures"]}),
            (_("Counts behind the figures"), {"classes": ["collapse"], "fields": counts}),
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

        def lists(lists):
            """The tickets behind a figure, one link per count (numerator / denominator,
            or the tickets averaged), each opening exactly the tickets it counted."""
            shown = [(lst, getattr(obj, lst.count)) for lst in lists]
            shown = [(lst, n) for lst, n in shown if n is not None]
            if not shown:
                return ""
            return format_html(
                ' <span class="text-xs text-base-500 whitespace-nowrap" title="{}">[{}]</span>',
                _("Open the tickets counted"),
                format_html_join(" / ", '<a class="text-primary-600" href="{}" '
                                 'data-list="{}">{}</a>',
                                 ((lst.url(obj.employee_id, obj.period.month), lst.count, n)
                                  for lst, n in shown)))

        def value(kpi, number):
            text = _number(number, 2)
            links = lists(selectors.KPI_LISTS.get(kpi, ()))
            if kpi == wf.Kpi.SELF_RATED_SHARE and obj.tickets_rated:
                return format_html('{} <span class="text-base-500">({})</span>{}', text,
                                   _("%(link)s of %(rated)s ratings") % {
                                       "link": obj.tickets_rated_by_link or 0,
                                       "rated": obj.tickets_rated}, links)
            if kpi == wf.Kpi.RECORD_COMPLETENESS and obj.tickets_closed:
                return format_html('{} <span class="text-base-500" id="records-reviewed">({})'
                                   '</span>{}', text,
                                   _("reviewed %(reviewed)s of %(closed)s records") % {
                                       "reviewed": obj.records_reviewed or 0,
                                       "closed": obj.tickets_closed}, links)
            return format_html("{}{}", text, links)

        def label(kpi, text):
            star = (mark_safe('<sup class="text-base-500">*</sup>')  # noqa: S308
                    if kpi in SATISFACTION_KPIS else "")
            # the definition one click away, in the unfold look (a native disclosure)
            return format_html(
                '<details class="group" data-definition="{}"><summary class="cursor-pointer '
                'list-none inline-flex items-center gap-1">{}{}<span class="material-symbols'
                '-outlined text-[16px] text-base-400" title="{}">info</span></summary>'
                '<p class="text-xs text-base-500 max-w-md mt-1">{}</p></details>',
                kpi, text, star, _("What this counts"), selectors.KPI_DEFINITIONS[kpi])

        def goal(kpi, target):
            if target is None:
                return "-"
            return f"{'≤' if kpi in wf.LOWER_IS_BETTER else '≥'} {_number(target, 2)}"

        rows = format_html_join(
            "", '<tr class="border-t border-base-200"><td class="pr-6 py-1">{}</td>'
            '<td class="pr-6">{}</td><td class="pr-6">{}</td><td>{}</td></tr>',
            ((label(kpi, text), value(kpi, number), goal(kpi, target), verdict(met))
             for kpi, text, number, target, met in obj.kpi_results()))
        first_contact = obj.tickets_first_contact
        spot_checks = self.spot_check_line(obj)
        rating_sources = ""  # the footnote of the satisfaction KPIs, where the role has them
        if SATISFACTION_KPIS & set(obj.role_kpis()):
            rating_sources = format_html(
                '<p class="text-xs text-base-500 mt-2" id="rating-sources"><sup>*</sup> {}</p>',
                _("Counts the ratings given at confirmation: by the customer's own link and "
                  "by phone (recorded by staff); follow-up surveys are not counted."))
        return format_html(
            '<table class="text-sm" id="key-figures"><thead><tr>'
            '<th class="pr-6 text-left">{}</th><th class="pr-6 text-left">{}</th>'
            '<th class="pr-6 text-left">{}</th><th class="text-left">{}</th></tr></thead>'
            '<tbody>{}</tbody></table>'
            '{}'
            '<p class="text-sm mt-3" id="first-contact"><strong>{}</strong>: {} '
            '<span class="text-xs text-base-500">{}</span></p>{}',
            _("KPI"), _("value"), _("target"), _("verdict"), rows, rating_sources,
            _("Answered on the first call"),
            "-" if first_contact is None else format_html(
                "{}{}", first_contact, lists([selectors.FIRST_CONTACT_LIST])),
            _("Consultations and usage questions this person answered at once, without an "
              "engineer: counted for them, in none of the figures above."),
            spot_checks)

    def spot_check_line(self, obj):
        """The month's spot checks of the person's calls: how many and their average
        score, linked to the list of those checks (the records, not a free-text note)."""
        from django.urls import reverse

        url = (reverse("admin:backoffice_callspotcheck_changelist")
               + f"?agent__id__exact={obj.employee_id}&month={obj.period.month:%Y-%m}")
        count = obj.spot_checks
        score = _number(obj.spot_check_score, 2) if obj.spot_check_score is not None else "-"
        return format_html(
            '<p class="text-sm mt-2" id="spot-checks"><strong>{}</strong>: '
            '<a class="text-primary-600" href="{}">{}</a> · {} {} '
            '<span class="text-xs text-base-500">{}</span></p>',
            _("Calls spot-checked"), url, "-" if count is None else count,
            _("average score"), score,
            _("The manager's spot checks of this person's calls made in the month (0-100)."))

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
