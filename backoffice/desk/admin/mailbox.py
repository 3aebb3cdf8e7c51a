"""Admin of the support mailbox: received mails, the unknown-sender queue."""

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateFilter
from unfold.decorators import action, display
from unfold.forms import BaseDialogForm

from backoffice.desk import mailbox
from backoffice.desk.models import InboundMail
from backoffice.desk.workflows import MailState
from backoffice.platform import files
from backoffice.platform.admin.base import BackofficeAdmin, admin_link, admin_url

MAIL_COLOURS = {MailState.QUEUED: "warning", MailState.FILED: "success",
                MailState.REFUSED: "default", MailState.FAILED: "danger",
                MailState.DISCARDED: "default"}


@admin.register(InboundMail)
class InboundMailAdmin(BackofficeAdmin):
    """What the reader did with each mail; the queue is the "waiting" filter. Nothing is
    edited by hand: mails are filed or discarded with the workflow buttons."""

    list_display = ["received_at", "sender", "subject", "display_state", "display_ticket",
                    "display_reason"]
    list_display_links = ["received_at", "subject"]
    list_select_related = ["ticket"]
    list_filter = [("state", ChoicesDropdownFilter), ("received_at", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["sender", "subject"]
    ordering = ["-received_at", "-id"]
    actions_list = ["fetch_now"]
    fieldsets = [
        (None, {"fields": ["state", ("received_at", "size"), ("sender", "sender_name"),
                           "subject", "reason", "display_raw"]}),
        (_("Filed"), {"fields": [("customer", "contact"), "display_ticket"]}),
        (_("Mailbox"), {"classes": ["collapse"], "fields": [("message_id", "folder", "uid")]}),
    ]
    readonly_fields = ["received_at", "size", "sender", "sender_name", "subject", "reason",
                       "display_raw", "customer", "contact", "display_ticket", "message_id",
                       "folder", "uid"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket", "customer", "contact")

    # -- the original mail --------------------------------------------------------------
    def get_urls(self):
        raw = self.admin_site.admin_view(self.raw_view)
        return [path("raw/<path:name>", raw, name="backoffice_inboundmail_raw"),
                *super().get_urls()]

    def raw_view(self, request, name):
        """Serve a stored .eml to those who may see the mailbox (never from a public URL)."""
        mail = self.get_queryset(request).filter(raw=name).first()
        if mail is None or not self.has_view_permission(request, mail) or \
                not mail.raw.storage.exists(name):
            raise Http404
        return files.serve(mail.raw, f"mail-{mail.pk}.eml", "message/rfc822")

    # -- fetching now ---------------------------------------------------------------------
    @action(description=_("Fetch mail now"), url_path="fetch", icon="sync",
            permissions=["fetch_now"],
            dialog={"title": _("Fetch mail now"),
                    "description": _("Reads the unread mails of the support mailbox in the "
                                     "background; they appear in this list in a moment."),
                    "form_class": BaseDialogForm, "form_submit_text": _("Fetch now")})
    def fetch_now(self, request, form):
        if not settings.MAIL_INTAKE_HOST:
            messages.warning(request, _("Mail intake is off: no mailbox is configured "
                                        "(MAIL_INTAKE_HOST)."))
        else:
            mailbox.fetch_mail_now.enqueue()
            messages.success(request, _("Fetching mail in the background: new mails appear "
                                        "in this list in a moment."))
        return HttpResponse(headers={"HX-Redirect": admin_url(InboundMail, "changelist")})

    def has_fetch_now_permission(self, request):
        # a method, not "backoffice.file_inboundmail": unfold's system check looks dotted
        # permissions up in the database, which breaks `migrate` on an empty one
        return request.user.has_perm("backoffice.file_inboundmail")

    # -- columns --------------------------------------------------------------------------
    @display(description=_("state"), ordering="state", label=MAIL_COLOURS)
    def display_state(self, obj):
        return obj.state, obj.get_state_display()

    @display(description=_("ticket"), ordering="ticket__number")
    def display_ticket(self, obj):
        return admin_link(obj.ticket, obj.ticket.number) if obj.ticket_id else "-"

    @display(description=_("reason"))
    def display_reason(self, obj):
        return Truncator(obj.reason).chars(120) or "-"

    @display(description=_("original mail"))
    def display_raw(self, obj):
        if not obj.raw:
            return _("Not downloaded (refused from its headers).") \
                if obj.state == MailState.REFUSED else "-"
        return format_html('<a class="text-primary-600" href="{}">{}</a> ({} KB)',
                           obj.raw.url, _("Download .eml"), max(1, obj.size // 1024))
