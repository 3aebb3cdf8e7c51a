"""The unfold sidebar: one group per app, items from its domains' ``dashboard.SIDEBAR_ITEMS``
(in ``settings.BACKOFFICE_DOMAINS`` order).

Items are shown only to users who may view the model behind them.
"""

from urllib.parse import parse_qsl

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backoffice.platform import domains


def _can_view(app_label, model_name):
    def check(request):
        return request.user.has_perm(f"{app_label}.view_{model_name}")

    return check


def _is_active(link, query, sibling_keys):
    """Several entries share one changelist ("All", "My", "Overdue" tickets): the one
    whose query string matches is highlighted; the plain one only when none does."""
    wanted = dict(parse_qsl(query.lstrip("?")))

    def check(request):
        if request.path != link and not request.path.startswith(link):
            return False
        if not wanted:
            return not sibling_keys & request.GET.keys()
        return all(request.GET.get(k) == v for k, v in wanted.items())

    return check


def _items(app_label, entries):
    items = []
    keys_by_model: dict[str, set] = {}
    for model_name, _icon, *rest in entries:
        if rest and rest[0].startswith("?"):
            keys_by_model.setdefault(model_name, set()).update(
                k for k, _v in parse_qsl(rest[0].lstrip("?")))
    for entry in entries:
        model_name, icon, *rest = entry
        query = rest[0] if rest else ""
        title = rest[1] if len(rest) > 1 else None
        model = apps.get_model(app_label, model_name)
        try:
            link = reverse(f"admin:{app_label}_{model_name}_changelist")
        except NoReverseMatch:
            continue
        items.append({
            # capfirst, not str.capitalize: that lowercases the rest ("Kpi targets")
            "title": title or capfirst(model._meta.verbose_name_plural),
            "icon": icon,
            "link": link + query,
            "active": _is_active(link + ("" if query.startswith("?") else query), query
                                 if query.startswith("?") else "",
                                 keys_by_model.get(model_name, set())),
            "permission": _can_view(app_label, model_name),
        })
    return items


def sidebar(request):
    groups = [{"title": _("Overview"), "separator": False, "items": [
        {"title": _("Dashboard"), "icon": "dashboard", "link": reverse("admin:index")},
        {"title": _("My import/export jobs"), "icon": "cloud_sync",
         "link": reverse("admin:backoffice_datajob_changelist"),
         "permission": _can_view("backoffice", "datajob")},
    ]}]
    entries_by_app: dict[str, list] = {label: [] for label in domains.app_labels()}
    for domain, module in domains.modules("dashboard"):
        entries_by_app[domains.app_label(domain)] += getattr(module, "SIDEBAR_ITEMS", [])
    for app_label, entries in entries_by_app.items():
        groups.append({
            "title": apps.get_app_config(app_label).verbose_name,
            "separator": True,
            "collapsible": app_label != "backoffice",
            "items": _items(app_label, entries),
        })
    groups.append({"title": _("Users and roles"), "separator": True, "collapsible": True,
                   "items": [
                       {"title": _("Users"), "icon": "person", "link": reverse("admin:auth_user_changelist"),
                        "permission": _can_view("auth", "user")},
                       {"title": _("Roles"), "icon": "group", "link": reverse("admin:auth_group_changelist"),
                        "permission": _can_view("auth", "group")},
                       {"title": _("Locked-out logins"), "icon": "lock_person",
                        "link": reverse("admin:axes_accessattempt_changelist"),
                        "permission": _can_view("axes", "accessattempt")},
                   ]})
    return groups
