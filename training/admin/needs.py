"""Training needs: who asked for what, and the plan items that answer them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import display

from backoffice.platform.admin.base import BackofficeAdmin
from training import workflows as wf
from training.admin.common import StaffChoiceMixin, _person
from training.models import TrainingNeed
from training.resources.plans import TrainingNeedResource

NEED_COLOURS = {wf.TrainingNeedStatus.OPEN: "info", wf.TrainingNeedStatus.PLANNED: "success",
                wf.TrainingNeedStatus.DROPPED: "default"}
URGENCY_COLOURS = {wf.Urgency.LOW: "default", wf.Urgency.NORMAL: "info",
                   wf.Urgency.HIGH: "warning", wf.Urgency.URGENT: "danger"}


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
