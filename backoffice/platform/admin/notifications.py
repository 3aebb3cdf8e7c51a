"""The inbox ("what needs me"), opening a notification, and the notification settings.

A personal inbox: every page shows the signed-in user's own notifications only, whatever
their role (superusers included). It has no change form: a notification is opened (which
marks it read and goes on to its page), marked read, or left.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminSelectWidget

from backoffice.platform import notifications
from backoffice.platform.models import Notification, NotificationSettings
from backoffice.platform.paginator import EstimatedCountPaginator


class ReadFilter(admin.SimpleListFilter):
    title = _("read or not")
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("1", _("Unread")), ("0", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "0":
            return queryset.filter(read_at__isnull=False)
        return queryset


class EventFilter(admin.SimpleListFilter):
    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return sorted(((e.name, e.label) for e in notifications.EVENTS.values()),
                      key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


class NotificationSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of my mails"), required=False, widget=UnfoldAdminSelectWidget,
        choices=[("", _("The site's language"))] + list(settings.LANGUAGES))
    mail_events = forms.MultipleChoiceField(
        label=_("Mail me when"), required=False,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("Everything shows in the inbox; these also come by mail."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mail_events"].choices = [
            (e.name, e.label) for e in notifications.EVENTS.values()]


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    list_display = ["display_title", "display_event", "actor", "created_at"]
    list_display_links = None
    list_filter = [ReadFilter, EventFilter]
    list_select_related = ["actor"]
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["mark_read"]
    list_before_template = "backoffice/notifications/inbox_top.html"
    search_fields = ["title"]

    # -- a personal inbox -------------------------------------------------------------
    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient_id=request.user.pk)

    def has_module_permission(self, request):
        return False  # reached by the bell, not listed among the apps

    def has_view_permission(self, request, obj=None):
        """Every role's own inbox (EVERY_ROLE), and only the recipient's notifications."""
        user = request.user
        return bool(user.is_active and user.is_staff
                    and user.has_perm("backoffice.view_notification")
                    and (obj is None or obj.recipient_id == user.pk))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="backoffice_notification_changelist"),
            path("<int:pk>/open/", wrap(self.open_view), name="backoffice_notification_open"),
            path("read-all/", wrap(self.read_all_view), name="backoffice_notification_read_all"),
            path("settings/", wrap(self.settings_view), name="backoffice_notification_settings"),
            path("needs/", wrap(self.needs_view), name="backoffice_notification_needs"),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {"title": _("My notifications"),
                   "unread": notifications.unread_count(request.user),
                   **(extra_context or {})}
        return super().changelist_view(request, context)

    # -- columns ------------------------------------------------------------------------
    @display(description=_("notification"))
    def display_title(self, obj):
        url = reverse("admin:backoffice_notification_open", args=[obj.pk])
        if obj.read_at is None:
            return format_html('<a class="font-semibold text-primary-600" href="{}">{}</a>'
                               '<span class="sr-only"> ({})</span>', url, obj.title, _("unread"))
        return format_html('<a href="{}">{}</a>', url, obj.title)

    @display(description=_("event"))
    def display_event(self, obj):
        found = notifications.EVENTS.get(obj.event)
        return found.label if found else obj.event

    @admin.action(description=_("Mark as read"))
    def mark_read(self, request, queryset):
        changed = notifications.mark_read(request.user, queryset.values_list("pk", flat=True))
        self.message_user(request, ngettext("%(count)d notification marked as read.",
                                            "%(count)d notifications marked as read.",
                                            changed) % {"count": changed}, messages.SUCCESS)

    # -- the small views ----------------------------------------------------------------
    def open_view(self, request, pk):
        """Mark it read and go to what it is about (a link from the list or a mail)."""
        notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
        if notification.read_at is None:
            notifications.mark_read(request.user, [notification.pk])
        target = notification.url
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("admin:backoffice_notification_changelist")
        return redirect(target)

    def read_all_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        changed = notifications.mark_read(request.user)
        self.message_user(request, ngettext("%(count)d notification marked as read.",
                                            "%(count)d notifications marked as read.",
                                            changed) % {"count": changed}, messages.SUCCESS)
        return redirect("admin:backoffice_notification_changelist")

    def needs_view(self, request):
        """The "what needs me" summary above the list, fetched by the page once it is
        shown: a count or two per domain (about twenty queries for someone who holds
        every role), which the list of one's own notifications does not wait for."""
        return render(request, "backoffice/notifications/needs.html",
                      {"needs": notifications.what_needs(request.user)})

    def settings_view(self, request):
        user = request.user
        saved = NotificationSettings.objects.filter(user=user).first()
        initial = {"language": saved.language if saved else "",
                   "mail_events": notifications.mailed_events(user)}
        form = NotificationSettingsForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            NotificationSettings.objects.update_or_create(user=user, defaults={
                "language": form.cleaned_data["language"],
                "mail_events": form.cleaned_data["mail_events"]})
            self.message_user(request, _("Your notification settings are saved."),
                              messages.SUCCESS)
            return redirect("admin:backoffice_notification_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("My notification settings"), "form": form,
                   "has_email": bool(user.email),
                   "inbox_url": reverse("admin:backoffice_notification_changelist")}
        return render(request, "backoffice/notifications/settings.html", context)
