"""Reads of the service desk that forms, filters and other domains ask for."""

from django.contrib.auth import get_user_model


def engineers():
    """Active users who may work tickets (support engineers, and managers)."""
    from django.db.models import Q

    User = get_user_model()
    perm = Q(codename="work_ticket") | Q(codename="supervise_ticket")
    return (User.objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=_perms(perm)) | Q(user_permissions__in=_perms(perm))
                    | Q(is_superuser=True))
            .distinct().order_by("username"))


def _perms(q):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(q, content_type__app_label="backoffice")
