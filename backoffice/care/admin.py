"""Admin of customer care: maintenance plans and visits, update notices, follow-ups."""

from django.contrib import admin, messages
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import display

from backoffice.care.models import (
    FollowUp,
    MaintenancePlan,
    MaintenanceVisit,
    UpdateNotice,
    UpdateRecipient,
)
from backoffice.care.resources import (
    FollowUpResource,
    MaintenancePlanResource,
    MaintenanceVisitResource,
    UpdateNoticeResource,
    UpdateRecipientResource,
)
from backoffice.care.selectors import notices_with_progress, overdue_plans, plans_with_status
from backoffice.care.services import maintenance_generate_due_visits, recipients_notify
from backoffice.care.workflows import (
    FollowUpStatus,
    NoticeChannel,
    NoticeStatus,
    RecipientStatus,
    VisitStatus,
)
from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ExportOnlyMixin,
    ReadOnlyInline,
    admin_link,
)

VISIT_COLOURS = {VisitStatus.PLANNED: "info", VisitStatus.DONE: "success",
                 VisitStatus.SKIPPED: "default"}
NOTICE_COLOURS = {NoticeStatus.DRAFT: "default", NoticeStatus.ANNOUNCED: "primary",
                  NoticeStatus.CLOSED: "success", NoticeStatus.CANCELLED: "danger"}
RECIPIENT_COLOURS = {RecipientStatus.PENDING: "warning", RecipientStatus.NOTIFIED: "info",
                     RecipientStatus.UPDATED: "success", RecipientStatus.DECLINED: "default"}
FOLLOWUP_COLOURS = {FollowUpStatus.OPEN: "warning", FollowUpStatus.DONE: "success",
                    FollowUpStatus.UNREACHABLE: "danger", FollowUpStatus.CANCELLED: "default"}


def _late(day, text=None):
    return format_html('<span class="text-red-600 font-semibold">{} ⚠ {}</span>', day,
                       text or _("overdue"))


# -- maintenance -----------------------------------------------------------------------
class OverduePlanFilter(admin.SimpleListFilter):
    title = _("schedule")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(pk__in=overdue_plans(MaintenancePlan.objects.all())
                                   .values("pk"))
        return queryset


class VisitInline(ReadOnlyInline):
    model = MaintenanceVisit
    fields = ["visit_link", "due_on", "state", "engineer", "performed_on", "findings"]
    readonly_fields = fields
    ordering = ["-due_on"]
    verbose_name_plural = _("visits")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("engineer")

    @display(description=_("visit"))
    def visit_link(self, visit):
        return admin_link(visit, visit.number)


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(BackofficeAdmin):
    resource_classes = [MaintenancePlanResource]
    list_display = ["number", "customer", "title", "display_tasks", "cycle", "owner",
                    "display_next", "last_visit_on", "is_active"]
    list_display_links = ["number", "title"]
    list_select_related = ["customer", "owner"]
    list_filter = [OverduePlanFilter, "is_active", ("cycle", ChoicesDropdownFilter),
                   ("owner", RelatedDropdownFilter)]
    search_fields = ["=number", "title", "customer__name", "=customer__code"]
    autocomplete_fields = ["customer", "product", "owner"]
    readonly_fields = ["number"]
    inlines = [VisitInline]
    actions = ["generate_visits"]
    fieldsets = [
        (None, {"fields": [("customer", "product"), "title",
                           ("system_check", "data_backup", "performance_tuning"), "content"]}),
        (_("Schedule"), {"fields": [("cycle", "lead_days"), ("starts_on", "ends_on"),
                                    ("next_due", "owner"), "is_active"]}),
    ]

    def get_queryset(self, request):
        return plans_with_status(super().get_queryset(request))

    @display(description=_("content"))
    def display_tasks(self, plan):
        return "、".join(plan.tasks()) or "-"

    @display(description=_("next visit"), ordering="next_due")
    def display_next(self, plan):
        due = min(d for d in (plan.first_open_due, plan.next_due) if d) \
            if (plan.first_open_due or plan.next_due) else None
        if due is None:
            return "-"
        if plan.overdue_visits or (plan.is_active and due < timezone.localdate()):
            return _late(due)
        return due

    @display(description=_("last visit"), ordering="last_visit_on")
    def last_visit_on(self, plan):
        return plan.last_visit_on or "-"

    @admin.action(description=_("Plan the visits now due"),
                  permissions=["add"])
    def generate_visits(self, request, queryset):
        created = maintenance_generate_due_visits(plans=list(queryset.values_list("pk",
                                                                                  flat=True)))
        messages.success(request, ngettext("%(n)d visit planned.", "%(n)d visits planned.",
                                           len(created)) % {"n": len(created)})


class MyVisitsFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("My visits"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(engineer=request.user)
        return queryset


class OverdueVisitFilter(admin.SimpleListFilter):
    title = _("schedule")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(state=VisitStatus.PLANNED, due_on__lt=timezone.localdate())
        return queryset


@admin.register(MaintenanceVisit)
class MaintenanceVisitAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [MaintenanceVisitResource]
    list_display = ["number", "plan", "display_customer", "display_due", "display_state",
                    "engineer", "appointment", "performed_on"]
    list_display_links = ["number"]
    list_select_related = ["plan__customer", "engineer"]
    list_filter = [MyVisitsFilter, OverdueVisitFilter, ("state", ChoicesDropdownFilter),
                   ("engineer", RelatedDropdownFilter), ("due_on", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=number", "plan__title", "plan__customer__name", "=plan__number"]
    autocomplete_fields = ["plan", "engineer"]
    readonly_fields = ["number", "appointment", "performed_on", "findings", "work_done",
                       "signed_by", "display_plan_content"]
    ordering = ["due_on", "id"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["plan", "due_on", "engineer"]})]
        return [
            (None, {"fields": [("number", "state"), ("plan", "due_on"), "display_plan_content",
                               ("engineer", "appointment")]}),
            (_("Visit record"), {"fields": ["performed_on", "findings", "work_done",
                                            "signed_by"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["plan", "due_on"]
            if obj.state != VisitStatus.PLANNED:
                readonly.append("engineer")
        return readonly

    @display(description=_("customer"), ordering="plan__customer__name")
    def display_customer(self, visit):
        return visit.plan.customer.name

    @display(description=_("due on"), ordering="due_on")
    def display_due(self, visit):
        return _late(visit.due_on) if visit.is_overdue() else visit.due_on

    @display(description=_("state"), ordering="state", label=VISIT_COLOURS)
    def display_state(self, visit):
        return visit.state, visit.get_state_display()

    @display(description=_("content of the plan"))
    def display_plan_content(self, visit):
        plan = visit.plan
        tasks = "、".join(plan.tasks())
        return format_html("{}<br>{}", tasks, plan.content) if plan.content else tasks or "-"


# -- software update notices -----------------------------------------------------------
class RecipientInline(ReadOnlyInline):
    model = UpdateRecipient
    fields = ["customer_link", "from_version", "state", "channel", "notified_at", "updated_on"]
    readonly_fields = fields
    verbose_name_plural = _("customers on older versions")
    per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "from_version")

    @display(description=_("customer"))
    def customer_link(self, recipient):
        return admin_link(recipient, recipient.customer)


@admin.register(UpdateNotice)
class UpdateNoticeAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [UpdateNoticeResource]
    list_display = ["number", "title", "product", "new_version", "display_state",
                    "display_progress", "announced_at"]
    list_display_links = ["number", "title"]
    list_select_related = ["product", "new_version"]
    list_filter = [("state", ChoicesDropdownFilter), ("product", RelatedDropdownFilter)]
    search_fields = ["=number", "title", "product__name"]
    autocomplete_fields = ["product", "new_version"]
    readonly_fields = ["number", "announced_at", "announced_by", "display_audience"]
    inlines = [RecipientInline]

    def get_fieldsets(self, request, obj=None):
        main = [("product", "new_version"), "title", "release_notes",
                ("update_from", "update_until"), "followup_after_days"]
        if obj is None:
            return [(None, {"fields": main})]
        return [(None, {"fields": [("number", "state"), *main]}),
                (_("Announcement"), {"fields": [("announced_at", "announced_by"),
                                                "display_audience"]})]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state != NoticeStatus.DRAFT:
            readonly += ["product", "new_version", "followup_after_days"]
        return readonly

    def get_queryset(self, request):
        return notices_with_progress(super().get_queryset(request))

    @display(description=_("state"), ordering="state", label=NOTICE_COLOURS)
    def display_state(self, notice):
        return notice.state, notice.get_state_display()

    @display(description=_("notified / updated / customers"))
    def display_progress(self, notice):
        if not notice.recipient_count:
            return "-"
        done = notice.notified_count + notice.updated_count
        url = (reverse("admin:backoffice_updaterecipient_changelist")
               + f"?notice__id__exact={notice.pk}")
        return format_html('<a class="text-primary-600" href="{}">{} / {} / {}</a>', url, done,
                           notice.updated_count, notice.recipient_count)

    @display(description=_("customers on older versions"))
    def display_audience(self, notice):
        if not notice.pk:
            return "-"
        if notice.state == NoticeStatus.DRAFT:
            n = notice.older_installations().values("customer").distinct().count()
            return ngettext("%(n)d customer would be notified.",
                            "%(n)d customers would be notified.", n) % {"n": n}
        url = (reverse("admin:backoffice_updaterecipient_changelist")
               + f"?notice__id__exact={notice.pk}")
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url,
                           _("Notification status per customer"))


@admin.register(UpdateRecipient)
class UpdateRecipientAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [UpdateRecipientResource]
    list_display = ["notice", "customer", "from_version", "display_state", "channel",
                    "contact_person", "notified_at", "updated_on", "display_followup"]
    list_select_related = ["notice", "customer", "from_version"]
    list_filter = [("notice", RelatedDropdownFilter), ("state", ChoicesDropdownFilter),
                   ("channel", ChoicesDropdownFilter)]
    list_filter_submit = True
    search_fields = ["customer__name", "=customer__code", "=notice__number"]
    readonly_fields = ["notice", "customer", "installation", "from_version", "channel",
                       "contact_person", "notified_at", "notified_by", "updated_on"]
    fields = [("notice", "customer"), ("installation", "from_version"),
              ("channel", "contact_person"), ("notified_at", "notified_by"), "updated_on",
              "remarks"]
    actions = ["notify_by_email"]

    def has_add_permission(self, request):
        return False  # recipients come from announcing the notice

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("followups")

    @display(description=_("state"), ordering="state", label=RECIPIENT_COLOURS)
    def display_state(self, recipient):
        return recipient.state, recipient.get_state_display()

    @display(description=_("return visit"))
    def display_followup(self, recipient):
        followups = list(recipient.followups.all())
        if not followups:
            return "-"
        f = followups[0]
        return admin_link(f, f"{f.number} · {f.get_state_display()}")

    @admin.action(description=_("Mark as notified by email"), permissions=["notify"])
    def notify_by_email(self, request, queryset):
        done, errors = recipients_notify(
            recipients=queryset.filter(state=RecipientStatus.PENDING),
            channel=NoticeChannel.EMAIL, actor=request.user, note=str(_("Mass email")))
        messages.success(request, ngettext("%(n)d customer marked as notified.",
                                           "%(n)d customers marked as notified.", done)
                         % {"n": done})
        for recipient, reason in errors[:5]:
            messages.error(request, f"{recipient.customer}: {reason}")

    def has_notify_permission(self, request):
        return request.user.has_perm("backoffice.handle_updaterecipient")


# -- follow-ups ------------------------------------------------------------------------
class MyFollowUpsFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", _("My follow-ups")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class DueFollowUpFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("today", _("Due today or earlier")), ("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "today":
            return queryset.filter(state=FollowUpStatus.OPEN, due_on__lte=today)
        if self.value() == "overdue":
            return queryset.filter(state=FollowUpStatus.OPEN, due_on__lt=today)
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(ExportOnlyMixin, BackofficeAdmin):
    resource_classes = [FollowUpResource]
    list_display = ["number", "subject", "kind", "display_ticket", "customer", "display_phone",
                    "assignee", "display_due", "display_state", "attempts", "rating"]
    list_display_links = ["number", "subject"]
    list_select_related = ["ticket", "customer", "contact", "assignee"]
    list_filter = [MyFollowUpsFilter, DueFollowUpFilter, ("state", ChoicesDropdownFilter),
                   ("kind", ChoicesDropdownFilter), "rating", ("due_on", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=number", "subject", "customer__name", "=customer__code",
                     "=ticket__number"]
    autocomplete_fields = ["customer", "contact", "assignee", "ticket"]
    readonly_fields = ["number", "ticket", "update_recipient", "attempts",
                       "last_attempt_at", "outcome", "rating", "remarks", "done_at", "done_by",
                       "new_ticket", "display_service_record"]
    ordering = ["due_on", "id"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["kind", ("customer", "contact"), "subject",
                                       ("due_on", "assignee")]})]
        return [
            (None, {"fields": [("number", "state", "kind"), ("customer", "contact"), "subject",
                               ("due_on", "assignee"), ("ticket", "update_recipient")]}),
            (_("What was done"), {"fields": ["display_service_record"]}),
            (_("Call and survey"), {"fields": [("attempts", "last_attempt_at"),
                                               ("outcome", "rating"), "remarks",
                                               ("done_at", "done_by"), "new_ticket"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["customer", "kind"]
            if obj.state != FollowUpStatus.OPEN:
                readonly += ["contact", "subject", "due_on", "assignee"]
        return readonly

    @display(description=_("ticket"), ordering="ticket__number")
    def display_ticket(self, followup):
        if followup.ticket_id is None:
            return "-"
        return admin_link(followup.ticket, followup.ticket.number)

    @display(description=_("phone"))
    def display_phone(self, followup):
        return followup.contact.phone if followup.contact_id else "-"

    @display(description=_("due on"), ordering="due_on")
    def display_due(self, followup):
        return _late(followup.due_on) if followup.is_overdue() else followup.due_on

    @display(description=_("state"), ordering="state", label=FOLLOWUP_COLOURS)
    def display_state(self, followup):
        return followup.state, followup.get_state_display()

    @display(description=_("service record"))
    def display_service_record(self, followup):
        ticket = followup.ticket
        if ticket is None:
            recipient = followup.update_recipient
            if recipient is None:
                return "-"
            notice = recipient.notice
            return format_html("{} {}<br>{}", notice.number, notice.title,
                               linebreaksbr(notice.release_notes[:500]))
        engineer = ticket.assignee.get_full_name() or ticket.assignee.username \
            if ticket.assignee_id else "-"
        return format_html(
            "<strong>{}</strong>: {}<br><strong>{}</strong>: {}<br><strong>{}</strong>: {}"
            "<br><strong>{}</strong>: {}",
            _("engineer"), engineer, _("problem"), ticket.description or ticket.subject,
            _("solution"), ticket.solution or "-",
            _("satisfaction at confirmation"), ticket.satisfaction or "-")
