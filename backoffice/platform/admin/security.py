"""django-axes' lockout records under the unfold look: a locked user is released by
deleting their access attempt (or with the "release" action)."""

from axes.admin import AccessAttemptAdmin as AxesAttemptAdmin
from axes.admin import AccessFailureLogAdmin as AxesFailureLogAdmin
from axes.admin import AccessLogAdmin as AxesLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAttemptAdmin, ModelAdmin):
    actions = ["release"]

    @admin.action(description=_("Release the selected lockouts"), permissions=["delete"])
    def release(self, request, queryset):
        count = queryset.count()
        queryset.delete()
        messages.success(request, _("%(count)d lockout(s) released.") % {"count": count})


@admin.register(AccessLog)
class AccessLogAdmin(AxesLogAdmin, ModelAdmin):
    pass


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(AxesFailureLogAdmin, ModelAdmin):
    pass
