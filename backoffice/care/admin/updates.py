"""Software update notices and the customers they go to."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RelatedDropdownFilter
from unfold.decorators import display

from backoffice.care.models import UpdateNotice, UpdateRecipient
from backoffice.care.resources import UpdateNoticeResource, UpdateRecipientResource
from backoffice.care.selectors import notices_with_progress
from backoffice.care.services import recipients_notify
from backoffice.care.workflows import NoticeChannel, NoticeStatus, RecipientStatus
from backoffice.platform.admin.base import (
    BackofficeAdmin,
    ExportOnlyMixin,
    ReadOnlyInline,
    admin_link,
)

NOTICE_COLOURS = {NoticeStatus.DRAFT: "default", NoticeStatus.ANNOUNCED: "primary",
                  NoticeStatus.CLOSED: "success", NoticeStatus.CANCELLED: "danger"}
RECIPIENT_COLOURS = {RecipientStatus.PENDING: "warning", RecipientStatus.NOTIFIED: "info",
                     RecipientStatus.UPDATED: "success", RecipientStatus.DECLINED: "default"}


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
