"""The yearly training plans (copy, approval, effectiveness) and their items."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import action, display

from backoffice.platform.admin.base import BackofficeAdmin, BudgetPositionMixin
from training import selectors, services
from training import workflows as wf
from training.admin.common import StaffChoiceMixin, _number, _redirect
from training.forms import ConfirmDialogForm
from training.models import TrainingPlan, TrainingPlanItem
from training.resources.plans import TrainingPlanItemResource, TrainingPlanResource

PLAN_COLOURS = {wf.TrainingPlanStatus.DRAFT: "default",
                wf.TrainingPlanStatus.SUBMITTED: "warning",
                wf.TrainingPlanStatus.APPROVED: "success", wf.TrainingPlanStatus.CLOSED: "info"}


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
class TrainingPlanAdmin(BudgetPositionMixin, BackofficeAdmin):
    resource_classes = [TrainingPlanResource]
    list_display = ["number", "year", "title", "display_state", "display_items",
                    "display_budget", "prepared_by", "approved_by"]
    list_display_links = ["number", "title"]
    list_select_related = ["prepared_by", "approved_by"]
    list_filter = [("state", ChoicesDropdownFilter), "year"]
    search_fields = ["=number", "title"]
    inlines = [PlanItemInline]
    actions_detail = ["copy_action"]
    budget_panel_states = (wf.TrainingPlanStatus.DRAFT, wf.TrainingPlanStatus.SUBMITTED)
    budget_note_field = "budget_remark"
    budget_confirmed_states = (wf.TrainingPlanStatus.SUBMITTED,)
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
