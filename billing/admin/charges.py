"""Admin of customer charges (quotes for chargeable work, sent to the customer)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import display

from backoffice.platform.admin.base import BackofficeAdmin, ExportOnlyMixin, admin_link
from billing.models import CustomerCharge
from billing.money import format_money
from billing.resources import CustomerChargeResource
from billing.workflows import ChargeStatus

CHARGE_COLOURS = {ChargeStatus.DRAFT: "info", ChargeStatus.SENT: "warning",
                  ChargeStatus.ACCEPTED: "success", ChargeStatus.DECLINED: "danger"}


@admin.register(CustomerCharge)
class CustomerChargeAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [CustomerChargeResource]
    list_display = ["number", "title", "customer", "ticket", "kind", "display_amount",
                    "display_state", "valid_until", "created_by"]
    list_display_links = ["number", "title"]
    list_select_related = ["customer", "ticket", "created_by"]
    list_filter = [("state", ChoicesDropdownFilter), ("kind", ChoicesDropdownFilter),
                   ("customer", RelatedDropdownFilter)]
    search_fields = ["=number", "title", "=ticket__number", "customer__name", "=customer__code"]
    autocomplete_fields = ["ticket"]
    readonly_fields = ["number", "customer", "created_by", "sent_at", "decided_at",
                       "accepted_by", "customer_reference", "decline_reason", "ticket_decision"]

    def get_fieldsets(self, request, obj=None):
        main = ["ticket", "kind", "title", "description", ("amount", "currency"),
                ("effort_days", "valid_until")]
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (None, {"fields": [("number", "state"), ("customer", "ticket_decision"), *main]}),
            (_("Customer's answer"), {"fields": [("created_by", "sent_at", "decided_at"),
                                                 ("accepted_by", "customer_reference"),
                                                 "decline_reason"]}),
        ]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


    @display(description=_("amount"), ordering="amount")
    def display_amount(self, obj):
        return format_money(obj.amount, obj.currency)

    @display(description=_("state"), ordering="state", label=CHARGE_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("business manager's decision"))
    def ticket_decision(self, obj):
        ticket = obj.ticket
        if ticket.requirement_chargeable is None:
            decision = _("not evaluated")
        elif ticket.requirement_chargeable:
            decision = _("chargeable")
        else:
            decision = _("not chargeable")
        return format_html("{} · {}", admin_link(ticket, ticket.number), decision)
