"""Admin helpers shared by the training pages: names, numbers, redirects, staff choices."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse

from backoffice.platform.admin.base import admin_url
from backoffice.platform.people import display_name

User = get_user_model()


def _person(user):
    return display_name(user) if user else "-"


def _number(value, places=1, suffix=""):
    return "-" if value is None else f"{float(value):.{places}f}{suffix}"


def _redirect(obj):
    return HttpResponse(headers={"HX-Redirect": admin_url(obj, "change", obj.pk)})


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
